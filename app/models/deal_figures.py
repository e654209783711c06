"""The key and the measures the deal summaries share: whose, which month, stage, currency."""

from datetime import date
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, Integer, Numeric, String
from sqlalchemy.orm import Mapped, declared_attr, mapped_column


class DealFigures:
    """Deals counted and summed per owner, month, stage and currency (a summary's rows).

    The key's columns are in this order in the table (`sort_order`): the summaries' upserts
    name a row by its key's values in that order.
    """

    @declared_attr
    def owner_id(cls) -> Mapped[int]:
        return mapped_column(Integer, ForeignKey("ab_user.id", ondelete="CASCADE"),
                             primary_key=True, sort_order=-5)

    # The first day of the month the summary counts the deals in.
    month: Mapped[date] = mapped_column(Date, primary_key=True, sort_order=-4)

    @declared_attr
    def stage_id(cls) -> Mapped[int]:
        # The stage, not its kind: a page reads the kind at the time it is drawn.
        return mapped_column(Integer, ForeignKey("stage.id", ondelete="CASCADE"),
                             primary_key=True, sort_order=-3)

    currency: Mapped[str] = mapped_column(String(3), primary_key=True, sort_order=-2)
    n: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    # How many of them have an amount: a sum of no amounts is "none", not zero.
    amount_n: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    amount: Mapped[Decimal] = mapped_column(Numeric(18, 2), nullable=False, default=0)
