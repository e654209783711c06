"""Pipeline stages: read only through the API (admins configure them on the screen)."""

from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _l
from marshmallow import fields

from app.api.base import CrmModelApi
from app.models import Stage

COLUMNS = ["id", "code", "name", "label", "position", "kind", "probability"]


class StageApi(CrmModelApi):
    resource_name = "stage"
    list_title = _l("Pipeline stages")
    show_title = _l("Stage")
    add_title = _l("New stage")
    edit_title = _l("Edit stage")
    datamodel = SQLAInterface(Stage)
    include_route_methods = {"get", "get_list"}
    computed_columns = {
        "label": fields.Function(lambda stage: stage.label, dump_only=True,
                                 metadata={"description": "The name in the user's language."}),
    }
    list_columns = COLUMNS
    show_columns = COLUMNS
    list_select_columns = ["id", "code", "name", "position", "kind", "probability"]
    show_select_columns = list_select_columns
    add_columns = ["name", "position", "kind", "probability"]
    edit_columns = add_columns
    search_columns = ["name", "kind"]
    order_columns = ["position", "name"]
    base_order = ("position", "asc")
