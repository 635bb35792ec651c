"""The store stage: where what happened is kept.

Takes claims and outcomes of fires (and their measurements); hands back history, the latest
state of every (task, host), and the last recorded fire of each for catch-up. SQLAlchemy is
imported here and nowhere else; SQLite by default, PostgreSQL by URL.
"""

import re

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from maintd.errors import MaintdError
from maintd.store.db import checkpoint, database_url, open_engine
from maintd.store.deliveries import DeliveryBook
from maintd.store.incidents import IncidentBook, Step
from maintd.store.ledger import Claim, FireKey, Ledger, Outcome
from maintd.store.migrate import migrate
from maintd.store.retention import Pruned, apply_retention
from maintd.store.silences import SilenceBook

USERINFO_PASSWORD = re.compile(r"(://[^:/@]*:)[^@]*@")


class StoreError(MaintdError):
    """The database cannot be opened: its URL is wrong, the server is down, the file is not a
    database. The message shows the URL with its password hidden."""


def open_store(url: str) -> Ledger:
    """Open (creating and migrating as needed) the database at ``url``."""
    full = database_url(url)
    try:
        engine = open_engine(full)
        migrate(engine)
    except (SQLAlchemyError, ValueError, OSError) as error:
        raise StoreError(f"cannot open the database {_shown(full)}: {_first_line(error)}") from None
    return Ledger(engine)


def _shown(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):  # unparsable: hide what sits where a password would
        return USERINFO_PASSWORD.sub(r"\1***@", url)


def _first_line(error: BaseException) -> str:
    # SQLAlchemy appends the SQL and a link to its docs; the driver's own words come first.
    text = str(getattr(error, "orig", None) or error).strip()
    return text.splitlines()[0] if text else type(error).__name__


__all__ = [
    "Claim",
    "DeliveryBook",
    "FireKey",
    "IncidentBook",
    "Ledger",
    "Outcome",
    "Pruned",
    "SilenceBook",
    "Step",
    "StoreError",
    "apply_retention",
    "checkpoint",
    "database_url",
    "migrate",
    "open_engine",
    "open_store",
]
