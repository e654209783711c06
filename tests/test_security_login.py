"""Logging in and out safely: CSRF on every form, the login limit, lockout after failed
logins, the password rule, the session cookie, `?next=` and logging out by POST only."""

import io
import os
import re
import uuid
from datetime import timedelta

import pytest
from flask import g
from flask_appbuilder import Model
from sqlalchemy import select, text

from app import create_app
from app.extensions import db
from config import ProductionConfig
from tests.helpers import PASSWORD, csrf_token, make_config, require, require_module, server_now

REDIS_URL = os.environ.get("CRM_TEST_REDIS", "redis://127.0.0.1:6379/15")
REFUSED_RU = "Неверное имя пользователя или пароль, либо учётная запись временно заблокирована"
DUE = "2030-01-15 10:00:00"


def _dispose(application) -> None:
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


def _login_with_token(client, username: str, password: str = PASSWORD):
    token = csrf_token(client.get("/login/").get_data(as_text=True))
    return client.post("/login/", data={"username": username, "password": password,
                                        "csrf_token": token})


# --- cross-site request forgery on every form ----------------------------------------------


def _snapshot(session) -> dict:
    """Every row of every table, to see that nothing at all was written."""
    session.expire_all()
    rows = {}
    for table in Model.metadata.sorted_tables:
        order = list(table.primary_key.columns) or list(table.columns)
        result = session.execute(select(table).order_by(*order))
        rows[table.name] = [tuple(row) for row in result]
    return rows


def _csv_upload() -> dict:
    return {"kind": "company",
            "file": (io.BytesIO("Название;Статус\nООО Импорт;active\n".encode()), "c.csv")}


def test_every_form_refuses_a_post_without_the_csrf_token(guarded_app, app, make_user,
                                                          make_company, make_contact,
                                                          make_deal, make_task, stage, session):
    admin = make_user("Admin", "root")
    manager = make_user("Manager", "anna")
    company = make_company(manager, "Вектор")
    contact = make_contact(manager, "Петров", company=company)
    deal = make_deal(manager, company=company)
    task = make_task(manager, company=company, deal=deal)
    make_task(manager, company=company, subject="Ещё звонок")
    client = guarded_app.test_client()
    assert _login_with_token(client, admin.username).status_code == 302

    # A real upload token, so the import's later steps are reached with a file of their own.
    token = csrf_token(client.get("/import/").get_data(as_text=True))
    uploaded = client.post("/import/", data={**_csv_upload(), "csrf_token": token},
                           content_type="multipart/form-data")
    assert uploaded.status_code == 302
    upload_token = re.search(r"/import/mapping/([^?/]+)", uploaded.location).group(1)

    ids = {"companyview": company.id, "contactview": contact.id, "dealview": deal.id,
           "taskview": task.id, "stageview": stage("cold").id, "users": manager.id,
           "roles": 1, "permissions": 1, "viewmenus": 1, "permissionviews": 1, "groups": 1,
           "reassignmentview": 1}
    forms = {
        "/companyview/add": {"name": "ООО Подделка", "status": "potential",
                             "next_type": "call", "next_subject": "Звонок", "next_due_at": DUE},
        f"/companyview/edit/{company.id}": {"name": "Подделано", "status": "active"},
        f"/taskview/complete/{task.id}": {"outcome": "done", "result": "Подделано"},
        "/reassign/": {"from_user": str(manager.id), "to_user": str(admin.id), "confirm": "1"},
        "/import/": _csv_upload(),
        f"/import/run/{upload_token}": {"kind": "company", "col_0": "name", "col_1": "status"},
        "/users/add": {"username": "mallory", "first_name": "M", "last_name": "M",
                       "email": "m@example.com", "roles": "1", "password": "Mallory-pass-1",
                       "conf_password": "Mallory-pass-1"},
        f"/resetpassword/form?pk={manager.id}": {"password": "Changed-pass-1",
                                                 "conf_password": "Changed-pass-1"},
        "/resetmypassword/form": {"password": "Changed-pass-1",
                                  "conf_password": "Changed-pass-1"},
        "/userinfoeditview/form": {"first_name": "Подделано", "last_name": "Подделано"},
        "/login/": {"username": manager.username, "password": PASSWORD},
        "/logout/": {},
        f"/pipeline/move/{deal.id}": {"stage": str(stage("proposal").id)},
        f"/archive/restore/company/{company.id}": {},
        "/calendar/regenerate": {},
    }
    urls = dict(forms)
    for rule in guarded_app.url_map.iter_rules():
        if "POST" not in rule.methods or rule.rule.startswith(("/api/", "/health")):
            continue
        view = rule.rule.strip("/").split("/")[0]
        values = {"pk": ids.get(view, 1), "name": "transfer", "kind": "company",
                  "token": upload_token}
        url = rule.rule
        for argument in rule.arguments:
            url = re.sub(rf"<[^>]*\b{argument}>", str(values[argument]), url)
        if not any(known.split("?")[0] == url for known in urls):
            urls[url] = {"name": "Подделано", "title": "Подделано", "status": "active"}
    assert len(urls) > 60  # every screen's forms, FAB's own included

    before = _snapshot(session)
    answers = {}
    for url, data in urls.items():
        g.pop("_login_user", None)
        data = {k: (v if not isinstance(v, tuple) else (io.BytesIO(v[0].getvalue()), v[1]))
                for k, v in data.items()}
        answers[url] = client.post(url, data=data).status_code
    assert {url: code for url, code in answers.items() if code != 400} == {}
    assert _snapshot(session) == before
    # And the session survived all of that: still logged in, logout refused without a token.
    assert client.get("/companyview/list/").status_code == 200


