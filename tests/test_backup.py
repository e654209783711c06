"""Backup and restore: `crm backup` copies the database while it runs, `crm restore` brings
it back (round trip on a database of its own, SQLite or PostgreSQL like the run)."""

import shutil

import pytest
from flask_migrate import upgrade
from sqlalchemy import text

from app.extensions import db
from tests.helpers import ON_POSTGRESQL, require


@pytest.fixture
def pg_tools():
    """On PostgreSQL, backup and restore need the client tools (postgresql-client)."""
    if ON_POSTGRESQL:
        require("pg_dump and pg_restore",
                bool(shutil.which("pg_dump") and shutil.which("pg_restore")),
                "apt-get install postgresql-client (the server's major version)")


def _names() -> list[str]:
    return db.session.execute(text("SELECT name FROM company ORDER BY name")).scalars().all()


def test_backup_then_restore_brings_the_data_back(fresh_app, tmp_path, pg_tools):
    from app.services.rules.setup import prepare_database

    runner = fresh_app.test_cli_runner()
    with fresh_app.app_context():
        upgrade()
        prepare_database(fresh_app.appbuilder, db.session)
        sm = fresh_app.appbuilder.sm
        user = sm.add_user("anna", "Anna", "Test", "anna@example.com", sm.find_role("Manager"),
                           "Secret-password-1")
        db.session.execute(text(
            "INSERT INTO company (name, status, owner_id, created_at, changed_at, archived, "
            "version) VALUES ('Вектор', 'active', :owner, '2026-11-01', '2026-11-01', false, 1)"
        ), {"owner": user.id})
        db.session.commit()

        path = tmp_path / "copy.backup"
        result = runner.invoke(args=["crm", "backup", str(path)])
        assert result.exit_code == 0, result.output
        assert path.is_file() and path.stat().st_size > 0

        db.session.execute(text("UPDATE company SET name = 'Испорчено'"))
        db.session.execute(text(
            "INSERT INTO company (name, status, owner_id, created_at, changed_at, archived, "
            "version) VALUES ('Лишняя', 'active', :owner, '2026-11-02', '2026-11-02', false, 1)"
        ), {"owner": user.id})
        db.session.commit()
        assert _names() == ["Испорчено", "Лишняя"]

        refused = runner.invoke(args=["crm", "restore", str(path)], input="n\n")
        assert refused.exit_code != 0
        assert _names() == ["Испорчено", "Лишняя"]

        db.session.remove()
        result = runner.invoke(args=["crm", "restore", "--yes", str(path)])
        assert result.exit_code == 0, result.output
        assert _names() == ["Вектор"]
        assert db.session.execute(text("SELECT count(*) FROM ab_user")).scalar() == 1
        db.session.remove()


def test_the_default_path_is_in_the_instance_folder(fresh_app, tmp_path):
    from datetime import datetime

    from app.services.io.backup import default_path

    with fresh_app.app_context():
        path = default_path(str(tmp_path), db.engine, datetime(2026, 11, 27, 9, 5, 1))
    suffix = "dump" if ON_POSTGRESQL else "sqlite"
    assert path == tmp_path / "backups" / f"crm-20261127-090501.{suffix}"


def test_restoring_something_else_is_refused(fresh_app, tmp_path):
    runner = fresh_app.test_cli_runner()
    missing = runner.invoke(args=["crm", "restore", "--yes", str(tmp_path / "nothing")])
    assert missing.exit_code != 0
    junk = tmp_path / "junk.sqlite"
    junk.write_text("not a database")
    with fresh_app.app_context():
        upgrade()
    result = runner.invoke(args=["crm", "restore", "--yes", str(junk)])
    assert result.exit_code != 0
