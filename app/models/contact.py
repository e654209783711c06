"""A person: a contact person at a company, or a private (B2C) client without one."""

from datetime import date

from flask_appbuilder import Model
from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Integer, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.formatting import name_text
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
    PRIVATE_LIVE,
    QUEUE_COLUMNS,
    NextTaskMixin,
    next_task_sort_indexes,
    without_next_task_index,
)


class Contact(RecordMixin, NextTaskMixin, Model):
    __tablename__ = "contact"
    __table_args__ = (
        CheckConstraint(
            "status IS NULL OR " + check_in("status", ClientStatus), name="ck_contact_status"
        ),
        Index("ix_contact_owner_archived_last_name", "owner_id", "archived", "last_name",
              "id"),
        Index("ix_contact_archived_last_name", "archived", "last_name", "id"),
        Index("ix_contact_company_id", "company_id"),
        Index("ix_contact_email", "email"),
        Index("ix_contact_phone", "phone"),
        # My day's birthdays of the coming week: the owner's contacts of each day's key.
        Index("ix_contact_owner_birthday", "owner_id", "archived", "birthday_key", "id"),
        Index("ix_contact_status", "status"),
        # New private clients per month and source, read from the index alone.
        Index("ix_contact_created", "created_at", "company_id", "owner_id", "archived",
              "source"),
        without_next_task_index("ix_contact_queue", *QUEUE_COLUMNS, extra=PRIVATE_LIVE),
        *next_task_sort_indexes("contact"),
        *sort_indexes("contact", "first_name", "position", "email", "status"),
        *key_indexes("contact", phones=("phone", "mobile_phone"),
                     emails=("email", "second_email")),
        name_words_index("contact"),
        *name_start_indexes("contact"),
        Index("ix_contact_merged_into", "merged_into_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_name: Mapped[str] = mapped_column(String(100), nullable=False)
    first_name: Mapped[str | None] = mapped_column(String(100))
    middle_name: Mapped[str | None] = mapped_column(String(100))
    position: Mapped[str | None] = mapped_column(String(150))
    company_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("company.id", ondelete="RESTRICT")
    )
    phone: Mapped[str | None] = mapped_column(String(32))
    mobile_phone: Mapped[str | None] = mapped_column(String(32))
    email: Mapped[str | None] = mapped_column(String(255))
    second_email: Mapped[str | None] = mapped_column(String(255))
    birthday: Mapped[date | None] = mapped_column(Date)
    # month * 100 + day of the birthday, so "birthdays this week" is an index range.
    birthday_key: Mapped[int | None] = mapped_column(SmallInteger)
    spouse_name: Mapped[str | None] = mapped_column(String(150))
    preferences: Mapped[str | None] = mapped_column(Text)
    # Status and lost reason apply to private clients (no company) only.
    status: Mapped[str | None] = mapped_column(String(16), info={"choices": ClientStatus})
    lost_reason: Mapped[str | None] = mapped_column(String(255))
    source: Mapped[str | None] = mapped_column(String(100))
    # Search keys, set from the fields above on every save (services/rules/search_keys.py).
    phone_e164: Mapped[str | None] = mapped_column(String(16))
    phone_tail: Mapped[str | None] = mapped_column(String(16))
    mobile_phone_e164: Mapped[str | None] = mapped_column(String(16))
    mobile_phone_tail: Mapped[str | None] = mapped_column(String(16))
    email_key: Mapped[str | None] = mapped_column(String(255))
    second_email_key: Mapped[str | None] = mapped_column(String(255))
    search_name: Mapped[str | None] = mapped_column(String(600))
    # Set when the record was merged into another and archived (services/rules/merge.py).
    merged_into_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("contact.id", ondelete="RESTRICT"))

    company = relationship("Company", back_populates="contacts", lazy="select")
    deals = relationship(
        "Deal", back_populates="contact", foreign_keys="Deal.contact_id", lazy="select"
    )
    tasks = relationship("Task", back_populates="contact", lazy="select")

    @property
    def full_name(self) -> str:
        """The person's name in the reader's order (last name first in Russian)."""
        return name_text(self.first_name, self.last_name, self.middle_name)

    @property
    def is_private_client(self) -> bool:
        return self.company_id is None

    def __str__(self) -> str:
        return self.full_name


# "Starts with" searches of the list (app/data/search_filters.py).
search_indexes(Contact.last_name)
