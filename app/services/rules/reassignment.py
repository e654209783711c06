"""Move a leaving manager's clients, or one company, to another manager in one transaction."""

from dataclasses import dataclass
from datetime import timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import Integer, and_, func, insert, literal, or_, select, text, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from app.busy_database import is_busy
from app.models import Company, Contact, Deal, HistoryEntry, Reassignment, Stage, Task, User
from app.models.enums import MoveState, TaskState
from app.models.mixins import local_now
from app.services.errors import DomainError, ValidationError
from app.services.rules import followup, handover, summaries
from app.services.rules.visibility import can_assign_owner

KINDS = ("companies", "private_clients", "contacts", "deals", "tasks")
# A move just started gets this long to take its row before anyone may call it stopped.
START_GRACE = timedelta(seconds=30)
# How long the move's page waits for SQLite's write lock to tell a stopped move (ms).
SETTLE_WAIT_MS = 200
# How long a move waits on SQLite for another long write (another move) to end (ms).
MOVE_WAIT_MS = 15 * 60 * 1000
# What a failed move's `error` says when it is not a rule's message (shown translated).
INTERRUPTED = "interrupted"
FAILED_ON_ERROR = "error"


@dataclass(frozen=True)
class Move:
    """What moves for one kind of record: the model, its history name, the rows' filter."""

    kind: str
    model: type
    entity: str
    where: object
    # The same rows as `where`, as conditions each of which one index answers: written
    # one after the other (rows already moved are left out by the owner), so that no
    # database scans the whole table for an OR of lists. Empty: `where` itself.
    parts: tuple = ()

    @property
    def pieces(self) -> tuple:
        """Return the conditions to write the move by, one statement each."""
        return self.parts or (self.where,)


def _open_deal():
    open_stages = select(Stage.id).where(Stage.is_open)
    return Deal.stage_id.in_(open_stages)


def _planned_task():
    return Task.state == TaskState.PLANNED.value


def moves_for_manager(from_user_id: int) -> list[Move]:
    """Return what moving all of a manager's clients touches.

    The clients, their contact persons, the manager's open deals and planned tasks, and
    whatever else belongs with those clients: their deals, open or closed, and their
    tasks, planned or done, so that the new owner reads the clients' whole history.
    """
    owned = lambda model: model.owner_id == from_user_id  # noqa: E731
    companies = select(Company.id).where(owned(Company))
    private = select(Contact.id).where(owned(Contact), Contact.company_id.is_(None))
    deal_parts = (and_(owned(Deal), _open_deal()), Deal.company_id.in_(companies),
                  and_(Deal.company_id.is_(None), Deal.contact_id.in_(private)))
    deals = or_(*deal_parts)
    task_parts = (and_(owned(Task), _planned_task()), Task.company_id.in_(companies),
                  Task.contact_id.in_(private), Task.deal_id.in_(select(Deal.id).where(deals)))
    return [
        Move("companies", Company, "company", owned(Company)),
        Move("private_clients", Contact, "contact",
             and_(owned(Contact), Contact.company_id.is_(None))),
        Move("contacts", Contact, "contact",
             and_(owned(Contact), Contact.company_id.is_not(None))),
        Move("deals", Deal, "deal", deals, deal_parts),
        Move("tasks", Task, "task", or_(*task_parts), task_parts),
    ]


def moves_for_company(company_id: int) -> list[Move]:
    """Return what transferring one company touches: its contacts, deals and tasks, all.

    Closed deals and done tasks go too: they are the client's history, which the new
    owner must be able to open.
    """
    contact_ids = select(Contact.id).where(Contact.company_id == company_id)
    deal_ids = select(Deal.id).where(Deal.company_id == company_id)
    return [
        Move("companies", Company, "company", Company.id == company_id),
        Move("contacts", Contact, "contact", Contact.company_id == company_id),
        Move("deals", Deal, "deal", Deal.company_id == company_id),
        Move("tasks", Task, "task", or_(
            Task.company_id == company_id, Task.contact_id.in_(contact_ids),
            Task.deal_id.in_(deal_ids),
        )),
    ]


