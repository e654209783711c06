"""What serving behind proxies and load balancers needs: proxy headers, logs, /health."""

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from app.extensions import csrf
from app.logging_setup import install_logging
from app.views.health import health


def install_serving(app: Flask) -> None:
    """Trust CRM_PROXY_COUNT proxies' X-Forwarded-*, log, and serve /health unlimited.

    Call after AppBuilder is initialised (its rate limiter must exist).
    """
    proxies = int(app.config.get("CRM_PROXY_COUNT") or 0)
    if proxies > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies,
                                x_port=proxies, x_prefix=proxies)
    install_logging(app)
    csrf.exempt(health)
    app.register_blueprint(health)
    limiter = getattr(app.appbuilder.sm, "limiter", None)
    if limiter is not None:
        limiter.exempt(health)
