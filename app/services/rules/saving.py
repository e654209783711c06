"""The one door of every write of a company, contact, deal or task.

Forms, the API, the board and the import translate their input, then call these and
nothing else with rules: checks, owner and audit stamps, the first task of a live record,
the guard on a task's links, and archiving.
"""

from sqlalchemy.orm import Session

from app.models import Task
from app.services.rules import archive, duplicates, followup, records
from app.services.rules.followup import NextTask


def save_record(session: Session, actor, record, *, is_new: bool,
                next_task: NextTask | None, require_cover: bool = True,
                allow_duplicate: bool = False) -> Task | None:
    """Check and stamp a record about to be saved; a live one gets its first task with it.

    A company or contact sharing an INN, phone or e-mail with another record is refused
    unless `allow_duplicate` (the user said "save anyway"); similar names are only
    warnings, read with `duplicates.warnings(session)`.

    `next_task` is the task to plan if the record would otherwise be live without one.
    With `require_cover` False a record left without a planned task may stay so (an
    import updating a client of the queue); a given `next_task` is still attached.
    Returns the task planned with the record, if any. Nothing is committed.

    :raise ValidationError: naming the first field at fault.
    :raise NextTaskRequired: if a live record would be left without a planned task.
    :raise DuplicateFound: carrying the matches, unless `allow_duplicate`.
    """
    records.before_save(session, actor, record, is_new=is_new)
    # After the checks: the keys compared are those the record will be stored with.
    duplicates.check(session, actor, record, is_new=is_new, allow_duplicate=allow_duplicate)
    task = None
    if next_task is not None or require_cover:
        task = followup.attach_first_task(session, actor, record, next_task)
    if isinstance(record, Task) and not is_new:
        followup.check_task_relink(session, record)
    return task


def archive_record(session: Session, actor, record) -> archive.Batch:
    """Archive a record with what hangs on it, stamping who did it (no commit).

    :raise NextTaskRequired: if a live record would lose its last planned task.
    :raise DomainError: if a Manager's batch holds another manager's rows.
    """
    if isinstance(record, Task):
        followup.check_can_archive_task(session, record)
    records.before_archive(session, actor, record)
    return archive.archive(session, actor, record)
