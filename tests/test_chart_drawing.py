"""A chart is drawn once for its figures; each page still gets its own nonce and figures."""

from app.security_headers import csp_nonce
from app.views import reports


def _drawn(app, labels, series):
    with app.test_request_context("/reports/new-clients/"):
        return str(reports.bar_chart(labels, series)), csp_nonce()


def test_the_same_figures_are_drawn_once_and_carry_each_pages_nonce(app):
    reports._drawn_chart.cache_clear()
    first, first_nonce = _drawn(app, ["янв", "фев"], [("Сайт", [3, 4])])
    second, second_nonce = _drawn(app, ["янв", "фев"], [("Сайт", [3, 4])])
    assert reports._drawn_chart.cache_info().hits == 1
    assert first_nonce != second_nonce
    assert f'nonce="{first_nonce}"' in first and f'nonce="{second_nonce}"' in second
    assert first.replace(first_nonce, "") == second.replace(second_nonce, "")


def test_new_figures_draw_a_new_chart(app):
    before, _ = _drawn(app, ["янв"], [("Сайт", [3])])
    after, _ = _drawn(app, ["янв"], [("Сайт", [7])])
    assert ">7<" in after and ">7<" not in before