def _check(session: Session, actor, from_user: User, to_user: User) -> None:
    if not can_assign_owner(actor):
        raise DomainError(_l("Only the head of sales can reassign clients."))
    if to_user is None or from_user is None:
        raise ValidationError(_l("Choose both managers."), "to_user")
    if from_user.id == to_user.id:
        raise ValidationError(_l("Choose another manager to take over."), "to_user")
    if not to_user.active:
        raise ValidationError(_l("The manager who takes over must be active."), "to_user")


def _counts(session: Session, moves: list[Move], to_user_id: int | None) -> dict[str, int]:
    counts = dict.fromkeys(KINDS, 0)
    for move in moves:
        query = select(func.count()).select_from(move.model).where(move.where)
        if to_user_id is not None:
            query = query.where(move.model.owner_id != to_user_id)
        counts[move.kind] = session.scalar(query) or 0
    return counts


def _anything_to_move(session: Session, moves: list[Move], to_user_id: int) -> bool:
    """Tell whether any row would move: one index look-up per piece, no count."""
    for move in moves:
        for piece in move.pieces:
            found = select(move.model.id).where(piece, move.model.owner_id != to_user_id)
            if session.scalar(found.limit(1)) is not None:
                return True
    return False


def preview(session: Session, actor, from_user: User, to_user: User | None = None,
            company: Company | None = None) -> dict[str, int]:
    """Count what would move, by kind (companies, private clients, contacts, deals, tasks).

    :raise DomainError: if the actor may not reassign.
    """
    if not can_assign_owner(actor):
        raise DomainError(_l("Only the head of sales can reassign clients."))
    moves = moves_for_company(company.id) if company else moves_for_manager(from_user.id)
    return _counts(session, moves, to_user.id if to_user else None)


def _context_columns(move: Move):
    model = move.model
    if model is Company:
        return model.id, literal(None, Integer), literal(None, Integer)
    if model is Contact:
        return model.company_id, model.id, literal(None, Integer)
    if model is Deal:
        return model.company_id, model.contact_id, model.id
    return model.company_id, model.contact_id, model.deal_id


def _move(session: Session, move: Move, actor_id: int, to_user_id: int,
          reassignment_id: int) -> int:
    """Write the history of the rows that move, then move them; return how many moved."""
    now = local_now()
    return sum(_move_piece(session, move, piece, actor_id, to_user_id, reassignment_id, now)
               for piece in move.pieces)


def _move_piece(session: Session, move: Move, piece, actor_id: int, to_user_id: int,
                reassignment_id: int, now) -> int:
    """Write the history of the rows of one piece of a move, then move them."""
    model = move.model
    where = and_(piece, model.owner_id != to_user_id)
    company_col, contact_col, deal_col = _context_columns(move)
    source = select(
        literal(now), literal(actor_id), literal(move.entity), model.id,
        literal("reassigned"),
        func.json_build_array(func.json_build_object(
            "field", "owner_id", "old", model.owner_id, "new", to_user_id,
        )) if session.get_bind().dialect.name == "postgresql" else func.json_array(
            func.json_object("field", "owner_id", "old", model.owner_id, "new", to_user_id)
        ),
        company_col, contact_col, deal_col, literal(reassignment_id),
    ).where(where)
    columns = ["at", "actor_id", "entity", "entity_id", "action", "changes", "company_id",
               "contact_id", "deal_id", "reassignment_id"]
    session.execute(insert(HistoryEntry.__table__).from_select(columns, source))
    with summaries.moving_owner(session, model, where, to_user_id):
        result = session.execute(
            update(model.__table__).where(where).values(
                owner_id=to_user_id, changed_at=now, changed_by_id=actor_id,
                version=model.__table__.c.version + 1,
            )
        )
    return result.rowcount or 0


