"""Moving a deal along the pipeline: the board's one door for a stage change."""

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from app.models import Deal, Stage, Task
from app.models.enums import StageKind
from app.services.errors import DomainError, NotFound
from app.services.rules import followup, saving
from app.services.rules.followup import NextTask
from app.services.rules.visibility import can_see


def stages_in_order(session: Session) -> list[Stage]:
    """Return every stage of the pipeline in its order."""
    return list(session.query(Stage).order_by(Stage.position, Stage.id))


def first_of_kind(stages: list[Stage], kind: str) -> Stage | None:
    """Return the first of the stages (in pipeline order) of this kind, or None."""
    return next((stage for stage in stages if stage.kind == kind), None)


def move_deal(
    session: Session,
    actor,
    deal: Deal,
    stage: Stage,
    lost_reason: str | None = None,
    next_task: NextTask | None = None,
    version: int | None = None,
) -> Task | None:
    """Move a deal to a stage by the rules of the edit form, in one transaction.

    The deal's history records the move (the flush hook, with the actor set by
    saving.save_record). A deal left open without a planned task gets `next_task`.
    Returns the task planned on the way, if any.

    :raise NotFound: if the actor may not see the deal.
    :raise DomainError: if someone changed the deal since `version` was read.
    :raise ValidationError: if a lost stage has no lost reason (field lost_reason), or
        the next task is not valid.
    :raise NextTaskRequired: if the deal would stay open without a planned task and no
        next task is given.
    """
    if not can_see(deal, actor):
        raise NotFound(_l("Deal: no such deal."))
    try:
        followup.lock(session, [deal])
        session.refresh(deal)
        if version is not None and deal.version != version:
            raise DomainError(_l("Someone has just changed this deal. Look at it again and retry."))
        was_lost = deal.stage is not None and deal.stage.kind == StageKind.LOST.value
        deal.stage = stage
        if stage.kind == StageKind.LOST.value:
            deal.lost_reason = (lost_reason or "").strip() or (
                deal.lost_reason if was_lost else None
            )
        elif stage.kind == StageKind.WON.value:
            deal.lost_reason = None
        task = saving.save_record(session, actor, deal, is_new=False, next_task=next_task)
        session.commit()
    except StaleDataError as error:
        session.rollback()
        raise DomainError(
            _l("Someone has just changed this deal. Look at it again and retry.")
        ) from error
    except Exception:
        session.rollback()
        raise
    return task
