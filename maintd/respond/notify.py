"""Notifications: an outbox in the database, drained through apprise by one worker thread.

``Notifier.send`` only writes rows (one per URL of each named `notify` list) and wakes the
worker, so the threads that run fires never wait on a mail server. The worker sends each
delivery with apprise, records every attempt with apprise's own reason for a failure, and
retries after growing delays. URLs stay in the calendar: a row keeps the list's name, the URL's
place in it and an endpoint safe to show; the URL (or its ``{env}``/``{file}`` secret) is read
again at each attempt, and every error text is redacted before it is stored or logged.
"""

from __future__ import annotations

import heapq
import logging
import re
import threading
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from types import ModuleType
from typing import Any
from urllib.parse import unquote, urlsplit

from maintd.config import secrets
from maintd.config.types import EnvSecret, FileSecret
from maintd.store import DeliveryBook

log = logging.getLogger("maintd.notify")

UrlSource = Callable[[str], Sequence[str | EnvSecret | FileSecret]]
HOST_SCHEMES = frozenset({"json", "jsons", "mailto", "mailtos"})  # their host names no secret
SECRET_WORDS = ("pass", "pwd", "token", "key", "secret", "auth", "sig", "hook")
TOKEN_LOOKING = re.compile(r"(?=.*\d)(?=.*[A-Za-z])[A-Za-z0-9_\-]{12,}")
REDACTED = "***"
REQUEST_PATH = re.compile(r"(with url: )\S+")
ANY_URL_OF = r"(?<![\w+.\-]){scheme}://[^\s'\"<>()]+"  # up to a space, quote or bracket
MIN_SECRET_LENGTH = 4  # shorter pieces of a URL path or host would maul the text they are in
MAX_ERROR_LENGTH = 1000
RETRY_AFTER_BUG = 60.0  # seconds before a delivery whose attempt crashed is tried again
IDLE_POLL = 0.05
# apprise's level names and the one detail line (below WARNING) that says what went wrong.
KEPT_LOG_LINES = ("WARNING:", "ERROR:", "CRITICAL:", "DEBUG:Socket Exception:")
# LogCapture listens on apprise's one process-wide logger: two sends at once would read each
# other's errors, so attempts take turns, whichever Notifier makes them.
_APPRISE_LOG = threading.Lock()


@dataclass(frozen=True)
class Message:
    """What to tell, and to which `notify` lists of the calendar."""

    incident_id: int | None
    event: str
    targets: tuple[str, ...]
    title: str
    body: str


class _UndeliverableError(Exception):
    """A delivery that cannot even be tried (no such list, no such URL, unreadable secret)."""


def _scheme(url: str) -> str:
    scheme, separator, _rest = url.partition("://")
    if separator and re.fullmatch(r"[A-Za-z][A-Za-z0-9+.\-]*", scheme):
        return scheme.lower()
    return "unknown"


def describe_endpoint(url: str) -> str:
    """What people may see of a URL: its scheme, and for json/jsons/mailto/mailtos its
    host[:port] (``json://127.0.0.1:8080``); other schemes keep their host secret
    (``slack://…``: there the "host" is often a token)."""
    scheme = _scheme(url)
    hidden = f"{scheme}://…"
    if scheme not in HOST_SCHEMES:
        return hidden
    try:
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port
    except ValueError:
        return hidden
    # An "@" after the host (but in a query value: ?from=a@b.org) means urlsplit misread a
    # password holding "/", "?" or "#": the "host" it found is part of the credentials.
    misread = ("@" in text for text in (parts.path, parts.query.partition("=")[0], parts.fragment))
    if not host or any(misread):
        return hidden
    shown = f"[{host}]" if ":" in host else host
    return f"{scheme}://{shown}" + (f":{port}" if port else "")


