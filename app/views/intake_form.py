"""POST /intake/form: the website's contact form, public, answered with a thank-you page.

No login and no CSRF token: the form lives on another site, which cannot know the CRM's
token. What protects it instead: allowed origins (CRM_INTAKE_ORIGINS), a small body limit,
a rate limit per client address (CRM_INTAKE_RATE_LIMIT), the honeypot field, and the
lead being only stored, never shown to the sender.
"""

from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    current_app,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import RequestEntityTooLarge

from app.extensions import db
from app.services.errors import DomainError
from app.services.rules import intake
from app.services.rules.visibility import SYSTEM

# Field: (longest accepted value, the label a refusal names).
FIELDS = {
    "name": (255, _l("Name")), "company": (255, _l("Company")), "phone": (64, _l("Phone")),
    "email": (255, _l("E-mail")), "message": (5000, _l("Message")), "page": (500, _l("Page")),
    "utm_source": (255, "utm_source"), "utm_medium": (255, "utm_medium"),
    "utm_campaign": (255, "utm_campaign"), "inn": (12, _l("INN")),
}
DETAILS = ("page", "utm_source", "utm_medium", "utm_campaign")
HONEYPOT = "website"
DEFAULT_LIMIT_BYTES = 16 * 1024


class Refused(Exception):
    """The post cannot be taken: an HTTP code and a message naming the field."""

    def __init__(self, code: int, field: str, message) -> None:
        super().__init__(str(message))
        self.code, self.field, self.message = code, field, message


def allowed_origins(app: Flask) -> set[str]:
    """Return the origins whose pages may post the form (CRM_INTAKE_ORIGINS and the CRM's)."""
    configured = app.config.get("CRM_INTAKE_ORIGINS") or ""
    if isinstance(configured, str):
        configured = configured.split(",")
    origins = {_origin(value) for value in configured if value.strip()}
    origins.add(_origin(app.config.get("CRM_BASE_URL") or ""))
    return {origin for origin in origins if origin}


def _origin(url: str) -> str:
    parts = urlsplit(url.strip())
    return f"{parts.scheme}://{parts.netloc}".lower() if parts.scheme and parts.netloc else ""


def _wants_json() -> bool:
    accept = request.accept_mimetypes
    return request.is_json or (accept.best == "application/json")


def _body() -> dict:
    """Return the posted fields (form-encoded or JSON), at most the endpoint's limit.

    :raise Refused: 413 when too large, 400 when the JSON is not an object.
    """
    try:
        if request.is_json:
            data = request.get_json(silent=True)
            if not isinstance(data, dict):
                raise Refused(400, "_schema", _l("Send the form's fields as a JSON object."))
            return data
        return request.form.to_dict()
    except RequestEntityTooLarge as error:
        raise Refused(413, "_schema", _l("The message is too long.")) from error


def _cleaned(data: dict) -> dict:
    """Return the known fields as trimmed text.

    :raise Refused: 400 naming the field holding a non-text value, control bytes or too much.
    """
    cleaned = {}
    for name, (size, label) in FIELDS.items():
        value = data.get(name)
        if value is None:
            continue
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            raise Refused(400, name, _l("%(field)s: send text.", field=label))
        text = str(value).strip()
        if any((ord(char) < 32 and char not in "\t\n\r") or 0xD800 <= ord(char) <= 0xDFFF
               for char in text):
            raise Refused(400, name, _l("%(field)s: remove the control characters.",
                                        field=label))
        if len(text) > size:
            raise Refused(400, name, _l("%(field)s: at most %(max)s characters.", field=label,
                                        max=size))
        cleaned[name] = text or None
    return cleaned


def _lead(fields: dict) -> intake.Lead:
    details = {name: fields[name] for name in DETAILS if fields.get(name)}
    return intake.Lead(name=fields.get("name"), company=fields.get("company"),
                       phone=fields.get("phone"), email=fields.get("email"),
                       inn=fields.get("inn"), message=fields.get("message"), details=details)


def _with_cors(response, origin: str | None):
    if origin:
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Vary"] = "Origin"
    return response


def _refusal(error: Refused, origin: str | None):
    if _wants_json():
        response = jsonify(message={error.field: [str(error.message)]})
    else:
        response = make_response(render_template("crm/intake_answer.html", ok=False,
                                                 message=str(error.message)))
    response.status_code = error.code
    return _with_cors(response, origin)


def receive_form():
    """Store the posted lead and thank the sender (303 to the thank-you page, or 201 JSON)."""
    origin = request.headers.get("Origin")
    if origin and _origin(origin) not in allowed_origins(current_app):
        return _refusal(Refused(403, "_schema", _l("This site may not send leads here.")),
                        None)
    if request.method == "OPTIONS":
        response = _with_cors(make_response("", 204), origin)
        response.headers["Access-Control-Allow-Methods"] = "POST"
        response.headers["Access-Control-Allow-Headers"] = "Content-Type, Accept"
        return response
    try:
        data = _body()
        fields = _cleaned(data)
        # A robot fills every field; a person never sees this one. Pretend all went well.
        if not (str(data.get(HONEYPOT) or "")).strip():
            intake.receive(db.session, SYSTEM, _lead(fields),
                           answer_minutes=current_app.config["CRM_LEAD_ANSWER_MINUTES"])
    except Refused as error:
        return _refusal(error, origin)
    except DomainError as error:
        db.session.rollback()
        return _refusal(Refused(400, error.field or "_schema", error.message), origin)
    if _wants_json():
        return _with_cors(make_response(
            jsonify(message=str(_l("Thank you! We will answer you soon."))), 201), origin)
    return redirect(url_for("crm_intake.thanks"), code=303)


def thanks():
    """Thank the sender in the CRM's language."""
    return render_template("crm/intake_answer.html", ok=True,
                           message=str(_l("Thank you! We will answer you soon.")))


def cap_intake_form() -> None:
    """Limit the public form's body to a few kilobytes (a first hook: app/first_hooks.py).

    First in line: the text guard reads the form before any view does.
    """
    if request.path == "/intake/form":
        request.max_content_length = current_app.config.get("CRM_INTAKE_MAX_BYTES",
                                                            DEFAULT_LIMIT_BYTES)


def install_intake_form(app: Flask) -> None:
    """Serve the public form endpoint, CSRF-exempt, rate limited per client address.

    CSRF is off for this one endpoint because the form is posted from the company's
    website, which has no CRM session and cannot know its token; the origin check and
    the rate limit stand in for it. Call after AppBuilder is initialised (its limiter).
    """
    from app.extensions import csrf

    blueprint = Blueprint("crm_intake", __name__, url_prefix="/intake")
    blueprint.add_url_rule("/form", "form", receive_form, methods=["POST", "OPTIONS"])
    blueprint.add_url_rule("/thanks", "thanks", thanks, methods=["GET"])
    csrf.exempt(blueprint)
    limiter = getattr(app.appbuilder.sm, "limiter", None)
    if limiter is not None:
        limiter.limit(app.config["CRM_INTAKE_RATE_LIMIT"], methods=["POST"])(blueprint)
    app.register_blueprint(blueprint)
