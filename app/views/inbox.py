"""The inbox: leads that arrived by themselves, to accept, link to a client or decline."""

from datetime import datetime

from flask import abort, flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.extensions import db
from app.models import User
from app.models.enums import TaskType, choices
from app.models.inbox_item import INBOX_LABELS, DeclineReason, InboxSource, InboxState
from app.models.mixins import local_now
from app.services.errors import DomainError, NotFound
from app.services.queries import inbox as inbox_queries
from app.services.rules import intake
from app.services.rules.followup import NextTask
from app.services.rules.visibility import sees_everything
from app.views.arguments import small_int
from app.views.fields import DATETIME_FORMATS

STATES = ("new", "all")


def parse_when(text: str | None):
    """Return the datetime a datetime-local input sent, or None."""
    for pattern in DATETIME_FORMATS:
        try:
            return datetime.strptime((text or "").strip(), pattern)
        except ValueError:
            continue
    return None


def _labels() -> dict:
    return {"source": INBOX_LABELS[InboxSource], "state": INBOX_LABELS[InboxState],
            "reason": INBOX_LABELS[DeclineReason]}


class InboxView(BaseView):
    route_base = "/inbox"
    default_view = "index"

    @expose("/")
    @has_access
    def index(self):
        """List the user's new leads (or all of them), each with its matching clients."""
        state = request.args.get("state", "new")
        state = state if state in STATES else "new"
        owner = small_int(request.args.get("owner")) if sees_everything(g.user) else None
        items = inbox_queries.items(db.session, g.user, None if state == "all" else state,
                                    owner_id=owner)
        matches = inbox_queries.matches_for(db.session, g.user, items)
        return self.render_template(
            "crm/inbox.html", title=_l("Inbox"), items=items, matches=matches, state=state,
            labels=_labels(), head=sees_everything(g.user),
        )

    def _item_or_404(self, pk):
        item = inbox_queries.get(db.session, g.user, pk)
        if item is None:
            abort(404)
        return item

    @expose("/<pk>")
    @has_access
    def show(self, pk):
        """Show one lead: who, what, the matching clients and what can be done with it."""
        item = self._item_or_404(pk)
        return self._render_item(item)

    def _render_item(self, item, errors: dict | None = None):
        matches = inbox_queries.matches_for(db.session, g.user, [item])[item.id]
        managers = []
        if sees_everything(g.user) and item.is_new:
            managers = db.session.scalars(select(User).where(User.active.is_(True))
                                          .order_by(User.first_name, User.last_name)).all()
        due = local_now().replace(second=0, microsecond=0)
        return self.render_template(
            "crm/inbox_item.html", title=_l("Lead"), item=item, matches=matches,
            labels=_labels(), managers=managers, errors=errors or {},
            task_types=choices(TaskType), due=due.strftime("%Y-%m-%dT%H:%M"),
            reasons=[(r.value, INBOX_LABELS[DeclineReason][r]) for r in DeclineReason],
        )

    @expose("/<pk>/decide", methods=["POST"])
    @has_access
    def decide(self, pk):
        """Link the lead to a client, decline it, or (Head) give it to another manager."""
        item = self._item_or_404(pk)
        action = request.form.get("action")
        form = request.form
        try:
            if action == "link":
                client = intake.find_client(db.session, g.user, form.get("client_type"),
                                            form.get("client_id"))
                intake.link(db.session, g.user, item, client, NextTask(
                    type=form.get("next_type") or TaskType.CALL.value,
                    subject=form.get("next_subject") or "",
                    due_at=parse_when(form.get("next_due_at"))))
                message = _l("The lead joined the client; the next task is planned.")
            elif action == "decline":
                intake.decline(db.session, g.user, item, form.get("reason") or "",
                               form.get("reason_text"))
                message = _l("The lead is declined.")
            elif action == "reassign":
                intake.reassign(db.session, g.user, item, form.get("owner_id"))
                message = _l("The lead is given to another manager.")
            else:
                abort(400)
        except NotFound:
            abort(404)
        except DomainError as error:
            db.session.rollback()
            flash(str(error.message), "danger")
            return self._render_item(item, {error.field or "": str(error.message)}), 422
        flash(str(message), "success")
        if action == "reassign" or item.client is None:
            return redirect(url_for("InboxView.index"))
        return redirect(url_for("CompanyView.show" if item.company_id else "ContactView.show",
                                pk=item.company_id or item.contact_id))
