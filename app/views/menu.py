"""The menu bar's entries (FAB's navbar_menu.html), rendered once per role set and language."""

from flask import current_app, g, render_template
from flask_babel import get_locale
from markupsafe import Markup

from app.views.render_cache import kept_parts


def menu_entries() -> Markup:
    """Return the menu entries the user's roles may open, in the user's language."""
    user = getattr(g, "user", None)
    roles = tuple(sorted(role.id for role in getattr(user, "roles", None) or ()))
    key = ("menu", roles, bool(user and user.is_authenticated), str(get_locale()))
    return kept_parts().get(key, lambda: Markup(render_template(
        "appbuilder/navbar_menu.html", menu=current_app.appbuilder.menu)))
