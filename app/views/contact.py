"""Contacts: people at client companies, and private (B2C) clients."""

from flask_appbuilder.fieldwidgets import Select2Widget
from flask_babel import lazy_gettext as _l
from wtforms import SelectField
from wtforms.validators import Optional

from app.data.datamodel import ScopedInterface
from app.labels import LABELS
from app.models import Contact
from app.models.enums import ClientStatus, choices
from app.services.rules import validation
from app.views.base import ACTIVE_OWNERS, CrmModelView, FieldRule
from app.views.card import ClientCard
from app.views.deal import DealView
from app.views.duplicate_form import DuplicateAwareForm
from app.views.fields import NEXT_TASK_COLUMNS, next_task_fields
from app.views.formatters import COMMON
from app.views.lookup_field import company_field
from app.views.task import TaskView


def _private_status_field() -> SelectField:
    return SelectField(
        _l("Status"),
        choices=[("", "—"), *choices(ClientStatus)],
        description=_l("For a private client (no company) only."),
        validators=[Optional()],
        widget=Select2Widget(),
    )


class ContactView(DuplicateAwareForm, ClientCard, CrmModelView):
    datamodel = ScopedInterface(Contact)
    list_title = _l("Contacts")
    show_title = _l("Contact")
    add_title = _l("New contact")
    edit_title = _l("Edit contact")
    label_columns = LABELS
    formatters_columns = COMMON
    list_columns = [
        "last_name", "first_name", "middle_name", "company", "position", "phone", "email",
        "status", "owner", "next_task_at",
    ]
    link_column = "last_name"
    phone_columns = ("last_name", "first_name", "status", "next_task_at")
    order_columns = ["last_name", "first_name", "position", "email", "status", "next_task_at"]
    search_columns = [
        "last_name", "first_name", "middle_name", "position", "phone", "mobile_phone", "email",
        "status", "owner", "birthday",
    ]
    show_fieldsets = [
        (_l("Person"), {"fields": ["last_name", "first_name", "middle_name", "company",
                                   "position", "status", "lost_reason"]}),
        (_l("Contact details"), {"fields": ["phone", "mobile_phone", "email", "second_email"]}),
        (_l("Personal"), {"fields": ["birthday", "spouse_name", "preferences"]}),
        (_l("Responsible"), {"fields": ["owner", "source", "created_at", "changed_at"]}),
    ]
    add_columns = [
        "last_name", "first_name", "middle_name", "company", "position", "phone",
        "mobile_phone", "email", "second_email", "birthday", "spouse_name", "preferences",
        "status", "lost_reason", "source", "owner", *NEXT_TASK_COLUMNS,
    ]
    edit_columns = add_columns
    validators_columns = {
        "email": [FieldRule(validation.clean_email)],
        "second_email": [FieldRule(validation.clean_email)],
        "phone": [FieldRule(validation.clean_phone)],
        "mobile_phone": [FieldRule(validation.clean_phone)],
        "birthday": [FieldRule(validation.clean_birthday)],
    }
    description_columns = {
        "company": _l("Leave empty for a private client."),
        "lost_reason": _l("Required when a private client is lost."),
    }
    # The company is searched as the user types: the page never lists every company.
    add_form_extra_fields = {
        "status": _private_status_field(),
        "company": company_field(description_columns["company"]),
        **next_task_fields(),
    }
    edit_form_extra_fields = add_form_extra_fields
    add_template = "crm/add_client.html"
    edit_template = "crm/edit_client.html"
    add_form_query_rel_fields = ACTIVE_OWNERS
    edit_form_query_rel_fields = ACTIVE_OWNERS
    related_views = [DealView, TaskView]
    base_order = ("last_name", "asc")
