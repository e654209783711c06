"""Request arguments checked before any view reads them: malformed ones never reach FAB."""

from flask import abort, current_app, request
from werkzeug.datastructures import ImmutableMultiDict

from app.services.validation import MAX_ID
from app.views import filter_values

MAX_PAGE = 1_000_000
MAX_PAGE_SIZE = 100


def small_int(value, high: int = MAX_ID) -> int | None:
    """Return a non-negative ASCII integer up to `high`, or None for anything else."""
    text = (value or "").strip() if isinstance(value, str) else ""
    if not (text.isascii() and text.isdigit()) or len(text) > 10:
        return None
    number = int(text)
    return number if number <= high else None


def _order_columns() -> dict[str, list[str]]:
    return {
        type(view).__name__: list(getattr(view, "order_columns", []) or [])
        for view in current_app.appbuilder.baseviews
    }


def clean_list_arguments() -> None:
    """Drop or clamp FAB's paging, sorting and filter arguments; a bad record id is a 404.

    FAB turns `?page_X=abc`, unknown sort columns and filter values the database cannot
    compare (`amount=abc`, an id beyond 32 bits) into a 500 and has no page size cap.
    """
    path_arguments = request.view_args or {}
    if "pk" in path_arguments and not request.path.startswith("/api/"):
        if small_int(str(path_arguments["pk"])) is None:
            abort(404)
    if "group_by" in path_arguments:
        # FAB's chart of users reads it as an index into its chart definitions.
        definitions = getattr(filter_values.view_of_request(), "definitions", None)
        number = small_int(str(path_arguments["group_by"]))
        if definitions is not None and (number is None or number >= len(definitions)):
            abort(404)
    if not any(key.startswith(("page_", "psize_", "_oc_", "_flt_")) for key in request.args):
        return
    order_columns = None
    kept = []
    for key, value in request.args.items(multi=True):
        if key.startswith("_flt_"):
            if not filter_values.acceptable(key, value):
                continue
        elif key.startswith("page_"):
            number = small_int(value, MAX_PAGE)
            if number is None:
                continue
            value = str(number)
        elif key.startswith("psize_"):
            number = small_int(value)
            if number is None:
                continue
            value = str(min(max(number, 1), MAX_PAGE_SIZE))
        elif key.startswith("_oc_"):
            order_columns = order_columns or _order_columns()
            if value not in order_columns.get(key[4:], []):
                continue
        kept.append((key, value))
    request.args = ImmutableMultiDict(kept)
