"""FAB's security manager with the CRM's rules: leaving users, lockout, passwords, logins.

- A login (form or API) of an account locked after repeated failures is refused with the
  same answer as a wrong password or an unknown user (nothing tells that the account
  exists); a successful login, an admin's edit of the user or a new password ends the
  lock. Failures are counted by the database, so parallel attempts all count.
- The login limit (FAB's `AUTH_RATE_LIMIT`, stored where `RATELIMIT_STORAGE_URI` says) is
  one budget per client address and one per account, shared by the form's and the API's
  login; logging out is not limited.
- Every session cookie and API token carries the user's session version, checked on every
  request in the same query that loads the user. Logging out, a new password and
  deactivation raise it: every session and token of that user ends, on every device
  (changing one's own password keeps the session it was changed in).
- Changing one's own password asks for the current one.
- `?next=` after logging in only ever leads to a path of this site.
- Logging out takes a POST (with the CSRF token); a GET shows the button.

FAB 5.3 methods overridden here (listed in app/fab_overrides.py): SecurityManager's
`get_user_by_id`, `load_user`, `load_user_jwt`, `create_jwt_manager`, `auth_user_db`,
`update_user_auth_stat`, `reset_password`, `register_views`, `is_auth_limited`;
AuthDBView's `login` and `logout`; SecurityApi's `login` and `response_401`;
UserDBModelView's `show_fieldsets` and `pre_update`; ResetMyPasswordView's `form`.
"""

import hashlib
import logging
from datetime import datetime

from flask import current_app, flash, g, has_request_context, redirect, request, session
from flask_appbuilder import expose
from flask_appbuilder.api import safe
from flask_appbuilder.exceptions import PasswordComplexityValidationError
from flask_appbuilder.fieldwidgets import BS3PasswordFieldWidget
from flask_appbuilder.forms import DynamicForm
from flask_appbuilder.security.api import SecurityApi
from flask_appbuilder.security.decorators import no_cache
from flask_appbuilder.security.forms import LoginForm_db
from flask_appbuilder.security.sqla.manager import SecurityManager
from flask_appbuilder.security.views import AuthDBView, ResetMyPasswordView
from flask_appbuilder.validators import PasswordComplexityValidator
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user, user_logged_in
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload
from werkzeug.exceptions import NotFound
from werkzeug.security import check_password_hash
from wtforms import PasswordField, ValidationError
from wtforms.validators import DataRequired, EqualTo

from app.api.busy import BusyDatabaseAnswer
from app.models import UserProfile
from app.redirects import safe_next
from app.services.errors import DomainError
from app.services.rules import accounts
from app.services.rules.validation import MAX_ID
from app.views.admin_roles import CrmRoleView
from app.views.admin_users import CrmUserDBModelView

log = logging.getLogger(__name__)

# The same answer for a wrong password, an unknown user and a locked account.
LOGIN_REFUSED = _l(
    "Wrong user name or password, or the account is locked for a while after too many "
    "failed logins."
)
# Where the session cookie keeps the session version it was issued with, and the claim
# of API tokens that does the same.
SESSION_VERSION_KEY = "_crm_sv"
SESSION_VERSION_CLAIM = "crm_sv"
# Where a login request keeps the key of its account's login budget.
_ACCOUNT_KEY = "crm.login_account_key"


def safe_next_url(target: str | None) -> str:
    """Return `target` when it is a path of this site, else the home page."""
    return safe_next(target, current_app.appbuilder.get_url_for_index)


class CrmAuthDBView(AuthDBView):
    """FAB's login form, one answer for every refusal; logout by POST only, ending sessions."""

    logout_template = "crm/logout.html"
    invalid_login_message = LOGIN_REFUSED

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
                flash(str(self.invalid_login_message), "warning")
                return redirect(self.appbuilder.get_url_for_login_with(next_url))
            login_user(user, remember=False)
            return redirect(next_url)
        return self.render_template(
            self.login_template, title=self.title, form=form, appbuilder=self.appbuilder
        )

    @expose("/logout/", methods=["GET", "POST"])
    def logout(self):
        """Log out on POST, ending every session of the user; a GET only shows the button.

        A GET (an old link, a prefetch) must not end anything.
        """
        if request.method == "POST":
            user = g.get("user")
            if user is not None and user.is_authenticated:
                accounts.end_sessions(self.appbuilder.sm.session, user)
                self.appbuilder.sm.session.commit()
            session.pop(SESSION_VERSION_KEY, None)
            return super().logout()
        if g.user is None or not g.user.is_authenticated:
            return redirect(self.appbuilder.get_url_for_index)
        return self.render_template(self.logout_template, title=_l("Logout"))


