"""List filters on a closed set of values: a select of labels in the user's language.

A client's status or a task's type is stored as a code ("active"); typing the label
"Активный" in a text filter found nothing. The search form offers the translated labels
in a select instead; the URL keeps the code, as the API does.
"""

from flask import current_app, g
from flask_appbuilder.fieldwidgets import Select2Widget
from flask_appbuilder.widgets import SearchWidget
from flask_babel import get_locale
from wtforms import SelectField
from wtforms.validators import Optional

from app.data.search_filters import CHOICE_OPERATORS_SHOWN
from app.models.enums import choices
from app.views.render_cache import kept_parts


class _OfferedFilters:
    """FAB's filters of a list as its search form offers them: choices by equality only."""

    def __init__(self, filters) -> None:
        self._filters = filters

    def __getattr__(self, name):
        return getattr(self._filters, name)

    def get_search_filters(self) -> dict:
        datamodel = self._filters.datamodel
        is_choice = getattr(datamodel, "is_choice", lambda _column: False)
        # A prefix of the list: an operator's position is its number in the URL.
        return {column: filters[:CHOICE_OPERATORS_SHOWN] if is_choice(column) else filters
                for column, filters in self._filters.get_search_filters().items()}


class ChoiceSearchWidget(SearchWidget):
    """FAB's search widget offering "equal to" and "not equal to" for a select of labels.

    Its form's fields (labels, inputs, the operators offered) are the same on every
    request of one user in one language: they are rendered once and kept a while
    (render_cache.py); only the filters in force are read from each request.
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.filters = _OfferedFilters(self.filters)

    def __call__(self, **kwargs):
        user = getattr(g, "user", None)
        key = ("search form", self.template_args["route_base"], getattr(user, "id", None),
               str(get_locale()))
        fields = kept_parts().get(key, self._fields)
        args = {**self.template_args, **kwargs, **fields,
                "active_filters": self.filters.get_filters_values_tojson()}
        return current_app.jinja_env.get_template(self.template).render(args)

    def _fields(self) -> dict:
        """Render the form's labels and inputs and name the operators of each column."""
        form = self.template_args["form"]
        offered = self.filters.get_search_filters()
        columns = self.template_args["include_cols"]
        return {
            "label_columns": {col: str(form[col].label.text) for col in columns},
            "form_fields": {col: str(form[col]()) for col in columns},
            "search_filters": {col: [str(flt.name) for flt in offered[col]] for col in columns},
        }


def choice_field(label, enum_class) -> SelectField:
    """A select of an enum's translated labels, sending its codes."""
    return SelectField(label, choices=choices(enum_class), validators=[Optional()],
                       widget=Select2Widget())


class ChoiceFilters:
    """A model view mixin: columns of a closed set are searched through a select of labels."""

    search_widget = ChoiceSearchWidget

    def _init_forms(self) -> None:
        """Build FAB's forms, the search form with a select for each choice column."""
        choice_of = getattr(self.datamodel, "choices_of", lambda _column: None)
        selects = {
            column: choice_field(self.label_columns.get(column, column), choice_of(column))
            for column in self.search_columns if choice_of(column) is not None
        }
        self.search_form_extra_fields = {**selects, **(self.search_form_extra_fields or {})}
        super()._init_forms()
