"""Who makes an API request: the session's user (browser) or the token's."""

from flask import g
from flask_jwt_extended import current_user as jwt_user


def api_actor():
    """Return the user of this request (FAB sets g.user from the JWT; made sure here)."""
    user = g.get("user")
    if user is None or not getattr(user, "is_authenticated", False):
        user = jwt_user
        g.user = user
    return user
