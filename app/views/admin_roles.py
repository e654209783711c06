"""Role names as people read them, and FAB's role screen in the admin's language.

The database keeps the names `Admin`, `Head` and `Manager` (permissions, FAB_ROLES and
the command line use them); screens show these labels instead.
"""

from flask import redirect, url_for
from flask_appbuilder.security.views import RoleListWidget, RoleModelView
from flask_babel import lazy_gettext as _l

ROLE_LABELS = {
    "Admin": _l("Administrator"),
    "Head": _l("Head of sales"),
    "Manager": _l("Manager"),
    # FAB's role of visitors who have not logged in (the login page only).
    "Public": _l("Not logged in"),
}


def role_label(role) -> str:
    """Return the translated label of a role (or of its name); unknown roles keep their name."""
    name = getattr(role, "name", role)
    return str(ROLE_LABELS.get(name, name))


def role_labels(roles) -> str:
    """Return the labels of several roles, comma-separated, for lists and show pages."""
    return ", ".join(sorted(role_label(role) for role in roles or ()))


# What each of the CRM's roles may do (FAB_ROLES grants it by patterns, not one by one).
ROLE_DUTIES = {
    "Admin": _l("Everything, users, access rights and pipeline stages included."),
    "Head": _l("Every client and deal, owners, reassignment, the archive, all reports."),
    "Manager": _l("Own clients, deals and tasks; reports on them."),
}


def _duties(name) -> str:
    duties = ROLE_DUTIES.get(name)
    return str(duties) if duties else ""


class CrmRoleListWidget(RoleListWidget):
    """FAB's roles list showing labels and counts instead of FAB_ROLES' expressions."""

    template = "crm/widgets/role_list.html"


class CrmRoleView(RoleModelView):
    """FAB's roles screen, reached from Administration > Access rights."""

    list_title = _l("Roles")
    show_title = _l("Role")
    add_title = _l("New role")
    edit_title = _l("Edit role")
    list_widget = CrmRoleListWidget
    label_columns = {"name": _l("Role"), "duties": _l("May do"), "permissions": _l("Permissions")}
    description_columns = {
        "name": _l("The name in the database: Admin, Head and Manager are the CRM's own."),
    }
    list_columns = ["name", "duties"]
    search_columns = ["name"]
    formatters_columns = {"name": role_label, "duties": _duties}

    def post_delete_redirect(self):
        """Back to the roles, whether the role was deleted or the deletion refused."""
        return redirect(url_for(f"{self.endpoint}.list"))
