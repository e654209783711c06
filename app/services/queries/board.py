"""The pipeline board: open deals as cards per stage, read for one user."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select, union_all
from sqlalchemy.orm import Session

from app.formatting import name_text
from app.models import Company, Contact, Deal, Stage
from app.services.queries.cadence import is_off_cadence
from app.services.queries.plan_hints import written_limit
from app.services.queries.reports import Amounts, funnel, scoped

# A column shows its newest deals; "and N more" leads to the stage's list of deals.
CARDS_PER_COLUMN = 20
CONTACT_NAME = (Contact.last_name, Contact.first_name, Contact.middle_name)
# A card's own values of its deal, in CardDeal's order after its title and client.
CARD_COLUMNS = (Deal.id, Deal.title, Deal.amount, Deal.currency, Deal.version, Deal.stage_id,
                Deal.next_task_at, Deal.last_touch_at, Deal.created_at)


@dataclass(frozen=True, slots=True)
class CardDeal:
    """What a card shows of its deal, read as plain values: a board holds a hundred."""

    id: int
    title: str
    client_name: str
    amount: Decimal | None
    currency: str
    version: int
    stage_id: int
    next_task_at: datetime | None
    last_touch_at: datetime | None
    created_at: datetime | None
    # The board shows live deals only (its query's scope).
    archived: bool = False


@dataclass
class Card:
    """A deal on the board: its earliest planned task's due time, whether late or off cadence."""

    deal: CardDeal
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
    columns = funnel(session, actor, manager_id, stages=stages)
    per_stage: dict[int, list[CardDeal]] = {row.stage.id: [] for row in columns}
    if columns:
        arms = [
            scoped(session.query(Deal.id), Deal, actor, manager_id)
            .filter(Deal.stage_id == row.stage.id)
            .order_by(Deal.id.desc()).limit(written_limit(cap)).subquery()
            for row in columns
        ]
        chosen = union_all(*(select(arm.c.id) for arm in arms)).subquery()
        # Plain values, not records: building a hundred deals with their clients as ORM
        # objects cost more than the rest of the board; a card only shows them.
        rows = session.execute(
            select(*CARD_COLUMNS, Company.name, *CONTACT_NAME)
            .select_from(Deal).join(chosen, chosen.c.id == Deal.id)
            .outerjoin(Company, Company.id == Deal.company_id)
            .outerjoin(Contact, Contact.id == Deal.contact_id)
            .order_by(Deal.id.desc()))
        for deal_id, title, *values, company_name, last_name, first_name, middle_name in rows:
            if company_name is not None:
                client = company_name
            else:
                client = name_text(first_name, last_name, middle_name)
            deal = CardDeal(deal_id, title, client, *values)
            per_stage[deal.stage_id].append(deal)
    today = now.date()
    return [
        Column(row.stage, [Card(deal, deal.next_task_at,
                                deal.next_task_at is not None and deal.next_task_at < now,
                                is_off_cadence(deal, today, row.stage))
                           for deal in per_stage[row.stage.id]], row.count, row.amounts)
        for row in columns
    ]
