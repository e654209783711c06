"""Pipeline stages, configured by admins."""

from flask import redirect, url_for
from flask_appbuilder import ModelView
from flask_appbuilder.fieldwidgets import Select2Widget
from flask_babel import lazy_gettext as _l
from wtforms import SelectField
from wtforms.validators import DataRequired, NumberRange, Optional

from app.data.search_filters import LocalFilterInterface
from app.labels import LABELS
from app.models import Stage
from app.models.enums import StageKind, choices
from app.services.errors import DomainError
from app.services.rules.stages import check_stage_deletable, check_stage_kind_change
from app.views.choice_filters import ChoiceFilters
from app.views.formatters import COMMON


def _kind_field() -> SelectField:
    return SelectField(
        _l("Kind"), choices=choices(StageKind), validators=[DataRequired()],
        widget=Select2Widget(),
    )


class StageView(ChoiceFilters, ModelView):
    datamodel = LocalFilterInterface(Stage)
    list_title = _l("Pipeline stages")
    show_title = _l("Stage")
    add_title = _l("New stage")
    edit_title = _l("Edit stage")
    label_columns = {**LABELS, "position": _l("Order"),
                     "max_days_between_touches": _l("Touch at least every, days")}
    formatters_columns = COMMON
    list_columns = ["position", "label", "kind", "probability", "max_days_between_touches"]
    show_columns = ["position", "label", "kind", "probability", "max_days_between_touches"]
    add_columns = ["name", "position", "kind", "probability", "max_days_between_touches"]
    edit_columns = add_columns
    order_columns = ["position"]
    search_columns = ["name", "kind"]
    add_form_extra_fields = {"kind": _kind_field()}
    edit_form_extra_fields = {"kind": _kind_field()}
    validators_columns = {
        "probability": [NumberRange(min=0, max=100)],
        # Empty: no limit. Otherwise the cadence of open deals (app/services/queries/cadence.py).
        "max_days_between_touches": [Optional(), NumberRange(
            min=1, max=365, message=_l("Touch at least every, days: a number from 1 to 365, "
                                       "or empty for no limit."))],
    }
    description_columns = {
        "max_days_between_touches": _l("An open deal in this stage not touched for longer, or "
                                       "with its next task further away, is off cadence. "
                                       "Empty: no limit."),
    }
    base_order = ("position", "asc")

    def pre_update(self, item) -> None:
        """Refuse changing the kind of a stage that deals are in; FAB shows the message.

        :raise DomainError: naming the stage and the number of its deals.
        """
        try:
            check_stage_kind_change(self.datamodel.session, item)
        except DomainError:
            self.datamodel.session.rollback()
            raise

    def pre_delete(self, item) -> None:
        """Refuse deleting a stage that deals are in.

        :raise DomainError: naming the stage.
        """
        check_stage_deletable(self.datamodel.session, item)

    def post_delete_redirect(self):
        """Back to the stages, whether the stage was deleted or the deletion refused."""
        return redirect(url_for("StageView.list"))
