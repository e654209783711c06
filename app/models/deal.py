"""A potential contract with a client, moving through the pipeline stages."""

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
    String,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.indexes import (
    name_start_indexes,
    name_words_index,
    search_indexes,
    sort_indexes,
)
from app.models.mixins import RecordMixin, local_now
from app.models.next_task import (
    NextTaskMixin,
    next_task_sort_indexes,
    without_next_task_index,
)


class Deal(RecordMixin, NextTaskMixin, Model):
    __tablename__ = "deal"
    __table_args__ = (
        CheckConstraint(
            "company_id IS NOT NULL OR contact_id IS NOT NULL", name="ck_deal_client"
        ),
        CheckConstraint("amount IS NULL OR amount >= 0", name="ck_deal_amount"),
        # The funnel and the board's totals: count and sum per stage from the index alone.
        Index("ix_deal_owner_archived_stage", "owner_id", "archived", "stage_id", "currency",
              "amount"),
        Index("ix_deal_archived_stage", "archived", "stage_id", "currency", "amount"),
        # The board's newest cards of a stage.
        Index("ix_deal_owner_board", "owner_id", "archived", "stage_id", "id"),
        Index("ix_deal_board", "archived", "stage_id", "id"),
        Index("ix_deal_company_id", "company_id"),
        Index("ix_deal_contact_id", "contact_id"),
        Index("ix_deal_expected_close_date", "expected_close_date"),
        # The team day: open deals past their expected close date, per manager.
        Index("ix_deal_past_close", "archived", "stage_id", "expected_close_date", "owner_id"),
        # Won and lost per month: the deals closed in a period, read from the index alone.
        Index("ix_deal_closed", "closed_at", "stage_id", "owner_id", "archived", "currency",
              "amount", postgresql_include=["lost_reason"]),
        Index("ix_deal_amount", "amount"),
        without_next_task_index("ix_deal_queue", "archived", "next_task_at", "stage_id",
                                "owner_id", "id"),
        # The open deals without a next task per manager (team day, chart) and their ids
        # (the queue): the open stages lead, so that PostgreSQL reads theirs only, not
        # every won and lost deal.
        without_next_task_index("ix_deal_queue_stage", "stage_id", "owner_id", "archived",
                                "next_task_at", "id"),
        *next_task_sort_indexes("deal"),
        # Off cadence (app/services/queries/cadence.py): the deals of the stages with a
        # limit, counted per owner (the owner's index) and listed by last touch (the
        # stage's), compared from the index alone. The forecast counts its warnings
        # (close date past or before the next task, moved often) from them too.
        Index("ix_deal_owner_cadence", "owner_id", "archived", "stage_id", "last_touch_at",
              "next_task_at", "expected_close_date", "close_date_moves"),
        Index("ix_deal_cadence", "archived", "stage_id", "last_touch_at", "next_task_at",
              "expected_close_date", "close_date_moves", "owner_id"),
        # The forecast: open deals by expected close month, summed from the index alone.
        Index("ix_deal_owner_forecast", "owner_id", "archived", "expected_close_date",
              "stage_id", "currency", "amount"),
        Index("ix_deal_forecast", "archived", "expected_close_date", "stage_id", "currency",
              "amount"),
        *sort_indexes("deal", "title", "amount", "expected_close_date", "changed_at"),
        name_words_index("deal"),
        *name_start_indexes("deal"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(255), nullable=False)
    company_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("company.id", ondelete="RESTRICT")
    )
    # The private client, or the contact person at the company.
    contact_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("contact.id", ondelete="RESTRICT")
    )
    stage_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("stage.id", ondelete="RESTRICT"), nullable=False
    )
    amount: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    currency: Mapped[str] = mapped_column(String(3), nullable=False, default="RUB")
    # The old value is loaded before a change, so that a move is always counted and told.
    expected_close_date: Mapped[date | None] = mapped_column(Date, active_history=True)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)
    lost_reason: Mapped[str | None] = mapped_column(String(255))
    notes: Mapped[str | None] = mapped_column(Text)
    # The title's folded words, set on every save (services/rules/search_keys.py).
    search_name: Mapped[str | None] = mapped_column(String(600))
    # The latest done task on the deal, or its creation while there is none; kept with
    # next_task_at by app/services/rules/next_task.py.
    last_touch_at: Mapped[datetime | None] = mapped_column(DateTime, default=local_now)
    # How often the expected close date was moved from one date to another
    # (app/services/rules/close_date.py counts it as the history records the change).
    close_date_moves: Mapped[int] = mapped_column(Integer, nullable=False, default=0,
                                                  server_default=text("0"))

    company = relationship("Company", back_populates="deals", lazy="select")
    contact = relationship(
        "Contact", back_populates="deals", foreign_keys=[contact_id], lazy="select"
    )
    stage = relationship("Stage", lazy="joined")
    tasks = relationship("Task", back_populates="deal", lazy="select")

    @property
    def client_name(self) -> str:
        if self.company is not None:
            return str(self.company)
        return str(self.contact) if self.contact is not None else ""

    def __str__(self) -> str:
        return self.title or ""


# "Starts with" searches of the list (app/data/search_filters.py).
search_indexes(Deal.title)
