"""Rules about users who leave: they are deactivated and reassigned, never deleted."""

from flask_babel import ngettext
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import Company, Contact, Deal, Task
from app.services.errors import DomainError


def owned_records(session: Session, user) -> int:
    """Return how many companies, contacts, deals and tasks the user owns."""
    return sum(
        session.scalar(select(func.count()).select_from(model).where(model.owner_id == user.id))
        or 0
        for model in (Company, Contact, Deal, Task)
    )


def check_user_deletable(session: Session, user) -> None:
    """Refuse to delete a user who still owns records.

    :raise DomainError: pointing to reassignment and deactivation instead.
    """
    count = owned_records(session, user)
    if count:
        raise DomainError(
            ngettext(
                "%(name)s still owns %(num)d record. Move it with Team > Reassign clients "
                "and deactivate the user instead of deleting.",
                "%(name)s still owns %(num)d records. Move them with Team > Reassign "
                "clients and deactivate the user instead of deleting.",
                count, name=str(user),
            )
        )
