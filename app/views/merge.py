"""Merge two companies or two contacts: the two side by side, a choice per field, one save."""

from flask import abort, flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import lazy_gettext as _l

from app.extensions import db
from app.labels import LABELS
from app.models.mixins import local_now
from app.services.errors import DomainError, NotFound
from app.services.rules import duplicates, merge
from app.services.rules.followup import NextTask, default_due
from app.views.fields import DATETIME_FORMATS

SHOW = {"company": "CompanyView.show", "contact": "ContactView.show"}


def _due(text: str | None):
    from datetime import datetime

    for pattern in DATETIME_FORMATS:
        try:
            return datetime.strptime(text or "", pattern)
        except ValueError:
            continue
    return None


def _label(name: str) -> str:
    return str(LABELS.get(name.removesuffix("_id"), name))


class MergeView(BaseView):
    route_base = "/merge"
    default_view = "index"

    def _pair(self, entity: str, kept_id: int, other_id):
        if entity not in merge.MODELS:
            abort(404)
        try:
            return merge.find_pair(db.session, g.user, entity, kept_id, other_id)
        except NotFound:
            abort(404)
        except DomainError as error:
            flash(str(error.message), "danger")
            return None

    @expose("/<kind>/<int:pk>", methods=["GET"])
    @has_access
    def index(self, kind, pk):
        """Show the two records side by side; without a second one, its likely duplicates."""
        entity, kept_id = kind, pk
        other_id = request.args.get("other", type=int)
        if other_id is None:
            model = merge.MODELS.get(entity) or abort(404)
            record = db.session.get(model, kept_id)
            if record is None or not merge.can_merge(g.user, record, record):
                abort(404)
            found = [match for match in duplicates.find(db.session, g.user, record, is_new=True)
                     if match.visible]
            return self.render_template("crm/merge_pick.html", title=_l("Merge"),
                                        entity=entity, record=record, matches=found)
        pair = self._pair(entity, kept_id, other_id)
        if pair is None:
            return redirect(url_for(SHOW[entity], pk=kept_id))
        return self._render(entity, *pair)

    def _render(self, entity, kept, other, status: int = 200):
        rows = [(name, _label(name), _shown(kept, name), _shown(other, name))
                for name in merge.FIELDS[type(kept)]]
        chosen = {name: request.form.get(f"field_{name}") or (
            merge.OTHER if getattr(kept, name) in (None, "") and getattr(other, name)
            not in (None, "") else merge.KEPT) for name in merge.FIELDS[type(kept)]}
        return self.render_template(
            "crm/merge.html", title=_l("Merge"), entity=entity, kept=kept, other=other,
            rows=rows, chosen=chosen, show=SHOW[entity],
            next_subject=request.form.get("next_subject", str(_l("Call the client"))),
            next_due=request.form.get("next_due_at") or default_due(local_now()).strftime(
                "%Y-%m-%dT%H:%M"),
        ), status

    @expose("/<kind>/<int:pk>", methods=["POST"])
    @has_access
    def merge(self, kind, pk):
        """Merge the other record into the kept one with the values chosen, then open it."""
        entity, kept_id = kind, pk
        pair = self._pair(entity, kept_id, request.form.get("other", type=int))
        if pair is None:
            return redirect(url_for(SHOW[entity], pk=kept_id))
        kept, other = pair
        choices = {name: request.form.get(f"field_{name}", merge.KEPT)
                   for name in merge.FIELDS[type(kept)]}
        subject = (request.form.get("next_subject") or "").strip()
        next_task = NextTask(subject=subject, due_at=_due(request.form.get("next_due_at"))) \
            if subject else None
        try:
            merge.merge(db.session, g.user, kept, other, choices, next_task)
        except DomainError as error:
            db.session.rollback()
            flash(str(error.message), "danger")
            pair = self._pair(entity, kept_id, other.id)
            if pair is None:
                return redirect(url_for(SHOW[entity], pk=kept_id))
            return self._render(entity, *pair, status=422)
        flash(str(_l("Merged: «%(other)s» is now part of «%(kept)s».", other=str(other),
                     kept=str(kept))), "success")
        return redirect(url_for(SHOW[entity], pk=kept.id))


def _shown(record, name: str) -> str:
    value = getattr(record, name)
    if name == "owner_id":
        return str(record.owner) if record.owner is not None else ""
    if name == "company_id":
        return str(record.company) if record.company is not None else ""
    if name == "status" and value:
        from app.models.enums import ClientStatus, label

        return label(ClientStatus, value)
    if name == "birthday" and value:
        from app.formatting import date_text

        return date_text(value)
    return "" if value is None else str(value)
