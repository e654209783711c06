"""Rules about users who leave: they are deactivated and reassigned, never deleted."""

from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import Company, Contact, Deal, Task, UserProfile
from app.services.errors import DomainError
from app.services.rules.visibility import role_names


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


def takes_leads(session: Session, user_ids: list[int]) -> dict[int, bool]:
    """Return {user id: takes new leads} for the users (on unless switched off)."""
    rows = session.execute(select(UserProfile.user_id, UserProfile.takes_leads)
                           .where(UserProfile.user_id.in_(user_ids)))
    found = dict(rows.all())
    return {user_id: found.get(user_id, True) is not False for user_id in user_ids}


def set_takes_leads(session: Session, actor, user_ids: list[int], value: bool) -> None:
    """Switch whether the users get new leads of the inbox in turn; commit.

    :raise DomainError: if the actor is not an admin.
    """
    if "Admin" not in role_names(actor):
        raise DomainError(_l("Only an administrator may change this."))
    for user_id in user_ids:
        profile = session.get(UserProfile, user_id) or UserProfile(user_id=user_id)
        profile.takes_leads = value
        session.add(profile)
    session.commit()
