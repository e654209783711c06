"""Configuration: a base class reading the environment, plus test and production variants."""

import os

from flask_appbuilder.const import AUTH_DB

BASE_DIR = os.path.abspath(os.path.dirname(__file__))

# Views and menus every sales role works with (regexes are matched from the start).
_CRM_VIEWS = r"(CompanyView|ContactView|DealView|TaskView)$"
_CRM_MENUS = r"(Clients|Sales|Companies|Contacts|Deals|Tasks|Queue)$"
# New client from a call: the one-screen form and its API, for every sales role.
_FIRST_CALL = [
    [r"FirstCallView$", r"can_index$"],
    [r"New client from a call$", r"menu_access$"],
    [r"FirstCallApi$", r"can_post$"],
]
# The menu bar's search: its results page and its API, for every sales role.
# Merging: Head and Admin any two records, a manager two of their own (the rule checks).
_MERGE = [
    [r"MergeView$", r"can_(index|merge)$"],
    [r"MergeApi$", r"can_merge$"],
]
_SEARCH = [
    [r"SearchView$", r"can_index$"],
    [r"SearchApi$", r"can_get$"],
]
# The inbox of leads, its screen and API, for every sales role (each sees own items).
_INBOX = [
    [r"InboxView$", r"can_(index|show|decide)$"],
    [r"Inbox$", r"menu_access$"],
    [r"InboxApi$", r"can_(get|post)$"],
]
# The pipeline board and the reports: every sales role, each seeing what it may see.
_REPORTS = [
    [r"PipelineView$", r"can_(index|move)$"],
    [r"(Funnel|WonLost|Task|NoNextTask|NewClients|SpeedToLead)ReportView$", r"can_index$"],
    [r"(Pipeline|Reports|Sales funnel|Won and lost|Tasks by manager|No next task by manager"
     r"|New clients|Speed to lead)$", r"menu_access$"],
]
# Cadence, sales plan and forecast: each sales role reads its own; setting the plan is Head's.
_PLANNING = [
    [r"(OffCadenceView|PlanView|ForecastView)$", r"can_index$"],
    [r"(Off cadence|Sales plan|Forecast)$", r"menu_access$"],
]
# The REST API (/api/v1/) for every sales role, scoped like the screens; its documentation.
_API = [
    [r"(CompanyApi|ContactApi|DealApi|TaskApi)$",
     r"can_(get|post|put|delete|info|complete|log_call)$"],
    [r"StageApi$", r"can_get$"],
    [r"OpenApi$", r"can_get$"],
    [r"SwaggerView$", r"can_show$"],
]
# Import of companies and contacts from CSV / XLSX (only Head and Admin may set owners).
_IMPORT = [
    [r"ImportView$", r"can_(index|mapping|run)$"],
    [r"Import$", r"menu_access$"],
]
_OWN_PROFILE = [
    [r"QueueView$", r"can_index$"],
    # The search behind the company / contact / deal selects of the forms.
    [r"LookupView$", r"can_search$"],
    [r"CalendarView$", r"can_(index|regenerate)$"],
    # Each user's own profile (the CRM's user screen is CrmUserDBModelView).
    [r"(Crm)?UserDBModelView$", r"(can_userinfo|resetmypassword|userinfoedit)$"],
    [r"(ResetMyPasswordView|UserInfoEditView)$", r"can_this_form_(get|post)$"],
]


