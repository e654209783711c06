"""The complete-task dialog: the result, then the next task or closing the client / deal."""

from flask_appbuilder.fieldwidgets import BS3TextAreaFieldWidget, BS3TextFieldWidget, Select2Widget
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import Length, Optional

from app.models.enums import TaskType, choices
from app.services.rules.followup import NextTask, Outcome
from app.views.arguments import small_int
from app.views.fields import when_field


class CompleteTaskForm(FlaskForm):
    """What happened, and what comes next."""

    outcome = RadioField(
        _l("Outcome"), choices=[("done", _l("Done")), ("cancelled", _l("Cancelled"))],
        default="done",
    )
    result = TextAreaField(_l("Result"), validators=[Optional(), Length(max=5000)],
                           widget=BS3TextAreaFieldWidget(),
                           description=_l("What happened: required when the task is done."))
    next_type = SelectField(_l("Next task"), choices=choices(TaskType),
                            default=TaskType.CALL.value, widget=Select2Widget())
    next_subject = StringField(_l("What to do"), validators=[Optional(), Length(max=255)],
                               widget=BS3TextFieldWidget())
    next_due_at = when_field(_l("When"))
    client_lost = BooleanField(_l("The client is lost"))
    lost_reason = StringField(_l("Lost reason"), validators=[Optional(), Length(max=255)],
                              widget=BS3TextFieldWidget())
    # The task's version the dialog was opened on: a task changed meanwhile is refused.
    version_seen = HiddenField()
    deal_stage = SelectField(_l("Deal stage"), choices=[], validators=[Optional()],
                             widget=Select2Widget())

    def outcome_of(self, current_stage_id: int | None = None) -> Outcome:
        """Turn the answers into the service's Outcome.

        The stage list opens on the deal's own stage: left there, the deal stays put.
        """
        next_task = None
        if (self.next_subject.data or "").strip():
            next_task = NextTask(type=self.next_type.data, subject=self.next_subject.data,
                                 due_at=self.next_due_at.data)
        # Optional() lets a blank " " through the choice check: read it as no stage.
        stage = small_int(self.deal_stage.data)
        if stage is not None and stage == current_stage_id:
            stage = None
        return Outcome(
            result=self.result.data or "",
            cancel=self.outcome.data == "cancelled",
            next_task=next_task,
            client_status="lost" if self.client_lost.data else None,
            lost_reason=self.lost_reason.data,
            deal_stage_id=stage,
        )
