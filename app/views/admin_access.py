"""Administration > Access rights: FAB's permission screens, kept out of everyday menus."""

from flask import current_app, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import lazy_gettext as _l

# (view class name, title, what it is for); the screens themselves are FAB's.
SCREENS = (
    ("CrmRoleView", _l("Roles"),
     _l("Administrator, Head of sales and Manager, with the permissions each one has.")),
    ("UserGroupModelView", _l("Groups"),
     _l("Groups of users sharing roles; the CRM gives roles to users directly.")),
    ("PermissionModelView", _l("Permissions"),
     _l("The kinds of permission: to list, show, add, edit, open a menu...")),
    ("ViewMenuModelView", _l("Screens and menus"),
     _l("Every screen and menu item that a permission can open.")),
    ("PermissionViewModelView", _l("Permissions on screens"),
     _l("Each kind of permission paired with the screen or menu it opens.")),
)


class AccessRightsView(BaseView):
    route_base = "/admin/access"
    default_view = "index"

    @expose("/")
    @has_access
    def index(self):
        """List FAB's permission screens, with what each one is for."""
        screens = [
            (url_for(f"{view}.list"), title, purpose)
            for view, title, purpose in SCREENS
            if f"{view}.list" in current_app.view_functions
        ]
        return self.render_template(
            "crm/admin_access.html", title=_l("Access rights"), screens=screens
        )
