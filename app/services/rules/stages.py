"""Rules about the pipeline stages that admins configure."""

from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, func, inspect, select
from sqlalchemy.orm import Session

from app.models import Deal, Stage
from app.services.errors import DomainError
from app.services.rules.followup import lock


def check_stage_deletable(session: Session, stage: Stage) -> None:
    """Refuse to delete a stage that deals are in (archived deals included).

    :raise DomainError: naming the stage.
    """
    if session.scalar(select(exists().where(Deal.stage_id == stage.id))):
        raise DomainError(
            _l("Deals are in the stage %(name)s: move them to another stage first.",
               name=stage.label)
        )


def check_stage_kind_change(session: Session, stage: Stage) -> None:
    """Refuse changing the kind of a stage that deals are in (archived deals included).

    A lost stage turned open would make its deals open without a planned task, an open
    one turned won would close deals without a close date. The stage is locked first,
    so that no deal moves into it between the count and the save.

    :raise DomainError: naming the stage and how many deals are in it (field kind).
    """
    if stage.id is None:
        return
    changed = inspect(stage).attrs.kind.history
    if not changed.has_changes() or changed.deleted == changed.added:
        return
    lock(session, [stage], exclusive=True)
    with session.no_autoflush:
        count = session.scalar(select(func.count()).select_from(Deal)
                               .where(Deal.stage_id == stage.id)) or 0
    if count:
        raise DomainError(
            _l("The stage «%(name)s» holds %(count)s deals: its kind cannot change while "
               "deals are in it. Move them to another stage first.",
               name=stage.label, count=count),
            "kind",
        )
