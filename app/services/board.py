"""The pipeline board: open deals as cards per stage, and moving a deal to another stage."""

from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.orm.exc import StaleDataError

from app.models import Deal, Stage, Task
from app.models.enums import StageKind
from app.services import followup, saving
from app.services.errors import DomainError, NotFound
from app.services.followup import NextTask
from app.services.reports import Amounts, funnel, scoped
from app.services.visibility import can_see

# A column shows its newest deals; "and N more" leads to the stage's list of deals.
CARDS_PER_COLUMN = 20


@dataclass
class Card:
    """A deal on the board, with the due time of its earliest planned task."""

    deal: Deal
    next_due: datetime | None
    overdue: bool


@dataclass
class Column:
    """An open stage: its newest deals as cards, and the count and amounts of all of them."""

    stage: Stage
    cards: list[Card]
    total: int
    amounts: Amounts

    @property
    def more(self) -> int:
        return self.total - len(self.cards)


def board(
    session: Session,
    actor,
    now: datetime,
    manager_id: int | None = None,
    cap: int = CARDS_PER_COLUMN,
) -> list[Column]:
    """Return the open stages in order, each with its newest visible deals as cards.

    Counts and amounts: one GROUP BY (reports.funnel). Cards: per stage, the ids of the
    `cap` newest deals (ix_deal_archived_stage, or ix_deal_owner_archived_stage for one
    manager), then the deals with their clients in three queries for the whole board,
    whatever the number of cards; a card's next task is the deal's stored date.
    """
    stages = funnel(session, actor, manager_id)
    ids_per_stage: dict[int, list[int]] = {}
    for row in stages:
        query = scoped(session.query(Deal.id), Deal, actor, manager_id).filter(
            Deal.stage_id == row.stage.id
        )
        ids_per_stage[row.stage.id] = [
            deal_id for (deal_id,) in query.order_by(Deal.id.desc()).limit(cap)
        ]
    all_ids = [deal_id for ids in ids_per_stage.values() for deal_id in ids]
    deals = {}
    if all_ids:
        deals = {
            deal.id: deal
            for deal in session.query(Deal)
            .filter(Deal.id.in_(all_ids))
            .options(selectinload(Deal.company), selectinload(Deal.contact))
        }
    columns = []
    for row in stages:
        cards = [
            Card(deal, deal.next_task_at, deal.next_task_at is not None and deal.next_task_at < now)
            for deal in (deals.get(deal_id) for deal_id in ids_per_stage[row.stage.id])
            if deal is not None
        ]
        columns.append(Column(row.stage, cards, row.count, row.amounts))
    return columns


def closing_stage(session: Session, kind: str) -> Stage | None:
    """Return the first stage of this kind (won or lost) in pipeline order, or None.

    The board's "Won" and "Lost" drop zones move a deal there.
    """
    return (
        session.query(Stage)
        .filter(Stage.kind == kind)
        .order_by(Stage.position, Stage.id)
        .first()
    )


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