def redact(text: str, url: str) -> str:
    """Return ``text`` with ``url``, and any other URL of its scheme (a library's own rendering
    of it), replaced by its endpoint, and every password- or token-looking part of it
    (password, secret query values, long tokens; for schemes other than json/mailto also the
    user, host and path) replaced by ``***``."""
    if not url:
        return text
    # urllib3 quotes the request path ("Max retries exceeded with url: /hooks/…"): a webhook's
    # path is its secret as often as not.
    text = REQUEST_PATH.sub(r"\1***", text)
    shown = describe_endpoint(url)
    text = text.replace(url, shown)
    scheme = _scheme(url)
    if scheme != "unknown":
        # Any other rendering of a URL of this scheme goes too: apprise names a URL it cannot
        # parse abbreviated (jsonx://ops:S...8@1...1/h...3?token=t...5), and a first and last
        # character of every secret is still too much to give away.
        any_url = re.compile(ANY_URL_OF.format(scheme=re.escape(scheme)), re.IGNORECASE)
        text = any_url.sub(lambda _match: shown, text)
    for secret in sorted(_secret_parts(url), key=len, reverse=True):
        text = text.replace(secret, REDACTED)
    return text


def _secret_parts(url: str) -> set[str]:
    _scheme_part, _separator, rest = url.partition("://")
    netloc, _slash, path_and_query = rest.partition("/")
    if "?" in netloc:
        netloc, _mark, query = netloc.partition("?")
        path = ""
    else:
        path, _mark, query = path_and_query.partition("?")
    user_info, _at, host = netloc.rpartition("@")
    user, _colon, password = user_info.partition(":")
    pieces = set(filter(TOKEN_LOOKING.fullmatch, re.split(r"[/&=#]", f"{path}&{query}")))
    if _scheme(url) not in HOST_SCHEMES:
        pieces.update([user, host.rpartition(":")[0] or host, *path.split("/")])
    elif _scheme(url).startswith("json"):
        # A webhook's path and query values are its credentials (/hooks/team-prod-secret).
        pieces.update(path.split("/"))
        pieces.update(value for pair in query.split("&") for _, _, value in [pair.partition("=")])
    pieces = {piece for piece in pieces if len(piece) >= MIN_SECRET_LENGTH}
    # Whatever their length: the password, and query values named like secrets or headers.
    pieces.update(
        value for pair in query.split("&") for key, _, value in [pair.partition("=")]
        if key.startswith("+") or any(word in key.lower() for word in SECRET_WORDS)
    )  # fmt: skip
    pieces.add(password)
    return {form for piece in pieces for form in (piece, unquote(piece)) if form}


def _describe_secret(url: str | EnvSecret | FileSecret) -> str:
    if isinstance(url, str):
        return describe_endpoint(url)
    try:
        return describe_endpoint(secrets.resolve_secret(url))
    except secrets.SecretError:
        return f"{{env: {url.env}}}" if isinstance(url, EnvSecret) else f"{{file: {url.file}}}"


def _apprise() -> ModuleType:
    """apprise, imported and its plugins loaded at the first delivery, not at start: all of its
    ~450 plugin modules cost the daemon 16-18 MB, which a site that never notifies should not
    pay (measured: `python -m bench.memory`). Called under _APPRISE_LOG.

    apprise loads its plugins on first use, and its e-mail plugin then imports the standard
    `imghdr` module (for PGPy), which Python 3.11 flags as deprecated; that one warning is
    silenced here, where a test run with warnings as errors would otherwise fail.
    """
    global _apprise_module  # noqa: PLW0603 - loaded once per process, on demand
    if _apprise_module is None:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", "'imghdr' is deprecated", DeprecationWarning)
            import apprise  # noqa: PLC0415

            apprise.NotificationManager().load_modules()  # type: ignore[no-untyped-call]
        _apprise_module = apprise
    return _apprise_module


_apprise_module: ModuleType | None = None


