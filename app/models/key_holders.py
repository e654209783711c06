"""How many live companies or contact persons hold one value of a duplicate key.

The duplicates report reads the values held more than once from here (a few rows along a
partial index) instead of grouping every company and contact by each key.
"""

from flask_appbuilder import Model
from sqlalchemy import Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column


class KeyHolders(Model):
    __tablename__ = "key_holders"
    __table_args__ = (
        # The report: a key's values held more than once, in value order.
        Index("ix_key_holders_repeated", "record_type", "key", "value",
              sqlite_where=text("n > 1"), postgresql_where=text("n > 1")),
    )

    # "company" or "contact" (the table), and the key column: inn, phone_e164, email_key,
    # search_name (companies); phone_e164, mobile_phone_e164, email_key, second_email_key.
    record_type: Mapped[str] = mapped_column(String(16), primary_key=True)
    key: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[str] = mapped_column(String(600), primary_key=True)
    # Live (not archived) records holding the value; kept by app/services/rules/summaries.py.
    n: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
