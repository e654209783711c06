"""Companies: B2B clients."""

from flask_babel import lazy_gettext as _l

from app.api.base import CrmModelApi
from app.api.log_call import LogCallRoute, LogCallSchema
from app.data.datamodel import ScopedInterface
from app.models import Company
from app.models.enums import ClientStatus

SHOWN = [
    "id", "name", "legal_name", "inn", "industry", "website", "phone", "email", "address",
    "status", "lost_reason", "source", "notes", "owner_id", "created_at", "changed_at",
    "version",
]
WRITTEN = [
    "name", "legal_name", "inn", "industry", "website", "phone", "email", "address", "status",
    "lost_reason", "source", "notes", "owner_id", "next_task",
]


class CompanyApi(LogCallRoute, CrmModelApi):
    resource_name = "company"
    openapi_spec_component_schemas = (LogCallSchema,)
    list_title = _l("Companies")
    show_title = _l("Company")
    add_title = _l("New company")
    edit_title = _l("Edit company")
    datamodel = ScopedInterface(Company)
    with_next_task = True
    with_duplicates = True
    choices = {"status": ClientStatus}
    list_columns = [
        "id", "name", "inn", "industry", "phone", "email", "status", "owner_id", "created_at",
        "changed_at", "version",
    ]
    show_columns = SHOWN
    add_columns = WRITTEN
    edit_columns = WRITTEN
    search_columns = ["name", "inn", "status", "owner_id", "created_at"]
    order_columns = ["id", "name", "status", "created_at"]
    base_order = ("name", "asc")
