"""The company and contact forms: a duplicate is shown with its owner and "save anyway"."""

from flask import flash, g, request

from app.services.rules import duplicates, saving
from app.services.rules.followup import NextTask


class DuplicateAwareForm:
    """Save through the one door saying whether the user chose "save anyway".

    A refusal for a duplicate lists the matches above the form (crm/duplicates_panel.html)
    with a button re-posting the form with `allow_duplicate=1`; similar names found on a
    save that went through are said after it.
    """

    add_template = "crm/add_client.html"
    edit_template = "crm/edit_client.html"

    @staticmethod
    def allow_duplicate() -> bool:
        """Tell whether the form was posted with "save anyway"."""
        return request.form.get("allow_duplicate") == "1"

    def pre_add(self, item, next_task: NextTask | None = None) -> None:
        """Check and stamp a new record, refusing a duplicate unless saved anyway.

        :raise DomainError: when a rule refuses it (DuplicateFound with the matches).
        """
        saving.save_record(self.datamodel.session, g.user, item, is_new=True,
                           next_task=next_task, allow_duplicate=self.allow_duplicate())

    def pre_update(self, item, next_task: NextTask | None = None) -> None:
        """Check and stamp a changed record, refusing a duplicate unless saved anyway.

        :raise DomainError: when a rule refuses it (DuplicateFound with the matches).
        """
        saving.save_record(self.datamodel.session, g.user, item, is_new=False,
                           next_task=next_task, allow_duplicate=self.allow_duplicate())

    def _refuse(self, form, error) -> None:
        if isinstance(error, duplicates.DuplicateFound):
            g.crm_duplicates = error.matches
        duplicates.warnings(self.datamodel.session)
        super()._refuse(form, error)

    def post_add(self, item) -> None:
        """Say which clients with a similar name exist."""
        self._warn_similar()
        super().post_add(item)

    def post_update(self, item) -> None:
        """Say which clients with a similar name exist."""
        self._warn_similar()
        super().post_update(item)

    def _warn_similar(self) -> None:
        similar = duplicates.warnings(self.datamodel.session)
        if similar:
            flash(duplicates.warning_text(similar), "warning")