# --- the login limit --------------------------------------------------------------------


@pytest.fixture
def limited_app(database_url):
    """The CRM with the login limit on: three attempts a minute per address."""

    def build(storage: str = "memory://", prefix: str = "crm-limit", **overrides):
        application = create_app(make_config(
            database_url, RATELIMIT_ENABLED=True, AUTH_RATE_LIMIT="3 per minute",
            RATELIMIT_STORAGE_URI=storage, RATELIMIT_KEY_PREFIX=prefix, **overrides))
        built.append(application)
        return application

    built = []
    yield build
    for application in built:
        _dispose(application)


def test_the_fourth_login_a_minute_is_refused_with_a_translated_page(limited_app, make_user):
    user = make_user("Manager", "anna")
    client = limited_app().test_client()
    for _ in range(3):
        answer = client.post("/login/", data={"username": user.username, "password": "wrong"})
        assert answer.status_code == 302
    refused = client.post("/login/", data={"username": user.username, "password": PASSWORD})
    assert refused.status_code == 429
    page = refused.get_data(as_text=True)
    assert "Слишком много попыток входа" in page
    assert client.get("/companyview/list/").status_code == 302  # the right password did not help

    # Looking at the form is not limited, and neither is logging out.
    for _ in range(5):
        assert client.get("/login/").status_code == 200
    for _ in range(5):
        assert client.post("/logout/").status_code != 429
        assert client.get("/logout/").status_code != 429


def test_behind_a_proxy_each_client_address_is_counted_apart(limited_app, make_user):
    user = make_user("Manager", "anna")
    other = make_user("Manager", "boris")
    client = limited_app(CRM_PROXY_COUNT=1).test_client()

    def attempt(address: str, username: str = user.username) -> int:
        return client.post("/login/", data={"username": username, "password": "wrong"},
                           headers={"X-Forwarded-For": address}).status_code

    assert [attempt("203.0.113.7") for _ in range(4)] == [302, 302, 302, 429]
    # Another client behind the same proxy, logging in to another account.
    assert attempt("198.51.100.9", other.username) == 302


def test_without_a_proxy_a_forged_address_does_not_escape_the_limit(limited_app, make_user):
    user = make_user("Manager", "anna")
    client = limited_app().test_client()
    wrong = {"username": user.username, "password": "wrong"}
    codes = [client.post("/login/", data=wrong,
                         headers={"X-Forwarded-For": f"203.0.113.{number}"}).status_code
             for number in range(4)]
    assert codes == [302, 302, 302, 429]


