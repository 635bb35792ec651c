"""The calendar: what must be maintained, where and when. The single source of truth for the
format; `maintd validate` and docs/calendar.md both come from these models.

Given plain data (from YAML), ``Calendar.model_validate`` returns a frozen ``Calendar`` or
raises pydantic's ValidationError, which the loader turns into located problems.
"""

from __future__ import annotations

import re
from datetime import timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from pydantic import Field, field_validator, model_validator

from maintd.config.base import CalendarModel
from maintd.config.hosts import Host, SshSettings, check_name
from maintd.config.predict import AnomalyWatch, Predict
from maintd.config.response import IncidentRules, Remediation, Severity, SeverityChoice
from maintd.config.timing import Blackout, CatchUp, Retries, Schedule, Window, Workdays
from maintd.config.types import Duration, ParamValue, Secret
from maintd.errors import did_you_mean

_LISTEN = re.compile(r"(?P<host>\[[0-9a-fA-F:]+\]|[^:\s]+):(?P<port>\d{1,5})")


class ConcurrencyLimits(CalendarModel):
    """How many checks may run at once."""

    total: int = Field(32, ge=1, description="In the whole daemon.")
    per_host: int = Field(4, ge=1, description="On one host (OpenSSH's MaxSessions is 10).")
    per_task: int | None = Field(
        None, ge=1, description="Hosts of one task at once (no limit if unset)."
    )


class Defaults(CalendarModel):
    """Values every task and host takes unless it sets its own."""

    timeout: Duration = Field(
        timedelta(minutes=1), description="Wall-clock limit of one check; then it is killed."
    )
    retries: Retries = Field(default_factory=Retries, description="Retries of unreachable hosts.")
    catch_up: CatchUp = Field(default_factory=CatchUp, description="Fires missed during downtime.")
    ssh: SshSettings = Field(default_factory=SshSettings, description="SSH connection settings.")
    concurrency: ConcurrencyLimits = Field(
        default_factory=ConcurrencyLimits, description="Limits on checks running at once."
    )
    severity: SeverityChoice | None = Field(
        None,
        description="Severity of tasks that name none: a name from `severities`, or "
        "{WARNING: minor, CRITICAL: major, default: major} to choose by the result's status.",
    )
    incidents: IncidentRules = Field(
        default_factory=IncidentRules, description="When results become incidents."
    )
    notify: list[str] = Field(
        default_factory=list,
        description="Notify lists for incidents whose severity has no escalation steps.",
    )
    maintenance_grace: Duration = Field(
        timedelta(minutes=5),
        description="A disruptive task's run silences its hosts' other checks; this long after "
        "it ends, the silence lifts.",
    )

    @field_validator("catch_up", mode="before")
    @classmethod
    def _catch_up_shorthand(cls, value: object) -> object:
        return {"policy": value} if isinstance(value, str) else value


class Store(CalendarModel):
    """Where the run ledger and the metrics are kept."""

    url: Secret = Field(
        description="SQLAlchemy URL (`sqlite:////var/lib/maintd/maintd.db`, `postgresql://…`); "
        "use {env: NAME} or {file: PATH} when it holds a password.",
    )


class Http(CalendarModel):
    """The daemon's HTTP endpoint (/metrics, /healthz, status pages); off unless set."""

    listen: str = Field("127.0.0.1:9108", description="Address and port to bind.")
    public_url: str | None = Field(
        None,
        description="Base URL people reach the endpoint at; notifications link incidents to it.",
        examples=["https://maintd.example.org"],
    )

    @field_validator("listen")
    @classmethod
    def _host_and_port(cls, value: str) -> str:
        match = _LISTEN.fullmatch(value)
        if not match or not 1 <= int(match.group("port")) <= 65535:
            raise ValueError('expected "ADDRESS:PORT", e.g. "127.0.0.1:9108"')
        return value


class Retention(CalendarModel):
    """How long records are kept."""

    runs: Duration = Field(timedelta(days=400), description="The run ledger.")
    metrics: Duration = Field(
        timedelta(days=30),
        description="Raw metric points; older ones are kept as hourly min/max/avg.",
    )
    metrics_hourly: Duration = Field(timedelta(days=730), description="Hourly metric summaries.")
    incidents: Duration = Field(
        timedelta(days=730), description="Closed incidents and their timelines."
    )
    forecasts: Duration = Field(
        timedelta(days=90), description="Forecasts and anomaly judgements made by the daemon."
    )


