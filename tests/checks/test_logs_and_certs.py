"""log_errors and cert_expiry on real files, a real TLS server and the real journal (or its
absence), run over SSH as the plain test account."""

from __future__ import annotations

import datetime
import json
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from maintd.status import Status
from tests.checks.conftest import Checked, RunCheck
from tests.conftest import REPOSITORY
from tests.sshd import TEST_USER, free_port

LOG_ERRORS = REPOSITORY / "checks" / "log_errors"


@pytest.fixture
def shared_dir() -> Iterator[Path]:
    """A directory the test account can read (pytest's tmp_path sits under a 0700 one)."""
    path = Path(tempfile.mkdtemp(prefix="maintd-logs-"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def state_dir(shared_dir: Path) -> Path:
    """log_errors' state directory, owned by the test account that writes it."""
    path = shared_dir / "state"
    path.mkdir()
    account = pwd.getpwnam(TEST_USER)
    os.chown(path, account.pw_uid, account.pw_gid)
    return path


def append(path: Path, text: str) -> None:
    with path.open("a") as handle:
        handle.write(text)
    path.chmod(0o644)


def age_state(state_dir: Path, seconds: float) -> None:
    """Pretend the previous run was ``seconds`` earlier, so that the rate is exact."""
    (state_file,) = state_dir.glob("*.json")
    data = json.loads(state_file.read_text())
    data["time"] -= seconds
    state_file.write_text(json.dumps(data))


def lines(prefix: str, count: int) -> str:
    return "".join(f"2026-01-01T00:00:{i:02d} app: {prefix} {i}\n" for i in range(count))


# --- log_errors -------------------------------------------------------------------------------


def test_log_errors_baseline_then_new_lines_and_their_rate(
    run_check: RunCheck, shared_dir: Path, state_dir: Path
) -> None:
    log = shared_dir / "app.log"
    append(log, lines("ERROR old, before the baseline", 3) + lines("INFO fine", 2))
    params = {
        "files": [str(log)], "pattern": "ERROR|FATAL", "ignore": "ignored-[[:digit:]]+",
        "state_dir": str(state_dir), "threshold_on": "rate", "warn": 2, "crit": 5,
    }  # fmt: skip

    first = run_check("log_errors", params)
    assert first.status == Status.OK, first
    assert "baseline" in first.summary
    assert first.perfdata["errors"].value == 0
    assert first.perfdata["errors_per_min"].value == 0

    # 6 counted, 2 ignored, 4 not matching, and a line still being written (no newline yet).
    append(log, lines("ERROR disk", 4) + lines("INFO fine", 4) + lines("FATAL db", 2))
    append(log, lines("ERROR ignored-42", 2) + "2026-01-01T00:01:00 app: ERROR half a li")
    age_state(state_dir, 120)
    second = run_check("log_errors", params)
    assert second.status == Status.WARNING, second  # 3/min: at least warn 2, below crit 5
    assert second.perfdata["errors"].value == 6
    assert second.perfdata["errors_per_min"].value == pytest.approx(3.0, rel=0.02)
    assert second.perfdata["errors_per_min"].warn_text == "@2:"
    assert "WARNING - 6 new matching lines, " in second.summary
    assert "/min over 2.0 min" in second.summary
    assert "FATAL db 1" in second.long_output
    assert "ignored-42" not in second.long_output
    assert "half a li" not in second.long_output

    # The finished line is counted once, by the run after it was completed.
    append(log, "ne\n")
    age_state(state_dir, 60)
    third = run_check("log_errors", {**params, "threshold_on": "count", "warn": 5})
    assert third.status == Status.OK, third
    assert third.perfdata["errors"].value == 1
    assert third.perfdata["errors_per_min"].value == pytest.approx(1.0, rel=0.02)
    assert "ERROR half a line" in third.long_output


def test_log_errors_follows_a_logrotate_rename(
    run_check: RunCheck, shared_dir: Path, state_dir: Path
) -> None:
    log = shared_dir / "app.log"
    append(log, lines("INFO start", 5))
    params = {"files": [str(log)], "pattern": "ERROR", "state_dir": str(state_dir)}
    assert "baseline" in run_check("log_errors", params).summary

    # Two errors before the rename, one more written by the daemon to its old file after it,
    # then three in the new file.
    append(log, lines("ERROR before rotation", 2))
    rotated = shared_dir / "app.log.1"
    log.rename(rotated)
    append(rotated, lines("ERROR late write", 1))
    append(log, lines("ERROR new file", 3) + lines("INFO fine", 3))
    checked = run_check("log_errors", params)
    assert checked.status == Status.WARNING, checked
    assert checked.perfdata["errors"].value == 6
    assert f"rotated, 3 in {rotated}" in checked.long_output

    # Rotated again with the old file compressed away: only the new file can be counted.
    rotated.unlink()
    log.rename(rotated.with_suffix(".1.gz"))
    append(log, lines("ERROR newest", 2))
    checked = run_check("log_errors", params)
    assert checked.perfdata["errors"].value == 2, checked
    assert "no " + str(rotated) + " with the old inode" in checked.long_output


def test_log_errors_reads_a_copytruncated_file_from_its_start(
    run_check: RunCheck, shared_dir: Path, state_dir: Path
) -> None:
    log = shared_dir / "app.log"
    append(log, lines("INFO a long line of ordinary chatter", 20))
    params = {"files": [str(log)], "pattern": "ERROR", "state_dir": str(state_dir)}
    run_check("log_errors", params)
    inode = log.stat().st_ino

    shutil.copy(log, shared_dir / "app.log.1")
    with log.open("r+") as handle:  # copytruncate: same inode, now shorter
        handle.truncate(0)
    append(log, lines("ERROR after truncation", 2))
    assert log.stat().st_ino == inode
    checked = run_check("log_errors", params)
    assert checked.perfdata["errors"].value == 2, checked
    assert "truncated: read from its start" in checked.long_output

    # Truncated and then grown past the old offset: the changed first bytes give it away.
    with log.open("r+") as handle:
        handle.truncate(0)
    append(log, lines("ERROR again", 40))
    checked = run_check("log_errors", params)
    assert checked.perfdata["errors"].value == 40, checked
    assert "rewritten: read from its start" in checked.long_output


def test_log_errors_unreadable_and_missing_files(
    run_check: RunCheck, shared_dir: Path, state_dir: Path
) -> None:
    secret = shared_dir / "secret.log"
    append(secret, lines("ERROR", 2))
    secret.chmod(0o600)  # root's: the test account may not read it
    params = {"files": [str(secret)], "pattern": "ERROR", "state_dir": str(state_dir)}
    checked = run_check("log_errors", params)
    assert checked.status == Status.UNKNOWN, checked
    assert f"cannot read {secret}: Permission denied" in checked.summary
    assert "Traceback" not in checked.stdout + checked.stderr

    missing = shared_dir / "absent.log"
    params["files"] = [str(missing)]
    checked = run_check("log_errors", params)
    assert checked.status == Status.UNKNOWN, checked
    assert f"{missing} does not exist" in checked.summary
    checked = run_check("log_errors", {**params, "missing": "ok"})
    assert checked.status == Status.OK, checked

    # A file that appears after a run that found none is new: all of it counts.
    append(missing, lines("ERROR first words", 3))
    checked = run_check("log_errors", {**params, "missing": "ok"})
    assert checked.perfdata["errors"].value == 3, checked


def test_log_errors_counts_200k_lines_quickly_and_shows_few_examples(
    run_check: RunCheck, shared_dir: Path, state_dir: Path
) -> None:
    log = shared_dir / "big.log"
    append(log, "")
    params = {"files": [str(log)], "pattern": "ERROR", "state_dir": str(state_dir)}
    run_check("log_errors", params)
    with log.open("a") as handle:
        for i in range(200_000):
            kind = "ERROR request failed" if i % 10 == 0 else "INFO request served in 3 ms"
            handle.write(f"2026-01-01T00:00:00 web[1]: {kind} id={i}\n")

    started = time.monotonic()
    checked = run_check("log_errors", {**params, "examples": 3})
    elapsed = time.monotonic() - started
    assert checked.status == Status.CRITICAL, checked  # 20000 >= crit 100
    assert checked.perfdata["errors"].value == 20_000
    assert elapsed < 5, f"{elapsed:.1f} s for 200k lines"
    examples = [line for line in checked.long_output.splitlines() if "web[1]" in line]
    assert len(examples) == 3
    assert examples[-1].endswith("id=199990")


def test_log_errors_default_state_dir_is_in_the_accounts_home(run_check: RunCheck) -> None:
    home = Path(pwd.getpwnam(TEST_USER).pw_dir)
    state = home / ".local/state/maintd/log_errors"
    levels = (home / ".local", home / ".local/state", state.parent, state)
    created = [path for path in levels if not path.exists()]
    before = set(state.glob("*")) if state.exists() else set()
    try:
        checked = run_check("log_errors", {"files": ["/etc/hostname"], "pattern": "x"})
        assert checked.status == Status.OK, checked
        assert "baseline" in checked.summary
        new = set(state.glob("*")) - before
        assert len(new) == 1 and next(iter(new)).name.startswith("_etc_hostname.")
    finally:
        for path in set(state.glob("*")) - before if state.exists() else ():
            path.unlink()
        for path in reversed(created):
            path.rmdir()


def test_log_errors_journal_mode_without_journald_is_unknown(
    run_check: RunCheck, state_dir: Path
) -> None:
    if shutil.which("journalctl") is None:
        pytest.skip("no journalctl on this machine")
    header = subprocess.run(["journalctl", "--header", "-q"], capture_output=True, check=False)
    if b"File path:" in header.stdout:
        pytest.skip("this machine has a journal: the UNKNOWN path cannot be shown")
    params = {"unit": "ssh", "pattern": "error", "state_dir": str(state_dir)}
    checked = run_check("log_errors", params)
    assert checked.status == Status.UNKNOWN, checked
    assert "journal -u ssh: journalctl finds no journal files readable by" in checked.summary
    assert "journald not running" in checked.summary
    assert not list(state_dir.iterdir())  # nothing recorded from a journal it could not read


def run_log_errors_with_env(run_check: RunCheck, timeout: str = "60s", **env: str) -> Checked:
    """log_errors run through maintd (here) with environment variables no calendar can give:
    params are typed there (a float cannot be nan in JSON), and PATH cannot be set."""
    assignments = [f"{name}={value}" for name, value in env.items()]
    command = ["/usr/bin/env", *assignments, str(LOG_ERRORS)]
    return run_check("", command=command, where="local", timeout=timeout)


@pytest.mark.parametrize(
    ("name", "value"),
    [("WARN", "nan"), ("CRIT", "inf"), ("CRIT", "NaN"), ("JOURNAL_TIMEOUT_S", "inf")],
)
def test_log_errors_refuses_thresholds_that_never_alert(
    run_check: RunCheck, shared_dir: Path, name: str, value: str
) -> None:
    log = shared_dir / "app.log"
    append(log, lines("ERROR", 3))
    env = {"MAINTD_FILES": str(log), "MAINTD_PATTERN": "ERROR", f"MAINTD_{name}": value}
    checked = run_log_errors_with_env(run_check, **env, MAINTD_STATE_DIR=str(shared_dir))
    assert checked.status == Status.UNKNOWN, checked
    assert checked.summary == (
        f"LOG UNKNOWN - parameter {name.lower()} is not a finite number: {value!r}"
    )
    checked = run_log_errors_with_env(
        run_check, MAINTD_JOURNAL="1", MAINTD_PATTERN="x", MAINTD_JOURNAL_TIMEOUT_S="0"
    )
    assert checked.summary == "LOG UNKNOWN - parameter journal_timeout_s must be above 0"


# A stand-in for journalctl, first in PATH. There is no journald on this machine, so these
# tests exercise log_errors' own logic (the cursor it keeps and passes back, its deadline, its
# reading of stderr) against a program that answers as journalctl does (`--show-cursor` prints
# "-- cursor: ..." after the entries, none when no entry was shown), not journald itself.
FAKE_JOURNALCTL = r"""#!/bin/sh
case " $* " in *" --header "*) echo "File path: /var/log/journal/fake/system.journal"; exit 0;; esac
printf '%s\n' "$*" >>"$FAKE_DIR/calls"
case "$FAKE_MODE" in
stall) sleep 300 & echo $! >"$FAKE_DIR/sleeper"; wait; exit 0;;
flood) head -c 300000 /dev/zero | tr '\0' w >&2;;  # more than a pipe holds
esac
case " $* " in
*" -n 1 "*)
    echo "2026-01-01T00:00:00+0000 host app[1]: ERROR before the baseline"
    echo "-- cursor: s=abc;i=1";;
*" --after-cursor=s=abc;i=1 "*)
    echo "2026-01-01T00:01:00+0000 host app[1]: ERROR one"
    echo "2026-01-01T00:01:01+0000 host app[1]: all fine"
    echo "2026-01-01T00:01:02+0000 host app[1]: ERROR two"
    echo "   ERROR a continuation line of a multi-line message"
    echo "-- cursor: s=abc;i=4";;
esac
exit 0
"""


@pytest.fixture
def fake_journal(tmp_path: Path) -> dict[str, str]:
    """The environment that puts the stand-in journalctl first in PATH, logging its calls."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "journalctl"
    fake.write_text(FAKE_JOURNALCTL)
    fake.chmod(0o755)
    state = tmp_path / "state"
    state.mkdir()
    return {
        "PATH": f"{bin_dir}:{os.environ['PATH']}", "FAKE_DIR": str(tmp_path),
        "MAINTD_STATE_DIR": str(state), "MAINTD_PATTERN": "ERROR", "MAINTD_UNIT": "app",
    }  # fmt: skip


def journal_state(env: dict[str, str]) -> dict[str, object]:
    (state_file,) = Path(env["MAINTD_STATE_DIR"]).glob("*.json")
    data: dict[str, object] = json.loads(state_file.read_text())
    return data


def test_log_errors_journal_keeps_its_cursor_in_its_state(
    run_check: RunCheck, fake_journal: dict[str, str]
) -> None:
    calls = Path(fake_journal["FAKE_DIR"]) / "calls"
    first = run_log_errors_with_env(run_check, **fake_journal)
    assert first.status == Status.OK, first
    assert "baseline" in first.summary
    assert calls.read_text() == "-q --no-pager -o short-iso --show-cursor -u app -n 1\n"
    assert journal_state(fake_journal)["cursor"] == "s=abc;i=1"  # not --cursor-file (242)

    second = run_log_errors_with_env(run_check, **fake_journal)
    assert second.status == Status.WARNING, second
    assert calls.read_text().splitlines()[1] == (
        "-q --no-pager -o short-iso --show-cursor -u app --after-cursor=s=abc;i=1"
    )
    assert second.perfdata["errors"].value == 3  # the cursor line is not a log line
    assert "journal -u app: 2026-01-01T00:01:02+0000 host app[1]: ERROR two" in second.long_output
    assert journal_state(fake_journal)["cursor"] == "s=abc;i=4"

    # No entry after that cursor: journalctl shows no cursor, and the saved one is kept.
    third = run_log_errors_with_env(run_check, **fake_journal)
    assert third.status == Status.OK, third
    assert third.perfdata["errors"].value == 0
    assert calls.read_text().splitlines()[2].endswith(" --after-cursor=s=abc;i=4")
    assert journal_state(fake_journal)["cursor"] == "s=abc;i=4"


def test_log_errors_journal_stalled_is_unknown_at_its_deadline(
    run_check: RunCheck, fake_journal: dict[str, str]
) -> None:
    started = time.monotonic()
    env = {**fake_journal, "FAKE_MODE": "stall", "MAINTD_JOURNAL_TIMEOUT_S": "2"}
    checked = run_log_errors_with_env(run_check, **env)
    elapsed = time.monotonic() - started
    assert checked.status == Status.UNKNOWN, checked
    assert checked.summary == (
        "LOG UNKNOWN - journal -u app: journalctl did not finish within 2 s (journal_timeout_s);"
        " nothing counted, the next run reads on"
    )
    assert 2 <= elapsed < 15
    assert not list(Path(fake_journal["MAINTD_STATE_DIR"]).glob("*.json"))
    # The whole process group went, its child too (which kept the output pipe open).
    sleeper = int((Path(fake_journal["FAKE_DIR"]) / "sleeper").read_text())
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            status = Path(f"/proc/{sleeper}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except FileNotFoundError:
            break
        if status in ("Z", "X"):
            break
        time.sleep(0.05)
    else:
        pytest.fail(f"journalctl's child {sleeper} still runs")


def test_log_errors_journal_reads_stderr_while_it_reads_stdout(
    run_check: RunCheck, fake_journal: dict[str, str]
) -> None:
    env = {**fake_journal, "FAKE_MODE": "flood", "MAINTD_JOURNAL_TIMEOUT_S": "20"}
    started = time.monotonic()
    first = run_log_errors_with_env(run_check, timeout="30s", **env)
    assert first.status == Status.OK and "baseline" in first.summary, first
    second = run_log_errors_with_env(run_check, timeout="30s", **env)
    assert second.perfdata["errors"].value == 3, second
    assert time.monotonic() - started < 15


# --- cert_expiry ------------------------------------------------------------------------------


def make_cert(directory: Path, name: str, days: int) -> Path:
    """A self-signed certificate valid ``days`` days from now, readable by the test account."""
    cert, key = directory / f"{name}.pem", directory / f"{name}.key"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
         "-nodes", "-keyout", str(key), "-out", str(cert), "-days", str(days),
         "-subj", f"/CN={name}"],
        check=True, capture_output=True,
    )  # fmt: skip
    cert.chmod(0o644)
    return cert


def make_expired_cert(directory: Path) -> Path:
    """openssl 3.0's req and x509 refuse a past end date: the cryptography package (paramiko
    needs it) signs one that ended three days ago."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "expired")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=30))
        .not_valid_after(now - datetime.timedelta(days=3, hours=1))
        .sign(key, hashes.SHA256())
    )
    path = directory / "expired.pem"
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    path.chmod(0o644)
    return path


