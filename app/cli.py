"""The `crm` command group: prepare the database, first admin, demo data."""

import os
import secrets

import click
from flask import current_app
from flask.cli import AppGroup

from app.extensions import db

crm = AppGroup("crm", help="CRM commands: database preparation, first admin, demo data.")


@crm.command("init")
def init_command() -> None:
    """Create the roles, permissions and default pipeline stages (safe to repeat)."""
    from app.services.setup import prepare_database

    prepare_database(current_app.appbuilder, db.session)
    click.echo("Roles, permissions and pipeline stages are ready.")


@crm.command("ensure-admin")
@click.option("--username", default=lambda: os.environ.get("CRM_ADMIN_USER", "admin"))
@click.option("--password", default=lambda: os.environ.get("CRM_ADMIN_PASSWORD", ""))
def ensure_admin_command(username: str, password: str) -> None:
    """Create a first Admin user when the database has no user at all."""
    sm = current_app.appbuilder.sm
    if sm.count_users() > 0:
        click.echo("Users exist already; no admin created.")
        return
    password = password or secrets.token_urlsafe(9)
    role = sm.find_role(sm.auth_role_admin)
    user = sm.add_user(username, "Admin", "CRM", f"{username}@example.com", role, password)
    if not user:
        raise click.ClickException("The admin user could not be created.")
    click.echo(f"Admin created. Log in as '{username}' with password '{password}'.")


@crm.command("demo")
@click.option("--companies", default=200, show_default=True, help="How many companies.")
@click.option("--managers", default=3, show_default=True, help="How many managers.")
@click.option("--seed", default=2026, show_default=True, help="Random seed.")
def demo_command(companies: int, managers: int, seed: int) -> None:
    """Fill an empty database with a believable sales team and its clients."""
    from app.services.demo import DemoRefused, generate_demo

    try:
        summary = generate_demo(
            current_app.appbuilder, db.session, companies=companies, managers=managers,
            seed=seed,
        )
    except DemoRefused as error:
        raise click.ClickException(str(error)) from error
    for name, count in summary.items():
        click.echo(f"{name}: {count}")


def register_cli(app) -> None:
    """Attach the `crm` command group to the app."""
    app.cli.add_command(crm)