@contextmanager
def _apprise_log_kept_here(apprise: ModuleType) -> Iterator[None]:
    # LogCapture lowers apprise's logger to DEBUG (the reason of a failure is logged there);
    # its DEBUG lines hold payloads and webhook URLs, so none may reach the daemon's handlers.
    # The worker logs its own redacted line instead.
    apprise_logger = logging.getLogger(apprise.LOGGER_NAME)
    propagate = apprise_logger.propagate
    apprise_logger.propagate = False
    try:
        yield
    finally:
        apprise_logger.propagate = propagate


def send_with_apprise(url: str, title: str, body: str) -> str | None:
    """Send one message to one apprise URL (blocking: seconds, at worst apprise's timeouts).

    Returns None when apprise reports it sent, else apprise's reason, unredacted.
    """
    with _APPRISE_LOG:
        return _send(_apprise(), url, title, body)


def _send(apprise: ModuleType, url: str, title: str, body: str) -> str | None:
    with (
        _apprise_log_kept_here(apprise),
        apprise.LogCapture(level=logging.DEBUG, fmt="%(levelname)s:%(message)s") as captured,
    ):
        try:
            instance = apprise.Apprise()
            sent = instance.add(url) and bool(instance.notify(title=title, body=body))
        except Exception as error:  # apprise reports failures; an exception is its bug
            return f"apprise raised {type(error).__name__}: {error}"
        output = captured.getvalue()
    if sent:
        return None
    lines = [line for line in output.splitlines() if line.startswith(KEPT_LOG_LINES)]
    reasons = [line.partition(":")[2].removeprefix("Socket Exception: ") for line in lines]
    return "; ".join(reasons) or "apprise reported a failure without a reason"


