"""How failures are answered: incident rules, severities with their commitments, escalation,
remediation. Read by the respond stage; the calendar models in model.py use them."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, field_validator, model_validator

from maintd.config.base import CalendarModel
from maintd.config.types import Duration, ParamValue
from maintd.status import Status

# Statuses a result can have when it is a problem (OK ends one; SKIPPED and INTERRUPTED say
# nothing about the host).
PROBLEM_STATUSES = (
    Status.WARNING, Status.CRITICAL, Status.UNKNOWN, Status.TIMEOUT, Status.UNREACHABLE,
    Status.ERROR, Status.MISSED,
)  # fmt: skip
OTHERWISE = "default"


def parse_severity_choice(value: Any) -> Any:
    """A severity name, or a map from result status to severity name with a `default`."""
    if isinstance(value, str) or value is None:
        return value
    if not isinstance(value, dict):
        raise ValueError("expected a severity name or {STATUS: severity, ..., default: severity}")
    allowed = {status.value for status in PROBLEM_STATUSES} | {OTHERWISE}
    for key, name in value.items():
        if key not in allowed:
            raise ValueError(f"{key!r} is not a problem status; use {', '.join(sorted(allowed))}")
        if not isinstance(name, str):
            raise ValueError(f"{key}: expected the name of a severity")
    if OTHERWISE not in value:
        raise ValueError("a severity map needs a `default` for the statuses it does not name")
    return value


SeverityChoice = Annotated[str | dict[str, str], BeforeValidator(parse_severity_choice)]


def pick_severity(choice: str | dict[str, str] | None, status: Status) -> str | None:
    """The severity a problem with ``status`` gets from ``choice``."""
    if choice is None or isinstance(choice, str):
        return choice
    return choice.get(status.value, choice[OTHERWISE])


class IncidentRules(CalendarModel):
    """When results of a task become an incident (hard state), re-open one, or count as flapping."""

    attempts: int = Field(
        1, ge=1, le=100,
        description="Non-OK results in a row before an incident opens (Icinga's "
        "max_check_attempts); fewer are soft problems, recorded but not notified.",
    )  # fmt: skip
    reopen_within: Duration = Field(
        timedelta(hours=1),
        description="A problem back this soon after a recovery re-opens the same incident.",
    )
    flap_window: int = Field(20, ge=4, le=500, description="Results looked at for flapping.")
    flap_high: float = Field(
        0.5, gt=0, le=1, description="Share of state changes that starts flapping."
    )
    flap_low: float = Field(
        0.25, ge=0, lt=1, description="Share below which flapping stops (hysteresis)."
    )

    @model_validator(mode="after")
    def _hysteresis(self) -> IncidentRules:
        if self.flap_low >= self.flap_high:
            raise ValueError("flap_low must be below flap_high")
        return self


class Remediation(CalendarModel):
    """A plugin run on the host automatically when an incident of the task opens."""

    check: str = Field(description="Plugin to run (e.g. one that restarts a service).")
    params: dict[str, ParamValue] = Field(default_factory=dict, description="Its parameters.")
    become: bool = Field(False, description="Run it under `sudo -n`.")
    attempts: int = Field(
        1, ge=1, le=10, description="At most this many runs per incident (re-opening included)."
    )
    timeout: Duration = Field(timedelta(minutes=5), description="Wall-clock limit of one run.")


class EscalationStep(CalendarModel):
    """Who hears about an incident, and how long after it opened."""

    after: Duration = Field(description="Delay after the incident opened.", examples=["15m"])
    notify: list[str] = Field(description="Names from `notify`.", examples=[["oncall"]])

    @field_validator("notify", mode="before")
    @classmethod
    def _one_or_many(cls, value: object) -> object:
        return [value] if isinstance(value, str) else value


class Severity(CalendarModel):
    """A service commitment: how fast an incident of this severity is answered and fixed.

    The clocks run from the incident's opening; they pause while a window that names the host in
    `pause` is open, and with `business_hours` count working hours only. Acknowledging stops the
    respond clock, resolving the resolve clock; at 80 % a warning is sent, at 100 % a breach is
    recorded and sent.
    """

    respond: Duration = Field(
        description="First response (acknowledgement) within.", examples=["15m"]
    )
    resolve: Duration = Field(description="Resolution within.", examples=["4h"])
    escalate: list[EscalationStep] = Field(
        default_factory=list,
        description="Escalation steps, by clock time since opening; the first is usually "
        "`after: 0m`. Acknowledging stops further steps.",
    )
    renotify: Duration | None = Field(
        None,
        description="Repeat the notice to the steps reached so far this often until acknowledged.",
    )
    business_hours: bool = Field(
        False,
        description="Count the clocks in working hours only (`workdays`: days, start, end).",
    )

    @field_validator("escalate")
    @classmethod
    def _steps_in_order(cls, steps: list[EscalationStep]) -> list[EscalationStep]:
        delays = [step.after for step in steps]
        if delays != sorted(delays):
            raise ValueError("escalation steps are listed in the order of their `after`")
        return steps

    @field_validator("renotify")
    @classmethod
    def _not_too_often(cls, value: timedelta | None) -> timedelta | None:
        if value is not None and value < timedelta(minutes=1):
            raise ValueError("renotify at most once a minute")
        return value
