"""The personal calendar: the page with the feed's secret address, and the feed itself."""

from urllib.parse import urlsplit

from flask import Response, abort, current_app, flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import lazy_gettext as _l

from app.extensions import db
from app.models.mixins import local_now
from app.services.io import calendar_feed


def _feed_language(stored: str | None) -> str:
    """Return the feed's language: the user's choice when the app offers it, else the default."""
    if stored and stored in current_app.config.get("LANGUAGES", {}):
        return stored
    return current_app.config.get("BABEL_DEFAULT_LOCALE", "ru")


class CalendarView(BaseView):
    """The logged-in user's subscription page, and the public feed behind a secret token."""

    route_base = "/calendar"
    default_view = "index"

    @expose("/")
    @has_access
    def index(self):
        """Show the user's feed address (creating the secret on first visit)."""
        token = calendar_feed.ensure_token(db.session, g.user)
        return self.render_template(
            "crm/calendar.html",
            feed_url=url_for("CalendarView.feed", token=token, _external=True),
            title=_l("Calendar subscription"),
        )

    @expose("/regenerate", methods=["POST"])
    @has_access
    def regenerate(self):
        """Replace the user's secret; the old feed address answers 404 from now on."""
        calendar_feed.regenerate_token(db.session, g.user)
        flash(
            _l(
                "The calendar address has been replaced. Subscribe to the new one in your "
                "calendar app."
            ),
            "success",
        )
        return redirect(url_for("CalendarView.index"))

    # Public on purpose (no @has_access): calendar apps cannot log in; the token is the key.
    @expose("/<token>.ics")
    def feed(self, token: str):
        """Return the token owner's planned tasks as an iCalendar feed.

        :raise 404: for an unknown or replaced token, or an inactive user.
        """
        profile = calendar_feed.profile_for_token(db.session, token)
        if profile is None:
            abort(404)
        config = current_app.config
        body = calendar_feed.build_feed(
            db.session,
            profile.user,
            local_now(),
            base_url=request.url_root,
            uid_domain=urlsplit(config.get("CRM_BASE_URL", "")).hostname or "crm",
            zone_name=config.get("BABEL_DEFAULT_TIMEZONE") or "Europe/Moscow",
            language=_feed_language(profile.locale),
        )
        return Response(
            body,
            mimetype="text/calendar",
            headers={
                "Content-Disposition": 'inline; filename="crm-tasks.ics"',
                # The address is a secret: keep the answer out of shared caches and indexes.
                "Cache-Control": "private, no-store",
                "X-Robots-Tag": "noindex",
            },
        )
