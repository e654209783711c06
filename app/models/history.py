"""The timeline of a client or deal: who did what and when, field by field."""

from datetime import datetime

from flask_appbuilder import Model
from sqlalchemy import JSON, DateTime, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.mixins import local_now


class HistoryEntry(Model):
    __tablename__ = "history"
    __table_args__ = (
        Index("ix_history_entity", "entity", "entity_id", "at"),
        Index("ix_history_company_at", "company_id", "at"),
        Index("ix_history_contact_at", "contact_id", "at"),
        Index("ix_history_deal_at", "deal_id", "at"),
        Index("ix_history_reassignment", "reassignment_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=local_now)
    actor_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("ab_user.id", ondelete="RESTRICT")
    )
    # company / contact / deal / task, and the id of that record.
    entity: Mapped[str] = mapped_column(String(16), nullable=False)
    entity_id: Mapped[int] = mapped_column(Integer, nullable=False)
    # created / changed / archived / restored / reassigned
    action: Mapped[str] = mapped_column(String(16), nullable=False)
    # [{"field": ..., "old": ..., "new": ...}], values as display-neutral text or ids.
    changes: Mapped[list | None] = mapped_column(JSON)
    # The client and deal the entry belongs to, so their timelines are one index scan.
    company_id: Mapped[int | None] = mapped_column(Integer)
    contact_id: Mapped[int | None] = mapped_column(Integer)
    deal_id: Mapped[int | None] = mapped_column(Integer)
    reassignment_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("reassignment.id", ondelete="RESTRICT")
    )

    actor = relationship("User", foreign_keys=[actor_id], lazy="joined")