@pytest.mark.parametrize(
    ("days", "status"),
    [(60, Status.OK), (20, Status.WARNING), (5, Status.CRITICAL)],
)
def test_cert_expiry_of_a_file(
    run_check: RunCheck, shared_dir: Path, days: int, status: Status
) -> None:
    cert = make_cert(shared_dir, f"valid{days}", days)
    checked = run_check("cert_expiry", {"files": [str(cert)], "warn_days": 30, "crit_days": 7})
    assert checked.status == status, checked
    left = checked.perfdata[f"days_left {cert}"]
    # Whole days rounded down: a second after issue, "60 days" has 59 whole days left.
    assert left.value in (days - 1, days)
    assert left.warn_text == "30:" and left.crit_text == "7:"
    assert f"{cert}: {int(left.value)} days left" in checked.summary + checked.long_output


def test_cert_expiry_expired_garbage_and_unreadable_files(
    run_check: RunCheck, shared_dir: Path
) -> None:
    expired = make_expired_cert(shared_dir)
    checked = run_check("cert_expiry", {"files": [str(expired)]})
    assert checked.status == Status.CRITICAL, checked
    assert f"{expired}: expired 3 days ago" in checked.summary
    assert checked.perfdata[f"days_left {expired}"].value == -4  # floor(-3 days 1 hour)

    garbage = shared_dir / "garbage.pem"
    garbage.write_text("-----BEGIN CERTIFICATE-----\nnot base64 at all\n")
    garbage.chmod(0o644)
    private = make_cert(shared_dir, "private", 60)
    private.chmod(0o600)  # root's: the test account may not read it
    checked = run_check("cert_expiry", {"files": [str(garbage), str(private)]})
    assert checked.status == Status.UNKNOWN, checked
    assert f"{garbage}: no PEM certificate in the file" in checked.summary
    assert f"{private}: cannot read the file" in checked.summary
    assert checked.perfdata[f"days_left {garbage}"].value is None

    # An item that could not be checked outranks a WARNING, as maintd ranks statuses.
    soon = make_cert(shared_dir, "soon", 20)
    checked = run_check("cert_expiry", {"files": [str(soon), str(garbage)]})
    assert checked.status == Status.UNKNOWN, checked
    assert "2 of 2 need attention" in checked.summary


