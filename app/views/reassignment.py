"""Reassignment: the head moves a leaver's clients, or one company, to another manager."""

from flask import abort, g, redirect, request, url_for
from flask_appbuilder import BaseView, ModelView, expose, has_access
from flask_babel import lazy_gettext as _l

from app.background import start_thread
from app.data.search_filters import LocalFilterInterface
from app.extensions import db
from app.models import Company, Reassignment, User
from app.models.enums import MoveState
from app.services.errors import DomainError
from app.services.rules import reassignment, team
from app.views.arguments import small_int
from app.views.date_field import localise_date_fields
from app.views.formatters import COMMON, move_state

KIND_LABELS = {
    "companies": _l("Companies"),
    "private_clients": _l("Private clients"),
    "contacts": _l("Contacts"),
    "deals": _l("Deals"),
    "tasks": _l("Tasks"),
}


# How often the page of a running move looks again (seconds).
RECHECK_SECONDS = 2


def _failure(record: Reassignment) -> str | None:
    """Return what to tell about a failed move, in the reader's language."""
    if record.state != MoveState.FAILED.value:
        return None
    if record.error == reassignment.INTERRUPTED:
        return str(_l("The move was interrupted (the server stopped) and nothing was "
                      "moved. Start it again."))
    if record.error == reassignment.FAILED_ON_ERROR or not record.error:
        return str(_l("The move stopped on an error and nothing was moved. Start it "
                      "again; if it fails again, tell the administrator."))
    return str(_l("Nothing was moved: %(reason)s", reason=record.error))


def _user(value) -> User | None:
    user_id = small_int(value)
    return db.session.get(User, user_id) if user_id else None


def _company(value) -> Company | None:
    company_id = small_int(value)
    company = db.session.get(Company, company_id) if company_id else None
    return company if company is not None and not company.archived else None


class ReassignView(BaseView):
    route_base = "/reassign"
    default_view = "index"
    template = "crm/reassign.html"

    @expose("/", methods=["GET", "POST"])
    @has_access
    def index(self):
        """Show the choice of managers, the preview of what moves, then move it."""
        source = request.form if request.method == "POST" else request.args
        company = _company(source.get("company"))
        if source.get("company") and company is None:
            abort(404)
        from_user = company.owner if company else _user(source.get("from_user"))
        to_user = _user(source.get("to_user"))
        counts = None
        errors: dict[str, str] = {}
        # Ticked unless the head unticked it in the preview they saw.
        introduce = not source.get("introduce_shown") or bool(source.get("introduce"))
        # A form sent, or a link naming both managers, gets its choice checked and counted.
        if request.method == "POST" or (from_user and to_user):
            try:
                team.check_reassignment_choice(g.user, from_user, to_user, company)
                if request.method == "POST" and request.form.get("confirm"):
                    record = reassignment.start(
                        db.session, g.user, from_user, to_user, company,
                        introduce=introduce,
                    )
                    start_thread("reassignment", reassignment.run, record.id)
                    return redirect(url_for("ReassignmentView.show", pk=record.id))
                counts = reassignment.preview(db.session, g.user, from_user, to_user, company)
            except DomainError as error:
                db.session.rollback()
                errors[error.field or "to_user"] = str(error.message)
        owners = team.client_owners(db.session)
        return self.render_template(
            self.template, from_choices=owners, to_choices=[u for u in owners if u.active],
            from_user=from_user, to_user=to_user, company=company, counts=counts,
            kind_labels=KIND_LABELS, errors=errors, introduce=introduce,
            title=_l("Transfer to another manager") if company else _l("Reassign clients"),
        )


class ReassignmentView(ModelView):
    datamodel = LocalFilterInterface(Reassignment)
    base_permissions = ["can_list", "can_show"]
    show_template = "crm/reassignment_show.html"
    list_title = _l("Reassignments")
    show_title = _l("Reassignment")
    label_columns = {
        "at": _l("When"), "actor": _l("Done by"), "from_user": _l("Previous manager"),
        "to_user": _l("New manager"), "company": _l("Company"), "companies": _l("Companies"),
        "private_clients": _l("Private clients"), "contacts": _l("Contacts"),
        "deals": _l("Deals"), "tasks": _l("Tasks"), "state": _l("State"),
        "finished_at": _l("Finished"),
    }
    formatters_columns = {**COMMON, "at": COMMON["created_at"],
                          "finished_at": COMMON["created_at"], "state": move_state}
    list_columns = ["at", "state", "from_user", "to_user", "company", "companies",
                    "private_clients", "contacts", "deals", "tasks", "actor"]
    show_columns = ["at", "state", "finished_at", "from_user", "to_user", "company",
                    "companies", "private_clients", "contacts", "deals", "tasks", "actor"]
    search_columns = ["at", "from_user", "to_user"]
    order_columns = ["at"]
    base_order = ("at", "desc")

    @expose("/show/<pk>", methods=["GET"])
    @has_access
    def show(self, pk):
        """Show the move; while it runs, say so and look again in a moment."""
        item = self.datamodel.get(small_int(pk), self._base_filters)
        if item is None:
            abort(404)
        item = reassignment.settle(db.session, item)
        # Until it is done nothing has moved: no counts, rather than a row of zeros.
        columns = self.show_columns if item.state == MoveState.DONE.value else \
            [column for column in self.show_columns if column not in KIND_LABELS]
        widgets = self._get_show_widget(pk, item, show_fieldsets=[(None, {"fields": columns})])
        self.update_redirect()
        return self.render_template(
            self.show_template, pk=pk, item=item, widgets=widgets, title=self.show_title,
            failure=_failure(item), recheck_seconds=RECHECK_SECONDS,
        )

    def _init_forms(self) -> None:
        """Build FAB's forms; the "when" filter takes a day typed the user's way."""
        super()._init_forms()
        localise_date_fields(self.search_form, with_datetimes=True)
