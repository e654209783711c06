"""Every place the CRM leans on Flask-AppBuilder's insides, checked against one FAB version.

(And the one on Flask-Babel's, which FAB brings, at the end.)

FAB's documented hooks (`pre_add`, `pre_update`, `pre_delete`, `post_delete_redirect`,
`*_columns`, `*_fieldsets`, `*_widget`, `route_base`...) are its public surface and are not
listed. Listed are the members that replace FAB's own code, private or not, and the
templates that shadow or extend FAB's: on an upgrade of FAB, read each one's FAB source
again. tests/test_fab_overrides.py fails when the installed FAB is another version, when
a listed member or template is gone from FAB, and when a private override is not listed.
"""

from dataclasses import dataclass

FAB_VERSION = "5.3.0"


@dataclass(frozen=True)
class Override:
    """One member of a CRM class replacing the member of the same name in a FAB class."""

    ours: str
    fab: str
    member: str
    why: str


_CRUD = "flask_appbuilder.baseviews.BaseCRUDView"
_MODEL_VIEW = "flask_appbuilder.views.ModelView"
_REST = "flask_appbuilder.api.ModelRestApi"
_SQLA = "flask_appbuilder.models.sqla.interface.SQLAInterface"
_BASE_SM = "flask_appbuilder.security.manager.BaseSecurityManager"
_SQLA_SM = "flask_appbuilder.security.sqla.manager.SecurityManager"
_VIEW = "app.views.base.CrmModelView"
_VERSIONED = "app.views.versioned_forms.VersionedForms"
_DATES = "app.views.date_field.LocalDateForms"
_OWNER = "app.views.owner_field.OwnerFieldByRole"
_STORY = "app.views.record_story.ShowWithStory"
_CAPPED = "app.views.capped_list.CappedList"
_ARCHIVING = "app.views.archiving.ArchiveInsteadOfDelete"
_ACTIONS = "app.views.action_guards.ScopedActions"
_API = "app.api.base.CrmModelApi"
_ROUTES = "app.api.routes.DocumentedRoutes"
_SCOPED = "app.data.datamodel.ScopedInterface"
_SM = "app.security.CrmSecurityManager"

