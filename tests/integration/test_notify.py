"""Notifications through apprise to real servers run by the tests: HTTP webhooks and SMTP.

Nothing of apprise is mocked: a ThreadingHTTPServer takes ``json://`` notifications, an aiosmtpd
server takes ``mailto://`` mail, and the deliveries and their attempts are read back from a real
database.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.message import Message as Email
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from maintd.config.types import EnvSecret
from maintd.respond.notify import Message, Notifier, describe_endpoint, redact
from maintd.store import DeliveryBook, IncidentBook, Step, open_store
from tests.integration.conftest import Opener
from tests.sshd import free_port

WAIT = 15.0  # seconds a test waits for the worker at most
QUICK = (0.1, 0.1)  # retry delays: three attempts in all, in a fraction of a second
T0 = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)


class Hook:
    """A webhook on 127.0.0.1 that records what it receives.

    It answers with ``statuses`` in turn (200 once they are used up); with ``hold`` set it
    keeps each request waiting until the event is set.
    """

    def __init__(self, statuses: tuple[int, ...] = (), hold: threading.Event | None = None):
        self.statuses = list(statuses)
        self.hold = hold
        self.received: list[dict[str, Any]] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    def url(self, path: str = "/hook") -> str:
        return f"json://127.0.0.1:{self.port}{path}"

    def close(self) -> None:
        if self.hold is not None:
            self.hold.set()
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the name http.server calls
                length = int(self.headers.get("Content-Length", 0))
                payload = json.loads(self.rfile.read(length))
                hook.received.append(
                    {"path": self.path, "headers": dict(self.headers), "payload": payload}
                )
                if hook.hold is not None:
                    hook.hold.wait(WAIT)
                status = hook.statuses.pop(0) if hook.statuses else 200
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"no" if status >= 400 else b"ok")

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler


class Mailbox:
    """An aiosmtpd handler keeping every message, and an authenticator keeping every login."""

    def __init__(self) -> None:
        self.messages: list[Email] = []
        self.logins: list[tuple[bytes, bytes]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"

    def authenticate(self, server: Any, session: Any, envelope: Any, mechanism: str, auth: Any):
        self.logins.append((auth.login, auth.password))
        return AuthResult(success=auth.password == b"s3cret-pass")


@pytest.fixture
def book(tmp_path: Path) -> Iterator[DeliveryBook]:
    ledger = open_store("sqlite:///" + str(tmp_path / "m.db"))
    yield DeliveryBook(ledger.engine)
    ledger.close()


@pytest.fixture
def hooks() -> Iterator[Callable[..., Hook]]:
    """Start webhooks; every one is shut down after the test."""
    started: list[Hook] = []

    def start(*statuses: int, hold: threading.Event | None = None) -> Hook:
        started.append(Hook(statuses, hold))
        return started[-1]

    yield start
    for hook in started:
        hook.close()


@pytest.fixture
def notifiers(book: DeliveryBook) -> Iterator[Callable[..., Notifier]]:
    """Make notifiers on ``book`` (started unless told otherwise), stopped after the test."""
    made: list[Notifier] = []

    def make(urls: dict[str, list[Any]], *, retry_delays: Any = QUICK, start: bool = True):
        made.append(Notifier(book, urls.__getitem__, retry_delays=retry_delays))
        if start:
            made[-1].start()
        return made[-1]

    yield make
    for notifier in made:
        notifier.stop(timeout=WAIT)


@pytest.fixture
def mailbox() -> Iterator[tuple[Mailbox, int]]:
    """A real SMTP server on 127.0.0.1 taking AUTH without TLS (only loopback is used)."""
    box = Mailbox()
    # aiosmtpd's Controller cannot listen on port 0: it connects to its own port to see it up.
    port = free_port()
    controller = Controller(
        box, hostname="127.0.0.1", port=port, authenticator=box.authenticate,
        auth_require_tls=False,
    )  # fmt: skip
    controller.start()
    yield box, port
    controller.stop()


def settled(book: DeliveryBook) -> list[dict[str, Any]]:
    """Wait until no delivery is queued any more; return them all, oldest first."""
    deadline = time.monotonic() + WAIT
    while any(row["state"] == "queued" for row in book.listing()):
        assert time.monotonic() < deadline, "deliveries still queued"
        time.sleep(0.02)
    return book.listing()[::-1]


def message(*targets: str, title: str = "[CRITICAL] #7 disk on db1: opened") -> Message:
    return Message(None, "opened", targets, title, "disk at 97 %")


def stored_text(book: DeliveryBook) -> str:
    """Every delivery and attempt row, as one text to search for leaks."""
    rows = book.listing()
    return repr(rows) + "".join(repr(book.attempts(row["id"])) for row in rows)


def test_a_webhook_receives_the_title_and_body_and_the_delivery_is_sent(
    book: DeliveryBook, hooks: Callable[..., Hook], notifiers: Callable[..., Notifier]
) -> None:
    hook = hooks()
    notifier = notifiers({"oncall": [hook.url()]})
    assert notifier.send(message("oncall")) == 1
    (delivery,) = settled(book)
    assert notifier.wait_idle(WAIT)
    (received,) = hook.received
    assert received["path"] == "/hook"
    assert received["payload"]["title"] == "[CRITICAL] #7 disk on db1: opened"
    assert received["payload"]["message"] == "disk at 97 %"
    assert delivery["state"] == "sent"
    assert (delivery["target"], delivery["url_index"]) == ("oncall", 0)
    assert delivery["endpoint"] == f"json://127.0.0.1:{hook.port}"
    assert (delivery["attempts"], delivery["last_error"]) == (1, None)
    assert delivery["sent_at"] is not None
    (attempt,) = book.attempts(delivery["id"])
    assert (attempt["ok"], attempt["error"]) == (1, None)
    assert 0 <= attempt["duration"] < 5


def test_a_mail_reaches_the_smtp_server_and_no_row_holds_the_password(
    book: DeliveryBook,
    mailbox: tuple[Mailbox, int],
    notifiers: Callable[..., Notifier],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    box, port = mailbox
    url = (
        f"mailto://maintd:s3cret-pass@127.0.0.1:{port}?from=maintd@example.org"
        "&to=ops@example.org&smtp=127.0.0.1&mode=insecure"
    )
    notifiers({"mail": [url]}).send(message("mail"))
    (delivery,) = settled(book)
    assert delivery["state"] == "sent", delivery["last_error"]
    (mail,) = box.messages
    assert mail["Subject"] == "[CRITICAL] #7 disk on db1: opened"
    assert (mail["From"], mail["To"]) == ("maintd@example.org", "ops@example.org")
    assert "disk at 97 %" in mail.get_payload(0).get_payload(decode=True).decode()
    assert box.logins == [(b"maintd", b"s3cret-pass")]
    assert delivery["endpoint"] == f"mailto://127.0.0.1:{port}"
    assert "s3cret" not in stored_text(book)
    assert "s3cret" not in caplog.text
    # apprise's own lines while sending (payloads, webhook URLs) never reach the daemon's log.
    sending = [record for record in caplog.records if record.threadName == "maintd-notify"]
    assert {record.name for record in sending} == {"maintd.notify"}


def test_a_server_error_is_recorded_and_the_retry_is_sent(
    book: DeliveryBook, hooks: Callable[..., Hook], notifiers: Callable[..., Notifier]
) -> None:
    hook = hooks(500)
    notifiers({"oncall": [hook.url()]}, retry_delays=(0.2, 0.2)).send(message("oncall"))
    (delivery,) = settled(book)
    assert (delivery["state"], delivery["attempts"], delivery["last_error"]) == ("sent", 2, None)
    failed, sent = book.attempts(delivery["id"])
    assert failed["ok"] == 0
    assert "error=500" in failed["error"]
    assert (sent["ok"], sent["error"]) == (1, None)
    assert sent["at"] - failed["at"] >= timedelta(seconds=0.2)
    assert len(hook.received) == 2


def test_a_dead_port_fails_after_every_retry_with_the_connection_error(
    book: DeliveryBook, notifiers: Callable[..., Notifier], caplog: pytest.LogCaptureFixture
) -> None:
    url = f"json://maintd:pa55word@127.0.0.1:{free_port()}/hook?+X-Api-Key=k3y-value"
    notifiers({"oncall": [url]}).send(message("oncall"))
    (delivery,) = settled(book)
    assert (delivery["state"], delivery["attempts"]) == ("failed", 3)
    attempts = book.attempts(delivery["id"])
    assert [attempt["ok"] for attempt in attempts] == [0, 0, 0]
    for attempt in attempts:
        assert "Connection refused" in attempt["error"]
        assert "A Connection error occurred sending JSON notification" in attempt["error"]
    assert delivery["last_error"] == attempts[-1]["error"]
    for secret in ("pa55word", "k3y-value"):
        assert secret not in stored_text(book)
        assert secret not in caplog.text
    assert "failed for good after 3 attempts" in caplog.text


def test_an_env_secret_is_read_when_sending_and_never_stored(
    book: DeliveryBook,
    hooks: Callable[..., Hook],
    notifiers: Callable[..., Notifier],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    hook = hooks()
    monkeypatch.delenv("MAINTD_TEST_HOOK", raising=False)
    notifier = notifiers({"oncall": [EnvSecret(env="MAINTD_TEST_HOOK")]}, retry_delays=())
    notifier.send(message("oncall"))
    (unset,) = settled(book)
    assert (unset["state"], unset["endpoint"]) == ("failed", "{env: MAINTD_TEST_HOOK}")
    (attempt,) = book.attempts(unset["id"])
    assert attempt["error"] == "environment variable MAINTD_TEST_HOOK is not set"

    monkeypatch.setenv("MAINTD_TEST_HOOK", hook.url("/hook?+X-Token=t0ken-in-env"))
    notifier.send(message("oncall"))
    unset, sent = settled(book)
    assert (sent["state"], sent["endpoint"]) == ("sent", f"json://127.0.0.1:{hook.port}")
    assert hook.received[0]["headers"]["X-Token"] == "t0ken-in-env"
    assert "t0ken" not in stored_text(book)
    assert "/hook" not in stored_text(book)


def test_a_restarted_notifier_sends_what_was_left_queued(
    book: DeliveryBook, hooks: Callable[..., Hook], notifiers: Callable[..., Notifier]
) -> None:
    hook = hooks()
    urls = {"oncall": [hook.url("/first"), hook.url("/second")], "team": [hook.url("/team")]}
    before = notifiers(urls)
    before.stop()
    assert before.send(message("oncall", "team")) == 3
    time.sleep(0.2)
    assert [row["state"] for row in book.pending()] == ["queued"] * 3
    assert hook.received == []

    notifiers(urls)
    assert [row["state"] for row in settled(book)] == ["sent"] * 3
    assert sorted(request["path"] for request in hook.received) == ["/first", "/second", "/team"]


def test_a_vanished_list_or_url_is_a_failed_attempt_that_says_so(
    book: DeliveryBook, hooks: Callable[..., Hook], notifiers: Callable[..., Notifier]
) -> None:
    hook = hooks()
    urls = {"oncall": [hook.url("/first"), hook.url("/second")]}
    notifiers(urls, start=False).send(message("oncall", "nobody"))
    urls["oncall"].pop()  # the calendar was reloaded with one URL less
    notifiers(urls, retry_delays=())
    first, second, nobody = settled(book)
    assert first["state"] == "sent"
    assert (second["state"], second["last_error"]) == (
        "failed",
        "notify list oncall has no URL #1 any more",
    )
    assert (nobody["state"], nobody["endpoint"]) == ("failed", "unknown")
    assert nobody["last_error"] == "there is no notify list nobody"


def test_send_returns_at_once_while_the_endpoint_hangs(
    book: DeliveryBook, hooks: Callable[..., Hook], notifiers: Callable[..., Notifier]
) -> None:
    release = threading.Event()
    hook = hooks(hold=release)
    notifier = notifiers({"oncall": [hook.url()]})
    try:
        notifier.send(message("oncall"))
        deadline = time.monotonic() + WAIT
        while not hook.received:  # the worker now waits on the hanging server
            assert time.monotonic() < deadline
            time.sleep(0.01)
        started = time.monotonic()
        assert notifier.send(message("oncall", title="second")) == 1
        assert time.monotonic() - started < 0.5
        assert not notifier.wait_idle(0.2)
    finally:
        release.set()
    assert [row["state"] for row in settled(book)] == ["sent", "sent"]
    assert notifier.wait_idle(WAIT)


def test_the_delivery_book_keeps_every_attempt_on_both_databases(
    store_url: str, open_ledger: Opener
) -> None:
    engine = open_ledger(store_url).engine
    book = DeliveryBook(engine)
    incident = IncidentBook(engine).open(
        kind="check", task="disk", host="db1", title="disk on db1", severity="high",
        step=Step(T0, "opened"),
    )  # fmt: skip
    fields = {"event": "opened", "target": "oncall", "title": "t", "body": "b"}
    first = book.queue(incident_id=incident, url_index=0, endpoint="json://h", at=T0, **fields)
    second = book.queue(
        incident_id=None, url_index=1, endpoint="slack://…", at=T0 + timedelta(seconds=1), **fields
    )
    retry_at = T0 + timedelta(minutes=1)
    book.record_attempt(first, at=T0, ok=False, error="HTTP 500", duration=0.1, next_at=retry_at)
    assert [(row["id"], row["next_at"]) for row in book.pending()] == [
        (first, retry_at),
        (second, T0 + timedelta(seconds=1)),
    ]
    book.record_attempt(first, at=retry_at, ok=True, error=None, duration=0.2, next_at=None)
    book.record_attempt(second, at=T0, ok=False, error="refused", duration=0.3, next_at=None)
    assert book.pending() == []
    newest, oldest = book.listing()
    assert (newest["id"], newest["state"], newest["last_error"]) == (second, "failed", "refused")
    assert (oldest["state"], oldest["attempts"], oldest["sent_at"]) == ("sent", 2, retry_at)
    assert [(row["ok"], row["error"]) for row in book.attempts(first)] == [
        (0, "HTTP 500"),
        (1, None),
    ]
    assert [row["id"] for row in book.of_incident(incident)] == [first]


def test_redact_hides_the_url_and_its_secrets_but_keeps_the_reason() -> None:
    url = (
        "json://maintd:pa55@hooks.example.org:8443/in/4f9a2c7e1b3d5a6f?+Authorization=Bearer%20xyz"
    )
    text = f"Connection refused sending to {url} (user maintd, pa55, 4f9a2c7e1b3d5a6f, Bearer xyz)"
    assert redact(text, url) == (
        "Connection refused sending to json://hooks.example.org:8443 (user maintd, ***, ***, ***)"
    )
    slack = "slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ/#ops"
    assert redact("posting to T1JJ3T3L2/A1BRTD4JD failed", slack) == "posting to ***/*** failed"
    assert redact("login abc refused", "mailto://smtp.example.org?user=me&pass=abc") == (
        "login *** refused"
    )
    assert redact("nothing secret here", "") == "nothing secret here"


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("json://127.0.0.1:8080/hook?token=x", "json://127.0.0.1:8080"),
        ("jsons://user:pw@hooks.example.org/x", "jsons://hooks.example.org"),
        ("mailto://u:p@smtp.example.org?from=a@example.org", "mailto://smtp.example.org"),
        ("mailtos://u:p@[::1]:465", "mailtos://[::1]:465"),
        ("mailto://u:12/34@smtp.example.org", "mailto://…"),  # a "/" in the password
        ("slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ", "slack://…"),
        ("wecombot://Ab12Cd34Ef56Gh78", "wecombot://…"),
        ("not a url", "unknown://…"),
    ],
)
def test_an_endpoint_shows_the_host_only_where_it_is_no_secret(url: str, shown: str) -> None:
    assert describe_endpoint(url) == shown


def test_redact_hides_a_webhooks_path_and_query_even_in_urllib3s_own_words() -> None:
    url = "json://127.0.0.1:9/hooks/teamalphaprodsecret?channel=ops-prod"
    error = (
        "HTTPConnectionPool(host='127.0.0.1', port=9): Max retries exceeded with url: "
        "/hooks/teamalphaprodsecret?channel=ops-prod (Caused by NewConnectionError: refused)"
    )
    shown = redact(error, url)
    assert "teamalphaprodsecret" not in shown and "ops-prod" not in shown
    assert "Max retries exceeded with url: ***" in shown and "refused" in shown
