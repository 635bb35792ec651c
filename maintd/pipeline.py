"""One fire's trip through the stages, in one place:

    planner decides ──▶ ledger claims the row ──▶ runner executes ──▶ parse ──▶ ledger completes
                                                                               ├──▶ maintenance log
                                                                               ├──▶ incidents
                                                                               ├──▶ forecasts
                                                                               └──▶ metrics

``FireProcessor`` is what the daemon's scheduler calls for every scheduled time, so that each
one ends as exactly one row; the parse step is ``results.interpret``. When the database refuses
a write (a full disk), the row waits in memory (``store.pending``) and is written as soon as it
takes writes again; a fire whose claim could not be written is not run and becomes MISSED with
the database's reason.
"""

from __future__ import annotations

import itertools
import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from maintd.config.model import Calendar, Task
from maintd.config.response import pick_severity
from maintd.execute import HostRun, Runner
from maintd.plan import Planner
from maintd.report.maintlog import MaintenanceLog
from maintd.respond import Kind, Policy, Responder, Result
from maintd.respond.remedy import remediate
from maintd.results import Perfdatum, interpret
from maintd.status import PLUGIN_STATUSES, Status
from maintd.store import Claim, FireKey, Ledger, Outcome, SilenceBook
from maintd.store.ledger import OUTPUT_LIMIT, LedgerWriteError
from maintd.store.pending import PendingCompletion, PendingRecord, PendingRows

log = logging.getLogger("maintd.fire")
MIN_GRACE = timedelta(seconds=60)
DEFAULT_SEVERITY = "warning"  # for a calendar that names no severity at all
REMEDIABLE_EVENTS = (Kind.OPENED, Kind.REOPENED, Kind.CHANGED)
REMEDIABLE_STATUSES = PLUGIN_STATUSES - {Status.OK}
CUT_MARK = "\n[… long output cut to fit the ledger]"
# A fire's row was written: task, host, status, seconds its check ran (None: it did not run),
# when. The daemon's metrics count these.
Recorded = Callable[[str, str, Status, float | None, datetime], None]


@dataclass
class Site:
    """What the daemon runs from: one loaded calendar. Replaced whole on reload."""

    calendar: Calendar
    planner: Planner
    runner: Runner
    _graces: dict[str, timedelta] = field(default_factory=dict)
    _task_limits: dict[str, threading.BoundedSemaphore] = field(default_factory=dict)
    _policies: dict[str, Policy] = field(default_factory=dict)

    def grace(self, task: Task) -> timedelta:
        """How late a fire may still start: half its interval, at least a minute."""
        if task.name not in self._graces:
            host = self.planner.hosts[task.name][0]
            upcoming = list(itertools.islice(self.planner.host_fires(task, host, _now()), 2))
            interval = upcoming[1] - upcoming[0] if len(upcoming) == 2 else timedelta(0)
            self._graces[task.name] = max(MIN_GRACE, interval / 2)
        return self._graces[task.name]

    def policy(self, task_name: str) -> Policy:
        """How the results of ``task_name`` become incidents (its rules, else the defaults)."""
        policy = self._policies.get(task_name)
        if policy is None:
            task = self.planner.tasks.get(task_name)
            rules = (task.incidents if task else None) or self.calendar.defaults.incidents
            policy = Policy(
                rules.attempts, rules.reopen_within, rules.flap_window, rules.flap_high,
                rules.flap_low,
            )  # fmt: skip
            self._policies[task_name] = policy
        return policy

    def severity(self, task_name: str, status: Status) -> str:
        """The severity of an incident of ``task_name`` with ``status`` (the task's choice,
        else the default's, else "warning")."""
        task = self.planner.tasks.get(task_name)
        choice = (task.severity if task else None) or self.calendar.defaults.severity
        return pick_severity(choice, status) or DEFAULT_SEVERITY

    def run_plugin(self, task: Task, host: str) -> tuple[Status, str]:
        """Run ``task`` on ``host`` now, outside the ledger (a remediation, a prevention), and
        return the plugin's status and summary."""
        result = interpret(self.runner.run_one(task, host).raw)
        return result.status, result.summary

    def task_limit(self, task: Task) -> threading.BoundedSemaphore:
        """At most ``concurrency`` hosts of ``task`` at once."""
        if task.name not in self._task_limits:
            limit = task.concurrency or self.calendar.defaults.concurrency.per_task or 1_000_000
            self._task_limits[task.name] = threading.BoundedSemaphore(limit)
        return self._task_limits[task.name]


