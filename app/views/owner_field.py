"""The owner field of a form: only for those who may assign owners, prefilled sensibly.

A manager's new records are their own: the field is taken away from them (and from the
widget, which would otherwise show an empty row). For the head and the admin a record
added from a company's page starts with the company's owner.
"""

from flask import g
from flask_appbuilder.models.sqla.filters import FilterInFunction

from app.services.rules import team
from app.services.rules.visibility import can_assign_owner

# Owner dropdowns (forms and search forms) offer only users who may own records.
ACTIVE_OWNERS = {"owner": [["id", FilterInFunction, team.active_client_owner_ids]]}


class OwnerFieldByRole:
    """A model view mixin: the owner field for heads and admins only, active owners listed."""

    search_form_query_rel_fields = ACTIVE_OWNERS

    def _hide_owner(self, form, exclude_cols: list) -> list:
        """Take the owner field away from users who may not assign owners."""
        if "owner" in form and not can_assign_owner(g.user):
            del form["owner"]
            return [*exclude_cols, "owner"]
        return exclude_cols

    def _parent_owner(self, exclude_cols: list):
        """Return the owner of the record this one is added from (a company's page)."""
        for column in exclude_cols:
            parent = self.datamodel.get_related_obj(column, self._filters.get_filter_value(column))
            if parent is not None and hasattr(parent, "owner"):
                return parent.owner
        return None

    def _get_add_widget(self, form, exclude_cols=None, widgets=None):
        widgets = widgets or {}
        widgets["add"] = self.add_widget(
            form=form,
            include_cols=[c for c in self.add_columns if c in form],
            exclude_cols=exclude_cols or [],
            fieldsets=self.add_fieldsets,
        )
        return widgets

    def _get_edit_widget(self, form, exclude_cols=None, widgets=None):
        widgets = widgets or {}
        widgets["edit"] = self.edit_widget(
            form=form,
            include_cols=[c for c in self.edit_columns if c in form],
            exclude_cols=exclude_cols or [],
            fieldsets=self.edit_fieldsets,
        )
        return widgets
