"""New client from a call: its form and its save run a fixed, small number of statements."""

import pytest

from tests.helpers import FIRST_CALL_URL as URL
from tests.helpers import first_call_form

# Measured (SQLite; PostgreSQL one fewer on POST): GET 1 statement for a manager (the
# open stages), 2 for the head (and the owner list); POST 14 / 15 (the user's roles and
# groups, 2 stage reads, 6 inserts, 2 history inserts, 2 next task dates, the 2 key-rule
# checks), 4 upserts of the summaries (the new client, the call done, the deal in the
# pipeline, the client's and the person's duplicate keys), and 5 look-ups for duplicates
# (company phone, e-mail, name; contact phone, e-mail). The limits leave room for the
# user's groups only.
LIMITS = {"GET": 3, "POST": 28}


def _companyfirst_call_form(n: int) -> dict:
    # Phones and e-mails of their own: the same ones would be refused as duplicates.
    return first_call_form(client_name=f"ООО Номер {n}", client_inn="",
                           client_phone=f"+7 495 123-45-6{n}",
                           client_email=f"info{n}@vektor.example",
                           contact_phone=f"+7 916 123-45-6{n}",
                           contact_email=f"anna{n}@vektor.example")


@pytest.mark.parametrize("role", ["Manager", "Head"])
def test_form_and_save_run_a_fixed_number_of_statements(client, login, statements,  # noqa: F811
                                                        make_company, role):
    user = login(role)
    for n in range(5):  # an existing book must not make the screen read it
        make_company(user, f"ООО Старая {n}", status="lost", lost_reason="Закрылась")
    assert client.post(URL, data=_companyfirst_call_form(0)).status_code == 302  # warm-up
    counts = {"GET": [], "POST": []}
    for n in (1, 2):
        client.get(URL)  # the navbar counters are counted again after a change
        with statements() as seen:
            assert client.get(URL).status_code == 200
        counts["GET"].append(len(seen))
        with statements() as seen:
            assert client.post(URL, data=_companyfirst_call_form(n)).status_code == 302
        counts["POST"].append(len(seen))
    print(f"{role}: {counts}")
    for method, seen in counts.items():
        assert seen[0] == seen[1], (method, seen)  # each new client costs the same
        assert seen[0] <= LIMITS[method], (method, seen)
