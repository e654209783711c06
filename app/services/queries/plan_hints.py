"""A LIMIT written into a statement's text, so that PostgreSQL can plan the statement once.

psycopg prepares a statement once a connection has run it five times; PostgreSQL then keeps one
generic plan when it is costed no worse than planning for each run's values
(app/prepared_statements.py). With its LIMIT sent as a value, the generic plan cannot know
how many rows are asked for, and the board's cards were planned anew on every request
(1.5 ms planning for 0.7 ms running). Only where that was measured: for the deals off
cadence, planned with the number, PostgreSQL chose plans twice as slow as the generic one
it kept with the value.
"""

from sqlalchemy import literal


def written_limit(number: int):
    """Return a LIMIT (or OFFSET) written into the statement's text, not sent as a value.

    Written when the statement runs (literal_execute): SQLAlchemy still compiles the
    statement once.
    """
    return literal(int(number), literal_execute=True)