class Task(CalendarModel):
    """One piece of maintenance: what runs, on which hosts, when."""

    name: str = Field(description="Unique name; appears in the ledger, logs and reports.")
    description: str | None = Field(None, description="What the task is for.")
    check: str | None = Field(
        None, description="Check plugin to run (from `checks/` or plugin_dirs)."
    )
    command: list[str] | None = Field(
        None,
        description="Or: a program already on the host and its arguments (Nagios-style plugin).",
        examples=[["/usr/lib/nagios/plugins/check_load", "-w", "5,4,3", "-c", "10,8,6"]],
    )
    hosts: list[str] = Field(description="Host names, group names or `all`.", min_length=1)
    schedule: Schedule = Field(description="When it fires.")
    timeout: Duration | None = Field(
        None, description="Wall-clock limit (default: defaults.timeout)."
    )
    retries: Retries | None = Field(None, description="Retries (default: defaults.retries).")
    catch_up: CatchUp | None = Field(
        None, description="`none`, `once`, `all` or {policy, max_age}."
    )
    concurrency: int | None = Field(None, ge=1, description="Hosts of this task at once.")
    disruptive: bool = Field(
        False,
        description="Interrupts service: runs only inside its window, silences its host's checks.",
    )
    become: bool = Field(False, description="Run under `sudo -n`.")
    enabled: bool = Field(True, description="Planned but never run when false.")
    params: dict[str, ParamValue] = Field(default_factory=dict, description="Plugin parameters.")
    severity: SeverityChoice | None = Field(
        None,
        description="Severity of its incidents: a name from `severities`, or a map "
        "{STATUS: name, default: name}.",
    )
    incidents: IncidentRules | None = Field(
        None, description="When its results become incidents (default: defaults.incidents)."
    )
    runbook: str | None = Field(None, description="Path or URL of what to do when it fails.")
    remediate: Remediation | None = Field(
        None, description="A plugin run automatically on the host when an incident opens."
    )
    predict: Predict | None = Field(
        None, description="Forecast of one of its metrics, warned of before it reaches a threshold."
    )
    anomaly: AnomalyWatch | None = Field(
        None, description="Watch one of its metrics for readings unlike its own past."
    )

    @field_validator("name")
    @classmethod
    def _valid_name(cls, value: str) -> str:
        return check_name(value)

    @field_validator("catch_up", mode="before")
    @classmethod
    def _catch_up_shorthand(cls, value: object) -> object:
        return {"policy": value} if isinstance(value, str) else value

    @field_validator("command")
    @classmethod
    def _command_not_empty(cls, value: list[str] | None) -> list[str] | None:
        if value is not None and (not value or not value[0].startswith("/")):
            raise ValueError("command starts with the absolute path of a program on the host")
        return value

    @model_validator(mode="after")
    def _check_or_command(self) -> Task:
        if (self.check is None) == (self.command is None):
            raise ValueError("a task runs either `check: PLUGIN` or `command: [PROGRAM, ARG, …]`")
        if self.command is not None and self.params:
            raise ValueError("params go to check plugins; give a command its arguments in the list")
        return self


class Calendar(CalendarModel):
    """A maintenance calendar (one file, or a directory of *.yaml merged)."""

    timezone: str = Field(
        "UTC", description="IANA zone all local times are in.", examples=["Asia/Shanghai"]
    )
    defaults: Defaults = Field(
        default_factory=Defaults, description="Values tasks and hosts inherit."
    )
    hosts: dict[str, Host] = Field(default_factory=dict, description="Hosts by name.")
    windows: dict[str, Window] = Field(
        default_factory=dict, description="Maintenance windows by name."
    )
    blackouts: list[Blackout] = Field(
        default_factory=list, description="Periods when nothing runs."
    )
    workdays: Workdays = Field(default_factory=Workdays, description="The working-day calendar.")
    severities: dict[str, Severity] = Field(
        default_factory=dict, description="Service commitments."
    )
    notify: dict[str, list[Secret]] = Field(
        default_factory=dict, description="Named lists of apprise URLs (or {env}/{file} secrets)."
    )
    tasks: list[Task] = Field(default_factory=list, description="What runs, where and when.")
    plugin_dirs: list[str] = Field(
        default_factory=list, description="Plugin directories searched before the built-in checks/."
    )
    store: Store | None = Field(None, description="Database (default: a SQLite file).")
    http: Http | None = Field(None, description="HTTP endpoint; off unless set.")
    retention: Retention = Field(
        default_factory=Retention, description="How long records are kept."
    )

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(_zone_hint(value)) from None
        return value

    @field_validator("hosts", "windows", "severities", "notify")
    @classmethod
    def _valid_keys(cls, value: dict[str, object]) -> dict[str, object]:
        for name in value:
            check_name(name)
        return value

    @model_validator(mode="before")
    @classmethod
    def _http_shorthand(cls, data: object) -> object:
        if isinstance(data, dict) and data.get("http") is True:
            return {**data, "http": {}}
        return data

    @property
    def zone(self) -> ZoneInfo:
        """The calendar's timezone as a tzinfo."""
        return ZoneInfo(self.timezone)


def _zone_hint(value: str) -> str:
    hint = did_you_mean(value, sorted(available_timezones()))
    return f"unknown timezone {value!r}: expected an IANA name such as Europe/Berlin{hint}"