class CrmSecurityApi(BusyDatabaseAnswer, SecurityApi):
    """FAB's API login, with the login form's one answer for every refusal."""

    @expose("/login", methods=["POST"])
    @safe
    def login(self):
        """Log in as FAB does; a name or password no account can have gets the one refusal.

        FAB's own check of the password crashes on half of a surrogate pair.
        """
        body = request.get_json(silent=True)
        if isinstance(body, dict):
            username, password = body.get("username"), body.get("password")
            if (isinstance(username, str) and isinstance(password, str)
                    and not accounts.could_log_in_with(username, password)):
                return self.response_401()
        return super().login()

    # The OpenAPI document reads the operation from the docstring: keep FAB's.
    login.__doc__ += SecurityApi.login.__doc__[SecurityApi.login.__doc__.index("---"):]

    def response_401(self):
        """Answer 401 with the same message for a wrong password, unknown or locked user."""
        return self.response(401, message=str(LOGIN_REFUSED))


class OwnPasswordForm(DynamicForm):
    """A new password for oneself: the current one first, then the new one twice."""

    current_password = PasswordField(
        _l("Current password"),
        validators=[DataRequired(message=_l("Enter your current password."))],
        widget=BS3PasswordFieldWidget())
    password = PasswordField(
        _l("New password"),
        description=_l("At least 10 characters besides spaces, with letters and digits."),
        validators=[DataRequired(), PasswordComplexityValidator()],
        widget=BS3PasswordFieldWidget())
    conf_password = PasswordField(
        _l("Confirm Password"),
        validators=[EqualTo("password", message=_l("Passwords must match"))],
        widget=BS3PasswordFieldWidget())

    def validate_current_password(self, field) -> None:
        """Refuse the change unless the current password is right."""
        try:
            accounts.check_current_password(g.user, field.data)
        except DomainError as error:
            raise ValidationError(str(error.message)) from error


class CrmResetMyPasswordView(ResetMyPasswordView):
    """FAB's own-password form, asking for the current password."""

    # FAB names the view's permissions after its class: keep FAB's name.
    class_permission_name = "ResetMyPasswordView"
    form = OwnPasswordForm
    form_title = _l("Change my password")


