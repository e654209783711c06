"""The first task of a live client that an import creates or revives, and its lock.

An import is an entry point like any other: a client it makes live gets a planned task
in the same transaction, through saving.save_record. Without task columns in the
file that task is a first call, owned by the client's owner, on the next working day.
"""

from datetime import datetime, time, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.models.enums import TaskType
from app.services.rules import followup

FIRST_CALL_AT = time(10, 0)
# Rows locked per statement; the ids are sorted so that two imports lock in one order.
LOCK_CHUNK = 500


def first_call_due(now: datetime) -> datetime:
    """Return 10:00 on the working day (Monday to Friday) after `now`."""
    day = now.date() + timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return datetime.combine(day, FIRST_CALL_AT)


def first_call(now: datetime) -> followup.NextTask:
    """Return the default first task: a call on the next working day at 10:00."""
    return followup.NextTask(type=TaskType.CALL.value, subject=str(_l("First call")),
                             due_at=first_call_due(now))


def lock_records(session: Session, records: list) -> None:
    """Lock the rows of the records an import revives until it commits.

    On PostgreSQL it is the row lock of followup.lock (SELECT ... FOR UPDATE), taken in
    bulk. SQLite has no row locks and reads outside a transaction until the first write:
    a write that changes nothing takes its database write lock now, so every later read
    of the import sees what others committed before it, and nobody commits meanwhile.
    """
    by_model: dict[type, list[int]] = {}
    for record in records:
        if record is not None and record.id is not None:
            by_model.setdefault(type(record), []).append(record.id)
    sqlite = session.get_bind().dialect.name == "sqlite"
    for model, ids in sorted(by_model.items(), key=lambda item: item[0].__name__):
        ids = sorted(set(ids))
        for start in range(0, len(ids), LOCK_CHUNK):
            chunk = ids[start:start + LOCK_CHUNK]
            if sqlite:
                session.execute(update(model).where(model.id.in_(chunk))
                                .values(id=model.id).execution_options(synchronize_session=False))
            else:
                session.execute(select(model.id).where(model.id.in_(chunk))
                                .order_by(model.id).with_for_update())