def test_the_api_login_is_limited_too(limited_app, make_user):
    user = make_user("Manager", "anna")
    client = limited_app().test_client()
    body = {"username": user.username, "password": "wrong", "provider": "db"}
    for _ in range(3):
        assert client.post("/api/v1/security/login", json=body).status_code == 401
    refused = client.post("/api/v1/security/login", json={**body, "password": PASSWORD})
    assert refused.status_code == 429
    assert refused.get_json() == {
        "message": "Слишком много попыток входа; попробуйте снова через минуту."}


def test_the_form_and_the_api_share_one_budget_per_address(limited_app, make_user):
    users = [make_user("Manager", f"user{number}") for number in range(5)]
    client = limited_app().test_client()

    def form(user) -> int:
        return client.post("/login/", data={"username": user.username,
                                            "password": "wrong"}).status_code

    def api(user) -> int:
        return client.post("/api/v1/security/login", json={
            "username": user.username, "password": "wrong", "provider": "db"}).status_code

    # Each attempt names another account: only the address's budget is at stake.
    assert [form(users[0]), api(users[1]), form(users[2])] == [302, 401, 302]
    assert api(users[3]) == 429
    assert form(users[4]) == 429


def test_one_account_has_one_budget_whatever_the_address(limited_app, make_user):
    make_user("Manager", "anna")
    other = make_user("Manager", "boris")
    client = limited_app(CRM_PROXY_COUNT=1).test_client()

    def form(address: str, username: str) -> int:
        return client.post("/login/", data={"username": username, "password": "wrong"},
                           headers={"X-Forwarded-For": address}).status_code

    def api(address: str, username: str) -> int:
        return client.post("/api/v1/security/login", json={
            "username": username, "password": "wrong", "provider": "db"},
            headers={"X-Forwarded-For": address}).status_code

    # Three addresses, both doors, the name spelt three ways (the e-mail address too): one
    # account, one budget.
    assert [form("203.0.113.1", "anna"), api("203.0.113.2", " ANNA "),
            form("203.0.113.3", "anna@example.com")] == [302, 401, 302]
    assert api("203.0.113.4", "anna") == 429
    assert form("203.0.113.5", "anna") == 429
    # Another account from a fresh address is not held up.
    assert form("203.0.113.6", other.username) == 302


def test_guessing_the_current_password_draws_on_the_accounts_budget(limited_app, make_user):
    user = make_user("Manager", "anna")
    other = make_user("Manager", "boris")
    client = limited_app(CRM_PROXY_COUNT=1).test_client()
    address = {"X-Forwarded-For": "203.0.113.1"}
    assert client.post("/login/", data={"username": user.username, "password": PASSWORD},
                       headers=address).status_code == 302

    def guess(number: int) -> int:
        g.pop("_login_user", None)
        return client.post("/resetmypassword/form", headers=address, data={
            "current_password": f"Guess-{number}-x", "password": "Brand-new-pass-7",
            "conf_password": "Brand-new-pass-7"}).status_code

    # The login took one attempt of the three: two guesses, then refused.
    assert [guess(1), guess(2), guess(3)] == [200, 200, 429]
    g.pop("_login_user", None)
    assert client.get("/resetmypassword/form", headers=address).status_code == 200
    # Other accounts from other addresses are not held up.
    assert client.post("/api/v1/security/login", json={
        "username": other.username, "password": PASSWORD, "provider": "db"},
        headers={"X-Forwarded-For": "198.51.100.2"}).status_code == 200


def test_a_logged_in_user_keeps_working_after_the_limit(limited_app, make_user):
    user = make_user("Manager", "anna")
    client = limited_app().test_client()
    assert client.post("/login/", data={"username": user.username,
                                        "password": PASSWORD}).status_code == 302
    for _ in range(6):
        g.pop("_login_user", None)
        assert client.get("/companyview/list/").status_code == 200


