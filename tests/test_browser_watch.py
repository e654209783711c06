"""The browser tests' own watch: a request that fails is reported, one cut off because the
page went on to the next is not (the user never waited for it)."""

STYLE = "**/static/crm/crm.css"


def _failures(watch) -> list[str]:
    return [line for line in watch.problems() if line.startswith("failed request")]


def test_a_style_sheet_that_never_comes_is_reported(page, watch):
    page.route(STYLE, lambda route: route.abort("aborted"))
    page.goto("/login/")
    page.evaluate("0")
    assert any("crm.css" in line for line in _failures(watch)), watch.problems()
    # Seen as it should be; the run's own check after the test must not fail on it.
    watch.forget_failed_requests()


def test_a_style_sheet_cut_off_by_the_next_page_is_not(page, watch):
    held = []

    def hold_the_first(route):
        if held:
            route.continue_()
        else:
            held.append(route)

    page.route(STYLE, hold_the_first)
    page.goto("/login/", wait_until="commit")
    for _ in range(200):  # the route's handler runs while the page is asked something
        if held:
            break
        page.evaluate("0")
    assert held, "the style sheet was never asked for"
    # The user goes on before the style sheet came: the browser drops it.
    page.goto("/login/")
    page.evaluate("0")
    assert not _failures(watch), watch.problems()
