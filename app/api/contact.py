"""Contacts: people at client companies, and private (B2C) clients."""

from flask_babel import lazy_gettext as _l

from app.api.base import CrmModelApi
from app.api.log_call import LogCallRoute, LogCallSchema
from app.data.datamodel import ScopedInterface
from app.models import Contact
from app.models.enums import ClientStatus

SHOWN = [
    "id", "last_name", "first_name", "middle_name", "position", "company_id", "phone",
    "mobile_phone", "email", "second_email", "birthday", "spouse_name", "preferences",
    "status", "lost_reason", "source", "owner_id", "created_at", "changed_at", "version",
]
WRITTEN = [
    "last_name", "first_name", "middle_name", "position", "company_id", "phone",
    "mobile_phone", "email", "second_email", "birthday", "spouse_name", "preferences",
    "status", "lost_reason", "source", "owner_id", "next_task",
]


class ContactApi(LogCallRoute, CrmModelApi):
    resource_name = "contact"
    openapi_spec_component_schemas = (LogCallSchema,)
    list_title = _l("Contacts")
    show_title = _l("Contact")
    add_title = _l("New contact")
    edit_title = _l("Edit contact")
    datamodel = ScopedInterface(Contact)
    with_next_task = True
    with_duplicates = True
    choices = {"status": ClientStatus}
    list_columns = [
        "id", "last_name", "first_name", "middle_name", "company_id", "position", "phone",
        "email", "status", "owner_id", "version",
    ]
    show_columns = SHOWN
    add_columns = WRITTEN
    edit_columns = WRITTEN
    search_columns = ["last_name", "company_id", "email", "phone", "status", "owner_id"]
    order_columns = ["id", "last_name"]
    base_order = ("last_name", "asc")
