"""Columns every business record carries: owner, audit trail, archive mark and version."""

import os
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Boolean, DateTime, ForeignKey, Integer
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship


def local_now() -> datetime:
    """Return the current time in the team's time zone, without tzinfo.

    Every time in the CRM (due dates typed by people, audit stamps) is stored naive in
    the team's zone (CRM_TIMEZONE), so what is typed is what is shown.
    """
    zone = ZoneInfo(os.environ.get("CRM_TIMEZONE", "Europe/Moscow"))
    return datetime.now(zone).replace(tzinfo=None)


class OwnedMixin:
    """One concrete manager is responsible for the record; a user who owns records stays."""

    @declared_attr
    def owner_id(cls) -> Mapped[int]:
        return mapped_column(
            Integer, ForeignKey("ab_user.id", ondelete="RESTRICT"), nullable=False
        )

    @declared_attr
    def owner(cls):
        return relationship("User", foreign_keys=[cls.owner_id], lazy="joined")


class AuditMixin:
    """When and by whom the record was created and last changed."""

    created_at: Mapped[datetime] = mapped_column(DateTime, default=local_now, nullable=False)
    changed_at: Mapped[datetime] = mapped_column(
        DateTime, default=local_now, onupdate=local_now, nullable=False
    )

    @declared_attr
    def created_by_id(cls) -> Mapped[int | None]:
        return mapped_column(Integer, ForeignKey("ab_user.id", ondelete="RESTRICT"))

    @declared_attr
    def changed_by_id(cls) -> Mapped[int | None]:
        return mapped_column(Integer, ForeignKey("ab_user.id", ondelete="RESTRICT"))

    @declared_attr
    def created_by(cls):
        return relationship("User", foreign_keys=[cls.created_by_id], lazy="select")

    @declared_attr
    def changed_by(cls):
        return relationship("User", foreign_keys=[cls.changed_by_id], lazy="select")


class ArchiveMixin:
    """Deleting archives; archived records leave every list but stay restorable."""

    archived: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    archived_at: Mapped[datetime | None] = mapped_column(DateTime)


class VersionMixin:
    """A counter bumped on every update, so a stale save is refused instead of lost."""

    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    @declared_attr.directive
    def __mapper_args__(cls):
        return {"version_id_col": cls.__table__.c.version}


class RecordMixin(OwnedMixin, AuditMixin, ArchiveMixin, VersionMixin):
    """Everything a company, contact, deal or task has in common."""
