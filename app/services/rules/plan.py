"""Set the sales plan: per manager and month, a won amount (RUB) and done touches.

The head sends the whole grid at once; every cell is checked first and nothing is
written unless all are right, so a typo never leaves half a plan behind.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from flask_babel import format_date
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from app.formatting import person_name
from app.models import SalesPlan, User
from app.models.mixins import local_now
from app.services.errors import DomainError, ValidationError
from app.services.rules import validation as v
from app.services.rules.team import active_client_owner_ids
from app.services.rules.visibility import can_assign_owner

MAX_TOUCHES = 100_000


@dataclass(frozen=True)
class PlanCell:
    """One cell of the grid as typed: manager, month, amount and touches (text)."""

    manager_id: int
    month: date
    amount: str | None = None
    touches: str | None = None


def amount_field(manager_id: int, month: date) -> str:
    """Return the form name of a cell's amount: amount_<manager>_<YYYY-MM>."""
    return f"amount_{manager_id}_{month.year:04d}-{month.month:02d}"


def touches_field(manager_id: int, month: date) -> str:
    """Return the form name of a cell's touches: touches_<manager>_<YYYY-MM>."""
    return f"touches_{manager_id}_{month.year:04d}-{month.month:02d}"


def _cell_name(names: dict[int, str], cell: PlanCell) -> str:
    return str(_l("%(manager)s, %(month)s", manager=names.get(cell.manager_id, "?"),
                  month=format_date(cell.month, "LLLL yyyy")))


def _touches(text: str | None, field: str, where: str) -> int | None:
    if text is None or not str(text).strip():
        return None
    digits = "".join(str(text).split())
    if not digits.isdigit() or int(digits) > MAX_TOUCHES:
        raise ValidationError(_l("%(cell)s: touches must be a whole number from 0 to "
                                 "%(max)s.", cell=where, max=MAX_TOUCHES), field)
    return int(digits)


def _amount(text: str | None, field: str, where: str) -> Decimal | None:
    try:
        return v.clean_amount(text, field)
    except ValidationError as error:
        raise ValidationError(_l("%(cell)s: %(message)s", cell=where, message=error.message),
                              field) from error


def check_cells(session: Session, cells: list[PlanCell]) -> list[tuple[PlanCell, Decimal | None,
                                                                         int | None]]:
    """Return every cell with its amount and touches, checked.

    :raise ValidationError: naming the first cell at fault (its form field and its manager
        and month in the message), or a manager who may not have a plan.
    """
    owners = set(session.scalars(active_client_owner_ids()))
    users = {user.id: person_name(user) for user in session.scalars(
        select(User).where(User.id.in_({cell.manager_id for cell in cells})))}
    checked = []
    for cell in cells:
        where = _cell_name(users, cell)
        if cell.manager_id not in owners:
            raise ValidationError(_l("%(cell)s: this user has no clients to plan for.",
                                     cell=where), amount_field(cell.manager_id, cell.month))
        amount = _amount(cell.amount, amount_field(cell.manager_id, cell.month), where)
        touches = _touches(cell.touches, touches_field(cell.manager_id, cell.month), where)
        checked.append((cell, amount, touches))
    return checked


def set_plan(session: Session, actor, cells: list[PlanCell]) -> int:
    """Write the plan of every cell in one transaction; return how many cells changed.

    An empty cell removes that part of the plan. Two statements to read what is there,
    then the changed rows only.

    :raise DomainError: if the actor may not set the plan.
    :raise ValidationError: naming the first cell at fault; nothing is written then.
    """
    if not can_assign_owner(actor):
        raise DomainError(_l("Only the head of sales sets the sales plan."))
    try:
        checked = check_cells(session, cells)
        keys = [(cell.manager_id, cell.month) for cell, _amount, _touches in checked]
        existing = {}
        if keys:
            existing = {(row.manager_id, row.month): row for row in session.scalars(
                select(SalesPlan).where(tuple_(SalesPlan.manager_id, SalesPlan.month)
                                        .in_(keys)))}
        changed = 0
        now = local_now()
        for cell, amount, touches in checked:
            row = existing.get((cell.manager_id, cell.month))
            if row is None:
                if amount is None and touches is None:
                    continue
                row = SalesPlan(manager_id=cell.manager_id, month=cell.month)
                session.add(row)
            elif row.amount == amount and row.touches == touches:
                continue
            row.amount, row.touches, row.set_by_id, row.set_at = amount, touches, actor.id, now
            changed += 1
        session.commit()
    except Exception:
        session.rollback()
        raise
    return changed
