"""The store stage: where what happened is kept.

Takes claims and outcomes of fires (and their measurements); hands back history, the latest
state of every (task, host), and the last recorded fire of each for catch-up. SQLAlchemy is
imported here and nowhere else; SQLite by default, PostgreSQL by URL.
"""

from maintd.store.db import checkpoint, database_url, open_engine
from maintd.store.deliveries import DeliveryBook
from maintd.store.incidents import IncidentBook, Step
from maintd.store.ledger import Claim, FireKey, Ledger, Outcome
from maintd.store.migrate import migrate
from maintd.store.retention import Pruned, apply_retention
from maintd.store.silences import SilenceBook


def open_store(url: str) -> Ledger:
    """Open (creating and migrating as needed) the database at ``url``."""
    engine = open_engine(database_url(url))
    migrate(engine)
    return Ledger(engine)


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
    "apply_retention",
    "checkpoint",
    "database_url",
    "migrate",
    "open_engine",
    "open_store",
]
