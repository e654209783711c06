"""The OpenAPI document and the Swagger page describe the whole API and load nothing outside."""

import re

import pytest

from tests.helpers import api_login

RESOURCES = ("company", "contact", "deal", "task")


@pytest.fixture
def spec(client, make_user):
    headers = api_login(client, make_user("Manager"))
    response = client.get("/api/v1/_openapi", headers=headers)
    assert response.status_code == 200
    return response.json


def test_every_resource_and_operation_is_described(spec):
    paths = spec["paths"]
    for resource in RESOURCES:
        assert set(paths[f"/api/v1/{resource}/"]) == {"get", "post"}
        assert set(paths[f"/api/v1/{resource}/{{pk}}"]) == {"get", "put", "delete"}
        assert "get" in paths[f"/api/v1/{resource}/_info"]
    assert set(paths["/api/v1/stage/"]) == {"get"}
    assert set(paths["/api/v1/stage/{pk}"]) == {"get"}
    assert "post" in paths["/api/v1/security/login"]


def test_the_complete_action_is_described(spec):
    complete = spec["paths"]["/api/v1/task/{pk}/complete"]["post"]
    body = complete["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    schema = spec["components"]["schemas"][body.rsplit("/", 1)[1]]
    assert {"result", "next_task", "client_status", "lost_reason", "deal_stage_id",
            "cancel"} <= set(schema["properties"])
    assert {"200", "404", "422"} <= set(complete["responses"])
    assert complete["security"]


@pytest.mark.parametrize("resource", ["Company", "Contact", "Deal"])
def test_next_task_is_part_of_creating_a_client_or_deal(spec, resource):
    schemas = spec["components"]["schemas"]
    for operation in ("post", "put"):
        assert "next_task" in schemas[f"{resource}Api.{operation}"]["properties"]
    next_task = schemas["NextTask"]
    assert set(next_task["required"]) == {"subject", "due_at"}
    assert next_task["properties"]["type"]["enum"] == ["call", "meeting", "email", "other"]


@pytest.mark.parametrize("resource", ["Company", "Contact", "Deal", "Task"])
def test_records_show_ids_of_relations_and_their_version(spec, resource):
    schemas = spec["components"]["schemas"]
    shown = schemas[f"{resource}Api.get"]["properties"]
    assert {"id", "owner_id", "version", "created_at"} <= set(shown)
    assert "owner" not in shown
    assert "version" in schemas[f"{resource}Api.put"]["properties"]
    assert "version" not in schemas[f"{resource}Api.post"]["properties"]


def test_swagger_page_loads_only_the_apps_own_files(client, login):
    login("Admin")
    response = client.get("/swagger/v1")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "swagger-ui-bundle.js" in html
    assert "/api/v1/_openapi" in html
    addresses = re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)["']""", html)
    outside = [address for address in addresses
               if re.match(r"(?:[a-z]+:)?//", address) and not address.startswith("#")]
    assert outside == []
    assert not re.search(r"@import\s+url\(\s*['\"]?(?:https?:)?//", html)
    # BaseLayout (the layout FAB asks for) has no online validator badge, the one
    # part of Swagger UI that would call validator.swagger.io.
    assert 'layout: "BaseLayout"' in html


def test_managers_may_read_the_api_documentation(client, login):
    login("Manager")
    assert client.get("/swagger/v1").status_code == 200