class CrmSecurityManager(SecurityManager):
    userdbmodelview = CrmUserDBModelView
    rolemodelview = CrmRoleView
    userstatschartview = None  # FAB's chart loads Google Charts from the internet
    authdbview = CrmAuthDBView
    resetmypasswordview = CrmResetMyPasswordView
    security_api = CrmSecurityApi

    def __init__(self, appbuilder) -> None:
        super().__init__(appbuilder)
        current_app.config.setdefault("FAB_PASSWORD_COMPLEXITY_VALIDATOR", password_complexity)
        user_logged_in.connect(_stamp_session, current_app._get_current_object())
        # FAB sets g.user after the limiter's check: a refusal page (429) for a logged-in
        # user then has no user to draw its menu for. app/first_hooks.py runs
        # self.before_request before any check.

    def create_jwt_manager(self, app):
        """FAB's JWT manager; every token carries the user's session version."""
        manager = super().create_jwt_manager(app)
        manager.additional_claims_loader(self._token_claims)
        return manager

    def _token_claims(self, identity) -> dict:
        return {SESSION_VERSION_CLAIM: self.session_version(identity)}

    def is_item_public(self, permission_name, view_name) -> bool:
        """Tell whether the Public role may do this, kept a while like the menu.

        FAB asks it first on every API call, at two statements each time; the answer
        changes only with the roles' permissions, whose changes clear what is kept.
        """
        from app.views.render_cache import kept_parts

        return kept_parts().get(
            ("public", permission_name, view_name),
            lambda: super(CrmSecurityManager, self).is_item_public(permission_name, view_name))

    def session_version(self, pk) -> int | None:
        """Return the user's current session version (0 before anything ended a session)."""
        user = self.get_user_by_id(pk)
        return user.crm_session_version if user is not None else None

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
        """Register FAB's security screens; one login budget per address and per account.

        Both budgets are shared by the form's and the API's login and by the check of the
        current password when changing one's own, so switching between them gains nothing.
        """
        super().register_views()
        if not current_app.config.get("AUTH_RATE_LIMITED"):
            return
        views = [self.auth_view,
                 next(v for v in self.appbuilder.baseviews if isinstance(v, SecurityApi)),
                 next(v for v in self.appbuilder.baseviews
                      if isinstance(v, CrmResetMyPasswordView))]
        budgets = [
            self.limiter.shared_limit(self.auth_rate_limit, scope="crm-login-address",
                                      methods=["POST"], exempt_when=_not_a_password_check),
            self.limiter.shared_limit(self.auth_rate_limit, scope="crm-login-account",
                                      key_func=_login_account_key, methods=["POST"],
                                      exempt_when=_not_a_password_check),
        ]
        for budget in budgets:
            for view in views:
                budget(view.blueprint)

    def get_user_by_id(self, pk):
        """Load a user with roles, groups and session version in one query.

        Every access check reads the roles; every request compares the session version.
        """
        try:
            pk = int(pk)
        except (TypeError, ValueError):
            return None
        if not 0 < pk <= MAX_ID:  # larger ids overflow the database's integer
            return None
        model = self.user_model
        row = self.session.execute(
            select(model, func.coalesce(UserProfile.session_version, 0))
            .outerjoin(UserProfile, UserProfile.user_id == model.id)
            .where(model.id == pk)
            .options(joinedload(model.roles), joinedload(model.groups))
        ).unique().first()
        if row is None:
            return None
        user, version = row
        user.crm_session_version = version
        return user

    def load_user(self, pk):
        """Load the session's user, unless their sessions were ended since it was issued."""
        user = super().load_user(pk)
        if user is None or session.get(SESSION_VERSION_KEY) != user.crm_session_version:
            return None
        return user

    def load_user_jwt(self, _jwt_header, jwt_data):
        """Load an API token's user, unless their tokens were ended since it was issued."""
        user = self.get_user_by_id(jwt_data.get("sub"))
        if user is None or not user.is_active:
            return None
        if jwt_data.get(SESSION_VERSION_CLAIM) != user.crm_session_version:
            return None
        g.user = user
        return user

    def auth_user_db(self, username, password):
        """Check a login; a locked account is refused whatever the password."""
        if not accounts.could_log_in_with(username, password):
            # The same work and answer as for an unknown user.
            check_password_hash(current_app.config["AUTH_DB_FAKE_PASSWORD_HASH_CHECK"],
                                "password")
            log.info("Login refused: a name or password no account can have")
            return None
        now = datetime.now()
        policy = self.lockout_policy
        user = self._login_candidate(username)
        if user is not None and accounts.locked_until(user, policy, now):
            # Check the password anyway (and ignore it): a refusal takes as long as any.
            check_password_hash(user.password or "", password or "")
            log.warning("Login refused: account %s is locked", user.username)
            return None
        if user is not None and accounts.reached_attempts(user, policy):
            accounts.restart_expired_lock(self.session, user, policy, now)
        return super().auth_user_db(username, password)

    def _login_candidate(self, username):
        if not username:
            return None
        user = self.find_user(username=username) or self.find_user(email=username)
        return user if user is not None and user.is_active else None

    def update_user_auth_stat(self, user, success=True) -> None:
        """Count the login in the database; a failure is also stamped with its time.

        FAB reads the count and writes it back, so parallel logins lost some of them.
        """
        if success:
            accounts.count_login(self.session, user, datetime.now())
            self.session.commit()
            self.on_user_login(user)
            return
        accounts.count_failed_login(self.session, user, datetime.now())
        self.session.commit()
        self.on_user_login_failed(user)

    def reset_password(self, userid, password) -> None:
        """Set a new password: it ends the lock and every session and token of the user.

        The session of a user changing their own password stays open.

        :raise NotFound: when there is no such user (a stale or forged `pk`).
        """
        user = self.get_user_by_id(userid)
        if user is None:
            raise NotFound()
        accounts.unlock(user)
        version = accounts.end_sessions(self.session, user)
        super().reset_password(user.id, password)  # commits both
        if has_request_context():
            acting = g.get("user")
            if acting is not None and getattr(acting, "id", None) == user.id:
                session[SESSION_VERSION_KEY] = version


def _stamp_session(_app, user, **_extra) -> None:
    """Write the user's session version into the session cookie at login."""
    session[SESSION_VERSION_KEY] = current_app.appbuilder.sm.session_version(user.id)


def _not_a_password_check() -> bool:
    endpoint = request.endpoint or ""
    return not (endpoint.endswith(".login") or endpoint == _own_password_post())


def _changing_own_password() -> bool:
    return request.endpoint == _own_password_post() and current_user.is_authenticated


def _own_password_post() -> str:
    """Return the endpoint that checks the current password before changing one's own."""
    return CrmResetMyPasswordView.__name__ + ".this_form_post"


def _login_account_key() -> str:
    """Return the login budget's key of the account a login names (form or JSON).

    A user name and the same account's e-mail address share one budget; changing one's
    own password draws on the budget of one's own account.
    """
    cached = request.environ.get(_ACCOUNT_KEY)
    if cached is None and _changing_own_password():
        cached = f"account:{current_user.id}"
    if cached is None:
        name = request.form.get("username") if request.form else None
        if name is None:
            body = request.get_json(silent=True)
            name = body.get("username") if isinstance(body, dict) else None
        name = name.strip() if isinstance(name, str) else ""
        user = None
        if accounts.could_log_in_with(name, ""):
            sm = current_app.appbuilder.sm
            user = sm.find_user(username=name) or sm.find_user(email=name)
        if user is not None:
            cached = f"account:{user.id}"
        else:
            # Hashed: no user names in the limiter's storage, and any input makes a clean key.
            folded = name.casefold().encode("utf-8", "surrogatepass")
            cached = "account:" + hashlib.sha256(folded).hexdigest()
        request.environ[_ACCOUNT_KEY] = cached  # one look-up per request, whatever asks
    return cached


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
