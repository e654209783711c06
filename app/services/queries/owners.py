"""The owners of the records a page lists, read in one statement instead of joined to each."""

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from app.models import User


def attach_owners(session: Session, records, known=()) -> None:
    """Give each record its owner: a `known` user's, or read in one statement.

    For records a read-only page loaded without their owner (`lazyload(Model.owner)`): a
    joined owner is a user's whole row on every row, and a manager's own records name only
    the manager, whom the caller knows already (`known`: the acting user, maybe a request's
    proxy of it, taken from the session). Set as loaded, not as a change (a pending change
    of owner would be lost): the session holds what it loaded weakly, so a user only read
    here would be gone before the page asks for it.
    """
    records = list(records)
    owners: dict[int, User] = {}
    for actor in known:
        actor_id = getattr(actor, "id", None)
        if actor_id is not None:
            # The session's own user, found there without a statement: not a proxy.
            user = session.get(User, actor_id)
            if user is not None:
                owners[actor_id] = user
    missing = {record.owner_id for record in records} - owners.keys() - {None}
    if missing:
        owners.update((user.id, user) for user in session.scalars(
            select(User).where(User.id.in_(missing))).unique())
    for record in records:
        set_committed_value(record, "owner", owners.get(record.owner_id))