def test_two_processes_share_the_counter_in_redis(limited_app, make_user):
    redis = require_module("the redis package", "redis", "the login limit counts in Redis")
    connection = redis.Redis.from_url(REDIS_URL)
    try:
        connection.ping()
    except redis.RedisError as error:
        require("Redis", False, f"no server answers at {REDIS_URL}: {error}")
    prefix = f"crm-test-{uuid.uuid4().hex[:8]}"
    user = make_user("Manager", "anna")
    try:
        first = limited_app(REDIS_URL, prefix).test_client()
        second = limited_app(REDIS_URL, prefix).test_client()
        wrong = {"username": user.username, "password": "wrong"}
        assert first.post("/login/", data=wrong).status_code == 302
        assert second.post("/login/", data=wrong).status_code == 302
        assert first.post("/login/", data=wrong).status_code == 302
        # The fourth attempt of the address, on the other process: refused.
        refused = second.post("/login/", data={**wrong, "password": PASSWORD})
        assert refused.status_code == 429
        assert connection.keys(f"*{prefix}*")  # the counter lives in Redis
    finally:
        keys = connection.keys(f"*{prefix}*")
        if keys:
            connection.delete(*keys)
        connection.close()


# --- lockout after failed logins ------------------------------------------------------------


@pytest.fixture
def lockout(app, monkeypatch):
    """Lock an account after three failed logins, for 15 minutes."""
    monkeypatch.setitem(app.config, "CRM_LOCKOUT_ATTEMPTS", 3)
    monkeypatch.setitem(app.config, "CRM_LOCKOUT_MINUTES", 15)


def _fail(client, user, times: int = 3) -> None:
    for _ in range(times):
        answer = client.post("/login/", data={"username": user.username, "password": "wrong"})
        assert answer.status_code == 302


def test_after_failed_logins_even_the_right_password_is_refused(client, lockout, make_user):
    user = make_user("Manager", "anna")
    _fail(client, user)
    answer = client.post("/login/", data={"username": user.username, "password": PASSWORD},
                         follow_redirects=True)
    assert REFUSED_RU in answer.get_data(as_text=True)
    assert client.get("/companyview/list/").status_code == 302

    api = client.post("/api/v1/security/login", json={
        "username": user.username, "password": PASSWORD, "provider": "db"})
    assert api.status_code == 401
    assert REFUSED_RU in api.get_json()["message"]
    assert "access_token" not in api.get_json()


def test_fewer_failures_do_not_lock(client, lockout, make_user):
    user = make_user("Manager", "anna")
    _fail(client, user, times=2)
    assert client.post("/login/", data={"username": user.username,
                                        "password": PASSWORD}).status_code == 302
    assert client.get("/companyview/list/").status_code == 200


def test_the_lock_ends_after_its_minutes(client, lockout, make_user, session):
    user = make_user("Manager", "anna")
    _fail(client, user)
    client.post("/login/", data={"username": user.username, "password": PASSWORD})
    g.pop("_login_user", None)
    assert client.get("/companyview/list/").status_code == 302  # locked
    # Sixteen minutes later (the last failure's time is what counts).
    session.execute(text("UPDATE ab_user SET changed_on = :at WHERE id = :id"),
                    {"at": server_now() - timedelta(minutes=16), "id": user.id})
    session.commit()
    assert client.post("/login/", data={"username": user.username,
                                        "password": PASSWORD}).status_code == 302
    g.pop("_login_user", None)
    assert client.get("/companyview/list/").status_code == 200


def test_after_the_lock_one_typo_does_not_lock_again(client, lockout, make_user, session):
    user = make_user("Manager", "anna")
    _fail(client, user)
    session.execute(text("UPDATE ab_user SET changed_on = :at WHERE id = :id"),
                    {"at": server_now() - timedelta(minutes=16), "id": user.id})
    session.commit()
    _fail(client, user, times=1)
    answer = client.post("/login/", data={"username": user.username, "password": PASSWORD})
    assert answer.status_code == 302 and "/login" not in answer.location
    g.pop("_login_user", None)
    assert client.get("/companyview/list/").status_code == 200


