"""How many tasks one manager completed on one day: the tasks chart reads this, not the tasks."""

from datetime import date

from flask_appbuilder import Model
from sqlalchemy import Date, ForeignKey, Index, Integer
from sqlalchemy.orm import Mapped, mapped_column


class TaskDoneDay(Model):
    __tablename__ = "task_done_day"
    __table_args__ = (
        # Everyone's days of a period (the head's chart and team day).
        Index("ix_task_done_day_day", "day", "user_id", "n"),
    )

    # Who did the tasks (Task.done_by_id), not who owns them now.
    user_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("ab_user.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    # Done, not archived tasks; kept by app/services/rules/summaries.py.
    n: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
