"""A B2B client: an organisation we sell to."""

from flask_appbuilder import Model
from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.enums import ClientStatus, check_in
from app.models.indexes import (
    key_indexes,
    name_start_indexes,
    name_words_index,
    search_indexes,
    sort_indexes,
)
from app.models.mixins import RecordMixin
from app.models.next_task import (
    LIVE,
    QUEUE_COLUMNS,
    NextTaskMixin,
    next_task_sort_indexes,
    without_next_task_index,
)


class Company(RecordMixin, NextTaskMixin, Model):
    __tablename__ = "company"
    __table_args__ = (
        CheckConstraint(check_in("status", ClientStatus), name="ck_company_status"),
        Index("ix_company_owner_archived_name", "owner_id", "archived", "name", "id"),
        Index("ix_company_archived_name", "archived", "name", "id"),
        Index("ix_company_status", "status"),
        Index("ix_company_inn", "inn"),
        # New clients per month and source, read from the index alone.
        Index("ix_company_created", "created_at", "owner_id", "archived", "source"),
        without_next_task_index("ix_company_queue", *QUEUE_COLUMNS, extra=LIVE),
        *next_task_sort_indexes("company"),
        *sort_indexes("company", "status", "industry", "changed_at"),
        *key_indexes("company", phones=("phone",), emails=("email",)),
        name_words_index("company"),
        *name_start_indexes("company"),
        Index("ix_company_merged_into", "merged_into_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(255), nullable=False)
    legal_name: Mapped[str | None] = mapped_column(String(255))
    inn: Mapped[str | None] = mapped_column(String(12))
    industry: Mapped[str | None] = mapped_column(String(100))
    website: Mapped[str | None] = mapped_column(String(255))
    phone: Mapped[str | None] = mapped_column(String(32))
    email: Mapped[str | None] = mapped_column(String(255))
    address: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(
        String(16), nullable=False, default=ClientStatus.POTENTIAL.value,
        info={"choices": ClientStatus},
    )
    lost_reason: Mapped[str | None] = mapped_column(String(255))
    source: Mapped[str | None] = mapped_column(String(100))
    notes: Mapped[str | None] = mapped_column(Text)
    # Search keys, set from the fields above on every save (services/rules/search_keys.py).
    phone_e164: Mapped[str | None] = mapped_column(String(16))
    phone_tail: Mapped[str | None] = mapped_column(String(16))
    email_key: Mapped[str | None] = mapped_column(String(255))
    search_name: Mapped[str | None] = mapped_column(String(600))
    # Set when the record was merged into another and archived (services/rules/merge.py).
    merged_into_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("company.id", ondelete="RESTRICT"))

    contacts = relationship("Contact", back_populates="company", lazy="select")
    deals = relationship("Deal", back_populates="company", lazy="select")
    tasks = relationship("Task", back_populates="company", lazy="select")

    def __str__(self) -> str:
        return self.name or ""


# "Starts with" searches of the list (app/data/search_filters.py).
search_indexes(Company.name)
