"""Edit forms that carry the version they were filled from: a stale save is refused.

Two people editing the same record: the second save is told what the first changed,
field by field, and keeps what was typed, now based on the stored version.
"""

from sqlalchemy.orm.exc import StaleDataError
from wtforms import HiddenField

from app.services.errors import DomainError
from app.services.queries.timeline import StaleRecord, stale_record


class VersionedForms:
    """A model view mixin: the edit form's hidden version, checked on save.

    The view provides `_apply_edit(form, item)` (the save itself), `_refuse(form, error)`
    and `_save_failed(error)` (what the user is told).
    """

    # The version of the record the edit form was filled from, checked on save.
    version_field = "version_seen"

    def _init_forms(self) -> None:
        """Build FAB's forms, the edit form with a hidden field for the record's version."""
        super()._init_forms()
        if not hasattr(self.edit_form, self.version_field):
            self.edit_form = type(
                self.edit_form.__name__, (self.edit_form,), {self.version_field: HiddenField()}
            )

    def _seen_version(self, form) -> int | None:
        """Return the record's version the form was filled from (None if not sent)."""
        field = getattr(form, self.version_field, None)
        try:
            return int(field.data) if field is not None and field.data else None
        except (TypeError, ValueError):
            return None

    def check_version(self, item, seen: int | None) -> None:
        """Refuse a save based on an older version of the record.

        :raise StaleRecord: naming each field changed meanwhile with its value now.
        """
        if seen is not None and seen != item.version:
            raise stale_record(self.datamodel.session, item, seen, self.label_columns)

    def _refuse_stale(self, form, error: StaleRecord, item) -> None:
        """Say what changed; the form keeps what was typed, now based on the stored version."""
        self._refuse(form, error)
        field = getattr(form, self.version_field, None)
        if field is not None:
            field.data = item.version

    def _save_edit(self, form, item) -> bool:
        """Apply the form to the record and save it; on refusal roll back and say why.

        A save based on an older version of the record (someone saved it meanwhile) is
        refused with what they changed, whether seen before saving or at the flush.
        """
        seen = self._seen_version(form)
        try:
            self.check_version(item, seen)
            self._apply_edit(form, item)
        except StaleRecord as error:
            self._refuse_stale(form, error, item)
            return False
        except DomainError as error:
            self._refuse(form, error)
            return False
        except Exception as error:  # noqa: BLE001  (logged, user sees a clean message)
            if isinstance(getattr(error, "__cause__", None), StaleDataError) or isinstance(
                error, StaleDataError
            ):
                self.datamodel.session.rollback()
                stale = stale_record(
                    self.datamodel.session, item, seen or item.version - 1, self.label_columns
                )
                self._refuse_stale(form, stale, item)
                return False
            self._save_failed(error)
            return False
        return True
