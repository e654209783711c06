"""Small files browsers ask for on their own."""

import os

from flask import send_from_directory

STATIC = os.path.join(os.path.dirname(os.path.dirname(__file__)), "static", "crm")


def favicon():
    """Serve the CRM's icon where browsers look for it."""
    return send_from_directory(STATIC, "favicon.svg", mimetype="image/svg+xml", max_age=86400)


def register_assets(app) -> None:
    """Answer /favicon.ico from our own files (nothing is loaded from elsewhere)."""
    app.add_url_rule("/favicon.ico", "favicon", favicon)
