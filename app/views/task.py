"""Tasks: calls, meetings and e-mails, planned or done."""

from flask_appbuilder.models.sqla.filters import FilterEqual
from flask_babel import lazy_gettext as _l

from app.models import Task
from app.views.base import CrmModelView
from app.views.datamodel import ScopedInterface
from app.views.fields import task_state_field, task_type_field
from app.views.formatters import COMMON
from app.views.labels import LABELS

ACTIVE_USERS = {"owner": [["active", FilterEqual, True]]}


class TaskView(CrmModelView):
    datamodel = ScopedInterface(Task)
    list_title = _l("Tasks")
    show_title = _l("Task")
    add_title = _l("New task")
    edit_title = _l("Edit task")
    label_columns = LABELS
    formatters_columns = COMMON
    list_columns = ["due_at", "type", "subject", "company", "contact", "deal", "state", "owner"]
    order_columns = ["due_at", "type", "subject", "state"]
    search_columns = ["subject", "type", "state", "due_at", "owner", "result"]
    show_fieldsets = [
        (_l("Task"), {"fields": ["type", "subject", "due_at", "state", "result", "done_at"]}),
        (_l("Linked to"), {"fields": ["company", "contact", "deal"]}),
        (_l("Responsible"), {"fields": ["owner", "notes", "created_at", "changed_at"]}),
    ]
    add_columns = ["type", "subject", "due_at", "company", "contact", "deal", "owner", "notes"]
    edit_columns = [
        "type", "subject", "due_at", "state", "result", "company", "contact", "deal", "owner",
        "notes",
    ]
    add_form_extra_fields = {"type": task_type_field()}
    edit_form_extra_fields = {"type": task_type_field(), "state": task_state_field()}
    add_form_query_rel_fields = ACTIVE_USERS
    edit_form_query_rel_fields = ACTIVE_USERS
    base_order = ("due_at", "asc")
