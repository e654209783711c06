"""The base of every CRM screen: scoped data, rules through the services, errors on fields.

`CrmModelView` is the composition of what a CRM screen adds to FAB's, each in its mixin:
scoped actions, archive instead of delete, a capped list, exports, versioned edit forms,
the owner field by role, dates typed the user's way, filters by translated choices and
the record's story. What stays
here is the save itself: through the services, refusals shown on the field at fault.
"""

import logging

from flask import abort, flash, g, redirect, request, url_for
from flask_appbuilder import ModelView
from flask_appbuilder.urltools import (
    get_filter_args,
    get_order_args,
    get_page_args,
    get_page_size_args,
)
from flask_babel import lazy_gettext as _l
from wtforms.validators import StopValidation

from app.services.errors import DomainError
from app.services.rules import followup, saving
from app.views.action_guards import ScopedActions
from app.views.archiving import ArchiveInsteadOfDelete
from app.views.capped_list import CappedList, CappedListWidget
from app.views.choice_filters import ChoiceFilters
from app.views.date_field import LocalDateForms
from app.views.export import ExportMixin
from app.views.owner_field import ACTIVE_OWNERS, OwnerFieldByRole
from app.views.record_story import ShowWithStory
from app.views.versioned_forms import VersionedForms

log = logging.getLogger(__name__)

__all__ = ["ACTIVE_OWNERS", "CrmModelView", "FieldRule", "next_task_of"]


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


class CrmModelView(ScopedActions, ArchiveInsteadOfDelete, CappedList, ExportMixin,
                   VersionedForms, OwnerFieldByRole, LocalDateForms, ChoiceFilters,
                   ShowWithStory, ModelView):
    """A FAB model view whose saves go through the service layer.

    A refused save shows its message next to the field at fault and keeps what the user
    typed; nothing is half written (the session is rolled back).
    """

    page_size = 25
    list_widget = CappedListWidget
    add_row_message = _l("Added")
    edit_row_message = _l("Changes saved")
    delete_row_message = _l("Archived")
    database_error_message = _l("The record could not be saved. Please try again.")

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

    def _apply_edit(self, form, item) -> None:
        """Apply the edit form to the record and save it through the services.

        :raise DomainError: when a rule refuses it.
        """
        form.populate_obj(item)
        self.pre_update(item, next_task_of(form))
        self.datamodel.edit(item)
        self.post_update(item)

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
