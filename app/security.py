"""FAB's security manager with the CRM's rules: leaving users, lockout, passwords, logins.

- A login (form or API) of an account locked after repeated failures is refused with a
  message saying so; a successful login, an admin's edit of the user or a new password
  set by an admin ends the lock.
- The login limit (FAB's `AUTH_RATE_LIMITED` / `AUTH_RATE_LIMIT`, stored where
  `RATELIMIT_STORAGE_URI` says) covers the form's and the API's login, not logging out.
- `?next=` after logging in only ever leads to a path of this site.
- Logging out takes a POST (with the CSRF token); a GET shows the button.
"""

import logging
from datetime import datetime

from flask import current_app, flash, g, redirect, request
from flask_appbuilder import expose
from flask_appbuilder.exceptions import PasswordComplexityValidationError
from flask_appbuilder.security.api import SecurityApi
from flask_appbuilder.security.decorators import no_cache
from flask_appbuilder.security.forms import LoginForm_db
from flask_appbuilder.security.sqla.manager import SecurityManager
from flask_appbuilder.security.views import AuthDBView, UserDBModelView
from flask_babel import lazy_gettext as _l
from flask_login import login_user
from sqlalchemy.orm import joinedload

from app.redirects import safe_next
from app.services import accounts
from app.services.errors import DomainError
from app.services.users import check_user_deletable

log = logging.getLogger(__name__)

LOCKED_MESSAGE = _l(
    "This account is locked after too many failed logins. Try again in %(num)d min or "
    "ask an administrator to unlock it."
)


def safe_next_url(target: str | None) -> str:
    """Return `target` when it is a path of this site, else the home page."""
    return safe_next(target, current_app.appbuilder.get_url_for_index)


def _locked_message() -> str | None:
    minutes = g.get("crm_login_locked_minutes")
    return str(LOCKED_MESSAGE % {"num": minutes}) if minutes else None


class CrmAuthDBView(AuthDBView):
    """FAB's login form, saying when an account is locked; logout by POST only."""

    logout_template = "crm/logout.html"

    @expose("/login/", methods=["GET", "POST"])
    @no_cache
    def login(self):
        """Log in and go to a page of this site (`next`), or say why not."""
        next_url = safe_next_url(request.args.get("next"))
        if g.user is not None and g.user.is_authenticated:
            return redirect(next_url)
        form = LoginForm_db()
        if form.validate_on_submit():
            user = self.appbuilder.sm.auth_user_db(form.username.data, form.password.data)
            if not user:
                flash(_locked_message() or str(self.invalid_login_message), "warning")
                return redirect(self.appbuilder.get_url_for_login_with(next_url))
            login_user(user, remember=False)
            return redirect(next_url)
        return self.render_template(
            self.login_template, title=self.title, form=form, appbuilder=self.appbuilder
        )

    @expose("/logout/", methods=["GET", "POST"])
    def logout(self):
        """Log out on POST; a GET (an old link, a prefetch) only shows the button."""
        if request.method == "POST":
            return super().logout()
        if g.user is None or not g.user.is_authenticated:
            return redirect(self.appbuilder.get_url_for_index)
        return self.render_template(self.logout_template, title=_l("Logout"))


class CrmSecurityApi(SecurityApi):
    """FAB's API login, saying when an account is locked."""

    def response_401(self):
        """Answer 401; for a locked account with the message why."""
        message = _locked_message()
        if message:
            return self.response(401, message=message)
        return super().response_401()


class CrmUserDBModelView(UserDBModelView):
    """FAB's user screen: no deleting a user who still owns records; saving unlocks."""

    def pre_update(self, item) -> None:
        """End a lock after failed logins: an admin has looked at the account."""
        accounts.unlock(item)

    def pre_delete(self, item) -> None:
        """Refuse deleting an owner of records.

        :raise DomainError: when the user owns companies, contacts, deals or tasks.
        """
        check_user_deletable(self.datamodel.session, item)


