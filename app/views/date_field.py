"""Date fields typed and shown the user's way (ДД.ММ.ГГГГ, MM/DD/YYYY), ISO accepted too.

FAB gives a date column a `DateField` parsing only 2026-11-26 and a picker script set up
for that pattern, in English: "09.12.1975" typed by a Russian user was mangled on leaving
the field and refused. `localise_date_fields` swaps that field in FAB's generated forms
for `LocalDateField`; crm/dates.js sets the picker up in the user's language.
"""

from datetime import date

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from wtforms import DateField, DateTimeField
from wtforms.widgets import html_params

from app import formatting
from app.models.mixins import local_now

# A picker for a birthday opens on years around this far back, not on this month.
BIRTHDAY_VIEW_YEARS_BACK = 35


def date_placeholder() -> str:
    """ДД.ММ.ГГГГ in Russian, MM/DD/YYYY in English: what the user types."""
    return str(_l("MM/DD/YYYY")) if formatting.date_language() == "en" else str(_l("DD.MM.YYYY"))


class LocalDateWidget:
    """A text input with the picker in the user's language; `past=True` for birthdays."""

    def __init__(self, past: bool = False) -> None:
        self.past = past

    def __call__(self, field, **kwargs) -> Markup:
        kwargs.setdefault("id", field.id)
        kwargs.setdefault("name", field.name)
        language = formatting.date_language()
        options = {
            "data-date-format": formatting.DATE_PICKER_FORMATS[language],
            "data-date-language": language,
        }
        if self.past:
            today = local_now().date()
            options["data-date-start-view"] = "years"
            options["data-date-end-date"] = formatting.date_text(today)
            options["data-date-view-year"] = str(today.year - BIRTHDAY_VIEW_YEARS_BACK)
        kwargs["class_"] = f"form-control {kwargs.pop('class_', '')}".strip()
        attributes = html_params(
            type="text", value=field._value(), placeholder=date_placeholder(),
            autocomplete="off", **options, **kwargs,
        )
        return Markup(
            '<div class="input-group crm-date">'
            '<span class="input-group-addon"><i class="fa fa-calendar"></i></span>'
            f"<input {attributes}></div>"
        )


class LocalDateField(DateField):
    """A date typed the user's way or as ISO; a wrong one is refused naming the field."""

    def __init__(self, label=None, validators=None, past: bool = False, **kwargs) -> None:
        kwargs.pop("format", None)
        kwargs["widget"] = LocalDateWidget(past=past)
        super().__init__(label, validators, **kwargs)

    def _value(self) -> str:
        if self.raw_data:
            return " ".join(self.raw_data)
        return formatting.date_text(self.data) if isinstance(self.data, date) else ""

    def process_formdata(self, valuelist) -> None:
        if not valuelist:
            return
        try:
            self.data = formatting.parse_date_text(" ".join(valuelist))
        except (ValueError, OverflowError):
            self.data = None
            message = _("%(field)s: enter a date as %(pattern)s.",
                        field=self.label.text, pattern=date_placeholder())
            raise ValueError(message) from None


def localise_date_fields(form_class, past_columns=(), with_datetimes: bool = False) -> None:
    """Give every plain date field of a FAB-generated form class the user's date format.

    `with_datetimes` (a list's search form) also makes date-time filters take a day:
    FAB's date-time filter field calls a picker script it does not load.
    """
    kinds = (DateField, DateTimeField) if with_datetimes else (DateField,)
    for name in dir(form_class):
        unbound = getattr(form_class, name, None)
        if getattr(unbound, "field_class", None) not in kinds:
            continue
        kwargs = {key: value for key, value in unbound.kwargs.items() if key != "widget"}
        setattr(
            form_class,
            name,
            LocalDateField(*unbound.args, past=name in past_columns, **kwargs),
        )


class LocalDateForms:
    """A model view mixin: the add, edit and search forms take dates typed the user's way."""

    # Date columns whose picker opens on years back (a birthday), not on this month.
    past_date_columns = ("birthday",)

    def _init_forms(self) -> None:
        """Build FAB's forms, then swap their date fields for ones typed the user's way."""
        super()._init_forms()
        for form_class in {self.add_form, self.edit_form}:
            localise_date_fields(form_class, self.past_date_columns)
        localise_date_fields(self.search_form, with_datetimes=True)
