"""A form field for a company, contact or deal, searched on the server as the user types.

The page holds only the chosen record; select2 (from FAB's static files) asks
/lookup/<kind> for matches. A posted id the user may not see is refused on the field.
"""

from flask import g, url_for
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from wtforms import Field
from wtforms.validators import StopValidation
from wtforms.widgets import html_params

from app.extensions import db
from app.labels import LABELS
from app.services.queries import lookup

# What a posted id the user may not see is answered with, per kind (named after the field).
REFUSALS = {
    "company": _l("Company: no such company."),
    "contact": _l("Contact: no such contact."),
    "deal": _l("Deal: no such deal."),
}


def select2_texts() -> dict[str, str]:
    """Return select2's own messages in the user's language, as data attributes."""
    return {
        "data-placeholder": str(_l("Type to search")),
        "data-searching": str(_l("Searching…")),
        "data-no-results": str(_l("No results found")),
        "data-error-loading": str(_l("The results could not be loaded.")),
        "data-remove-all": str(_l("Clear")),
    }


class LookupWidget:
    """Render a <select> holding the chosen record only, set up by crm/lookup.js."""

    def __call__(self, field, **kwargs) -> Markup:
        kwargs.pop("class_", None)
        attributes = {
            "id": kwargs.pop("id", field.id),
            "name": field.name,
            "class": "form-control crm-lookup",
            "data-lookup-url": url_for("LookupView.search", kind=field.kind),
            "data-depends": " ".join(field.depends),
            **select2_texts(),
        }
        options = [Markup('<option value=""></option>')]
        if field.data is not None:
            options.append(
                Markup('<option value="{}" selected>{}</option>').format(
                    field.data.id, lookup.label(field.data)
                )
            )
        return Markup("<select {}>{}</select>").format(
            Markup(html_params(**attributes)), Markup("").join(options)
        )


class LookupField(Field):
    """A company, contact or deal of the form: the record itself, or None.

    `depends` names fields of the same form (e.g. "company") whose value narrows the
    search: a deal's contact is looked for among the chosen company's contacts.
    """

    widget = LookupWidget()

    def __init__(self, kind: str, depends: tuple[str, ...] = (), label=None, **kwargs) -> None:
        super().__init__(label if label is not None else LABELS[kind], **kwargs)
        self.kind = kind
        self.depends = tuple(depends)
        self._refused = False

    def process_data(self, value) -> None:
        self.data = value

    def process_formdata(self, valuelist) -> None:
        """Turn the posted id into the record, if the user may see it."""
        self._refused = False
        if not valuelist:
            return
        raw = (valuelist[0] or "").strip()
        if not raw:
            self.data = None
            return
        self.data = lookup.visible(db.session, g.user, self.kind, raw)
        self._refused = self.data is None

    def pre_validate(self, form) -> None:
        """Refuse an id that is not one of the user's records.

        :raise StopValidation: naming the field.
        """
        if self._refused:
            raise StopValidation(str(REFUSALS[self.kind]))

    def _value(self) -> str:
        return str(self.data.id) if self.data is not None else ""


def company_field(description=None) -> LookupField:
    return LookupField("company", description=description)


def contact_field(description=None) -> LookupField:
    return LookupField("contact", depends=("company",), description=description)


def deal_field(description=None) -> LookupField:
    return LookupField("deal", depends=("company",), description=description)