class CrmSecurityManager(SecurityManager):
    userdbmodelview = CrmUserDBModelView
    authdbview = CrmAuthDBView
    security_api = CrmSecurityApi

    def __init__(self, appbuilder) -> None:
        super().__init__(appbuilder)
        current_app.config.setdefault("FAB_PASSWORD_COMPLEXITY_VALIDATOR", password_complexity)

    @property
    def lockout_policy(self) -> accounts.LockoutPolicy:
        config = current_app.config
        return accounts.LockoutPolicy(
            attempts=int(config.get("CRM_LOCKOUT_ATTEMPTS", 10)),
            minutes=int(config.get("CRM_LOCKOUT_MINUTES", 15)),
        )

    @property
    def is_auth_limited(self) -> bool:
        """Keep FAB from limiting its whole login blueprint (logout too); see register_views."""
        return False

    def register_views(self) -> None:
        """Register FAB's security screens; limit the form's and the API's login."""
        super().register_views()
        if not current_app.config.get("AUTH_RATE_LIMITED"):
            return
        api = next(v for v in self.appbuilder.baseviews if isinstance(v, SecurityApi))
        for view in (self.auth_view, api):
            self.limiter.limit(
                self.auth_rate_limit,
                methods=["POST"],
                exempt_when=_not_a_login,
            )(view.blueprint)

    def get_user_by_id(self, pk):
        """Load a user with the roles and groups every access check reads, in one query."""
        model = self.user_model
        return self.session.get(
            model, pk, options=[joinedload(model.roles), joinedload(model.groups)]
        )

    def auth_user_db(self, username, password):
        """Check a login; a locked account is refused before its password is looked at."""
        g.pop("crm_login_locked_minutes", None)  # this attempt's answer only
        now = datetime.now()
        policy = self.lockout_policy
        user = self._login_candidate(username)
        if user is not None and accounts.locked_until(user, policy, now):
            self._note_lock(user, now)
            log.warning("Login refused: account %s is locked", user.username)
            return None
        if user is not None and accounts.reached_attempts(user, policy):
            accounts.unlock(user)  # the lock is over: a full set of attempts again
        found = super().auth_user_db(username, password)
        if found is None and user is not None:
            self._note_lock(user, now)
        return found

    def _login_candidate(self, username):
        if not username:
            return None
        user = self.find_user(username=username) or self.find_user(email=username)
        return user if user is not None and user.is_active else None

    def _note_lock(self, user, now: datetime) -> None:
        until = accounts.locked_until(user, self.lockout_policy, now)
        if until is not None:
            g.crm_login_locked_minutes = accounts.minutes_left(until, now)

    def update_user_auth_stat(self, user, success=True) -> None:
        """Count the login as FAB does; a failure is stamped with its time for the lock."""
        if not success:
            user.changed_on = datetime.now()
        super().update_user_auth_stat(user, success)

    def reset_password(self, userid, password) -> None:
        """Set a new password; it also ends a lock after failed logins."""
        user = self.get_user_by_id(userid)
        if user is not None:
            accounts.unlock(user)
        super().reset_password(userid, password)


def _not_a_login() -> bool:
    return not (request.endpoint or "").endswith(".login")


def _username_for_password() -> str | None:
    """Return the name of the user whose password the current form sets."""
    if request.form.get("username"):
        return request.form["username"]
    sm = current_app.appbuilder.sm
    if (request.endpoint or "").startswith(sm.resetpasswordview.__name__ + "."):
        pk = request.args.get("pk", "")
        user = sm.get_user_by_id(int(pk)) if pk.isascii() and pk.isdigit() else None
        return user.username if user is not None else None
    user = g.get("user")
    return user.username if user is not None and user.is_authenticated else None


def password_complexity(password: str) -> None:
    """FAB's password validator: the CRM's password rule, naming the user being set.

    :raise PasswordComplexityValidationError: with the translated reason.
    """
    try:
        accounts.check_password(password, _username_for_password())
    except DomainError as error:
        raise PasswordComplexityValidationError(str(error.message)) from error