class Notifier:
    """The outbox's sender: ``send`` queues, one worker thread delivers and retries.

    ``urls_for(name)`` gives a `notify` list's URLs as the calendar holds them (strings or
    ``{env}``/``{file}`` secrets) and raises KeyError for a list it does not have; it is asked
    again at every attempt, so a reloaded calendar takes effect. A failed attempt is retried
    after ``retry_delays[n]`` seconds; one failing after the last delay is 'failed'.
    ``clock`` gives the aware time written into the rows.
    """

    def __init__(
        self,
        book: DeliveryBook,
        urls_for: UrlSource,
        *,
        retry_delays: Sequence[float] = (10, 60, 300, 1800),
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        if any(delay < 0 for delay in retry_delays):
            raise ValueError("retry delays cannot be negative")
        self._book = book
        self._urls_for = urls_for
        self._retry_delays = tuple(retry_delays)
        self._clock = clock
        self._wake = threading.Condition()
        self._due: list[tuple[datetime, int]] = []  # a heap of (due time, delivery id)
        self._scheduled: set[int] = set()
        self._in_flight: int | None = None
        self._stopping = False
        self._thread: threading.Thread | None = None

    def send(self, message: Message) -> int:
        """Queue ``message`` for every URL of each of its lists; return how many were queued.

        Writes rows and returns: nothing here waits on the network. A list the calendar does
        not have is queued too (one row): its failed attempts show the mistake.
        """
        now = self._clock()
        queued = [
            self._book.queue(
                incident_id=message.incident_id, event=message.event, target=target,
                url_index=url_index, endpoint=shown, title=message.title, body=message.body,
                at=now,
            )
            for target in message.targets
            for url_index, shown in self._places(target)
        ]  # fmt: skip
        with self._wake:
            for delivery_id in queued:
                self._schedule(now, delivery_id)
            self._wake.notify_all()
        return len(queued)

    def start(self) -> None:
        """Start the worker thread and take over the deliveries left queued in the database."""
        if self._thread is not None:
            raise RuntimeError("a Notifier is started once")
        with self._wake:
            for row in self._book.pending():
                self._schedule(row["next_at"] or row["created_at"], row["id"])
        self._thread = threading.Thread(target=self._run, name="maintd-notify", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the worker, waiting up to ``timeout`` seconds for an attempt in progress.

        What is still queued stays queued in the database for the next start.
        """
        with self._wake:
            self._stopping = True
            self._wake.notify_all()
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive():
                log.warning("the notification worker is still sending; not waiting for it")

    def wait_idle(self, timeout: float) -> bool:
        """Wait until nothing is due now and nothing is being sent; False on timeout."""
        deadline = time.monotonic() + timeout
        with self._wake:
            while self._in_flight is not None or (self._due and self._due[0][0] <= self._clock()):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._wake.wait(min(remaining, IDLE_POLL))
        return True

    def _places(self, target: str) -> list[tuple[int, str]]:
        try:
            urls = self._urls_for(target)
        except LookupError:
            return [(0, "unknown")]
        if not urls:
            log.warning("notify list %s has no URL: nothing queued for it", target)
        return [(url_index, _describe_secret(url)) for url_index, url in enumerate(urls)]

    def _schedule(self, due: datetime, delivery_id: int) -> None:
        if delivery_id not in self._scheduled:
            self._scheduled.add(delivery_id)
            heapq.heappush(self._due, (due, delivery_id))

    def _run(self) -> None:
        while (delivery_id := self._next_due()) is not None:
            try:
                self._attempt(delivery_id)
            except Exception:
                log.exception("delivery %d: attempt crashed; trying again later", delivery_id)
                retry_at = self._clock() + timedelta(seconds=RETRY_AFTER_BUG)
                with self._wake:
                    self._schedule(retry_at, delivery_id)
            with self._wake:
                self._in_flight = None
                self._wake.notify_all()

    def _next_due(self) -> int | None:
        with self._wake:
            while not self._stopping:
                if not self._due:
                    self._wake.wait()
                    continue
                wait = (self._due[0][0] - self._clock()).total_seconds()
                if wait > 0:
                    self._wake.wait(wait)
                    continue
                _due, delivery_id = heapq.heappop(self._due)
                self._scheduled.discard(delivery_id)
                self._in_flight = delivery_id
                return delivery_id
            return None

    def _attempt(self, delivery_id: int) -> None:
        row = self._book.get(delivery_id)
        if row is None or row["state"] != "queued":
            return  # sent, given up or deleted meanwhile
        at = self._clock()
        started = time.monotonic()
        url = ""
        try:
            url = self._resolve(row["target"], row["url_index"])
            error = send_with_apprise(url, row["title"], row["body"])
        except _UndeliverableError as problem:
            error = str(problem)
        duration = time.monotonic() - started
        if error is not None:
            error = redact(error, url)[:MAX_ERROR_LENGTH]
        next_at = None
        if error is not None and row["attempts"] < len(self._retry_delays):
            delay = self._retry_delays[row["attempts"]]
            next_at = self._clock() + timedelta(seconds=delay)
        self._book.record_attempt(
            delivery_id, at=at, ok=error is None, error=error, duration=duration, next_at=next_at
        )
        if next_at is not None:
            with self._wake:
                self._schedule(next_at, delivery_id)
        _log_attempt(row, error, next_at)

    def _resolve(self, target: str, url_index: int) -> str:
        try:
            urls = self._urls_for(target)
        except LookupError:
            raise _UndeliverableError(f"there is no notify list {target}") from None
        if url_index >= len(urls):
            raise _UndeliverableError(f"notify list {target} has no URL #{url_index} any more")
        try:
            return secrets.resolve_secret(urls[url_index])
        except secrets.SecretError as error:
            raise _UndeliverableError(str(error)) from None


def _log_attempt(row: dict[str, Any], error: str | None, next_at: datetime | None) -> None:
    what = (
        f"delivery {row['id']} ({row['event']}) to {row['target']} #{row['url_index']} "
        f"({row['endpoint']})"
    )
    if error is None:
        log.info("%s sent", what)
    elif next_at is not None:
        log.warning("%s failed, retrying at %s: %s", what, next_at.isoformat(), error)
    else:
        log.error("%s failed for good after %d attempts: %s", what, row["attempts"] + 1, error)
