"""GET /health for load balancers: is this process up and does the database answer?"""

import logging

from flask import Blueprint, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from app.extensions import db

log = logging.getLogger(__name__)

health = Blueprint("health", __name__)


@health.route("/health", methods=["GET"])
def check():
    """Answer 200 when the database runs SELECT 1, else 503; no login, no session."""
    try:
        with db.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError as error:
        log.warning("Health check: the database does not answer (%s).", type(error).__name__)
        response = jsonify(status="unavailable", database="unavailable")
        response.status_code = 503
    else:
        response = jsonify(status="ok", database="ok")
    response.headers["Cache-Control"] = "no-store"
    return response
