"""The pipeline board: open deals as cards per stage, read for one user."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session, selectinload

from app.models import Deal, Stage
from app.services.queries.reports import Amounts, funnel, scoped

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
