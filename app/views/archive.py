"""The archive: Head and Admin list archived records, restore them, Admin deletes for good."""

from flask import abort, flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from app.extensions import db
from app.services.errors import DomainError, NotFound
from app.services.rules import archive

PAGE_SIZE = 25
KIND_TITLES = {
    "company": _l("Companies"), "contact": _l("Contacts"), "deal": _l("Deals"),
    "task": _l("Tasks"),
}
SHOW_ENDPOINTS = {
    "company": "CompanyView.show", "contact": "ContactView.show", "deal": "DealView.show",
    "task": "TaskView.show",
}


def _page() -> int:
    try:
        return max(0, min(int(request.args.get("page", 0)), 1_000_000))
    except (TypeError, ValueError):
        return 0


class ArchiveView(BaseView):
    route_base = "/archive"
    default_view = "index"

    @expose("/")
    @has_access
    def index(self):
        """List archived records of one kind, newest first, a page at a time."""
        kind = request.args.get("kind", "company")
        if kind not in archive.MODELS:
            abort(404)
        model = archive.MODELS[kind]
        page = _page()
        total = db.session.scalar(
            select(func.count()).select_from(model).where(model.archived.is_(True))) or 0
        rows = db.session.scalars(
            select(model).where(model.archived.is_(True))
            .order_by(model.archived_at.desc(), model.id.desc())
            .limit(PAGE_SIZE).offset(page * PAGE_SIZE)
        ).all()
        return self.render_template(
            "crm/archive.html", title=_l("Archive"), kind=kind, kinds=KIND_TITLES, rows=rows,
            page=page, pages=max(1, -(-total // PAGE_SIZE)), total=total,
            may_delete=archive.can_delete_for_good(g.user),
        )

    @expose("/restore/<kind>/<int:pk>", methods=["POST"])
    @has_access
    def restore(self, kind, pk):
        """Restore an archived record with what was archived together with it."""
        try:
            record = archive.find_archived(db.session, kind, pk)
            batch = archive.restore(db.session, g.user, record)
        except NotFound:
            abort(404)
        except DomainError as error:
            db.session.rollback()
            flash(str(error.message), "danger")
            return redirect(url_for("ArchiveView.index", kind=kind))
        with_it = archive.describe_counts(batch.counts())
        if with_it:
            flash(str(_l("Restored «%(name)s» together with %(what)s.", name=str(record),
                         what=with_it)), "success")
        else:
            flash(str(_l("Restored «%(name)s».", name=str(record))), "success")
        return redirect(url_for(SHOW_ENDPOINTS[kind], pk=pk))

    @expose("/purge/<kind>/<int:pk>", methods=["GET", "POST"])
    @has_access
    def purge(self, kind, pk):
        """Ask, then delete an archived record (or its whole archived batch) for good."""
        try:
            record = archive.find_archived(db.session, kind, pk)
        except NotFound:
            abort(404)
        if not archive.can_delete_for_good(g.user):
            abort(403)
        if request.method == "POST":
            try:
                batch = archive.delete_for_good(db.session, g.user, record,
                                                with_batch=bool(request.form.get("batch")))
            except DomainError as error:
                db.session.rollback()
                flash(str(error.message), "danger")
            else:
                flash(str(_l("Deleted for good: %(count)s record(s).",
                             count=len(batch.rows()))), "success")
                return redirect(url_for("ArchiveView.index", kind=kind))
        batch = archive.archived_batch(db.session, record)
        return self.render_template(
            "crm/archive_purge.html", title=_l("Delete for good"), record=record, kind=kind,
            counts=batch.counts(), kind_labels=archive.KIND_LABELS,
            back=url_for("ArchiveView.index", kind=kind),
        )
