"""Move a leaving manager's clients, or one company, to another manager in one transaction."""

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import Integer, and_, func, insert, literal, or_, select, update
from sqlalchemy.orm import Session

from app.models import Company, Contact, Deal, HistoryEntry, Reassignment, Stage, Task, User
from app.models.enums import TaskState
from app.models.mixins import local_now
from app.services.errors import DomainError, ValidationError
from app.services.rules import handover, summaries
from app.services.rules.visibility import can_assign_owner

KINDS = ("companies", "private_clients", "contacts", "deals", "tasks")


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


def reassign(session: Session, actor, from_user: User, to_user: User,
             company: Company | None = None, *, introduce: bool = True) -> Reassignment:
    """Move everything of `from_user` (or one company) to `to_user`, all or nothing.

    A client takes along its deals and tasks, closed and done ones included; a done
    task keeps its author (who created it, and in the history who completed it). Every
    moved record gets a history entry, and the move itself is kept as a Reassignment.
    Each client moved gets a handover brief in its feed and, with `introduce`, an
    "introduce yourself" task for the new owner (app/services/rules/handover.py).

    :raise DomainError: if the actor may not reassign or the managers are not valid.
    """
    if company is not None:
        from_user = company.owner
    _check(session, actor, from_user, to_user)
    moves = moves_for_company(company.id) if company else moves_for_manager(from_user.id)
    try:
        record = Reassignment(actor_id=actor.id, from_user_id=from_user.id,
                              to_user_id=to_user.id, company_id=company.id if company else None)
        session.add(record)
        session.flush()
        # Dependents first: their conditions name the clients still owned by from_user.
        for move in reversed(moves):
            moved = _move(session, move, actor.id, to_user.id, record.id)
            setattr(record, move.kind, getattr(record, move.kind) + moved)
        handover.write_briefs(session, actor, record, introduce=introduce)
        session.commit()
    except Exception:
        session.rollback()
        raise
    session.expire_all()
    return record


