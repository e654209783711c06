"""Clients created per manager and month, by kind and source: the new clients chart."""

from datetime import date

from flask_appbuilder import Model
from sqlalchemy import Date, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

COMPANY = "company"
PRIVATE = "private"


class ClientCreatedMonth(Model):
    __tablename__ = "client_created_month"
    __table_args__ = (Index("ix_client_created_month_month", "month"),)

    owner_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("ab_user.id", ondelete="CASCADE"), primary_key=True
    )
    month: Mapped[date] = mapped_column(Date, primary_key=True)
    # COMPANY or PRIVATE (a contact without a company).
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    # The source as the chart shows it, trimmed; "" when none was given.
    source: Mapped[str] = mapped_column(String(100), primary_key=True, default="")
    n: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
