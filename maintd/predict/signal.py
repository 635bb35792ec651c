"""What a forecast or an anomaly judgement means for incidents: warn, clear, or hold.

- **warn**: the forecast's median estimate falls within ``within`` (or the metric is already
  there); an anomaly was found.
- **clear**: it no longer says so — heading elsewhere, too slowly to matter, a recurring reset
  due first, a trend that has become unclear, or a reset (a cleanup, a rotation) that started
  the history over; readings back within their baseline.
- **hold**: it says nothing new. An estimate just beyond ``within`` (up to ``CLEAR_MARGIN``
  times it) neither opens nor resolves, so a forecast wavering around the edge does not open
  and resolve an incident every time; nor does a gap in the data (an unreachable host), nor
  an anomaly rule's judgement with no reading since its last one.

An incident opens on the first *warn* and resolves after two *clear*s in a row (the caller
keeps the previous signal); the margin and the second *clear* are the hysteresis.
"""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum

from maintd.predict.trend import Forecast, Verdict

CLEAR_MARGIN = 1.25


class Signal(StrEnum):
    """A judgement's meaning for the incident of its series."""

    WARN = "warn"
    CLEAR = "clear"
    HOLD = "hold"


def threshold_signal(forecast: Forecast, within: timedelta) -> Signal:
    """The signal of a time-to-threshold forecast warned of ``within`` ahead."""
    if forecast.reached_within(within):
        return Signal.WARN
    if forecast.verdict is Verdict.REACHES and forecast.reached_within(within * CLEAR_MARGIN):
        return Signal.HOLD
    if forecast.verdict is Verdict.INSUFFICIENT and forecast.segment_started is None:
        return Signal.HOLD  # too little data says nothing; a reset before it says "fixed"
    return Signal.CLEAR


def anomaly_signal(found: bool, judged: bool, new_reading: bool = True) -> Signal:
    """The signal of an anomaly judgement: ``judged`` False when there was too little history
    for a baseline; ``new_reading`` False when no reading came since the series' previous
    judgement (the same evidence counts once: it holds)."""
    if not judged or not new_reading:
        return Signal.HOLD
    return Signal.WARN if found else Signal.CLEAR


def resolves(signal: Signal, previous: Signal | None) -> bool:
    """Whether an open incident resolves: two clear judgements in a row."""
    return signal is Signal.CLEAR and previous is Signal.CLEAR
