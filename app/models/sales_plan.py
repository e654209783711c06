"""A manager's sales plan for one month: won amount in the main currency, done touches."""

from datetime import date, datetime
from decimal import Decimal

from flask_appbuilder import Model
from sqlalchemy import (
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.models.mixins import local_now


class SalesPlan(Model):
    __tablename__ = "sales_plan"
    __table_args__ = (
        UniqueConstraint("manager_id", "month", name="uq_sales_plan_manager_month"),
        CheckConstraint("amount IS NULL OR amount >= 0", name="ck_sales_plan_amount"),
        CheckConstraint("touches IS NULL OR touches >= 0", name="ck_sales_plan_touches"),
        # The grid and the charts read a range of months for everyone.
        Index("ix_sales_plan_month", "month", "manager_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    manager_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("ab_user.id", ondelete="RESTRICT"), nullable=False
    )
    # The first day of the month.
    month: Mapped[date] = mapped_column(Date, nullable=False)
    # Won deals in RUB; empty: no plan for the amount.
    amount: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    # Done tasks (calls, meetings...); empty: no plan for touches.
    touches: Mapped[int | None] = mapped_column(Integer)
    set_by_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("ab_user.id", ondelete="RESTRICT")
    )
    set_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=local_now)
