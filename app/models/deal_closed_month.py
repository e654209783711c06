"""Deals closed per manager and month, by stage, currency and lost reason: the won/lost chart."""

from flask_appbuilder import Model
from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.deal_figures import DealFigures


class DealClosedMonth(DealFigures, Model):
    """`month`: the month the deals were closed in."""

    __tablename__ = "deal_closed_month"
    __table_args__ = (Index("ix_deal_closed_month_month", "month", "stage_id"),)

    # "" stands for no reason: a NULL in a key would never meet its own row again.
    lost_reason: Mapped[str] = mapped_column(String(255), primary_key=True, default="",
                                             sort_order=-1)
