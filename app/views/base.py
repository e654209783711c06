"""The base of every CRM screen: scoped data, rules through the services, errors on fields."""

import logging

from flask import abort, flash, g, redirect, request, url_for
from flask_appbuilder import ModelView, expose, has_access
from flask_appbuilder.models.sqla.filters import FilterInFunction
from flask_appbuilder.urltools import (
    get_filter_args,
    get_order_args,
    get_page_args,
    get_page_size_args,
)
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm.exc import StaleDataError
from wtforms import HiddenField
from wtforms.validators import StopValidation

from app.services.errors import DomainError
from app.services.queries.timeline import StaleRecord, stale_record, timeline
from app.services.rules import followup, saving, team
from app.services.rules.visibility import can_assign_owner
from app.views.action_guards import ScopedActions
from app.views.archiving import ArchiveInsteadOfDelete
from app.views.capped_list import CappedList, CappedListWidget
from app.views.date_field import localise_date_fields
from app.views.export import ExportMixin

log = logging.getLogger(__name__)

# Owner dropdowns (forms and search forms) offer only users who may own records.
ACTIVE_OWNERS = {"owner": [["id", FilterInFunction, team.active_client_owner_ids]]}


def next_task_of(form) -> followup.NextTask | None:
    """Return the next task the form asks for, if it has the next-task fields."""
    if "next_subject" not in form:
        return None
    return followup.NextTask(
        type=form.next_type.data,
        subject=form.next_subject.data or "",
        due_at=form.next_due_at.data,
    )


class FieldRule:
    """A WTForms validator that runs one of the services' field rules on the input."""

    def __init__(self, rule) -> None:
        self.rule = rule

    def __call__(self, form, field) -> None:
        try:
            self.rule(field.data)
        except DomainError as error:
            raise StopValidation(str(error.message)) from error


