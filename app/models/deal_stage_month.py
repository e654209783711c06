"""Deals per manager, stage, currency and expected close month: the pipeline's figures.

The funnel, the board's column totals and the forecast read it instead of every open deal.
Archived deals are left out; closed ones are kept (their stage tells them apart).
"""

from datetime import date
from decimal import Decimal

from flask_appbuilder import Model
from sqlalchemy import Date, ForeignKey, Index, Integer, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column

# The month of the deals without an expected close date: a NULL in a key would never
# meet its own row again, and no real date is this early.
NO_CLOSE_MONTH = date(1, 1, 1)


class DealStageMonth(Model):
    __tablename__ = "deal_stage_month"
    __table_args__ = (Index("ix_deal_stage_month_stage", "stage_id", "month"),)

    owner_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("ab_user.id", ondelete="CASCADE"), primary_key=True
    )
    # The first day of the month the deals are expected to close in (NO_CLOSE_MONTH: none).
    month: Mapped[date] = mapped_column(Date, primary_key=True)
    stage_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("stage.id", ondelete="CASCADE"), primary_key=True
    )
    currency: Mapped[str] = mapped_column(String(3), primary_key=True)
    n: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    # How many of them have an amount: a sum of no amounts is "none", not zero.
    amount_n: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    amount: Mapped[Decimal] = mapped_column(Numeric(18, 2), nullable=False, default=0)