class Config:
    """Settings shared by every environment; each value may come from the environment."""

    SECRET_KEY = os.environ.get("SECRET_KEY", "development-only-secret-key")
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL")  # default: SQLite in instance/
    SQLALCHEMY_TRACK_MODIFICATIONS = False
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}

    APP_NAME = "CRM"
    # Every page's frame: FAB's, with a browser tab title naming the page.
    FAB_BASE_TEMPLATE = "crm/layout.html"
    AUTH_TYPE = AUTH_DB
    AUTH_ROLE_ADMIN = "Admin"
    AUTH_ROLE_PUBLIC = "Public"
    # The database schema belongs to Alembic; roles and permissions to `crm init`.
    FAB_SECURITY_MANAGER_CLASS = "app.security.CrmSecurityManager"
    FAB_CREATE_DB = False
    FAB_UPDATE_PERMS = False
    FAB_ADD_SECURITY_VIEWS = True
    FAB_API_SWAGGER_UI = True
    FAB_API_MAX_PAGE_SIZE = 100
    FAB_ROLES = {
        "Admin": [[r".*", r".*"]],
        "Head": [
            [_CRM_VIEWS, r"(can_(list|show|add|edit|delete|complete|export|log_call)|transfer)$"],
            *_IMPORT,
            [_CRM_MENUS, r"menu_access$"],
            [r"(ReassignView|ReassignmentView)$", r"can_(index|list|show)$"],
            [r"PlanView$", r"can_edit$"],
            [r"(Team|Reassign clients|Reassignments)$", r"menu_access$"],
            # The archive: list and restore; deleting for good (can_purge) is Admin's.
            [r"ArchiveView$", r"can_(index|restore)$"],
            [r"Archive$", r"menu_access$"],
            # Pairs that look like one client, with a merge button: the head's.
            [r"DuplicatesView$", r"can_index$"],
            [r"Duplicates$", r"menu_access$"],
            *_REPORTS,
            *_PLANNING,
            *_API,
            *_OWN_PROFILE,
            *_FIRST_CALL,
            *_SEARCH,
            *_INBOX,
            *_MERGE,
        ],
        "Manager": [
            [_CRM_VIEWS, r"can_(list|show|add|edit|delete|complete|export|log_call)$"],
            *_IMPORT,
            [_CRM_MENUS, r"menu_access$"],
            *_REPORTS,
            *_PLANNING,
            *_API,
            *_OWN_PROFILE,
            *_FIRST_CALL,
            *_SEARCH,
            *_INBOX,
            *_MERGE,
        ],
    }

    BABEL_DEFAULT_LOCALE = "ru"
    BABEL_DEFAULT_TIMEZONE = os.environ.get("CRM_TIMEZONE", "Europe/Moscow")
    BABEL_TRANSLATION_DIRECTORIES = os.path.join(BASE_DIR, "translations")
    LANGUAGES = {
        "ru": {"flag": "ru", "name": "Русский"},
        "en": {"flag": "gb", "name": "English"},
    }
    CRM_DEFAULT_CURRENCY = "RUB"
    # The public address of the CRM, for links in e-mails and calendar events.
    CRM_BASE_URL = os.environ.get("CRM_BASE_URL", "http://127.0.0.1:5000")

    # Outgoing mail (the reminders digest); without MAIL_SERVER messages go to the log.
    MAIL_SERVER = os.environ.get("MAIL_SERVER", "")
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "25"))
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME", "")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD", "")
    MAIL_USE_TLS = os.environ.get("MAIL_USE_TLS", "").lower() in ("1", "true", "yes", "on")
    MAIL_FROM = os.environ.get("MAIL_FROM", "crm@localhost")

    # No form or API call may send more than this (the import has its own lower cap);
    # a bigger request answers 413 before anything reads it.
    MAX_CONTENT_LENGTH = 25 * 1024 * 1024

    WTF_CSRF_ENABLED = True
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"

    # Security: login limit per address (form and API), lockout after failed logins,
    # password rule (app.services.rules.accounts), cookies, HSTS (production only).
    RATELIMIT_ENABLED = True
    AUTH_RATE_LIMITED = True
    AUTH_RATE_LIMIT = os.environ.get("CRM_LOGIN_RATE_LIMIT", "10 per minute")
    CRM_LOCKOUT_ATTEMPTS = int(os.environ.get("CRM_LOCKOUT_ATTEMPTS", "10"))
    CRM_LOCKOUT_MINUTES = int(os.environ.get("CRM_LOCKOUT_MINUTES", "15"))
    FAB_PASSWORD_COMPLEXITY_ENABLED = True
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    CRM_HSTS = False

    # Serving: rate-limit counters shared by every process (redis://host:6379/0 when
    # several processes serve), logs ("json": one object per line), proxies in front.
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    LOG_FORMAT = os.environ.get("LOG_FORMAT", "text")
    LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO")
    CRM_PROXY_COUNT = int(os.environ.get("CRM_PROXY_COUNT", "0"))

    # The inbox: minutes to answer a new lead, the website form's allowed origins and
    # limit per client address, and the telephony webhook's tokens (comma-separated).
    CRM_LEAD_ANSWER_MINUTES = int(os.environ.get("CRM_LEAD_ANSWER_MINUTES", "15"))
    # The head's limit: a lead unanswered longer than this is flagged on the head's My day
    # and in the head's digest.
    CRM_LEAD_ALERT_MINUTES = int(os.environ.get("CRM_LEAD_ALERT_MINUTES", "60"))
    CRM_INTAKE_ORIGINS = os.environ.get("CRM_INTAKE_ORIGINS", "")
    CRM_INTAKE_RATE_LIMIT = os.environ.get("CRM_INTAKE_RATE_LIMIT", "20 per hour")
    CRM_INTAKE_MAX_BYTES = 16 * 1024
    CRM_INTAKE_TOKENS = os.environ.get("CRM_INTAKE_TOKENS", "")
    # The sales mailbox read by `flask --app run crm intake` (IMAP; SSL unless "false").
    CRM_IMAP_HOST = os.environ.get("CRM_IMAP_HOST", "")
    CRM_IMAP_PORT = os.environ.get("CRM_IMAP_PORT", "")
    CRM_IMAP_USER = os.environ.get("CRM_IMAP_USER", "")
    CRM_IMAP_PASSWORD = os.environ.get("CRM_IMAP_PASSWORD", "")
    CRM_IMAP_FOLDER = os.environ.get("CRM_IMAP_FOLDER", "INBOX")
    CRM_IMAP_SSL = os.environ.get("CRM_IMAP_SSL", "true")


