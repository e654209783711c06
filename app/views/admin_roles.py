"""Role names as people read them, and FAB's role screen in the admin's language.

The database keeps the names `Admin`, `Head` and `Manager` (permissions, FAB_ROLES and
the command line use them); screens show these labels instead.
"""

from flask_appbuilder.security.views import RoleListWidget, RoleModelView
from flask_babel import lazy_gettext as _l

ROLE_LABELS = {
    "Admin": _l("Administrator"),
    "Head": _l("Head of sales"),
    "Manager": _l("Manager"),
}


def role_label(role) -> str:
    """Return the translated label of a role (or of its name); unknown roles keep their name."""
    name = getattr(role, "name", role)
    return str(ROLE_LABELS.get(name, name))


def role_labels(roles) -> str:
    """Return the labels of several roles, comma-separated, for lists and show pages."""
    return ", ".join(sorted(role_label(role) for role in roles or ()))


def _permission_count(permissions) -> str:
    return str(len(permissions or ()))


def _name_with_label(name) -> str:
    label = role_label(name)
    return name if label == name else f"{label} ({name})"


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
    label_columns = {"name": _l("Role"), "permissions": _l("Permissions")}
    description_columns = {
        "name": _l("The name in the database: Admin, Head and Manager are the CRM's own."),
    }
    list_columns = ["name", "permissions"]
    formatters_columns = {"name": _name_with_label, "permissions": _permission_count}