@pytest.fixture
def tls_server(shared_dir: Path) -> Iterator[tuple[int, Path]]:
    """openssl s_server on 127.0.0.1 with a 45-day certificate: (port, certificate)."""
    cert = make_cert(shared_dir, "server", 45)
    port = free_port()
    server = subprocess.Popen(
        ["openssl", "s_server", "-cert", str(cert), "-key", str(cert.with_suffix(".key")),
         "-accept", f"127.0.0.1:{port}", "-www", "-quiet"],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    pytest.fail("openssl s_server did not start")
                time.sleep(0.05)
        yield port, cert
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_cert_expiry_of_a_live_endpoint_and_a_closed_port(
    run_check: RunCheck, tls_server: tuple[int, Path]
) -> None:
    port, _ = tls_server
    endpoint = f"127.0.0.1:{port}"
    checked = run_check("cert_expiry", {"endpoints": [endpoint], "timeout_s": 5})
    assert checked.status == Status.OK, checked
    assert checked.perfdata[f"days_left {endpoint}"].value in (44, 45)
    assert "1 certificate ok, soonest 127.0.0.1:" in checked.summary

    closed = f"127.0.0.1:{free_port()}"
    checked = run_check("cert_expiry", {"endpoints": [closed], "timeout_s": 5})
    assert checked.status == Status.UNKNOWN, checked
    assert f"{closed}: no certificate received" in checked.summary
    assert checked.perfdata[f"days_left {closed}"].value is None
