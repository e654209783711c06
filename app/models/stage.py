"""A step of the sales pipeline; admins configure the list."""

from flask_appbuilder import Model
from flask_babel import gettext
from sqlalchemy import CheckConstraint, Integer, String
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column

from app.models.enums import StageKind, check_in


class Stage(Model):
    __tablename__ = "stage"
    __table_args__ = (
        CheckConstraint(check_in("kind", StageKind), name="ck_stage_kind"),
        CheckConstraint("probability BETWEEN 0 AND 100", name="ck_stage_probability"),
        CheckConstraint(
            "max_days_between_touches IS NULL OR max_days_between_touches BETWEEN 1 AND 365",
            name="ck_stage_cadence",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str | None] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100), nullable=False, unique=True)
    position: Mapped[int] = mapped_column(Integer, nullable=False, default=0, index=True)
    kind: Mapped[str] = mapped_column(String(8), nullable=False, default=StageKind.OPEN.value,
                                      info={"choices": StageKind})
    probability: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    # The cadence: a deal in this stage is touched at least every N days (empty: no limit).
    max_days_between_touches: Mapped[int | None] = mapped_column(Integer)

    @hybrid_property
    def is_open(self) -> bool:
        """Whether deals in this stage are open (in SQL too: `where(Stage.is_open)`)."""
        return self.kind == StageKind.OPEN.value

    @property
    def label(self) -> str:
        """The stage name in the user's language (seeded names have translations)."""
        return gettext(self.name) if self.name else ""

    def __str__(self) -> str:
        return self.label