@pytest.mark.parametrize("how", ["reset", "edit"])
def test_an_administrator_unlocks_by_a_new_password_or_an_edit(app, client, lockout, make_user,
                                                               session, how):
    user = make_user("Manager", "anna")
    admin = make_user("Admin", "root")
    _fail(client, user)
    admin_client = app.test_client()
    admin_client.post("/login/", data={"username": admin.username, "password": PASSWORD})
    g.pop("_login_user", None)
    if how == "reset":
        answer = admin_client.post(f"/resetpassword/form?pk={user.id}", data={
            "password": "Brand-new-pass-7", "conf_password": "Brand-new-pass-7"})
        password = "Brand-new-pass-7"
    else:
        answer = admin_client.post(f"/users/edit/{user.id}", data={
            "first_name": "Anna", "last_name": "Test", "username": user.username,
            "email": user.email, "active": "y", "roles": str(user.roles[0].id)})
        password = PASSWORD
    assert answer.status_code == 302
    g.pop("_login_user", None)
    client.post("/logout/")
    assert client.post("/login/", data={"username": user.username,
                                        "password": password}).status_code == 302
    g.pop("_login_user", None)
    page = client.get("/companyview/list/")
    assert page.status_code == 200


# --- the password rule ----------------------------------------------------------------------


SHORT_RU = "Пароль должен содержать не меньше 10 символов, не считая пробелов."
WEAK = [
    ("Short-1", SHORT_RU),
    ("no-digits-at-all", "Пароль должен содержать и буквы, и цифры."),
    ("my-olga-password-1", "Пароль не должен содержать имя пользователя."),
]


def _user_form(password: str) -> dict:
    return {"username": "olga", "first_name": "Ольга", "last_name": "Смирнова",
            "email": "olga@example.com", "active": "y", "roles": "", "password": password,
            "conf_password": password}


@pytest.mark.parametrize(("password", "message"), WEAK)
def test_a_weak_password_is_refused_when_adding_a_user(client, login, session, password,
                                                       message):
    login("Admin")
    form = _user_form(password)
    form["roles"] = str(session.execute(text("SELECT id FROM ab_role WHERE name = 'Manager'"))
                        .scalar_one())
    answer = client.post("/users/add", data=form)
    assert answer.status_code == 200
    assert message in answer.get_data(as_text=True)
    assert session.execute(text("SELECT count(*) FROM ab_user WHERE username = 'olga'"))\
        .scalar_one() == 0


def test_a_good_password_is_accepted_when_adding_a_user(client, login, session, app):
    login("Admin")
    form = _user_form("Spring-2030-garden")
    form["roles"] = str(session.execute(text("SELECT id FROM ab_role WHERE name = 'Manager'"))
                        .scalar_one())
    assert client.post("/users/add", data=form).status_code == 302
    assert app.appbuilder.sm.auth_user_db("olga", "Spring-2030-garden") is not None


@pytest.mark.parametrize(("password", "message"), [
    ("Short-1", SHORT_RU),
    (" " * 10 + "1a", SHORT_RU),  # long only thanks to spaces
    ("Good-pass-word-1\x07", "Пароль не должен содержать управляющих или недопустимых символов."),
    ("no-digits-at-all", "Пароль должен содержать и буквы, и цифры."),
    ("ANNA-password-1", "Пароль не должен содержать имя пользователя."),
])
def test_a_weak_password_is_refused_when_resetting_it(client, login, make_user, app, password,
                                                      message):
    user = make_user("Manager", "anna")
    login("Admin")
    answer = client.post(f"/resetpassword/form?pk={user.id}",
                         data={"password": password, "conf_password": password})
    assert answer.status_code == 200
    assert message in answer.get_data(as_text=True)
    assert app.appbuilder.sm.auth_user_db("anna", password) is None
    assert app.appbuilder.sm.auth_user_db("anna", PASSWORD) is not None


def test_a_good_password_is_accepted_when_resetting_it(client, login, make_user, app):
    user = make_user("Manager", "anna")
    login("Admin")
    answer = client.post(f"/resetpassword/form?pk={user.id}",
                         data={"password": "Autumn-2031-leaves",
                               "conf_password": "Autumn-2031-leaves"})
    assert answer.status_code == 302
    assert app.appbuilder.sm.auth_user_db("anna", "Autumn-2031-leaves") is not None


# --- the session cookie ---------------------------------------------------------------------


