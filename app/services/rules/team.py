"""The sales team as the admin screens see it: who may own clients, how many each owns."""

from collections.abc import Iterable

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, false, func, select
from sqlalchemy.orm import Session

from app.models import Company, Contact, User
from app.services.errors import DomainError, ValidationError
from app.services.rules.visibility import can_assign_owner

# Roles whose holders own clients; a pure administrator keeps the system, not clients.
OWNER_ROLES = ("Manager", "Head")


def owns_clients():
    """Return the condition on users holding a role whose holders own clients."""
    from flask_appbuilder.security.sqla.models import Role

    return User.roles.any(Role.name.in_(OWNER_ROLES))


def active_client_owner_ids() -> Select:
    """Return the query of the ids of active users who may own clients (owner choices)."""
    return select(User.id).where(owns_clients(), User.active.is_(True))


def client_owners(session: Session, active_only: bool = False) -> list[User]:
    """Return the users holding an owner role: inactive ones first, then by name."""
    query = select(User).where(owns_clients())
    if active_only:
        query = query.where(User.active.is_(True))
    query = query.order_by(User.active, User.last_name, User.first_name, User.id)
    return list(session.scalars(query))


def can_own_clients(user) -> bool:
    """Tell whether the user holds a role whose holders own clients."""
    return any(role.name in OWNER_ROLES for role in getattr(user, "roles", ()) or ())


def check_reassignment_choice(actor, from_user: User | None, to_user: User | None,
                              company=None) -> None:
    """Refuse a reassignment choice (all clients, or one company's) before anything moves.

    :raise DomainError: if the actor may not reassign.
    :raise ValidationError: naming the field, when a manager is missing, both are the
        same person, either cannot own clients or the one taking over is inactive.
    """
    if not can_assign_owner(actor):
        raise DomainError(_l("Only the head of sales can reassign clients."))
    if from_user is None:
        raise ValidationError(_l("Choose the manager who leaves."), "from_user")
    if to_user is None:
        raise ValidationError(_l("Choose the manager who takes over."), "to_user")
    if from_user.id == to_user.id:
        raise ValidationError(
            _l("The manager who leaves and the one who takes over must be different people."),
            "to_user",
        )
    if company is None and not can_own_clients(from_user):
        raise ValidationError(_l("%(name)s owns no clients: choose a manager.",
                                 name=str(from_user)), "from_user")
    if not can_own_clients(to_user):
        raise ValidationError(_l("%(name)s cannot own clients: choose a manager.",
                                 name=str(to_user)), "to_user")
    if not to_user.active:
        raise ValidationError(_l("The manager who takes over must be active."), "to_user")


def clients_owned(session: Session, user_ids: Iterable[int]) -> dict[int, int]:
    """Return {user id: companies and private clients owned, archived ones aside}.

    Two grouped queries for any number of users: a list page never asks per row.
    """
    ids = list(user_ids)
    counts = dict.fromkeys(ids, 0)
    if not ids:
        return counts
    queries = (
        select(Company.owner_id, func.count())
        .where(Company.owner_id.in_(ids), Company.archived == false())
        .group_by(Company.owner_id),
        select(Contact.owner_id, func.count())
        .where(Contact.owner_id.in_(ids), Contact.archived == false(),
               Contact.company_id.is_(None))
        .group_by(Contact.owner_id),
    )
    for query in queries:
        for owner_id, count in session.execute(query):
            counts[owner_id] += count
    return counts
