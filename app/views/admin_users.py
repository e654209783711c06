"""The admin's users screen: FAB's user view in the CRM's words and the admin's language.

Registered through `app.security.CrmSecurityManager.userdbmodelview` (FAB's documented way
to replace a security view); the URLs stay FAB's (/users/...). What leans on FAB 5.3's
insides (listed with the others in app/fab_overrides.py, which pins the version):

- FAB's security manager gives the view a plain `SQLAInterface`; `__init__` swaps in ours.
- `post_delete_redirect` replaces FAB's page history, which sends a refused deletion home.
- `crm/widgets/role_list.html` overrides the `begin_loop_values` block of FAB's roles list.
"""

from datetime import datetime

from flask import current_app, flash, g, redirect, url_for
from flask_appbuilder.actions import action
from flask_appbuilder.fields import QuerySelectMultipleField
from flask_appbuilder.fieldwidgets import (
    BS3PasswordFieldWidget,
    BS3TextFieldWidget,
    Select2ManyWidget,
)
from flask_appbuilder.security.views import UserDBModelView
from flask_appbuilder.validators import PasswordComplexityValidator
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, StopValidation

from app import formatting
from app.data.search_filters import LocalFilterInterface
from app.services.errors import DomainError
from app.services.rules import accounts
from app.services.rules.setup import ROLE_NAMES
from app.services.rules.team import clients_owned
from app.services.rules.users import check_user_deletable, set_takes_leads, takes_leads
from app.views.admin_roles import role_label, role_labels
from app.views.date_field import localise_date_fields


def yes_no(value) -> str:
    """Да / Нет, Yes / No."""
    return _("Yes") if value else _("No")


class PlainText:
    """Refuse text a user's name or login cannot hold: control characters, excess length."""

    def __init__(self, max_length: int) -> None:
        self.max_length = max_length

    def __call__(self, form, field) -> None:
        value = field.data or ""
        # PostgreSQL cannot store a NUL byte; other control characters are never typed.
        if any(ord(char) < 32 or 0xD800 <= ord(char) <= 0xDFFF for char in value):
            raise StopValidation(_("Must not contain control characters."))
        if len(value) > self.max_length:
            raise StopValidation(_("At most %(max)s characters.", max=self.max_length))


def _count(value) -> str:
    return formatting.number_text(value or 0)


def _last_login(value) -> str:
    return formatting.datetime_text(value) if value else _("Never")


def _locked(until) -> str:
    return _("Locked until %(time)s", time=formatting.datetime_text(until)) if until else _("No")


class UserListInterface(LocalFilterInterface):
    """FAB's data interface for users; a page of users comes with roles and counts.

    Its filters are the CRM's: a last login "equal to 09.12.2026" is that whole day.

    Each row gets `crm_name` (in the reader's order), `crm_clients` (clients owned) and
    `crm_locked_until` (the end of a lock after failed logins); the counts come from one
    grouped query for the whole page, never one per row.
    """

    def apply_all(self, query, *args, **kwargs):
        query = super().apply_all(query, *args, **kwargs)
        return query.options(selectinload(self.obj.roles))

    def query(self, *args, **kwargs):
        count, users = super().query(*args, **kwargs)
        owned = clients_owned(self.session, [user.id for user in users])
        leads = takes_leads(self.session, [user.id for user in users])
        policy = current_app.appbuilder.sm.lockout_policy
        now = datetime.now()  # failed logins are stamped in the server's local time
        for user in users:
            user.crm_name = formatting.person_name(user)
            user.crm_clients = owned.get(user.id, 0)
            user.crm_locked_until = accounts.locked_until(user, policy, now)
            user.crm_takes_leads = leads[user.id]
        return count, users


def _crm_roles(datamodel):
    """The roles an admin may give: the CRM's three, not FAB's Public."""
    from flask_appbuilder.security.sqla.models import Role

    def query():
        roles = datamodel.session.query(Role).filter(Role.name.in_(ROLE_NAMES))
        return sorted(roles, key=lambda role: ROLE_NAMES.index(role.name))

    return query


def _roles_field(datamodel) -> QuerySelectMultipleField:
    return QuerySelectMultipleField(
        _l("Role"),
        query_func=_crm_roles(datamodel),
        get_pk_func=lambda role: role.id,
        get_label=role_label,
        widget=Select2ManyWidget(),
        validators=[DataRequired(message=_l("Choose the user's role."))],
        description=_l(
            "Manager: own clients only. Head of sales: every client, reassignment, "
            "reports. Administrator: everything, users and pipeline stages too."
        ),
    )


def _email_field() -> StringField:
    return StringField(
        _l("E-mail"),
        validators=[
            DataRequired(message=_l("Enter the user's e-mail.")),
            PlainText(320),
            Email(message=_l("Not a valid e-mail address."), check_deliverability=False),
        ],
        widget=BS3TextFieldWidget(),
        description=_l("Reminders and the daily digest go to this address."),
    )


def _password_fields() -> dict:
    """The new user's password twice, checked by the CRM's password rule."""
    return {
        "password": PasswordField(
            _l("Password"),
            description=_l("At least 10 characters, letters and digits."),
            validators=[DataRequired(), PasswordComplexityValidator()],
            widget=BS3PasswordFieldWidget(),
        ),
        "conf_password": PasswordField(
            _l("Repeat the password"),
            validators=[
                DataRequired(),
                EqualTo("password", message=_l("The passwords do not match.")),
            ],
            widget=BS3PasswordFieldWidget(),
        ),
    }