class TestConfig(Config):
    """Settings for the test suite: a throw-away database and cheap password hashing."""

    TESTING = True
    SECRET_KEY = "test-secret-key-of-thirty-two-bytes"
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL", "sqlite://")
    WTF_CSRF_ENABLED = False
    FAB_PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"
    # Tests log in many times a minute; tests/test_security*.py switch the limit on.
    RATELIMIT_ENABLED = False
    CRM_INTAKE_TOKENS = "test-intake-token"
    CRM_INTAKE_ORIGINS = "https://shop.example"


class ProductionConfig(Config):
    """Settings for production: secrets and the database must come from the environment."""

    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    CRM_HSTS = True
    LOG_FORMAT = os.environ.get("LOG_FORMAT", "json")

    def __init__(self) -> None:
        secret = os.environ.get("SECRET_KEY")
        if not secret:
            raise RuntimeError("SECRET_KEY must be set in the environment for production.")
        self.SECRET_KEY = secret
        url = os.environ.get("DATABASE_URL")
        if not url:
            raise RuntimeError("DATABASE_URL must be set in the environment for production.")
        self.SQLALCHEMY_DATABASE_URI = url
        self.SQLALCHEMY_ENGINE_OPTIONS = engine_options(url)


def engine_options(url: str) -> dict:
    """Return the engine options for a database URL, the pool sized from the environment.

    Each worker process has its own pool, so hosts x workers x (DATABASE_POOL_SIZE +
    DATABASE_MAX_OVERFLOW) must stay below PostgreSQL's max_connections; a worker's pool
    should hold at least its threads.
    """
    options: dict = {"pool_pre_ping": True}
    if url.startswith("sqlite"):
        return options
    options.update(
        pool_size=int(os.environ.get("DATABASE_POOL_SIZE", "5")),
        max_overflow=int(os.environ.get("DATABASE_MAX_OVERFLOW", "5")),
        pool_timeout=float(os.environ.get("DATABASE_POOL_TIMEOUT", "10")),
        pool_recycle=int(os.environ.get("DATABASE_POOL_RECYCLE", "1800")),
    )
    if url.startswith("postgresql"):
        timeout = int(os.environ.get("DATABASE_CONNECT_TIMEOUT", "5"))
        options["connect_args"] = {"connect_timeout": timeout}
    return options


CONFIGS = {"development": Config, "testing": TestConfig, "production": ProductionConfig}


def config_from_environment() -> Config:
    """Return the configuration named by CRM_ENV (development by default)."""
    name = os.environ.get("CRM_ENV", "development")
    if name not in CONFIGS:
        raise RuntimeError(f"Unknown CRM_ENV {name!r}; expected one of {sorted(CONFIGS)}.")
    return CONFIGS[name]()
