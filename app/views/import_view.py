"""Import of companies and contacts: upload a file, map its columns, dry run, import."""

import os
import re
import secrets
import time

from flask import abort, current_app, flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import lazy_gettext as _l

from app.extensions import db
from app.formatting import datetime_text
from app.services.errors import DomainError
from app.services.io import importer
from app.views.errors import too_large_text

# An uploaded file waits this long for its mapping and import, then it is removed.
KEEP_SECONDS = 24 * 3600
# The report shows at most this many rows of each action (all are counted).
REPORT_ROWS = 500
TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
# Room for the form's other fields and the multipart framing around the file.
UPLOAD_SLACK = 64 * 1024

KIND_LABELS = {"company": _l("Companies"), "contact": _l("Contacts (people and private clients)")}
ACTION_LABELS = {
    "create": _l("Will be created"),
    "update": _l("Will be updated"),
    "unchanged": _l("Unchanged"),
    "foreign": _l("Another manager's clients: not imported"),
    "reject": _l("Rejected"),
}
DONE_LABELS = {
    "create": _l("Created"),
    "update": _l("Updated"),
    "unchanged": _l("Unchanged"),
    "foreign": _l("Another manager's clients: not imported"),
    "reject": _l("Rejected"),
}


def cap_upload() -> None:
    """Limit an import's body to what the importer takes (a first hook: app/first_hooks.py).

    First in line: the CSRF check reads the form, and so the whole upload, before views.
    """
    if request.method == "POST" and request.path.rstrip("/") == "/import":
        request.max_content_length = importer.MAX_BYTES + UPLOAD_SLACK
        too_large_text(_l("Import"), _l("File: too big, at most %(size)s MB.",
                                        size=importer.MAX_BYTES // 2**20))


def upload_dir() -> str:
    """Return the folder keeping uploaded files between the steps (the app's instance)."""
    folder = current_app.config.get("CRM_IMPORT_DIR") or os.path.join(
        current_app.instance_path, "imports")
    os.makedirs(folder, exist_ok=True)
    return folder


def _path(token: str) -> str:
    """Return the stored file of this user and token; 404 for anything else."""
    if not TOKEN.match(token or ""):
        abort(404)
    path = os.path.join(upload_dir(), f"{g.user.id}-{token}")
    if not os.path.exists(path):
        abort(404)
    return path


def _store(data: bytes, filename: str) -> str:
    """Keep an uploaded file for the next steps; forget files older than a day."""
    folder = upload_dir()
    now = time.time()
    for name in os.listdir(folder):
        old = os.path.join(folder, name)
        try:
            if now - os.path.getmtime(old) > KEEP_SECONDS:
                os.remove(old)
        except OSError:
            continue
    token = secrets.token_urlsafe(24)
    path = os.path.join(folder, f"{g.user.id}-{token}")
    with open(path, "wb") as handle:
        handle.write(data)
    with open(path + ".name", "w", encoding="utf-8") as handle:
        handle.write(os.path.basename(filename or ""))
    return token


def _load(token: str) -> tuple[importer.Table, str]:
    path = _path(token)
    with open(path, "rb") as handle:
        data = handle.read()
    try:
        with open(path + ".name", encoding="utf-8") as handle:
            filename = handle.read()
    except OSError:
        filename = ""
    return importer.read_table(data, filename), filename


def _kind() -> str:
    kind = request.values.get("kind", "company")
    if kind not in importer.KINDS:
        abort(404)
    return kind


def _mapping_from_form(headers: list[str]) -> dict[int, str]:
    mapping = {}
    for index in range(len(headers)):
        name = request.form.get(f"col_{index}", "")
        if name:
            mapping[index] = name
    return mapping


def _rename_from_form() -> bool | set[int]:
    """Return the renaming chosen: True for the whole file, else the lines ticked."""
    if request.form.get("rename_all") == "1":
        return True
    return {int(name[len("rename_"):]) for name in request.form
            if name.startswith("rename_") and name[len("rename_"):].isdigit()}


class ImportView(BaseView):
    route_base = "/import"
    default_view = "index"

    @expose("/", methods=["GET", "POST"])
    @has_access
    def index(self):
        """Show the upload form; keep the uploaded file and go on to its mapping."""
        kind = request.values.get("kind", "company")
        status = 200
        if request.method == "POST":
            kind = _kind()
            upload = request.files.get("file")
            data = upload.read(importer.MAX_BYTES + 1) if upload else b""
            filename = os.path.basename(upload.filename or "") if upload else ""
            try:
                importer.read_table(data, filename)
            except DomainError as error:
                flash(str(_l("File «%(file)s»: %(message)s", file=filename or "-",
                             message=error.message)), "danger")
                status = 400
            else:
                token = _store(data, filename)
                return redirect(url_for("ImportView.mapping", token=token, kind=kind))
        return self.render_template(
            "crm/import.html", title=_l("Import"), kind=kind, kinds=KIND_LABELS,
            max_rows=importer.MAX_ROWS,
        ), status

    @expose("/mapping/<token>", methods=["GET", "POST"])
    @has_access
    def mapping(self, token):
        """Show which column goes to which field; on POST, show the dry run's report."""
        kind = _kind()
        try:
            table, filename = _load(token)
        except DomainError as error:
            flash(str(error.message), "danger")
            return redirect(url_for("ImportView.index", kind=kind))
        if request.method == "POST":
            chosen = _mapping_from_form(table.headers)
        else:
            chosen = importer.auto_mapping(kind, table.headers, g.user)
        report = None
        if request.method == "POST":
            try:
                report = importer.plan(db.session, g.user, kind, table, chosen,
                                       rename=_rename_from_form())
            except DomainError as error:
                flash(str(error.message), "danger")
            finally:
                db.session.rollback()
        return self._render_mapping(token, kind, table, filename, chosen, report, done=False)

    @expose("/run/<token>", methods=["POST"])
    @has_access
    def run(self, token):
        """Import the file with the chosen mapping, in one transaction; show what was done."""
        kind = _kind()
        try:
            table, filename = _load(token)
        except DomainError as error:
            flash(str(error.message), "danger")
            return redirect(url_for("ImportView.index", kind=kind))
        chosen = _mapping_from_form(table.headers)
        try:
            report = importer.run(db.session, g.user, kind, table, chosen,
                                  rename=_rename_from_form())
        except DomainError as error:
            flash(str(error.message), "danger")
            return self._render_mapping(token, kind, table, filename, chosen, None, done=False)
        path = _path(token)
        for leftover in (path, path + ".name"):
            try:
                os.remove(leftover)
            except OSError:
                pass
        counts = report.counts
        flash(str(_l("Imported: %(created)s created, %(updated)s updated, %(unchanged)s "
                     "unchanged, %(rejected)s rejected.", created=counts["create"],
                     updated=counts["update"], unchanged=counts["unchanged"],
                     rejected=counts["reject"])), "success")
        return self._render_mapping(token, kind, table, filename, chosen, report, done=True)

    def _render_mapping(self, token, kind, table, filename, chosen, report, done: bool):
        fields = [(name, importer.FIELD_LABELS[name])
                  for name in importer.fields_for(kind, g.user)]
        shown = {}
        if report is not None:
            for action in ACTION_LABELS:
                shown[action] = [row for row in report.rows if row.action == action][:REPORT_ROWS]
        return self.render_template(
            "crm/import_mapping.html", title=_l("Import"), token=token, kind=kind,
            kind_label=KIND_LABELS[kind], filename=filename, headers=table.headers,
            samples=table.rows[:3], row_count=len(table.rows), fields=fields, chosen=chosen,
            report=report, shown=shown, done=done, field_labels=importer.FIELD_LABELS,
            action_labels=DONE_LABELS if done else ACTION_LABELS, report_limit=REPORT_ROWS,
            due_text=datetime_text, rename=_rename_from_form() if request.method == "POST"
            else set(),
        )
