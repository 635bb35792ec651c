"""Calendar keys of predictive maintenance: a task's `predict:` (time to a threshold, with an
optional `prevent:` plugin) and `anomaly:` (readings unlike the metric's own past).

Both turn into incidents of their own kind — ``predicted`` and ``anomaly`` — one per (task,
host), beside the task's check incidents, so a disk that is filling and a disk that is full
are told apart.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

from pydantic import Field, field_validator, model_validator

from maintd.config.base import CalendarModel
from maintd.config.response import Remediation
from maintd.config.types import Duration

# A forecast over a week of history changes little in minutes; recomputing it after every run
# of a 1-minute check would spend the fire threads on nothing new.
DEFAULT_EVERY = timedelta(minutes=15)


class Prevention(Remediation):
    """A plugin run on the host once a forecast warns, before the predicted time (a cleanup,
    say). It runs when the earliest time of the forecast's interval is `before` away or less,
    at most `attempts` times per incident; the incident resolves when forecasts no longer warn."""

    check: str = Field(description="Plugin to run (e.g. `disk_cleanup`).")
    before: Duration = Field(
        timedelta(days=1),
        description="Run it once the earliest predicted time is this close (0s: at the last "
        "moment the forecast allows; the warning's whole `within`: at once).",
    )


class Predict(CalendarModel):
    """Warn before a metric of this task crosses a threshold."""

    metric: str = Field(description="Perfdata label to forecast.", examples=["used_pct"])
    reaches: float = Field(description="Threshold value.", examples=[95])
    within: Duration = Field(
        description="Warn when it is forecast within this horizon.", examples=["14d"]
    )
    window: Duration = Field(timedelta(days=7), description="History the trend is fitted on.")
    min_history: Duration = Field(timedelta(days=1), description="No forecast with less history.")
    direction: Literal["up", "down"] = Field(
        "up",
        description="`up`: warn before it rises to `reaches`; `down`: before it falls to it "
        "(free space, say).",
    )
    coverage: float = Field(
        0.8, gt=0.5, lt=1, description="Probability the predicted interval holds the real time."
    )
    severity: str | None = Field(
        None,
        description="Severity of its `predicted` incidents (default: the task's `severity` for "
        "WARNING, else defaults.severity's, else `warning`).",
    )
    every: Duration = Field(
        DEFAULT_EVERY, description="Forecast again after a run at most this often."
    )
    prevent: Prevention | None = Field(
        None, description="A plugin run on the host before the predicted time."
    )

    @model_validator(mode="after")
    def _sensible_spans(self) -> Predict:
        if self.window <= timedelta(0) or self.within <= timedelta(0):
            raise ValueError("window and within are positive durations")
        if self.min_history > self.window:
            raise ValueError("min_history longer than window: no forecast could ever be made")
        return self


class AnomalyWatch(CalendarModel):
    """Warn when a metric without a fixed threshold (a temperature, a response time, an error
    rate) reads unlike its own past: `at_least` of its last `of_last` readings beyond a robust
    z-score of `threshold` against a baseline of `history` (by hour of day or of week when the
    history shows such a cycle)."""

    metric: str = Field(description="Perfdata label to watch.", examples=["response_ms"])
    direction: Literal["up", "down", "both"] = Field(
        "both", description="Which departures count: `up` (too high), `down` or `both`."
    )
    threshold: float = Field(3.5, gt=0, description="Robust z-score a reading must exceed.")
    at_least: int = Field(3, ge=1, description="Readings beyond it, among the last `of_last`.")
    of_last: int = Field(5, ge=1, le=100, description="Readings the rule looks at.")
    min_deviation: float = Field(
        0, ge=0, description="And at least this far from the usual value (the metric's units)."
    )
    history: Duration = Field(timedelta(days=28), description="History of the baseline.")
    severity: str | None = Field(
        None, description="Severity of its `anomaly` incidents (default: as for `predict`)."
    )

    @field_validator("history")
    @classmethod
    def _enough_history(cls, value: timedelta) -> timedelta:
        if value < timedelta(hours=1):
            raise ValueError("a baseline needs at least 1h of history")
        return value

    @model_validator(mode="after")
    def _rule_fits(self) -> AnomalyWatch:
        if self.at_least > self.of_last:
            raise ValueError("at_least is at most of_last")
        return self
