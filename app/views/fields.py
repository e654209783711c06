"""Form fields shared by the screens: translated choice lists for stored codes."""

from flask_appbuilder.fieldwidgets import Select2Widget
from flask_babel import lazy_gettext as _l
from wtforms import SelectField
from wtforms.validators import DataRequired, Optional

from app.models.enums import ClientStatus, TaskState, TaskType, choices
from app.services.rules.validation import amount_digits


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


def _tomorrow_at_ten():
    from app.models.mixins import local_now
    from app.services.rules.followup import default_due

    return default_due(local_now())


# What a datetime-local input sends, first; then what people and older clients type.
DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S",
                    "%Y-%m-%d %H:%M"]


def when_field(label, required: bool = False, default=None):
    """A date-and-time field shown with the browser's own picker (no script, keeps time).

    FAB's picker for datetimes formats the value as a date only and drops the time.
    """
    from wtforms import DateTimeLocalField

    return DateTimeLocalField(
        label, format=DATETIME_FORMATS, default=default,
        validators=[DataRequired()] if required else [Optional()],
        render_kw={"class": "form-control"},
    )


def next_task_fields(subject_default=None) -> dict:
    """Fields of the next (or first) task, prefilled: a call tomorrow at 10:00."""
    from flask_appbuilder.fieldwidgets import BS3TextFieldWidget
    from wtforms import StringField
    from wtforms.validators import Length

    return {
        "next_type": SelectField(
            _l("Next task"), choices=choices(TaskType), default=TaskType.CALL.value,
            validators=[Optional()], widget=Select2Widget(),
        ),
        "next_subject": StringField(
            _l("What to do"), default=subject_default or _l("Call the client"),
            validators=[Optional(), Length(max=255)], widget=BS3TextFieldWidget(),
            description=_l("Used when the record has no planned task yet."),
        ),
        "next_due_at": when_field(_l("When"), default=_tomorrow_at_ten),
    }


NEXT_TASK_COLUMNS = ["next_type", "next_subject", "next_due_at"]


class AmountField:
    """Factory of a money field that accepts '150 000,50' as well as '150000.50'."""

    def __new__(cls):
        from flask_appbuilder.fieldwidgets import BS3TextFieldWidget
        from wtforms import DecimalField

        class _Amount(DecimalField):
            def process_formdata(self, valuelist):
                if valuelist:
                    valuelist = [amount_digits(valuelist[0])]
                super().process_formdata(valuelist)

        return _Amount(_l("Amount"), places=2, validators=[Optional()],
                       widget=BS3TextFieldWidget())
