"""The base of every CRM screen: scoped data, rules through the services, errors on fields."""

import logging

from flask import abort, current_app, flash, g, redirect, request, url_for
from flask_appbuilder import ModelView, expose, has_access
from flask_appbuilder.exceptions import DatabaseException
from flask_appbuilder.models.sqla.filters import FilterEqual
from flask_appbuilder.urltools import (
    get_filter_args,
    get_order_args,
    get_page_args,
    get_page_size_args,
)
from flask_appbuilder.widgets import ListWidget
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm.exc import StaleDataError
from wtforms import HiddenField
from wtforms.validators import StopValidation

from app import formatting
from app.services import archive, followup, saving
from app.services.errors import DomainError
from app.services.timeline import StaleRecord, stale_record, timeline
from app.services.visibility import can_assign_owner
from app.views.date_field import localise_date_fields
from app.views.export import ExportMixin

log = logging.getLogger(__name__)

# Lists count their rows up to this many; beyond it they say "more than" (config key).
LIST_COUNT_CAP = 10_000
# Owner dropdowns (forms and search forms) offer only users who may own records.
ACTIVE_OWNERS = {"owner": [["active", FilterEqual, True]]}


def _count_text(count: int, cap: int) -> str:
    """Return the list's total as the reader writes numbers, or "more than" the cap."""
    if count > cap:
        return str(_l("more than %(count)s", count=formatting.number_text(cap)))
    return formatting.number_text(count)


def next_task_of(form) -> followup.NextTask | None:
    """Return the next task the form asks for, if it has the next-task fields."""
    if "next_subject" not in form:
        return None
    return followup.NextTask(
        type=form.next_type.data,
        subject=form.next_subject.data or "",
        due_at=form.next_due_at.data,
    )


class CappedListWidget(ListWidget):
    """FAB's list, saying "more than N" instead of an exact total of a big list."""

    template = "crm/widgets/list.html"


class FieldRule:
    """A WTForms validator that runs one of the services' field rules on the input."""

    def __init__(self, rule) -> None:
        self.rule = rule

    def __call__(self, form, field) -> None:
        try:
            self.rule(field.data)
        except DomainError as error:
            raise StopValidation(str(error.message)) from error


class CrmModelView(ExportMixin, ModelView):
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

    def _get_list_widget(
        self,
        filters,
        actions=None,
        order_column="",
        order_direction="",
        page=None,
        page_size=None,
        widgets=None,
        **kwargs,
    ):
        """Render one page of the list with a capped count and its relations preloaded.

        The count stops at CRM_LIST_COUNT_CAP: a bigger list says "more than" that and
        pages up to it. Each relation the list shows is loaded in one query.
        """
        widgets = widgets or {}
        actions = actions or self.actions
        page_size = page_size or self.page_size
        if not order_column and self.base_order:
            order_column, order_direction = self.base_order
        joined_filters = filters.get_joined_filters(self._base_filters)
        cap = current_app.config.get("CRM_LIST_COUNT_CAP", LIST_COUNT_CAP)
        count = self.datamodel.count_capped(joined_filters, cap)
        relations = [c for c in self.list_columns if self.datamodel.is_relation(c)]
        rows = self.datamodel.page(
            joined_filters, order_column, order_direction, page, page_size, eager=relations
        )
        widgets["list"] = self.list_widget(
            label_columns=self.label_columns,
            include_columns=self.list_columns,
            value_columns=self.datamodel.get_values(rows, self.list_columns),
            order_columns=self.order_columns,
            formatters_columns=self.formatters_columns,
            page=page,
            page_size=page_size,
            count=min(count, cap),
            count_text=_count_text(count, cap),
            pks=self.datamodel.get_keys(rows),
            actions=actions,
            filters=filters,
            modelview_name=self.__class__.__name__,
            **kwargs,
        )
        return widgets

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

    @expose("/delete/<pk>", methods=["GET", "POST"])
    @has_access
    def delete(self, pk):
        """Ask, then archive a record the user may see (with its dependents), else 404.

        GET shows what archiving takes with it; POST archives.
        """
        item = self.datamodel.get(pk, self._base_filters)
        if item is None:
            abort(404)
        if request.method == "GET":
            return self.render_template(
                "crm/archive_confirm.html",
                item=item,
                title=_l("Archive"),
                counts=archive.preview(self.datamodel.session, item),
                kind_labels=archive.KIND_LABELS,
                back=url_for(f"{self.endpoint}.show", pk=pk),
            )
        self._delete(pk)
        target = self.get_redirect()
        gone = (
            f"{self.route_base}/show/{pk}",
            f"{self.route_base}/edit/{pk}",
            f"{self.route_base}/delete/{pk}",
        )
        if any(path in target for path in gone):
            target = url_for(f"{self.endpoint}.list")
        return redirect(target)

    def _delete(self, pk) -> None:
        """Archive the record and say what was archived with it; a refusal says why."""
        item = self.datamodel.get(pk, self._base_filters)
        if not item:
            abort(404)
        try:
            self.datamodel.delete(item)  # archives it through the services
        except DomainError as error:
            self.datamodel.session.rollback()
            flash(str(error.message), "danger")
        except DatabaseException as error:
            self._save_failed(error)
        else:
            self.post_delete(item)
            batch = g.pop("crm_archived_batch", None)
            with_it = archive.describe_counts(batch.counts()) if batch else ""
            if with_it:
                flash(
                    str(
                        _l(
                            "Archived «%(name)s» together with %(what)s.",
                            name=str(item),
                            what=with_it,
                        )
                    ),
                    "success",
                )
            else:
                flash(str(_l("Archived «%(name)s».", name=str(item))), "success")
        self.update_redirect()

    @expose("/action/<string:name>/<pk>", methods=["GET", "POST"])
    def action(self, name, pk):
        """Run a single-record action on a record the user may see, else answer 404."""
        if not g.user or not g.user.is_authenticated:
            return redirect(self.appbuilder.get_url_for_login_with(request.full_path))
        if name not in self.actions or self.datamodel.get(pk, self._base_filters) is None:
            abort(404)
        return super().action(name, pk)

    @expose("/action_post", methods=["POST"])
    def action_post(self):
        """Run a list action only when every chosen record is visible, else answer 404."""
        if not g.user or not g.user.is_authenticated:
            return redirect(self.appbuilder.get_url_for_login_with(request.full_path))
        if request.form.get("action") not in self.actions:
            abort(404)
        for pk in request.form.getlist("rowid"):
            if self.datamodel.get(pk, self._base_filters) is None:
                abort(404)
        return super().action_post()

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
