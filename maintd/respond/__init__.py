"""The respond stage: run results become incidents, measured against the team's commitments.

Takes finished runs (task, host, status, summary, time); hands on events — opened, re-opened,
changed, resolved, flapping — for the store's incident timeline and for notifications.
"""

from maintd.respond.responder import Responder
from maintd.respond.tracker import Event, Kind, PairState, Policy, Result, Tracker

__all__ = ["Event", "Kind", "PairState", "Policy", "Responder", "Result", "Tracker"]
