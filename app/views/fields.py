"""Form fields shared by the screens: translated choice lists for stored codes."""

from flask_appbuilder.fieldwidgets import Select2Widget
from flask_babel import lazy_gettext as _l
from wtforms import SelectField
from wtforms.validators import DataRequired, Optional

from app.models.enums import ClientStatus, TaskState, TaskType, choices


def client_status_field(required: bool = True) -> SelectField:
    return SelectField(
        _l("Status"),
        choices=choices(ClientStatus),
        default=ClientStatus.POTENTIAL.value,
        validators=[DataRequired()] if required else [Optional()],
        widget=Select2Widget(),
    )


def task_type_field() -> SelectField:
    return SelectField(
        _l("Type"),
        choices=choices(TaskType),
        default=TaskType.CALL.value,
        validators=[DataRequired()],
        widget=Select2Widget(),
    )


def task_state_field() -> SelectField:
    return SelectField(
        _l("State"),
        choices=choices(TaskState),
        default=TaskState.PLANNED.value,
        validators=[DataRequired()],
        widget=Select2Widget(),
    )
