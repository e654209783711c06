"""Deals closed per manager and month, by stage, currency and lost reason: the won/lost chart."""

from datetime import date
from decimal import Decimal

from flask_appbuilder import Model
from sqlalchemy import Date, ForeignKey, Index, Integer, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column


class DealClosedMonth(Model):
    __tablename__ = "deal_closed_month"
    __table_args__ = (Index("ix_deal_closed_month_month", "month", "stage_id"),)

    owner_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("ab_user.id", ondelete="CASCADE"), primary_key=True
    )
    # The first day of the month the deals were closed in.
    month: Mapped[date] = mapped_column(Date, primary_key=True)
    # The stage, not its kind: the chart reads the kind at the time it is drawn.
    stage_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("stage.id", ondelete="CASCADE"), primary_key=True
    )
    currency: Mapped[str] = mapped_column(String(3), primary_key=True)
    # "" stands for no reason: a NULL in a key would never meet its own row again.
    lost_reason: Mapped[str] = mapped_column(String(255), primary_key=True, default="")
    n: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    # How many of them have an amount: a sum of no amounts is "none", not zero.
    amount_n: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    amount: Mapped[Decimal] = mapped_column(Numeric(18, 2), nullable=False, default=0)