LABELS = {
    "crm_name": _l("Full name"),
    "first_name": _l("First name"),
    "last_name": _l("Last name"),
    "username": _l("Login name"),
    "password": _l("Password"),
    "conf_password": _l("Repeat the password"),
    "active": _l("Active"),
    "email": _l("E-mail"),
    "roles": _l("Role"),
    "last_login": _l("Last login"),
    "login_count": _l("Logins"),
    "fail_login_count": _l("Failed logins in a row"),
    "created_on": _l("Created"),
    "changed_on": _l("Changed"),
    "created_by": _l("Created by"),
    "changed_by": _l("Changed by"),
    "crm_clients": _l("Clients"),
    "crm_locked_until": _l("Locked"),
    "crm_takes_leads": _l("Takes new leads"),
}


# The profile's buttons in the CRM's words (FAB says "Reset my password", "Edit User").
PROFILE_ACTIONS = {
    "resetmypassword": _l("Change password"),
    "userinfoedit": _l("Edit my data"),
}


class CrmUserDBModelView(UserDBModelView):
    """Users for the admin: who works, in which role, since when, with how many clients."""

    list_title = _l("Users")
    show_title = _l("User")
    add_title = _l("New user")
    edit_title = _l("Edit user")
    user_info_title = _l("My profile")
    label_columns = LABELS
    description_columns = {
        "first_name": "",
        "last_name": "",
        "username": _l("The name the user logs in with."),
        "active": _l(
            "Someone who leaves is made inactive (after moving their clients), not deleted."
        ),
    }
    list_columns = ["crm_name", "username", "roles", "active", "last_login",
                    "crm_locked_until", "crm_takes_leads", "crm_clients"]
    order_columns = ["username", "active", "last_login"]
    search_columns = ["first_name", "last_name", "username", "email", "active", "last_login"]
    base_order = ("last_name", "asc")
    formatters_columns = {
        "roles": role_labels,
        "active": yes_no,
        "last_login": _last_login,
        "login_count": _count,
        "fail_login_count": _count,
        "created_on": formatting.datetime_text,
        "changed_on": formatting.datetime_text,
        "crm_locked_until": _locked,
        "crm_clients": _count,
        "crm_takes_leads": yes_no,
    }
    show_fieldsets = [
        (_l("User"), {"fields": ["username", "active", "roles"]}),
        (_l("Name and e-mail"), {"fields": ["first_name", "last_name", "email"],
                                  "expanded": True}),
        (_l("Logins"), {"fields": ["last_login", "login_count", "fail_login_count",
                                   "created_on", "changed_on"], "expanded": True}),
    ]
    user_show_fieldsets = [
        (_l("User"), {"fields": ["username", "roles"]}),
        (_l("Name and e-mail"), {"fields": ["first_name", "last_name", "email"],
                                  "expanded": True}),
    ]
    add_columns = ["first_name", "last_name", "username", "email", "roles", "active",
                   "password", "conf_password"]
    edit_columns = ["first_name", "last_name", "username", "email", "roles", "active"]
    # FAB's user table: names and login of at most 64 characters, e-mail of 320.
    validators_columns = {
        "first_name": [PlainText(64)],
        "last_name": [PlainText(64)],
        "username": [PlainText(64)],
    }

    @action("crm_leads_on", _l("Takes new leads"), icon="fa-inbox", single=False)
    def crm_leads_on(self, users):
        """Let the chosen managers get new leads of the inbox in turn."""
        return self._switch_leads(users, True)

    @action("crm_leads_off", _l("Takes no new leads"), icon="fa-ban", single=False)
    def crm_leads_off(self, users):
        """Stop giving new leads to the chosen managers (their own clients' leads still come)."""
        return self._switch_leads(users, False)

    def _switch_leads(self, users, value: bool):
        users = users if isinstance(users, list) else [users]
        try:
            set_takes_leads(self.datamodel.session, g.user, [user.id for user in users], value)
        except DomainError as error:
            flash(str(error.message), "danger")
        else:
            flash(str(_l("Saved.")), "success")
        return redirect(url_for(f"{type(self).__name__}.list"))

    def __init__(self, **kwargs) -> None:
        # FAB's security manager hands every user view a plain interface; ours loads a
        # page's roles and counts at once.
        plain = type(self).datamodel
        self.datamodel = UserListInterface(plain.obj, plain.session)
        fields = {"roles": _roles_field(self.datamodel), "email": _email_field()}
        self.add_form_extra_fields = {**_password_fields(), **fields}
        self.edit_form_extra_fields = dict(fields)
        super().__init__(**kwargs)
        for name, text in PROFILE_ACTIONS.items():
            self.actions[name].text = text

    def _init_forms(self) -> None:
        """Build FAB's forms; the search form's date-time filters take a day typed."""
        super()._init_forms()
        # FAB's date-time filter calls a picker script it never loads: a script error.
        localise_date_fields(self.search_form, with_datetimes=True)

    def pre_update(self, item) -> None:
        """Stamp the change as FAB does and end a lock; deactivating ends every session."""
        super().pre_update(item)
        accounts.unlock(item)
        if not item.active:
            accounts.end_sessions(self.datamodel.session, item)

    def pre_delete(self, item) -> None:
        """Refuse deleting an owner of records.

        :raise DomainError: when the user owns companies, contacts, deals or tasks.
        """
        check_user_deletable(self.datamodel.session, item)

    def post_delete_redirect(self):
        """Back to the users, whether the user was deleted or the deletion refused."""
        return redirect(url_for(f"{self.endpoint}.list"))
