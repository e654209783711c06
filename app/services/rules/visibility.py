"""Who sees what: a Manager sees own records; Head and Admin see everything."""

from sqlalchemy import false, literal_column
from sqlalchemy.orm import Query

FULL_VIEW_ROLES = frozenset({"Admin", "Head"})


class SystemActor:
    """The CRM itself, acting where no user does: the public website form, the webhooks.

    Its writes carry no author (created_by, changed_by and the history's actor are empty,
    which the screens read as "the system"); it sees every record and may set any owner,
    because it assigns each lead to its manager.
    """

    id = None
    is_authenticated = True
    is_system = True
    roles = ()

    def __str__(self) -> str:
        return "system"


SYSTEM = SystemActor()


def role_names(user) -> set[str]:
    """Return the names of the user's roles (empty for nobody)."""
    if user is None or not getattr(user, "is_authenticated", True):
        return set()
    return {role.name for role in getattr(user, "roles", [])}


def sees_everything(user) -> bool:
    """Tell whether the user may see and change every manager's records."""
    if getattr(user, "is_system", False):
        return True
    return bool(role_names(user) & FULL_VIEW_ROLES)


def can_assign_owner(user) -> bool:
    """Tell whether the user may choose or change the owner of a record."""
    return sees_everything(user)


def scope_query(query: Query, model, user, include_archived: bool = False) -> Query:
    """Restrict a query on `model` to the rows `user` may see."""
    if hasattr(model, "archived") and not include_archived:
        # Written "= false" on both databases: indexable, and the very term SQLite needs
        # to use the partial indexes of planned tasks (app/models/task.py).
        query = query.filter(model.archived == literal_column("false"))
    if hasattr(model, "owner_id") and not sees_everything(user):
        user_id = getattr(user, "id", None)
        query = query.filter(model.owner_id == user_id) if user_id else query.filter(false())
    return query


def can_see(record, user) -> bool:
    """Tell whether `user` may see this record."""
    if record is None or getattr(record, "archived", False):
        return False
    if not hasattr(record, "owner_id") or sees_everything(user):
        return True
    return record.owner_id == getattr(user, "id", None)
