"""Companies: B2B clients."""

from flask import redirect, url_for
from flask_appbuilder.actions import action
from flask_babel import lazy_gettext as _l

from app.data.datamodel import ScopedInterface
from app.labels import LABELS
from app.models import Company
from app.services.rules import validation
from app.views.base import ACTIVE_OWNERS, CrmModelView, FieldRule
from app.views.card import ClientCard
from app.views.contact import ContactView
from app.views.deal import DealView
from app.views.duplicate_form import DuplicateAwareForm
from app.views.fields import NEXT_TASK_COLUMNS, client_status_field, next_task_fields
from app.views.formatters import COMMON
from app.views.task import TaskView


class CompanyView(DuplicateAwareForm, ClientCard, CrmModelView):
    datamodel = ScopedInterface(Company)
    list_title = _l("Companies")
    show_title = _l("Company")
    add_title = _l("New company")
    edit_title = _l("Edit company")
    label_columns = LABELS
    formatters_columns = COMMON
    list_columns = [
        "name", "status", "industry", "phone", "email", "owner", "next_task_at", "changed_at",
    ]
    link_column = "name"
    phone_columns = ("name", "status", "next_task_at")
    order_columns = ["name", "status", "industry", "next_task_at", "changed_at"]
    search_columns = [
        "name", "legal_name", "inn", "status", "industry", "phone", "email", "source", "owner",
    ]
    show_fieldsets = [
        (_l("Company"), {"fields": ["name", "legal_name", "inn", "industry", "status",
                                    "lost_reason"]}),
        (_l("Contact details"), {"fields": ["phone", "email", "website", "address"]}),
        (_l("Responsible"), {"fields": ["owner", "source", "notes", "created_at",
                                        "changed_at"]}),
    ]
    add_columns = [
        "name", "legal_name", "inn", "industry", "status", "lost_reason", "phone", "email",
        "website", "address", "source", "owner", "notes", *NEXT_TASK_COLUMNS,
    ]
    edit_columns = add_columns
    validators_columns = {
        "inn": [FieldRule(validation.clean_inn)],
        "email": [FieldRule(validation.clean_email)],
        "phone": [FieldRule(validation.clean_phone)],
    }
    add_form_extra_fields = {"status": client_status_field(), **next_task_fields()}
    edit_form_extra_fields = {"status": client_status_field(), **next_task_fields()}
    description_columns = {
        "inn": _l("Tax id: 10 digits for an organisation, 12 for a sole trader."),
        "lost_reason": _l("Required when the client is lost."),
    }
    add_form_query_rel_fields = ACTIVE_OWNERS
    edit_form_query_rel_fields = ACTIVE_OWNERS
    related_views = [ContactView, DealView, TaskView]
    base_order = ("name", "asc")

    @action("transfer", _l("Transfer to another manager"), icon="fa-people-arrows",
            multiple=False, single=True)
    def transfer(self, item):
        """Open the transfer of this company with its contacts, open deals and plans."""
        return redirect(url_for("ReassignView.index", company=item.id))
