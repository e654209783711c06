"""Deals: potential contracts moving through the pipeline."""

from flask_babel import lazy_gettext as _l

from app.data.datamodel import ScopedInterface
from app.labels import LABELS
from app.models import Deal
from app.views.base import ACTIVE_OWNERS, CrmModelView
from app.views.card import ClientCard
from app.views.fields import NEXT_TASK_COLUMNS, AmountField, next_task_fields
from app.views.formatters import COMMON
from app.views.lookup_field import company_field, contact_field
from app.views.task import TaskView


class DealView(ClientCard, CrmModelView):
    datamodel = ScopedInterface(Deal)
    list_title = _l("Deals")
    show_title = _l("Deal")
    add_title = _l("New deal")
    edit_title = _l("Edit deal")
    label_columns = LABELS
    formatters_columns = COMMON
    list_columns = [
        "title", "company", "contact", "stage", "amount", "currency", "expected_close_date",
        "owner", "next_task_at",
    ]
    link_column = "title"
    phone_columns = ("title", "stage", "next_task_at")
    order_columns = ["title", "amount", "expected_close_date", "next_task_at"]
    search_columns = ["title", "stage", "amount", "expected_close_date", "owner", "currency"]
    show_fieldsets = [
        (_l("Deal"), {"fields": ["title", "company", "contact", "stage", "amount", "currency"]}),
        (_l("Dates"), {"fields": ["expected_close_date", "closed_at", "lost_reason"]}),
        (_l("Responsible"), {"fields": ["owner", "notes", "created_at", "changed_at"]}),
    ]
    add_columns = [
        "title", "company", "contact", "stage", "amount", "currency", "expected_close_date",
        "owner", "notes", *NEXT_TASK_COLUMNS,
    ]
    edit_columns = [
        "title", "company", "contact", "stage", "amount", "currency", "expected_close_date",
        "lost_reason", "owner", "notes", *NEXT_TASK_COLUMNS,
    ]
    description_columns = {
        "company": _l("The client company; leave empty for a private client."),
        "contact": _l("The private client, or the contact person at the company."),
        "lost_reason": _l("Required when the deal moves to a lost stage."),
    }
    # Company and contact are searched as the user types (the contact among the chosen
    # company's people): the page never lists every company or contact.
    add_form_extra_fields = {
        "amount": AmountField(),
        "company": company_field(description_columns["company"]),
        "contact": contact_field(description_columns["contact"]),
        **next_task_fields(),
    }
    edit_form_extra_fields = add_form_extra_fields
    add_template = "crm/add.html"
    edit_template = "crm/edit.html"
    add_form_query_rel_fields = ACTIVE_OWNERS
    edit_form_query_rel_fields = ACTIVE_OWNERS
    related_views = [TaskView]
    base_order = ("changed_at", "desc")
