"""A lead or message that arrived by itself (website form, call, e-mail), until it is decided."""

import math
from datetime import date, datetime
from enum import StrEnum

from flask_appbuilder import Model
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from sqlalchemy import (
    JSON,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.enums import check_in
from app.models.mixins import local_now


class InboxSource(StrEnum):
    FORM = "form"
    CALL = "call"
    EMAIL = "email"


class InboxState(StrEnum):
    NEW = "new"
    ACCEPTED = "accepted"
    LINKED = "linked"
    DECLINED = "declined"


class DeclineReason(StrEnum):
    SPAM = "spam"
    NOT_CLIENT = "not_client"
    OTHER = "other"


INBOX_LABELS = {
    InboxSource: {InboxSource.FORM: _l("Website form"), InboxSource.CALL: _l("Phone call"),
                  InboxSource.EMAIL: _l("E-mail")},
    InboxState: {InboxState.NEW: lazy_pgettext("lead state", "New"),
                 InboxState.ACCEPTED: _l("Accepted"),
                 InboxState.LINKED: _l("Linked to a client"),
                 InboxState.DECLINED: _l("Declined")},
    DeclineReason: {DeclineReason.SPAM: _l("Spam"),
                    DeclineReason.NOT_CLIENT: _l("Not a client"),
                    DeclineReason.OTHER: _l("Other")},
}


# Week numbers count from this Monday: week 0 is 3-9 January 2000.
FIRST_MONDAY = date(2000, 1, 3)


def week_number(day: date) -> int:
    """Return the number of the week (Monday to Sunday) of `day`, counted from FIRST_MONDAY."""
    return (day - FIRST_MONDAY).days // 7


def answer_seconds(received_at: datetime, answered_at: datetime) -> int:
    """Return the whole seconds from a lead's arrival to its first answer."""
    return math.floor((answered_at - received_at).total_seconds())


def _received_week(context) -> int:
    return week_number(context.get_current_parameters()["received_at"].date())


def _answer_seconds(context) -> int | None:
    row = context.get_current_parameters()
    if row.get("answered_at") is None:
        return None
    return answer_seconds(row["received_at"], row["answered_at"])


# The speed-to-lead report's two partial indexes: the answered leads, the unanswered.
_ANSWERED = text("answer_seconds IS NOT NULL")
_UNANSWERED = text("answer_seconds IS NULL")


def inbox_label(enum_class: type[StrEnum], value: str | None) -> str:
    """Return the translated label of a source, state or decline reason."""
    try:
        return str(INBOX_LABELS[enum_class][enum_class(value)])
    except ValueError:
        return value or ""


class InboxItem(Model):
    __tablename__ = "inbox_item"
    __table_args__ = (
        CheckConstraint(check_in("source", InboxSource), name="ck_inbox_item_source"),
        CheckConstraint(check_in("state", InboxState), name="ck_inbox_item_state"),
        CheckConstraint("decline_reason IS NULL OR " + check_in("decline_reason", DeclineReason),
                        name="ck_inbox_item_decline_reason"),
        # A repeated webhook (the same call id) finds the row it wrote the first time.
        UniqueConstraint("source", "external_id", name="uq_inbox_item_source_external"),
        # A manager's inbox and its counter: own items of a state, newest first.
        Index("ix_inbox_item_owner_state_received", "owner_id", "state", "received_at", "id"),
        # The head's inbox: every item of a state, newest first.
        Index("ix_inbox_item_state_received", "state", "received_at", "id"),
        # Items of every state, newest first: the head's, one owner's.
        Index("ix_inbox_item_received", "received_at", "id"),
        Index("ix_inbox_item_owner_received", "owner_id", "received_at", "id"),
        # The speed-to-lead report: the answered items received in a span of weeks (the
        # head), one owner's (a manager), with the seconds it reads, so the table is never
        # visited, in the order it groups them (week, owner, source), so that nothing is
        # sorted; the unanswered ones (a few of them) apart, with what is counted of them.
        Index("ix_inbox_item_week", "received_week", "owner_id", "source", "answer_seconds",
              sqlite_where=_ANSWERED, postgresql_where=_ANSWERED),
        Index("ix_inbox_item_owner_week", "owner_id", "received_week", "source",
              "answer_seconds", sqlite_where=_ANSWERED, postgresql_where=_ANSWERED),
        Index("ix_inbox_item_unanswered_week", "received_week", "owner_id", "source", "state",
              "received_at", "answer_seconds", sqlite_where=_UNANSWERED,
              postgresql_where=_UNANSWERED),
        Index("ix_inbox_item_company_id", "company_id"),
        Index("ix_inbox_item_contact_id", "contact_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(16), nullable=False)
    # The sender's own id of the event (a call id): one row per event, however often sent.
    external_id: Mapped[str | None] = mapped_column(String(128))
    state: Mapped[str] = mapped_column(String(16), nullable=False, default=InboxState.NEW.value)
    received_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=local_now)
    # Every item has an owner from the moment it arrives (no lead waits unseen).
    owner_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("ab_user.id", ondelete="RESTRICT"), nullable=False
    )
    name: Mapped[str | None] = mapped_column(String(255))
    company_name: Mapped[str | None] = mapped_column(String(255))
    phone: Mapped[str | None] = mapped_column(String(32))
    email: Mapped[str | None] = mapped_column(String(255))
    inn: Mapped[str | None] = mapped_column(String(12))
    message: Mapped[str | None] = mapped_column(Text)
    # What only one source has: the page and UTM tags of a form, the call's direction,
    # status, duration and recording; shown as they came.
    details: Mapped[dict | None] = mapped_column(JSON)
    # The client the item became or joined (accepted or linked).
    company_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("company.id", ondelete="RESTRICT")
    )
    contact_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("contact.id", ondelete="RESTRICT")
    )
    decline_reason: Mapped[str | None] = mapped_column(String(16))
    decline_text: Mapped[str | None] = mapped_column(String(500))
    # Speed to lead: the first done task on the item, and when it was decided.
    answered_at: Mapped[datetime | None] = mapped_column(DateTime)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime)
    # Kept for the speed-to-lead report, which reads them for tens of thousands of leads:
    # the week received (week_number) and the whole seconds to the first answer. Filled on
    # insert from received_at and answered_at; whoever sets answered_at later sets
    # answer_seconds too. received_week is nullable in the schema: SQLite adds a NOT NULL
    # column to a table with rows only with a default, and no week is a right default.
    received_week: Mapped[int | None] = mapped_column(Integer, default=_received_week)
    answer_seconds: Mapped[int | None] = mapped_column(Integer, default=_answer_seconds)
    decided_by_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("ab_user.id", ondelete="RESTRICT")
    )

    owner = relationship("User", foreign_keys=[owner_id], lazy="select")
    company = relationship("Company", lazy="select")
    contact = relationship("Contact", lazy="select")
    tasks = relationship("Task", back_populates="inbox_item", lazy="select")

    @property
    def is_new(self) -> bool:
        return self.state == InboxState.NEW.value

    @property
    def client(self):
        """The company or private client the item became or joined, if any."""
        return self.company if self.company_id is not None else self.contact

    def __str__(self) -> str:
        return self.name or self.company_name or self.phone or self.email or f"#{self.id}"
