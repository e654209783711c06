"""Configuration: a base class reading the environment, plus test and production variants."""

import os

from flask_appbuilder.const import AUTH_DB

BASE_DIR = os.path.abspath(os.path.dirname(__file__))

# Views and menus every sales role works with (regexes are matched from the start).
_CRM_VIEWS = r"(CompanyView|ContactView|DealView|TaskView)$"
_CRM_MENUS = r"(Clients|Sales|Companies|Contacts|Deals|Tasks|Queue)$"
_OWN_PROFILE = [
    [r"QueueView$", r"can_index$"],
    [r"UserDBModelView$", r"(can_userinfo|resetmypassword|userinfoedit)$"],
    [r"(ResetMyPasswordView|UserInfoEditView)$", r"can_this_form_(get|post)$"],
]


class Config:
    """Settings shared by every environment; each value may come from the environment."""

    SECRET_KEY = os.environ.get("SECRET_KEY", "development-only-secret-key")
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL")  # default: SQLite in instance/
    SQLALCHEMY_TRACK_MODIFICATIONS = False
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}

    APP_NAME = "CRM"
    AUTH_TYPE = AUTH_DB
    AUTH_ROLE_ADMIN = "Admin"
    AUTH_ROLE_PUBLIC = "Public"
    # The database schema belongs to Alembic; roles and permissions to `crm init`.
    FAB_SECURITY_MANAGER_CLASS = "app.security.CrmSecurityManager"
    FAB_CREATE_DB = False
    FAB_UPDATE_PERMS = False
    FAB_ADD_SECURITY_VIEWS = True
    FAB_API_SWAGGER_UI = True
    FAB_ROLES = {
        "Admin": [[r".*", r".*"]],
        "Head": [
            [_CRM_VIEWS, r"(can_(list|show|add|edit|delete|complete)|transfer)$"],
            [_CRM_MENUS, r"menu_access$"],
            [r"(ReassignView|ReassignmentView)$", r"can_(index|list|show)$"],
            [r"(Team|Reassign clients|Reassignments)$", r"menu_access$"],
            *_OWN_PROFILE,
        ],
        "Manager": [
            [_CRM_VIEWS, r"can_(list|show|add|edit|delete|complete)$"],
            [_CRM_MENUS, r"menu_access$"],
            *_OWN_PROFILE,
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
    CRM_PHONE_REGION = os.environ.get("CRM_PHONE_REGION", "RU")

    WTF_CSRF_ENABLED = True
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"


class TestConfig(Config):
    """Settings for the test suite: a throw-away database and cheap password hashing."""

    TESTING = True
    SECRET_KEY = "test-secret-key"
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL", "sqlite://")
    WTF_CSRF_ENABLED = False
    FAB_PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"


class ProductionConfig(Config):
    """Settings for production: secrets and the database must come from the environment."""

    SESSION_COOKIE_SECURE = True

    def __init__(self) -> None:
        secret = os.environ.get("SECRET_KEY")
        if not secret:
            raise RuntimeError("SECRET_KEY must be set in the environment for production.")
        self.SECRET_KEY = secret


CONFIGS = {"development": Config, "testing": TestConfig, "production": ProductionConfig}


def config_from_environment() -> Config:
    """Return the configuration named by CRM_ENV (development by default)."""
    name = os.environ.get("CRM_ENV", "development")
    if name not in CONFIGS:
        raise RuntimeError(f"Unknown CRM_ENV {name!r}; expected one of {sorted(CONFIGS)}.")
    return CONFIGS[name]()
