"""The pipeline board: open deals as cards per stage, read for one user."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, union_all
from sqlalchemy.orm import Session, joinedload, lazyload

from app.models import Company, Contact, Deal, Stage
from app.services.queries.cadence import is_off_cadence
from app.services.queries.reports import Amounts, funnel, scoped

# A column shows its newest deals; "and N more" leads to the stage's list of deals.
CARDS_PER_COLUMN = 20
CONTACT_NAME = (Contact.last_name, Contact.first_name, Contact.middle_name)


@dataclass
class Card:
    """A deal on the board: the due time of its earliest planned task, whether it is late."""

    deal: Deal
    next_due: datetime | None
    overdue: bool
    off_cadence: bool = False


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
    stages: list[Stage] | None = None,
) -> list[Column]:
    """Return the open stages in order, each with its newest visible deals as cards.

    Counts and amounts: one GROUP BY over the pipeline's summary (reports.funnel). Cards:
    one statement for the whole board: per stage the `cap` newest deals' ids
    (ix_deal_board, or ix_deal_owner_board for one manager), joined to the deals with their
    clients; a card's next task is the deal's stored date. `stages`: every stage in
    pipeline order, when the caller has read them.
    """
    rows = funnel(session, actor, manager_id, stages=stages)
    per_stage: dict[int, list[Deal]] = {row.stage.id: [] for row in rows}
    if rows:
        arms = [
            scoped(session.query(Deal.id), Deal, actor, manager_id)
            .filter(Deal.stage_id == row.stage.id)
            .order_by(Deal.id.desc()).limit(cap).subquery()
            for row in rows
        ]
        chosen = union_all(*(select(arm.c.id) for arm in arms)).subquery()
        # A card names its client only: not the client's whole row, nor the deal's owner
        # (a user's whole row, joined to every card); the stages are the columns' own.
        deals = session.scalars(
            select(Deal).join(chosen, chosen.c.id == Deal.id).order_by(Deal.id.desc())
            .options(joinedload(Deal.company).load_only(Company.name)
                     .lazyload(Company.owner),
                     joinedload(Deal.contact).load_only(*CONTACT_NAME)
                     .lazyload(Contact.owner),
                     lazyload(Deal.owner), lazyload(Deal.stage)))
        for deal in deals:
            per_stage[deal.stage_id].append(deal)
    today = now.date()
    return [
        Column(row.stage, [Card(deal, deal.next_task_at,
                                deal.next_task_at is not None and deal.next_task_at < now,
                                is_off_cadence(deal, today, row.stage))
                           for deal in per_stage[row.stage.id]], row.count, row.amounts)
        for row in rows
    ]
