"""A call, meeting, e-mail or other action: planned, done with its result, or cancelled."""

from datetime import datetime

from flask_appbuilder import Model
from sqlalchemy import (
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    and_,
    literal_column,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.enums import TaskState, TaskType, check_in
from app.models.indexes import search_indexes, sort_indexes
from app.models.mixins import RecordMixin

# The predicate of the partial indexes of planned tasks. SQLite uses a partial index only
# for a query that repeats these very terms: a bound parameter for 'planned', or 0 for
# false, does not count. Queries say it through planned_clause(), rendered this way.
PLANNED_PREDICATE = "state = 'planned' AND archived = false"
_PLANNED = text(PLANNED_PREDICATE)
PLANNED_OWNER_DUE_INDEX = "ix_task_planned_owner_due"


class Task(RecordMixin, Model):
    __tablename__ = "task"
    __table_args__ = (
        CheckConstraint(check_in("type", TaskType), name="ck_task_type"),
        CheckConstraint(check_in("state", TaskState), name="ck_task_state"),
        CheckConstraint(
            "company_id IS NOT NULL OR contact_id IS NOT NULL OR deal_id IS NOT NULL"
            " OR inbox_item_id IS NOT NULL",
            name="ck_task_link",
        ),
        CheckConstraint("state <> 'done' OR result IS NOT NULL", name="ck_task_done_result"),
        Index("ix_task_owner_state_due", "owner_id", "state", "due_at"),
        Index("ix_task_archived_state_due", "archived", "state", "due_at"),
        # A record's tasks by state, and its next planned one (app/services/rules/next_task.py):
        # the earliest due time is one step into the index, whatever the table's size.
        Index("ix_task_company_state", "company_id", "state", "archived", "due_at"),
        Index("ix_task_contact_state", "contact_id", "state", "archived", "due_at"),
        Index("ix_task_deal_state", "deal_id", "state", "archived", "due_at"),
        Index("ix_task_done_at", "done_at"),
        Index("ix_task_inbox_item", "inbox_item_id", "state"),
        # Tasks done per manager and day (by who did them), read from the index alone.
        Index("ix_task_done_report", "state", "done_at", "done_by_id", "archived"),
        Index("ix_task_owner_state_done", "owner_id", "state", "done_at"),
        *sort_indexes("task", "due_at", "type", "subject", "state"),
        # "Has this client / deal a planned task?" is asked for every live record by the
        # queue, its counter and the reports: small partial indexes answer it.
        *(
            Index(f"ix_task_planned_{column}", column, sqlite_where=_PLANNED,
                  postgresql_where=_PLANNED)
            for column in ("company_id", "contact_id", "deal_id")
        ),
        # A manager's planned tasks by due time: My day, the navbar counters, the overdue
        # report (owner_id, due_at) read just the planned rows, not a manager's history.
        Index(PLANNED_OWNER_DUE_INDEX, "owner_id", "due_at", sqlite_where=_PLANNED,
              postgresql_where=_PLANNED),
        # Overdue tasks per manager (the tasks report): the planned ones due before now.
        Index("ix_task_planned_due_owner", "due_at", "owner_id", sqlite_where=_PLANNED,
              postgresql_where=_PLANNED),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    type: Mapped[str] = mapped_column(String(16), nullable=False, default=TaskType.CALL.value,
                                      info={"choices": TaskType})
    subject: Mapped[str] = mapped_column(String(255), nullable=False)
    due_at: Mapped[datetime] = mapped_column(DateTime, nullable=False)
    company_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("company.id", ondelete="RESTRICT")
    )
    contact_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("contact.id", ondelete="RESTRICT")
    )
    deal_id: Mapped[int | None] = mapped_column(Integer, ForeignKey("deal.id", ondelete="RESTRICT"))
    # The inbox item a task answers (its "answer the lead" task, or a call's follow-up).
    inbox_item_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("inbox_item.id", ondelete="RESTRICT")
    )
    state: Mapped[str] = mapped_column(
        String(16), nullable=False, default=TaskState.PLANNED.value,
        info={"choices": TaskState},
    )
    result: Mapped[str | None] = mapped_column(Text)
    done_at: Mapped[datetime | None] = mapped_column(DateTime)
    # Who completed the task: it stays theirs when the client moves to another manager.
    done_by_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("ab_user.id", ondelete="RESTRICT")
    )
    notes: Mapped[str | None] = mapped_column(Text)

    company = relationship("Company", back_populates="tasks", lazy="select")
    contact = relationship("Contact", back_populates="tasks", lazy="select")
    deal = relationship("Deal", back_populates="tasks", lazy="select")
    inbox_item = relationship("InboxItem", back_populates="tasks", lazy="select")
    # For the tasks list's filter "done by" (the team day links to it).
    done_by = relationship("User", foreign_keys=[done_by_id], lazy="select")

    @property
    def is_planned(self) -> bool:
        return self.state == TaskState.PLANNED.value

    def __str__(self) -> str:
        return self.subject or ""


def planned_clause(entity=None):
    """Return "planned and not archived" for Task (or an alias of it), partial-index ready."""
    entity = Task if entity is None else entity
    return and_(entity.state == literal_column("'planned'"),
                entity.archived == literal_column("false"))


# "Starts with" searches of the list (app/data/search_filters.py).
search_indexes(Task.subject)
