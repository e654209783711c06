"""Prepare a database: permissions, the Admin / Head / Manager roles, the default pipeline."""

from flask_appbuilder.security.manager import BaseSecurityManager
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Stage
from app.models.enums import StageKind

ROLE_NAMES = ("Admin", "Head", "Manager")

# (code, name, kind, probability); names are msgids, shown translated by Stage.label.
DEFAULT_STAGES = (
    ("cold", "Cold contact", StageKind.OPEN, 5),
    ("first_contact", "First contact", StageKind.OPEN, 10),
    ("needs", "Needs identified", StageKind.OPEN, 25),
    ("proposal", "Proposal", StageKind.OPEN, 50),
    ("negotiation", "Negotiation & signing", StageKind.OPEN, 75),
    ("won", "Won", StageKind.WON, 100),
    ("lost", "Lost", StageKind.LOST, 0),
)

# Listed so that extraction finds the seeded names and the catalogues translate them.
_SEEDED_LABELS = (
    _l("Cold contact"),
    _l("First contact"),
    _l("Needs identified"),
    _l("Proposal"),
    _l("Negotiation & signing"),
    _l("Won"),
    _l("Lost"),
)


def ensure_roles(appbuilder) -> None:
    """Create the roles and the permission rows of every view, once (safe to repeat)."""
    appbuilder.add_permissions(update_perms=True)
    BaseSecurityManager.create_db(appbuilder.sm)


def ensure_default_stages(session: Session) -> int:
    """Add the default pipeline stages that are missing; return how many were added."""
    existing = set(session.scalars(select(Stage.code).where(Stage.code.is_not(None))))
    taken_names = set(session.scalars(select(Stage.name)))
    added = 0
    for position, (code, name, kind, probability) in enumerate(DEFAULT_STAGES, start=1):
        if code in existing or name in taken_names:
            continue
        session.add(
            Stage(code=code, name=name, kind=kind.value, probability=probability,
                  position=position * 10)
        )
        added += 1
    session.commit()
    return added


def prepare_database(appbuilder, session: Session) -> None:
    """Create roles, permissions and default stages (idempotent)."""
    ensure_roles(appbuilder)
    ensure_default_stages(session)


def analyze_tables(session: Session) -> None:
    """Let the planner see rows written in bulk, inside the writer's transaction."""
    from sqlalchemy import text

    session.execute(text("ANALYZE"))


def refresh_statistics(session: Session) -> None:
    """Let the database re-read its table statistics (after bulk loads), so it picks indexes.

    PostgreSQL also gets its visibility map rebuilt (VACUUM), as autovacuum would do in
    time: until then it cannot answer counts from an index alone.
    """
    from sqlalchemy import text

    session.commit()
    bind = session.get_bind()
    if bind.dialect.name == "postgresql":
        with bind.connect() as connection:
            connection.execution_options(isolation_level="AUTOCOMMIT").execute(
                text("VACUUM ANALYZE"))
        return
    session.execute(text("ANALYZE"))
    session.commit()