OVERRIDES = (
    # Screens: app/views/base.py and its mixins
    Override(_DATES, _CRUD, "_init_forms", "dates typed the user's way"),
    Override(_VERSIONED, _CRUD, "_init_forms", "the edit form's hidden version"),
    Override("app.views.choice_filters.ChoiceFilters", _CRUD, "_init_forms",
             "choice columns searched through a select of translated labels"),
    Override(_CAPPED, _CRUD, "_get_list_widget", "capped count, one query per shown relation"),
    Override("app.views.choice_filters.ChoiceSearchWidget",
             "flask_appbuilder.widgets.SearchWidget", "__call__",
             "the form's fields rendered once per user and language, kept a minute"),
    Override(_VIEW, _CRUD, "_add", "owner field hidden from managers; refusals on the field; "
             "the saved id for post_add_redirect (the card)"),
    Override(_VIEW, _CRUD, "_edit", "version check; refusals keep what was typed; "
             "the saved id for post_edit_redirect (the card)"),
    Override(_ARCHIVING, _CRUD, "_delete", "deleting archives, saying what went with it"),
    Override(_OWNER, _CRUD, "_get_add_widget", "only the form's own fields (owner hidden)"),
    Override(_OWNER, _CRUD, "_get_edit_widget", "only the form's own fields (owner hidden)"),
    Override(_STORY, _MODEL_VIEW, "show", "the record's card (header, feed, log a call) or "
             "its story under its fields; no related-list tabs"),
    Override(_ARCHIVING, _MODEL_VIEW, "delete", "asks first, then archives; never a GET delete"),
    Override(_ACTIONS, _MODEL_VIEW, "action", "FAB does not scope actions to visible rows"),
    Override(_ACTIONS, _MODEL_VIEW, "action_post", "FAB does not scope actions to visible rows"),
    Override("app.views.reassignment.ReassignmentView", _MODEL_VIEW, "show",
             "a move under way is told from a stopped one; its page looks again until it ends"),
    Override("app.views.task.TaskView", _MODEL_VIEW, "list",
             "the task list opens on the planned tasks"),
    Override("app.views.index.CrmIndexView", "flask_appbuilder.views.IndexView", "index",
             "the home page is My day"),
    # API: app/api/base.py, app/api/routes.py
    Override(_API, _REST, "_init_model_schemas", "amounts as text, team-local times, next_task"),
    Override(_API, _REST, "_get_field_info", "FAB translates an empty description to the "
             "catalogue's header"),
    Override(_API, _REST, "_handle_filters_args", "filter values typed by their column"),
    Override(_API, _REST, "get_headless", "ids out of range answer 404, not 500"),
    Override(_API, _REST, "get_list_headless", "a page out of range answers 400"),
    Override(_API, _REST, "post_headless", "saves through the services; refusals answer 422"),
    Override(_API, _REST, "put_headless", "partial updates, versions (409), the services"),
    Override(_API, _REST, "delete_headless", "deleting archives through the services"),
    *(Override(_ROUTES, _REST, route, "FAB's route declared again with the CRM's answers")
      for route in ("info", "get", "get_list", "post", "put", "delete")),
    # Data: app/data/
    Override(_SCOPED, _SQLA, "_apply_inner_all", "every query scoped to the acting user"),
    Override(_SCOPED, _SQLA, "apply_all", "many-to-one relations loaded in one query each"),
    Override(_SCOPED, _SQLA, "delete", "deleting archives through the services"),
    Override("app.data.search_filters.FoldedStartsWith",
             "flask_appbuilder.models.sqla.filters.FilterStartsWith", "apply",
             "a prefix search an index can answer"),
    Override("app.data.search_filters.CrmFilterConverter",
             "flask_appbuilder.models.filters.BaseFilterConverter", "convert",
             "a column's filters made once, not on every copy of a filter set"),
    Override("app.views.admin_users.UserListInterface", _SQLA, "apply_all",
             "a page of users with their roles in one query"),
    Override("app.views.admin_users.UserListInterface", _SQLA, "query",
             "a page of users with their roles in one query"),
    # Security: app/security.py, app/views/admin_users.py
    Override(_SM, _SQLA_SM, "get_user_by_id", "the session version checked in the same query"),
    Override(_SM, _BASE_SM, "load_user", "sessions end on logout, new password, deactivation"),
    Override(_SM, _BASE_SM, "is_item_public",
             "the Public role's answer kept a while: two statements on every API call"),
    Override(_SM, _BASE_SM, "load_user_jwt", "API tokens end with the sessions"),
    Override(_SM, _BASE_SM, "create_jwt_manager", "tokens carry the session version"),
    Override(_SM, _BASE_SM, "auth_user_db", "lockout after repeated failures"),
    Override(_SM, _BASE_SM, "update_user_auth_stat", "failures counted by the database"),
    Override(_SM, _BASE_SM, "reset_password", "a new password ends the other sessions"),
    Override(_SM, _SQLA_SM, "register_views", "no user statistics chart (Google Charts)"),
    Override(_SM, _BASE_SM, "is_auth_limited", "one login budget per address and account"),
    Override("app.security.CrmAuthDBView", "flask_appbuilder.security.views.AuthDBView",
             "login", "one answer for every refusal; `next` checked"),
    Override("app.security.CrmAuthDBView", "flask_appbuilder.security.views.AuthView",
             "logout", "logging out takes a POST and ends every session"),
    Override("app.security.CrmSecurityApi", "flask_appbuilder.security.api.SecurityApi",
             "login", "the API login shares the form's limit and lockout"),
    Override("app.security.CrmSecurityApi", "flask_appbuilder.api.BaseApi", "response_401",
             "a translated answer"),
    Override("app.api.busy.BusyDatabaseAnswer", "flask_appbuilder.api.BaseApi",
             "response_500", "SQLite held by a long save: 503 and a translated answer"),
    Override("app.security.CrmResetMyPasswordView",
             "flask_appbuilder.security.views.ResetMyPasswordView", "form",
             "changing one's own password asks for the current one"),
    Override("app.views.admin_users.CrmUserDBModelView",
             "flask_appbuilder.security.views.UserModelView", "show_fieldsets",
             "the user in the CRM's words"),
    Override("app.views.admin_users.CrmUserDBModelView",
             "flask_appbuilder.security.views.UserDBModelView", "pre_update",
             "an admin's edit ends a lockout"),
    Override("app.views.admin_users.CrmUserDBModelView", _MODEL_VIEW, "__init__",
             "FAB's security manager hands the view a plain interface; ours loads pages"),
    Override("app.views.admin_users.CrmUserDBModelView", _CRUD, "_init_forms",
             "the search form's date-time filters take a day typed the user's way"),
    Override("app.views.reassignment.ReassignmentView", _CRUD, "_init_forms",
             "the \"when\" filter takes a day typed the user's way"),
)

# Templates of ours that take the place of FAB's (same name) or extend FAB's blocks.
TEMPLATES = (
    ("appbuilder/navbar.html", "replaces FAB's menu bar: counters on a phone too"),
    ("appbuilder/navbar_right.html", "replaces FAB's right menu: the counters"),
    ("appbuilder/general/alert.html", "replaces FAB's alert dialog: a translated button"),
    ("appbuilder/general/confirm.html", "replaces FAB's confirm dialog: translated buttons"),
    ("appbuilder/general/widgets/list.html", "crm/widgets/list.html: 'more than N'"),
    ("appbuilder/general/widgets/roles/list.html", "crm/widgets/role_list.html: role labels"),
    ("appbuilder/general/model/list.html", "crm/list.html: export links"),
    ("appbuilder/general/model/show.html", "crm/show.html: the record's story; "
     "crm/reassignment_show.html: a move under way"),
    ("appbuilder/general/model/add.html", "crm/add.html: the search-as-you-type fields"),
    ("appbuilder/general/model/edit.html", "crm/edit.html: the search-as-you-type fields"),
    ("appbuilder/baselib.html", "imported by our add and edit pages for the CSP nonce"),
    ("appbuilder/general/lib.html", "imported by our list widgets for FAB's pagination"),
    ("appbuilder/base.html", "every CRM page's frame"),
    ("appbuilder/baselayout.html", "crm/layout.html: the browser tab names the page"),
    ("appbuilder/navbar_menu.html", "included by our menu bar for FAB's menu items"),
)

# Flask-Babel, which FAB brings: its private function replaced, read against this version.
FLASK_BABEL_VERSION = "4.0.0"
FLASK_BABEL_PATCHES = (
    ("_get_current_context", "app.babel_context._current_context",
     "the request's locale and translations found with one look at `g`, not three"),
)
