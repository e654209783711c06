"""Text no database can store is refused before any view, API or form reads it.

A NUL byte (PostgreSQL refuses it in text), a lone surrogate (it has no UTF-8 form) or a
JSON body nested too deep to parse would otherwise fail in the middle of a request, after
part of it ran. Every query and form argument, path segment and JSON string is checked
here, once, and the request is refused naming the field (422 from the API).
"""

import re

from flask import abort, current_app, jsonify, render_template, request
from flask_babel import lazy_gettext as _l

from app.labels import LABELS

BAD_JSON = _l("The request body is not JSON the CRM can read.")
WHOLE_REQUEST = "_schema"
# A list filter's argument (_flt_0_name) names its column after the prefix.
FILTER_ARGUMENT = re.compile(r"^_flt_\d+_")


def unstorable(text: str) -> bool:
    """Tell whether the text holds a NUL byte or a lone surrogate."""
    if "\x00" in text:
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def bad_json_field(data) -> str | None:
    """Return the path (a.b.0) of the first unstorable key or string in a JSON value."""
    stack = [("", data)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, str):
            if unstorable(value):
                return path or WHOLE_REQUEST
        elif isinstance(value, dict):
            for key, item in value.items():
                name = f"{path}.{key}" if path else str(key)
                if unstorable(str(key)):
                    return path or WHOLE_REQUEST
                stack.append((name, item))
        elif isinstance(value, list):
            stack.extend((f"{path}.{index}" if path else str(index), item)
                         for index, item in enumerate(value))
    return None


def _bad_argument() -> str | None:
    """Return the name of the first query or form argument holding unstorable text."""
    sources = [request.args]
    if request.method in ("POST", "PUT", "PATCH") and request.mimetype in (
        "application/x-www-form-urlencoded", "multipart/form-data",
    ):
        sources.append(request.form)
    for source in sources:
        for key, value in source.items(multi=True):
            if unstorable(key) or unstorable(value):
                return key
    return None


def bad_text_message(field: str):
    """Return the message refusing the text of `field`, in the user's language."""
    return _l("%(field)s: the text holds a NUL byte or a broken character; remove it.",
              field=field)


def field_label(field: str):
    """Return the field's label in the user's language, or its name when it has none."""
    column = FILTER_ARGUMENT.sub("", field)
    return LABELS.get(column, column)


def _refuse(field: str, message=None):
    """Answer naming the field: 422 JSON under /api/, a 400 error page elsewhere.

    Without a message, the field's text is refused: by its key for programs, by its label
    for people.
    """
    if request.path.startswith("/api/") or request.is_json:
        if message is not None:  # the body as a whole: FAB's 400 carries a text message
            return jsonify(message=str(message)), 400
        # A refused value, as every other refusal of the API: 422 naming the field.
        return jsonify(message={field: [str(bad_text_message(field))]}), 422
    message = message or bad_text_message(field_label(field))
    appbuilder = current_app.appbuilder
    return render_template(
        "crm/error.html", code=400, title=_l("Bad request"), text=message,
        appbuilder=appbuilder, base_template=appbuilder.base_template,
    ), 400


def refuse_unstorable_input():
    """Answer 400 for a request carrying text no database can store (a before_request).

    :raise 404: for such text in the path: no page or record has that name.
    """
    if any(isinstance(value, str) and unstorable(value)
           for value in (request.view_args or {}).values()):
        abort(404)
    field = _bad_argument()
    if field is not None:
        return _refuse(field)
    if request.is_json and request.content_length != 0:
        try:
            data = request.get_json(silent=True)
        except RecursionError:
            return _refuse(WHOLE_REQUEST, BAD_JSON)
        field = bad_json_field(data)
        if field is not None:
            return _refuse(field)
    return None
