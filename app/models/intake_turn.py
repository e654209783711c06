"""Whose turn it is to get the next new lead: one row, locked while a lead is assigned."""

from flask_appbuilder import Model
from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

# The one rotation there is: every new lead without a known client.
LEADS = "leads"


class IntakeTurn(Model):
    __tablename__ = "intake_turn"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    # The manager who got the last lead; no foreign key, so that deleting a user who once
    # took leads is never refused for it (a missing id simply starts the round again).
    last_user_id: Mapped[int | None] = mapped_column(Integer)
