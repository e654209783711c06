"""Deals: potential contracts moving through the pipeline."""

from flask_babel import lazy_gettext as _l

from app.api.base import CrmModelApi
from app.api.log_call import LogCallRoute, LogCallSchema
from app.data.datamodel import ScopedInterface
from app.models import Deal

SHOWN = [
    "id", "title", "company_id", "contact_id", "stage_id", "amount", "currency",
    "expected_close_date", "closed_at", "lost_reason", "notes", "owner_id", "created_at",
    "changed_at", "version",
]
WRITTEN = [
    "title", "company_id", "contact_id", "stage_id", "amount", "currency",
    "expected_close_date", "lost_reason", "notes", "owner_id", "next_task",
]


class DealApi(LogCallRoute, CrmModelApi):
    resource_name = "deal"
    openapi_spec_component_schemas = (LogCallSchema,)
    list_title = _l("Deals")
    show_title = _l("Deal")
    add_title = _l("New deal")
    edit_title = _l("Edit deal")
    datamodel = ScopedInterface(Deal)
    with_next_task = True
    list_columns = [
        "id", "title", "company_id", "contact_id", "stage_id", "amount", "currency",
        "expected_close_date", "closed_at", "owner_id", "version",
    ]
    show_columns = SHOWN
    add_columns = WRITTEN
    edit_columns = WRITTEN
    search_columns = [
        "title", "company_id", "contact_id", "stage_id", "owner_id", "amount",
        "expected_close_date", "closed_at",
    ]
    order_columns = ["id", "amount", "expected_close_date", "closed_at"]
    base_order = ("id", "desc")