def start(session: Session, actor, from_user: User, to_user: User,
          company: Company | None = None, *, introduce: bool = True) -> Reassignment:
    """Record a move to be done (state "running") and commit it.

    `run` then does the move; a whole book can take longer than a web request may last,
    so the screen starts it in the background and shows the record until it is done.

    :raise DomainError: if the actor may not reassign, the managers are not valid, or a
        move from or to either manager is still under way.
    """
    if company is not None:
        from_user = company.owner
    _check(session, actor, from_user, to_user)
    try:
        managers = sorted({from_user.id, to_user.id})
        # Asked before holding anything: on SQLite a running move holds the write lock,
        # which the hold below would wait for as long as a save waits.
        _refuse_if_under_way(session, managers)
        _hold_managers(session, managers)
        _refuse_if_under_way(session, managers)
        moves = moves_for_company(company.id) if company else moves_for_manager(from_user.id)
        if not _anything_to_move(session, moves, to_user.id):
            raise ValidationError(_l("%(name)s has nothing to move.", name=str(from_user)),
                                  "from_user")
        record = Reassignment(actor_id=actor.id, from_user_id=from_user.id,
                              to_user_id=to_user.id, company_id=company.id if company else None,
                              state=MoveState.RUNNING.value, introduce=introduce)
        session.add(record)
        session.commit()
    except Exception:
        session.rollback()
        raise
    return record


def run(session: Session, reassignment_id: int) -> Reassignment:
    """Do a started move in one transaction: all moves and it is "done", or nothing and "failed".

    A client takes along its deals and tasks, closed and done ones included; a done
    task keeps its author (who created it, and in the history who completed it). Every
    moved record gets a history entry. Each client moved gets a handover brief in its
    feed and, if the move says so, an "introduce yourself" task for the new owner
    (app/services/rules/handover.py).

    :raise DomainError: if the managers are no longer valid (the move is then "failed").
    """
    try:
        if session.get_bind().dialect.name == "sqlite":
            # SQLite has one writer: a move waits for another one to end, not 15 s.
            session.execute(text(f"PRAGMA busy_timeout={MOVE_WAIT_MS}"))
        record = _claim(session, reassignment_id)
        if record is None:
            session.rollback()
            return session.get(Reassignment, reassignment_id)
        _check(session, record.actor, record.from_user, record.to_user)
        moves = moves_for_company(record.company_id) if record.company_id \
            else moves_for_manager(record.from_user_id)
        # Dependents first: their conditions name the clients still owned by from_user.
        for move in reversed(moves):
            setattr(record, move.kind,
                    _move(session, move, record.actor_id, record.to_user_id, record.id))
        handover.write_briefs(session, record.actor, record, introduce=record.introduce)
        record.state = MoveState.DONE.value
        record.finished_at = local_now()
        session.commit()
    except Exception as error:
        session.rollback()
        _fail(session, reassignment_id, str(error.message) if isinstance(
            error, DomainError) else FAILED_ON_ERROR)
        raise
    session.expire_all()
    return record


def reassign(session: Session, actor, from_user: User, to_user: User,
             company: Company | None = None, *, introduce: bool = True) -> Reassignment:
    """Move everything of `from_user` (or one company) to `to_user` now, all or nothing.

    `start` and `run` in the caller's thread, for the command line and the benchmark.

    :raise DomainError: if the actor may not reassign or the managers are not valid.
    """
    record = start(session, actor, from_user, to_user, company, introduce=introduce)
    return run(session, record.id)


def _hold_managers(session: Session, user_ids: list[int]) -> None:
    """Make a second start for the same managers wait for this one's commit.

    PostgreSQL: their rows, FOR NO KEY UPDATE (a running move's new tasks only take a
    key share of them). SQLite: touching the rows takes the database's write lock.
    """
    table = User.__table__
    if session.get_bind().dialect.name == "sqlite":
        # Not the key itself: "id = id" makes SQLite look for the users' rows in every
        # table that refers to them (3.6 s at 100,000 clients).
        session.execute(update(table).where(table.c.id.in_(user_ids))
                        .values(followup.unchanged(table)))
        return
    session.execute(select(table.c.id).where(table.c.id.in_(user_ids))
                    .order_by(table.c.id).with_for_update(key_share=True))


def _refuse_if_under_way(session: Session, user_ids: list[int]) -> None:
    busy = under_way(session, user_ids)
    if busy is not None:
        raise DomainError(_l("The move of %(name)s's clients that started at %(at)s is "
                             "still under way: wait until it ends.",
                             name=str(busy.from_user), at=busy.at.strftime("%H:%M")))


