"""One move of a manager's clients to another manager, kept as a record."""

from datetime import datetime

from flask_appbuilder import Model
from sqlalchemy import Boolean, DateTime, ForeignKey, Index, Integer, String, text, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.enums import MoveState
from app.models.mixins import local_now


class Reassignment(Model):
    __tablename__ = "reassignment"
    __table_args__ = (Index("ix_reassignment_at", "at"),
                      Index("ix_reassignment_state", "state"))

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
    # A move runs in the background (a whole book can take minutes): "running" until its
    # transaction commits "done" together with everything it moved, or "failed" (nothing
    # moved). The counts are what moved, once done.
    state: Mapped[str] = mapped_column(String(10), nullable=False, default=MoveState.RUNNING.value,
                                       server_default=text("'done'"))
    introduce: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True,
                                            server_default=true())
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)
    # Why a move failed, in the words of the one who started it.
    error: Mapped[str | None] = mapped_column(String(500))

    actor = relationship("User", foreign_keys=[actor_id], lazy="joined")
    from_user = relationship("User", foreign_keys=[from_user_id], lazy="joined")
    to_user = relationship("User", foreign_keys=[to_user_id], lazy="joined")
    company = relationship("Company", lazy="joined")
