"""The pipeline board: open deals as cards per stage, each movable to another stage."""

from flask import abort, flash, g, redirect, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_appbuilder.fieldwidgets import BS3TextFieldWidget, Select2Widget
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from app.extensions import db
from app.models import Deal, Stage
from app.models.enums import StageKind, TaskType, choices
from app.models.mixins import local_now
from app.services.errors import DomainError, NotFound
from app.services.queries import board as pipeline_board
from app.services.queries import reports
from app.services.rules import pipeline
from app.services.rules.followup import NextTask, NextTaskRequired, default_due
from app.services.rules.validation import MAX_ID
from app.services.rules.visibility import scope_query, sees_everything
from app.views.fields import when_field
from app.views.reports import manager_choice


class MoveDealForm(FlaskForm):
    """The stage to move a deal to; a lost reason or a next task when the move needs one."""

    # Ids and versions beyond 32 bits are refused here: the database cannot compare them.
    stage_id = IntegerField(_l("Stage"), validators=[DataRequired(), NumberRange(1, MAX_ID)])
    version = IntegerField(validators=[Optional(), NumberRange(0, MAX_ID)])
    manager = IntegerField(validators=[Optional(), NumberRange(1, MAX_ID)])
    lost_reason = StringField(
        _l("Lost reason"), validators=[Optional(), Length(max=255)], widget=BS3TextFieldWidget()
    )
    next_type = SelectField(
        _l("Next task"),
        choices=choices(TaskType),
        default=TaskType.CALL.value,
        widget=Select2Widget(),
    )
    next_subject = StringField(
        _l("What to do"), validators=[Optional(), Length(max=255)], widget=BS3TextFieldWidget()
    )
    # The browser's own date-time picker, as in every other form (FAB's drops the time).
    next_due_at = when_field(_l("When"))

    def next_task(self) -> NextTask | None:
        """Return the next task typed in the form, or None when none was asked for."""
        if not (self.next_subject.data or "").strip():
            return None
        return NextTask(
            type=self.next_type.data, subject=self.next_subject.data, due_at=self.next_due_at.data
        )


# The refusals a move answers with a form asking for the missing input (shown on the field).
ASKED_FIELDS = ("lost_reason", "next_type", "next_subject", "next_due_at")


def _board_url(manager_id: int | None) -> str:
    return url_for("PipelineView.index", manager=manager_id)


class PipelineView(BaseView):
    route_base = "/pipeline"
    default_view = "index"

    @expose("/")
    @has_access
    def index(self):
        """Show the open deals as cards in columns by stage (the newest of each column)."""
        user = g.user
        manager_id = manager_choice(user)
        stages = pipeline.stages_in_order(db.session)
        columns = pipeline_board.board(db.session, user, local_now(), manager_id,
                                       stages=stages)
        return self.render_template(
            "crm/board.html",
            title=_l("Deal board"),
            columns=columns,
            manager_id=manager_id,
            stage_choices=[(stage.id, stage.label) for stage in stages],
            managers=reports.team(db.session) if sees_everything(user) else None,
            cap=pipeline_board.CARDS_PER_COLUMN,
            won=pipeline.first_of_kind(stages, StageKind.WON.value),
            lost=pipeline.first_of_kind(stages, StageKind.LOST.value),
        )

    @expose("/move/<int:pk>", methods=["POST"])
    @has_access
    def move(self, pk: int):
        """Move a visible deal to the chosen stage, else answer 404.

        A lost stage without a reason, or a deal that would stay open without a planned
        task, brings up a small form asking for what is missing.
        """
        session = db.session
        deal = scope_query(session.query(Deal), Deal, g.user).filter(Deal.id == pk).first()
        if deal is None:
            abort(404)
        form = MoveDealForm()
        manager_id = manager_choice(g.user)
        valid = form.validate()
        stage = session.get(Stage, form.stage_id.data) if valid else None
        if stage is None:
            flash(str(_l("Choose a stage of the pipeline.")), "danger")
            return redirect(_board_url(manager_id))
        try:
            pipeline.move_deal(
                session,
                g.user,
                deal,
                stage,
                lost_reason=form.lost_reason.data,
                next_task=form.next_task(),
                version=form.version.data,
            )
        except NotFound:
            abort(404)
        except DomainError as error:
            if isinstance(error, NextTaskRequired) or error.field in ASKED_FIELDS:
                return self._ask(form, deal, stage, manager_id, error)
            flash(str(error.message), "danger")
            return redirect(_board_url(manager_id))
        flash(
            str(_l("Deal «%(title)s» moved to «%(stage)s».", title=deal.title, stage=stage.label)),
            "success",
        )
        return redirect(_board_url(manager_id))

    def _ask(
        self,
        form: MoveDealForm,
        deal: Deal,
        stage: Stage,
        manager_id: int | None,
        error: DomainError,
    ):
        """Show the form asking for the lost reason or the next task of a move."""
        field = getattr(form, error.field or "", None)
        if field is not None:
            field.errors = [*list(field.errors or []), str(error.message)]
        else:
            flash(str(error.message), "danger")
        needs_task = stage.is_open
        if needs_task and not (form.next_subject.data or "").strip():
            form.next_subject.data = str(_l("Call the client"))
        if needs_task and form.next_due_at.data is None:
            form.next_due_at.data = default_due(local_now())
        form.version.data = deal.version
        return self.render_template(
            "crm/board_move.html",
            title=_l("Move the deal"),
            form=form,
            deal=deal,
            stage=stage,
            needs_reason=stage.kind == StageKind.LOST.value,
            needs_task=needs_task,
            manager_id=manager_id,
        )
