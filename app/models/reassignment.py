"""One move of a manager's clients to another manager, kept as a record."""

from datetime import datetime

from flask_appbuilder import Model
from sqlalchemy import DateTime, ForeignKey, Index, Integer
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.mixins import local_now


class Reassignment(Model):
    __tablename__ = "reassignment"
    __table_args__ = (Index("ix_reassignment_at", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=local_now)
    actor_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("ab_user.id", ondelete="RESTRICT"), nullable=False
    )
    from_user_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("ab_user.id", ondelete="RESTRICT"), nullable=False
    )
    to_user_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("ab_user.id", ondelete="RESTRICT"), nullable=False
    )
    # Set when a single company was transferred; empty when everything was moved.
    company_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("company.id", ondelete="RESTRICT")
    )
    companies: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    private_clients: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    contacts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    deals: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    tasks: Mapped[int] = mapped_column(Integer, nullable=False, default=0)

    actor = relationship("User", foreign_keys=[actor_id], lazy="joined")
    from_user = relationship("User", foreign_keys=[from_user_id], lazy="joined")
    to_user = relationship("User", foreign_keys=[to_user_id], lazy="joined")
    company = relationship("Company", lazy="joined")