class CrmModelView(ScopedActions, ArchiveInsteadOfDelete, CappedList, ExportMixin, ModelView):
    """A FAB model view whose saves go through the service layer.

    A refused save shows its message next to the field at fault and keeps what the user
    typed; nothing is half written (the session is rolled back).
    """

    page_size = 25
    list_widget = CappedListWidget
    search_form_query_rel_fields = ACTIVE_OWNERS
    add_row_message = _l("Added")
    edit_row_message = _l("Changes saved")
    delete_row_message = _l("Archived")
    database_error_message = _l("The record could not be saved. Please try again.")

    # The version of the record the edit form was filled from, checked on save.
    version_field = "version_seen"
    # Date columns whose picker opens on years back (a birthday), not on this month.
    past_date_columns = ("birthday",)

    def _init_forms(self) -> None:
        """Build FAB's forms with dates typed the user's way, and the edit form's version."""
        super()._init_forms()
        for form_class in {self.add_form, self.edit_form}:
            localise_date_fields(form_class, self.past_date_columns)
        localise_date_fields(self.search_form, with_datetimes=True)
        if not hasattr(self.edit_form, self.version_field):
            self.edit_form = type(
                self.edit_form.__name__, (self.edit_form,), {self.version_field: HiddenField()}
            )

    def pre_add(self, item, next_task: followup.NextTask | None = None) -> None:
        """Check and stamp a new record; a live one gets its first task with it.

        :raise DomainError: when a rule refuses it.
        """
        saving.save_record(self.datamodel.session, g.user, item, is_new=True,
                           next_task=next_task)

    def pre_update(self, item, next_task: followup.NextTask | None = None) -> None:
        """Check and stamp a changed record; if it became live, it needs a planned task.

        :raise DomainError: when a rule refuses it.
        """
        saving.save_record(self.datamodel.session, g.user, item, is_new=False,
                           next_task=next_task)

    def post_add_redirect(self):
        """Open the card of the record just added: the user sees what was saved."""
        return self._to_saved_card() or super().post_add_redirect()

    def post_edit_redirect(self):
        """Open the card of the record just changed, not the list it was opened from."""
        return self._to_saved_card() or super().post_edit_redirect()

    def _to_saved_card(self):
        # _add and _edit leave the saved record's id here: FAB's add() and edit() only
        # learn that the save succeeded, not what was saved.
        pk = g.pop("crm_saved_pk", None)
        if pk is None:
            return None
        return redirect(url_for(f"{type(self).__name__}.show", pk=pk))

    show_template = "crm/show.html"
    with_timeline = False

    @expose("/show/<pk>", methods=["GET"])
    @has_access
    def show(self, pk):
        """Show the record with its related lists and, for clients and deals, its story."""
        widgets = self._show(pk)
        item = self.datamodel.get(pk, self._base_filters)
        story = None
        if self.with_timeline and item is not None:
            story = timeline(self.datamodel.session, item, self.label_columns, viewer=g.user)
        return self.render_template(
            self.show_template,
            pk=pk,
            title=self.show_title,
            widgets=widgets,
            related_views=self._related_views,
            timeline=story,
        )

    def _hide_owner(self, form, exclude_cols: list) -> list:
        """Take the owner field away from users who may not assign owners."""
        if "owner" in form and not can_assign_owner(g.user):
            del form["owner"]
            return [*exclude_cols, "owner"]
        return exclude_cols

    def _get_add_widget(self, form, exclude_cols=None, widgets=None):
        widgets = widgets or {}
        widgets["add"] = self.add_widget(
            form=form,
            include_cols=[c for c in self.add_columns if c in form],
            exclude_cols=exclude_cols or [],
            fieldsets=self.add_fieldsets,
        )
        return widgets

    def _get_edit_widget(self, form, exclude_cols=None, widgets=None):
        widgets = widgets or {}
        widgets["edit"] = self.edit_widget(
            form=form,
            include_cols=[c for c in self.edit_columns if c in form],
            exclude_cols=exclude_cols or [],
            fieldsets=self.edit_fieldsets,
        )
        return widgets

    def _parent_owner(self, exclude_cols: list):
        """Return the owner of the record this one is added from (a company's page)."""
        for column in exclude_cols:
            parent = self.datamodel.get_related_obj(column, self._filters.get_filter_value(column))
            if parent is not None and hasattr(parent, "owner"):
                return parent.owner
        return None

    def _refuse(self, form, error: DomainError) -> None:
        self.datamodel.session.rollback()
        field = getattr(form, error.field, None) if error.field else None
        if field is not None and hasattr(field, "errors"):
            field.errors = [*list(field.errors or []), str(error.message)]
        flash(str(error.message), "danger")

    def _save_failed(self, error: Exception) -> None:
        log.exception("Saving a record failed", exc_info=error)
        self.datamodel.session.rollback()
        flash(str(self.database_error_message), "danger")

    def _add(self):
        get_filter_args(self._filters, disallow_if_not_in_search=False)
        exclude_cols = self._filters.get_relation_cols()
        form = self.add_form.refresh()
        hidden = self._hide_owner(form, exclude_cols)
        if request.method == "POST":
            self._fill_form_exclude_cols(exclude_cols, form)
            if form.validate():
                item = self.datamodel.obj()
                try:
                    form.populate_obj(item)
                    self.pre_add(item, next_task_of(form))
                    self.datamodel.add(item)
                    self.post_add(item)
                except DomainError as error:
                    self._refuse(form, error)
                    return self._get_add_widget(form=form, exclude_cols=hidden)
                except Exception as error:  # noqa: BLE001  (logged, user sees a clean message)
                    self._save_failed(error)
                    return self._get_add_widget(form=form, exclude_cols=hidden)
                flash(str(self.add_row_message), "success")
                g.crm_saved_pk = self.datamodel.get_pk_value(item)
                return None
        else:
            if "owner" in form and form.owner.data is None:
                form.owner.data = self._parent_owner(exclude_cols) or g.user
            self.update_redirect()
        return self._get_add_widget(form=form, exclude_cols=hidden)

    def _edit(self, pk):
        pages = get_page_args()
        page_sizes = get_page_size_args()
        orders = get_order_args()
        get_filter_args(self._filters, disallow_if_not_in_search=False)
        exclude_cols = self._filters.get_relation_cols()
        item = self.datamodel.get(pk, self._base_filters)
        if not item:
            abort(404)
        pk = self.datamodel.get_pk_value(item)
        if request.method == "POST":
            form = self.edit_form.refresh(request.form)
            hidden = self._hide_owner(form, exclude_cols)
            self._fill_form_exclude_cols(exclude_cols, form)
            form._id = pk
            if form.validate() and self._save_edit(form, item):
                flash(str(self.edit_row_message), "success")
                g.crm_saved_pk = pk
                return None
            item = self.datamodel.get(pk, self._base_filters) or abort(404)
        else:
            form = self.edit_form.refresh(obj=item)
            getattr(form, self.version_field).data = item.version
            hidden = self._hide_owner(form, exclude_cols)
            self.prefill_form(form, pk)
            self.update_redirect()
        widgets = self._get_edit_widget(form=form, exclude_cols=hidden)
        return self._get_related_views_widgets(
            item, filters={}, orders=orders, pages=pages, page_sizes=page_sizes, widgets=widgets
        )

    def _seen_version(self, form) -> int | None:
        """Return the record's version the form was filled from (None if not sent)."""
        field = getattr(form, self.version_field, None)
        try:
            return int(field.data) if field is not None and field.data else None
        except (TypeError, ValueError):
            return None

    def check_version(self, item, seen: int | None) -> None:
        """Refuse a save based on an older version of the record.

        :raise StaleRecord: naming each field changed meanwhile with its value now.
        """
        if seen is not None and seen != item.version:
            raise stale_record(self.datamodel.session, item, seen, self.label_columns)

    def _refuse_stale(self, form, error: StaleRecord, item) -> None:
        """Say what changed; the form keeps what was typed, now based on the stored version."""
        self._refuse(form, error)
        field = getattr(form, self.version_field, None)
        if field is not None:
            field.data = item.version

    def _save_edit(self, form, item) -> bool:
        """Apply the form to the record and save it; on refusal roll back and say why.

        A save based on an older version of the record (someone saved it meanwhile) is
        refused with what they changed, whether seen before saving or at the flush.
        """
        seen = self._seen_version(form)
        try:
            self.check_version(item, seen)
            form.populate_obj(item)
            self.pre_update(item, next_task_of(form))
            self.datamodel.edit(item)
            self.post_update(item)
        except StaleRecord as error:
            self._refuse_stale(form, error, item)
            return False
        except DomainError as error:
            self._refuse(form, error)
            return False
        except Exception as error:  # noqa: BLE001  (logged, user sees a clean message)
            if isinstance(getattr(error, "__cause__", None), StaleDataError) or isinstance(
                error, StaleDataError
            ):
                self.datamodel.session.rollback()
                stale = stale_record(
                    self.datamodel.session, item, seen or item.version - 1, self.label_columns
                )
                self._refuse_stale(form, stale, item)
                return False
            self._save_failed(error)
            return False
        return True
