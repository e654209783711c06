"""Security headers on every response: a Content-Security-Policy with a per-request nonce.

Only the app's own origin may serve scripts, styles, images, fonts and connections.
Inline `<script>` and `<style>` elements run only with this request's nonce (FAB's
templates ask for it through `csp_nonce()`, ours and the report charts too). Inline
`style="..."` attributes stay allowed (`style-src-attr 'unsafe-inline'`): FAB's templates,
Select2 and pygal's charts write them, and an attribute can neither run script nor carry
selectors that read the page.
"""

import secrets

from flask import Flask, current_app, has_request_context, request

HSTS = "max-age=31536000; includeSubDomains"
# Kept with the request itself: an app context (and its `g`) may outlive one request.
_NONCE_KEY = "crm.csp_nonce"


def csp_nonce() -> str:
    """Return this request's nonce for inline scripts and styles (made on first use)."""
    if not has_request_context():
        return ""
    nonce = request.environ.get(_NONCE_KEY)
    if nonce is None:
        nonce = request.environ[_NONCE_KEY] = secrets.token_urlsafe(18)
    return nonce


def content_security_policy(nonce: str) -> str:
    """Return the policy: the app's own origin only, inline code only with the nonce."""
    directives = {
        "default-src": "'self'",
        "script-src": f"'self' 'nonce-{nonce}'",
        "style-src": f"'self' 'nonce-{nonce}'",
        "style-src-attr": "'unsafe-inline'",
        "img-src": "'self' data:",
        "font-src": "'self'",
        "connect-src": "'self'",
        "object-src": "'none'",
        "base-uri": "'self'",
        "form-action": "'self'",
        "frame-ancestors": "'none'",
    }
    return "; ".join(f"{name} {value}" for name, value in directives.items())


def _add_headers(response):
    headers = response.headers
    headers.setdefault("Content-Security-Policy", content_security_policy(csp_nonce()))
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "same-origin")
    if current_app.config.get("CRM_HSTS"):
        headers.setdefault("Strict-Transport-Security", HSTS)
    return response


def install_security_headers(app: Flask) -> None:
    """Give templates `csp_nonce()` and every response the security headers."""
    app.jinja_env.globals["csp_nonce"] = csp_nonce
    app.after_request(_add_headers)