def under_way(session: Session, user_ids: list[int]) -> Reassignment | None:
    """Return a move from or to one of the managers that is still running, if any.

    A move left "running" by a process that stopped (a restart) is marked failed here.
    """
    records = session.scalars(select(Reassignment).where(
        Reassignment.state == MoveState.RUNNING.value,
        or_(Reassignment.from_user_id.in_(user_ids), Reassignment.to_user_id.in_(user_ids)),
    ).order_by(Reassignment.id)).all()
    for record in records:
        if _recent(record) or _still_running(session, record):
            return record
    return None


def settle(session: Session, record: Reassignment) -> Reassignment:
    """Tell a running move from one whose process stopped; mark the latter failed, commit.

    For the record's page, which shows a running move until it ends.
    """
    if record.state == MoveState.RUNNING.value:
        session.refresh(record)  # the move commits in another session
    if record.state != MoveState.RUNNING.value or _recent(record):
        return record
    _still_running(session, record)
    session.commit()
    session.refresh(record)
    return record


def _recent(record: Reassignment) -> bool:
    """Tell whether the move has just been started (its thread may not hold its row yet)."""
    # Not negative: a clock turned back (the end of summer time) makes no move look new.
    return timedelta(0) <= local_now() - record.at < START_GRACE


def _still_running(session: Session, record: Reassignment) -> bool:
    """Tell whether the move's own transaction is open; if it is not, mark it interrupted.

    Asked under the lock, so that a move ending meanwhile is never taken for a stopped
    one. PostgreSQL: the running move holds its row (SKIP LOCKED reads nothing). SQLite
    has no row locks: the mark itself takes the write lock, which a running move would
    hold, and is given up quickly (SETTLE_WAIT_MS) rather than waited for as saves do.
    """
    table = Reassignment.__table__
    mark = update(table).where(
        table.c.id == record.id, table.c.state == MoveState.RUNNING.value,
    ).values(state=MoveState.FAILED.value, error=INTERRUPTED, finished_at=local_now())
    if session.get_bind().dialect.name != "sqlite":
        row = session.execute(select(table.c.state).where(table.c.id == record.id)
                              .with_for_update(skip_locked=True)).first()
        if row is None:
            return True
        session.execute(mark)
        return False
    # Restored on this same connection before anything ends its transaction (which
    # gives the connection back to the pool).
    waits = int(session.scalar(text("PRAGMA busy_timeout")))
    session.execute(text(f"PRAGMA busy_timeout={SETTLE_WAIT_MS}"))
    try:
        session.execute(mark)
    except OperationalError as error:
        if not is_busy(error):
            raise
        session.execute(text(f"PRAGMA busy_timeout={waits}"))
        session.rollback()
        return True
    session.execute(text(f"PRAGMA busy_timeout={waits}"))
    return False


def _claim(session: Session, reassignment_id: int) -> Reassignment | None:
    """Take the move's row for the whole move (its lock says it runs); None if not running."""
    table = Reassignment.__table__
    if session.get_bind().dialect.name == "sqlite":
        session.execute(update(table).where(table.c.id == reassignment_id)
                        .values(state=table.c.state))
    record = session.scalars(
        select(Reassignment).where(Reassignment.id == reassignment_id)
        .with_for_update(of=table).execution_options(populate_existing=True)).first()
    if record is None or record.state != MoveState.RUNNING.value:
        return None
    return record


def _fail(session: Session, reassignment_id: int, reason: str) -> None:
    """Mark the move failed after its transaction rolled back (nothing of it was written).

    Its real reason also replaces "interrupted", which a page may have written in the
    moment between the rollback and this.
    """
    table = Reassignment.__table__
    session.execute(update(table).where(
        table.c.id == reassignment_id,
        or_(table.c.state == MoveState.RUNNING.value, table.c.error == INTERRUPTED),
    ).values(state=MoveState.FAILED.value, error=reason[:500], finished_at=local_now()))
    session.commit()
