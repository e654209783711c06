"""Request arguments checked before any view reads them: malformed ones never reach FAB."""

from flask import abort, current_app, request
from werkzeug.datastructures import ImmutableMultiDict

from app.services.rules.validation import MAX_ID
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
    _check_path_arguments(request.view_args or {})
    if not any(key.startswith(("page_", "psize_", "_oc_", "_flt_")) for key in request.args):
        return
    order_columns: dict[str, list[str]] = {}
    kept = []
    for key, value in request.args.items(multi=True):
        cleaned = _cleaned_argument(key, value, order_columns)
        if cleaned is not None:
            kept.append((key, cleaned))
    request.args = ImmutableMultiDict(kept)


def _check_path_arguments(path_arguments: dict) -> None:
    """Answer 404 for a record id or chart index in the path that cannot exist."""
    if "pk" in path_arguments and not request.path.startswith("/api/"):
        if small_int(str(path_arguments["pk"])) is None:
            abort(404)
    if "group_by" in path_arguments:
        # FAB's chart of users reads it as an index into its chart definitions.
        definitions = getattr(filter_values.view_of_request(), "definitions", None)
        number = small_int(str(path_arguments["group_by"]))
        if definitions is not None and (number is None or number >= len(definitions)):
            abort(404)


def _cleaned_argument(key: str, value: str, order_columns: dict) -> str | None:
    """Return the argument's value as FAB may read it, or None to drop it.

    `order_columns` is filled on first need: most requests sort by nothing.
    """
    if key.startswith("_flt_"):
        return value if filter_values.acceptable(key, value) else None
    if key.startswith("page_"):
        number = small_int(value, MAX_PAGE)
        return None if number is None else str(number)
    if key.startswith("psize_"):
        number = small_int(value)
        return None if number is None else str(min(max(number, 1), MAX_PAGE_SIZE))
    if key.startswith("_oc_"):
        if not order_columns:
            order_columns.update(_order_columns())
        return value if value in order_columns.get(key[4:], []) else None
    return value
