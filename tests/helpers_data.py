"""Rows written with plain SQL, as an older revision of the schema knows them."""

from sqlalchemy import text

from app.extensions import db


def insert_rows_at_0001() -> None:
    """Fill every business table with plain SQL, as revision 0001 knows them."""
    run = db.session.execute
    run(text("INSERT INTO ab_user (id, first_name, last_name, username, email, active, "
             "login_count, fail_login_count) VALUES (1, 'Anna', 'Test', 'anna', "
             "'anna@example.com', true, 0, 0)"))
    run(text("INSERT INTO stage (id, code, name, position, kind, probability) VALUES "
             "(1, 'cold', 'Cold contact', 1, 'open', 5), (2, 'won', 'Won', 2, 'won', 100)"))
    stamps = "'2026-11-01 10:00:00', '2026-11-01 10:00:00', 1, 1, false, 1"
    columns = "created_at, changed_at, created_by_id, owner_id, archived, version"
    run(text(f"INSERT INTO company (id, name, status, {columns}) VALUES "
             f"(1, 'Вектор', 'active', {stamps}), (2, 'Ромашка', 'lost', {stamps})"))
    run(text(f"INSERT INTO contact (id, last_name, company_id, {columns}) VALUES "
             f"(1, 'Петров', 1, {stamps})"))
    run(text(f"INSERT INTO contact (id, last_name, status, {columns}) VALUES "
             f"(2, 'Иванова', 'potential', {stamps})"))
    run(text(f"INSERT INTO deal (id, title, company_id, contact_id, stage_id, amount, "
             f"currency, {columns}) VALUES (1, 'Станки', 1, 1, 1, 1500000.50, 'RUB', "
             f"{stamps}), (2, 'Ремонт', NULL, 2, 2, NULL, 'RUB', {stamps})"))
    run(text(f"INSERT INTO task (id, type, subject, due_at, company_id, deal_id, state, "
             f"result, {columns}) VALUES "
             f"(1, 'call', 'Позвонить', '2026-12-01 10:00:00', 1, 1, 'planned', NULL, "
             f"{stamps}), "
             f"(2, 'meeting', 'Встреча', '2026-11-02 10:00:00', 1, NULL, 'done', 'Договорились', "
             f"{stamps})"))
    run(text("INSERT INTO history (at, actor_id, entity, entity_id, action, company_id) "
             "VALUES ('2026-11-01 10:00:00', 1, 'company', 1, 'created', 1)"))
    db.session.commit()