@pytest.fixture
def production_app(monkeypatch, database_url):
    """The CRM configured for production (secret and database from the environment)."""
    monkeypatch.setenv("SECRET_KEY", "a-long-production-secret-for-tests")
    monkeypatch.setenv("DATABASE_URL", database_url)
    config = ProductionConfig()
    config.LOG_FORMAT = "text"
    application = create_app(config)
    yield application
    _dispose(application)


def test_the_production_session_cookie_is_secure_httponly_and_lax(production_app, make_user):
    user = make_user("Manager", "anna")
    client = production_app.test_client()
    https = {"base_url": "https://crm.example"}
    token = csrf_token(client.get("/login/", **https).get_data(as_text=True))
    answer = client.post("/login/", data={"username": user.username, "password": PASSWORD,
                                          "csrf_token": token},
                         headers={"Referer": "https://crm.example/login/"}, **https)
    assert answer.status_code == 302 and "/login" not in answer.location
    cookies = [value for name, value in answer.headers.items() if name == "Set-Cookie"]
    session_cookie = next(c for c in cookies if c.startswith("session="))
    attributes = {part.strip().split("=")[0].lower(): part.strip()
                  for part in session_cookie.split(";")}
    assert "secure" in attributes and "httponly" in attributes
    assert attributes["samesite"].lower() == "samesite=lax"
    assert answer.headers["Strict-Transport-Security"].startswith("max-age=")
    g.pop("_login_user", None)
    assert client.get("/companyview/list/", **https).status_code == 200


# --- where logging in leads ----------------------------------------------------------------


@pytest.mark.parametrize("target", [
    "https://evil.example/x", "//evil.example/x", "/\\evil.example/x", "\\\\evil.example",
    "javascript:alert(1)", "/\t/evil.example", "http:/evil.example", " //evil.example",
])
def test_next_never_leads_to_another_site(client, make_user, target):
    user = make_user("Manager", "anna")
    answer = client.post("/login/", query_string={"next": target},
                         data={"username": user.username, "password": PASSWORD})
    assert answer.status_code == 302
    assert answer.location == "/"
    # Already logged in, the login page sends to the same safe place.
    again = client.get("/login/", query_string={"next": target})
    assert again.status_code == 302 and again.location == "/"


def test_next_leads_to_a_page_of_the_crm(client, make_user):
    user = make_user("Manager", "anna")
    answer = client.post("/login/?next=/companyview/list/%3F_flt_0_name%3Da",
                         data={"username": user.username, "password": PASSWORD})
    assert answer.status_code == 302
    assert answer.location == "/companyview/list/?_flt_0_name=a"


def test_a_failed_login_keeps_a_safe_next_and_drops_a_foreign_one(client, make_user):
    user = make_user("Manager", "anna")
    answer = client.post("/login/?next=/queue/", data={"username": user.username,
                                                      "password": "wrong"})
    assert "next=%2Fqueue%2F" in answer.location or "next=/queue/" in answer.location
    answer = client.post("/login/?next=//evil.example", data={"username": user.username,
                                                             "password": "wrong"})
    assert "evil" not in answer.location


# --- logging out ------------------------------------------------------------------------


def test_a_get_on_logout_only_shows_the_button(client, login):
    login("Manager")
    page = client.get("/logout/")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert "Выйти из CRM?" in body and 'method="post"' in body
    g.pop("_login_user", None)
    assert client.get("/companyview/list/").status_code == 200  # still logged in


def test_a_post_on_logout_logs_out(client, login):
    login("Manager")
    answer = client.post("/logout/")
    assert answer.status_code == 302
    g.pop("_login_user", None)
    assert client.get("/companyview/list/").status_code == 302


def test_logging_out_with_the_token_from_the_button_page(guarded_app, make_user):
    user = make_user("Manager", "anna")
    client = guarded_app.test_client()
    _login_with_token(client, user.username)
    token = csrf_token(client.get("/logout/").get_data(as_text=True))
    assert client.get("/companyview/list/").status_code == 200
    assert client.post("/logout/", data={"csrf_token": token}).status_code == 302
    assert client.get("/companyview/list/").status_code == 302


def test_anonymous_get_on_logout_goes_home(client):
    answer = client.get("/logout/")
    assert answer.status_code == 302
