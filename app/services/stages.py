"""Rules about the pipeline stages that admins configure."""

from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from app.models import Deal, Stage
from app.services.errors import DomainError


def check_stage_deletable(session: Session, stage: Stage) -> None:
    """Refuse to delete a stage that deals are in (archived deals included).

    :raise DomainError: naming the stage.
    """
    if session.scalar(select(exists().where(Deal.stage_id == stage.id))):
        raise DomainError(
            _l("Deals are in the stage %(name)s: move them to another stage first.",
               name=stage.label)
        )