class FireProcessor:
    """Turns every scheduled time of a (task, host) into exactly one ledger row."""

    def __init__(
        self,
        site: Site,
        ledger: Ledger,
        maintenance_log: MaintenanceLog,
        responder: Responder | None = None,
    ) -> None:
        self.site = site
        self.ledger = ledger
        self.log = maintenance_log
        self.responder = responder
        self.silences: SilenceBook | None = None  # set: disruptive runs silence their hosts
        self.on_incident: Callable[[], None] = _nothing  # an incident changed: wake the desk
        # A run of a task with `predict:` or `anomaly:` was recorded: judge its series.
        self.after_measuring: Callable[[Site, Task, str], None] | None = None
        self.after_recording: Recorded | None = None
        # The scheduler handed a fire over this many seconds after its scheduled time.
        self.on_lateness: Callable[[float], None] | None = None
        self.stopping = threading.Event()
        self.running = 0
        self._count_lock = threading.Lock()
        self.pending = PendingRows()  # rows the database refused, written when it can

    def handle(self, task_name: str, host: str, run_times: list[datetime]) -> None:
        """Scheduled fires of one job: the latest runs (if not too late), earlier ones that
        piled up are recorded MISSED."""
        self.flush_pending()
        site = self.site
        task = site.planner.tasks.get(task_name)
        if task is None:
            return  # removed by a reload after this fire was submitted
        *earlier, latest = sorted(run_times)
        for instant in earlier:
            self.record(task.name, host, instant, Status.MISSED, "maintd fell behind")
        lateness = _now() - latest
        self._late(lateness)
        if lateness > site.grace(task):
            reason = f"started {lateness.total_seconds():.0f}s late (grace {site.grace(task)})"
            self.record(task.name, host, latest, Status.MISSED, reason)
            return
        self.run_fire(site, task, host, latest, "schedule")

    def dropped(self, task_name: str, host: str, run_times: list[datetime], reason: str) -> None:
        """Fires the scheduler could not start: each gets a SKIPPED row."""
        for instant in run_times:
            self.record(task_name, host, instant, Status.SKIPPED, reason)

    def run_fire(self, site: Site, task: Task, host: str, at: datetime, trigger: str) -> None:
        """Decide, claim, run, record one fire."""
        try:
            self._run_fire(site, task, host, at, trigger)
        except Exception:  # one fire must never take the daemon down
            log.exception("fire %s@%s at %s failed", task.name, host, at.isoformat())

    def record(  # noqa: PLR0913 - a fire's identity, its outcome, and whether it is news
        self, task: str, host: str, at: datetime, status: Status, reason: str, *,
        respond: bool = True,
    ) -> None:  # fmt: skip
        """A fire that does not run, written to the ledger and the log. ``respond=False``: the
        calendar's own policy left it out (catch-up), which is no problem of the host."""
        try:
            key = FireKey(task, host, at)
            try:
                recorded = self.ledger.record(key, "schedule", status=status, reason=reason)
            except LedgerWriteError as error:
                self._keep(PendingRecord(key, "schedule", status, reason), error.reason)
                recorded = True  # it will be, once the database takes writes again
            if recorded:
                self.log.run(at, status.value, f"{task}@{host}", reason, None)
                if respond:
                    self.respond(Result(task, host, status, reason, at))
                self._recorded(task, host, status, None, _now())
        except Exception:
            log.exception("could not record %s@%s at %s", task, host, at.isoformat())

    def flush_pending(self) -> None:
        """Write the rows the database refused earlier, if it takes writes again (called
        before every fire, and periodically by the daemon)."""
        written = self.pending.flush(self.ledger)
        if written is None or len(self.pending):
            return
        given_up = self.pending.given_up
        lost = f"; {given_up} rows were given up (too many waiting)" if given_up else ""
        log.warning("the ledger takes writes again: %d rows that waited written%s", written, lost)
        self.log.event(f"ledger writable again: {written} rows that waited written{lost}")

    def store_problem(self) -> str | None:
        """Why rows are waiting for the database, or None (for the daemon's status)."""
        return self.pending.problem()

    def _keep(self, row: PendingRecord | PendingCompletion, reason: str) -> None:
        """Hold a row the database refused; say so once when the trouble starts."""
        if self.pending.add(row, reason):
            log.error("cannot write the ledger (%s): rows wait in memory until it can", reason)
            try:
                self.log.event(f"ledger not writable ({reason}): rows wait in memory")
            except Exception:  # the log may sit on the same full disk; its writer says so
                log.exception("could not log the ledger's failure")

    def _complete_row(
        self, claim: Claim, outcome: Outcome, measurements: tuple[Perfdatum, ...] = ()
    ) -> None:
        """Write how a claimed fire ended, or keep it until the database takes writes."""
        try:
            self.ledger.complete(claim, outcome, measurements)
        except LedgerWriteError as error:
            self._keep(PendingCompletion(claim, outcome, measurements), error.reason)

    def policy(self, task_name: str) -> Policy:
        """The incident policy of a task of the current calendar (reloads replace the site)."""
        return self.site.policy(task_name)

    def severity(self, task_name: str, status: Status) -> str:
        """The incident severity of a task of the current calendar."""
        return self.site.severity(task_name, status)

    def respond(self, result: Result) -> None:
        """Hand a finished fire to the responder; incidents opened or resolved are logged."""
        if self.responder is None:
            return
        try:
            events = self.responder.observe(result)
        except Exception:  # the run is recorded; its incident bookkeeping must not stop fires
            log.exception("incident bookkeeping failed for %s@%s", result.task, result.host)
            return
        for event in events:
            if event.kind not in (Kind.SOFT, Kind.CHANGED):
                job = f"{result.task}@{result.host}"
                self.log.event(f"incident {event.kind}: {job} {result.status}", result.at)
            # Only the plugin's own verdict is worth a fix: an unreachable host or a missed fire
            # says nothing about the service (restarting it would spend an attempt for nothing).
            if event.kind in REMEDIABLE_EVENTS and result.status in REMEDIABLE_STATUSES:
                self._remediate(result.task, result.host)
        if any(event.kind != Kind.SOFT for event in events):
            self.on_incident()

    def _remediate(self, task_name: str, host: str) -> None:
        """Run the task's `remediate` plugin for the incident that just opened, if it has one."""
        site = self.site
        task = site.planner.tasks.get(task_name)
        if task is None or task.remediate is None or self.responder is None:
            return
        if remediate(self.responder.book, task, host, site.run_plugin):
            self.log.event(f"remediation {task.remediate.check} ran for {task_name}@{host}")

    def _run_fire(self, site: Site, task: Task, host: str, at: datetime, trigger: str) -> None:
        fire = site.planner.decide(task, host, at)
        if not fire.runs:
            self.record(task.name, host, at, Status.SKIPPED, fire.reason or "")
            return
        if self.stopping.is_set():
            self.record(task.name, host, at, Status.MISSED, "maintd was stopping")
            return
        with self._count_lock:  # counted from the claim on: stop() waits for this row too
            self.running += 1
        try:
            key = FireKey(task.name, host, at)
            try:
                claim = self.ledger.claim(key, trigger)
            except LedgerWriteError as error:
                # Unclaimed, the fire could run twice (a restart, another node): not run.
                reason = f"the database could not be written: {error.reason}"
                self._keep(PendingRecord(key, trigger, Status.MISSED, reason), error.reason)
                self.log.run(at, Status.MISSED.value, f"{task.name}@{host}", reason, None)
                self._recorded(task.name, host, Status.MISSED, None, _now())
                return
            if claim is None:
                return  # the fire has its row already (caught up, or another node ran it)
            try:
                with site.task_limit(task), self._silenced(site, task, host):
                    host_run = site.runner.run_one(task, host)
                status = self._complete(claim, host_run)
            except Exception as error:
                self._complete_row(claim, Outcome(Status.ERROR, f"maintd failed: {error}"))
                self._recorded(task.name, host, Status.ERROR, None, _now())
                raise
            # Only the plugin's own verdict measured anything: an unreachable host or a timeout
            # leaves the series as it was, and a prevention on a dead host would spend its try.
            measured = status in PLUGIN_STATUSES and (task.predict or task.anomaly)
            if self.after_measuring is not None and measured:
                self.after_measuring(site, task, host)
        finally:
            with self._count_lock:
                self.running -= 1

    @contextmanager
    def _silenced(self, site: Site, task: Task, host: str) -> Iterator[None]:
        """While a disruptive task runs, its host's other checks are silenced; the silence
        lifts `maintenance_grace` after the run (the desk then says what is still wrong)."""
        if not task.disruptive or self.silences is None:
            yield
            return
        grace = site.calendar.defaults.maintenance_grace
        timeout = task.timeout or site.calendar.defaults.timeout
        started = _now()
        silence = self.silences.add(
            task=None, host=host, starts_at=started, ends_at=started + timeout + grace,
            reason=f"{task.name} running", by=None, origin_task=task.name,
        )  # fmt: skip
        try:
            yield
        finally:
            self.silences.end_at(silence, _now() + grace)

    def _complete(self, claim: Claim, host_run: HostRun) -> Status:
        """Record a finished run, log and respond to it; return its status."""
        raw = host_run.raw
        result = interpret(raw)
        finished = _now()
        outcome = Outcome(
            status=result.status,
            summary=result.summary,
            started_at=host_run.started_at,
            finished_at=finished,
            duration=raw.duration,
            exit_code=raw.exit_code,
            output=stored_output(result.long_output, result.notes),
            attempt=host_run.attempts,
            reason=raw.reason or None,
        )
        self._complete_row(claim, outcome, result.perfdata)
        job = f"{host_run.task}@{host_run.host}"
        self.log.run(finished, result.status.value, job, result.summary, raw.duration)
        self.respond(Result(host_run.task, host_run.host, result.status, result.summary, finished))
        self._recorded(host_run.task, host_run.host, result.status, raw.duration, finished)
        return result.status

    def _recorded(
        self, task: str, host: str, status: Status, duration: float | None, at: datetime
    ) -> None:
        if self.after_recording is None:
            return
        try:
            self.after_recording(task, host, status, duration, at)
        except Exception:  # counting a fire must never cost it its row
            log.exception("could not count the fire of %s@%s", task, host)

    def _late(self, lateness: timedelta) -> None:
        if self.on_lateness is None:
            return
        try:
            self.on_lateness(lateness.total_seconds())
        except Exception:  # measuring the scheduler must never cost a fire its row
            log.exception("could not record the scheduler's lag")


def stored_output(long_output: str, notes: tuple[str, ...]) -> str:
    """The long output and maintd's notes on it, within the ledger's limit: the long output is
    cut, never the notes (they say why the output looks as it does, e.g. that it was cut)."""
    remarks = "\n".join(notes)
    room = OUTPUT_LIMIT - len(remarks) - len(CUT_MARK) - 1
    if len(long_output) > room:
        long_output = long_output[: max(room, 0)] + CUT_MARK
    return "\n".join(part for part in (long_output, remarks) if part)[:OUTPUT_LIMIT]


def _now() -> datetime:
    return datetime.now(UTC)


def _nothing() -> None:
    return None
