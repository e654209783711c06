"""Deals per manager, stage, currency and expected close month: the pipeline's figures.

The funnel, the board's column totals and the forecast read it instead of every open deal.
Archived deals are left out; closed ones are kept (their stage tells them apart).
"""

from datetime import date

from flask_appbuilder import Model
from sqlalchemy import Index

from app.models.deal_figures import DealFigures

# The month of the deals without an expected close date: a NULL in a key would never
# meet its own row again, and no real date is this early.
NO_CLOSE_MONTH = date(1, 1, 1)


class DealStageMonth(DealFigures, Model):
    """`month`: the month the deals are expected to close in (NO_CLOSE_MONTH: none)."""

    __tablename__ = "deal_stage_month"
    __table_args__ = (Index("ix_deal_stage_month_stage", "stage_id", "month"),)
