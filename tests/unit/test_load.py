"""Loading calendars: every problem at once, each as path:line:col: where: what."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from maintd.config import load_calendar
from maintd.errors import ConfigError

Writer = Callable[..., Path]

VALID = """
timezone: Europe/Berlin
hosts:
  db1: {address: 10.0.0.5, groups: [databases]}
  web1: {address: 10.0.0.7, groups: [web]}
windows:
  nightly: {cron: "0 1 * * *", duration: 4h}
tasks:
  - name: pg-backup
    check: backup_postgres
    hosts: [databases]
    schedule: {cron: "30 1 * * *", window: nightly}
"""


def problems_of(path: Path) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_calendar(path)
    assert caught.value.exit_code == 2
    return [str(problem) for problem in caught.value.problems]


def test_a_valid_calendar_loads_with_its_defaults(write_calendar: Writer) -> None:
    loaded = load_calendar(write_calendar(VALID))
    task = loaded.calendar.tasks[0]
    assert task.schedule.cron == "30 1 * * *"
    assert loaded.calendar.defaults.timeout.total_seconds() == 60
    assert loaded.calendar.defaults.concurrency.per_host == 4
    assert loaded.calendar.hosts["db1"].transport == "ssh"


def test_every_problem_is_reported_in_one_pass_in_file_order(write_calendar: Writer) -> None:
    path = write_calendar(
        """
        timezone: Europe/Berln
        hosts:
          db1: {address: 10.0.0.5, prot: 22}
        tasks:
          - name: a
            check: x
            hosts: [db1]
            schedule: {cron: "30 1 * * * *"}
          - name: b
            check: x
            hosts: [db1]
            schedule: {every: 5x}
            timeout: 01:30
          - name: c
            chek: x
            hosts: [db1]
            schedule: {cron: "0 1 * * *"}
        """
    )
    assert problems_of(path) == [
        f"{path}:1:11: timezone: unknown timezone 'Europe/Berln': expected an IANA name such as "
        "Europe/Berlin; did you mean 'Europe/Berlin'?",
        f"{path}:3:28: hosts.db1.prot: unknown key 'prot'; did you mean 'port'?",
        f"{path}:8:22: tasks[0].schedule.cron: '30 1 * * * *' has 6 fields; cron needs 5: minute "
        'hour day-of-month month day-of-week (e.g. "30 1 * * *"), or a macro such as @daily',
        f"{path}:12:23: tasks[1].schedule.every: expected a duration such as 90s, 5m, 4h, 14d, 2w "
        "or 1h30m (a bare number is seconds) (got '5x')",
        f"{path}:13:14: tasks[1].timeout: expected a duration such as 90s, 5m, 4h, 14d, 2w or "
        "1h30m "
        "(a bare number is seconds) (got '01:30')",
        f"{path}:15:5: tasks[2].chek: unknown key 'chek'; did you mean 'check'?",
    ]


def test_a_missing_key_points_at_the_mapping_that_lacks_it(write_calendar: Writer) -> None:
    path = write_calendar(
        """
        hosts: {db1: {}}
        tasks:
          - name: a
            check: x
            schedule: {every: 5m}
        """
    )
    assert problems_of(path) == [f"{path}:3:5: tasks[0].hosts: missing required key 'hosts'"]


def test_an_unknown_key_without_a_close_match_lists_the_allowed_ones(
    write_calendar: Writer,
) -> None:
    path = write_calendar("windows:\n  w: {cron: '0 1 * * *', duration: 1h, zzz: 1}\n")
    (problem,) = problems_of(path)
    assert "unknown key 'zzz'; allowed here: cron, days, duration, end, pause, start" in problem


@pytest.mark.parametrize(
    ("schedule", "message"),
    [
        ("{}", "exactly one of cron, every or at (found none)"),
        ("{cron: '0 1 * * *', every: 5m}", "(found cron and every)"),
        ("{every: 0s}", "at least 1s"),
        ("{at: ['25:00']}", "HH:MM"),
        ("{at: ['2027-13-01 02:00']}", "YYYY-MM-DD HH:MM"),
        ("{cron: '0 1 * * *', start: 2026-01-01T00:00:00}", "start only applies to `every`"),
        ("{every: 5m, jitter: soon}", "expected a duration"),
    ],
)
def test_schedule_mistakes_are_explained(
    write_calendar: Writer, schedule: str, message: str
) -> None:
    path = write_calendar(
        f"hosts: {{h: {{}}}}\ntasks:\n  - {{name: t, check: x, hosts: [h], schedule: {schedule}}}\n"
    )
    (problem,) = problems_of(path)
    assert f"{path}:3:" in problem and "tasks[0].schedule" in problem and message in problem


@pytest.mark.parametrize(
    ("window", "message"),
    [
        ("{cron: '0 1 * * *'}", "needs both cron and duration"),
        ("{days: [sat], start: '22:00'}", "needs days, start and end"),
        ("{cron: '0 1 * * *', duration: 1h, days: [sat]}", "not both"),
        ("{days: [caturday], start: '22:00', end: '02:00'}", "expected a weekday"),
        ("{}", "needs cron + duration or days + start + end"),
    ],
)
def test_window_mistakes_are_explained(write_calendar: Writer, window: str, message: str) -> None:
    (problem,) = problems_of(write_calendar(f"windows:\n  w: {window}\n"))
    assert "windows.w" in problem and message in problem


@pytest.mark.parametrize(
    ("blackout", "message"),
    [
        ("{name: b, from: 2027-02-05}", "needs from and to"),
        ("{name: b, from: 2027-02-05, to: 2027-02-01}", "to is before from"),
        ("{name: b, from: 2027-02-05, to: 2027-02-06, holidays: CN}", "not both"),
        ("{name: b, holidays: XX}", "unknown holiday country code 'XX'"),
        ("{name: b, holidays: CN, subdiv: ZZ}", "unknown subdivision of CN 'ZZ'"),
        ("{name: b, from: 2027-02-05, to: 2027-02-06, tasks: [nope]}", "unknown task 'nope'"),
        ("{name: b, from: 2027-02-05, to: 2027-02-06, applies_to: some}", "'all' or 'disruptive'"),
    ],
)
def test_blackout_mistakes_are_explained(
    write_calendar: Writer, blackout: str, message: str
) -> None:
    (problem,) = problems_of(write_calendar(f"blackouts:\n  - {blackout}\n"))
    assert "blackouts[0]" in problem and message in problem


def test_references_to_unknown_names_get_did_you_mean_hints(write_calendar: Writer) -> None:
    path = write_calendar(
        """
        hosts:
          db1: {groups: [databases], jump: bastoin}
          bastion: {}
        windows:
          nightly: {cron: "0 1 * * *", duration: 4h}
        severities:
          critical: {respond: 15m, resolve: 4h, escalate: [{after: 0m, notify: oncal}]}
        notify:
          oncall: ["json://127.0.0.1:8080/hook"]
        tasks:
          - name: a
            check: x
            hosts: [databasse]
            schedule: {cron: "30 1 * * *", window: nigthly}
            severity: critcal
        """
    )
    assert problems_of(path) == [
        f"{path}:2:36: hosts.db1.jump: unknown jump host 'bastoin'; did you mean 'bastion'?",
        f"{path}:7:72: severities.critical.escalate[0].notify[0]: unknown notify list 'oncal'; "
        "did you mean 'oncall'?",
        f"{path}:13:13: tasks[0].hosts[0]: unknown host or group 'databasse'; did you mean "
        "'databases'?",
        f"{path}:14:44: tasks[0].schedule.window: unknown window 'nigthly'; "
        "did you mean 'nightly'?",
        f"{path}:15:15: tasks[0].severity: unknown severity 'critcal'; did you mean 'critical'?",
    ]


def test_duplicate_task_names_name_the_first(write_calendar: Writer) -> None:
    path = write_calendar(
        """
        hosts: {h: {}}
        tasks:
          - {name: t, check: x, hosts: [h], schedule: {every: 5m}}
          - {name: t, check: y, hosts: [h], schedule: {every: 5m}}
        """
    )
    assert problems_of(path) == [
        f"{path}:4:12: tasks[1].name: 't' is used twice; first at {path}:3"
    ]


@pytest.mark.parametrize(
    ("task", "message"),
    [
        ("{name: t, hosts: [h], schedule: {every: 5m}}", "either `check: PLUGIN` or `command:"),
        ("{name: t, check: x, command: [/bin/true], hosts: [h], schedule: {every: 5m}}", "either"),
        ("{name: t, command: [bin/true], hosts: [h], schedule: {every: 5m}}", "absolute path"),
        (
            "{name: t, command: [/bin/x], params: {a: 1}, hosts: [h], schedule: {every: 5m}}",
            "params go",
        ),
        ("{name: t, check: x, hosts: [], schedule: {every: 5m}}", "at least 1 item"),
        ("{name: 'bad name', check: x, hosts: [h], schedule: {every: 5m}}", "not a valid name"),
        (
            "{name: t, check: x, hosts: [h], schedule: {every: 5m}, params: {a: {b: 1}}}",
            "string, number",
        ),
        (
            "{name: t, check: x, hosts: [h], schedule: {every: 5m}, disruptive: true}",
            "needs a window",
        ),
    ],
)
def test_task_mistakes_are_explained(write_calendar: Writer, task: str, message: str) -> None:
    (problem,) = problems_of(write_calendar(f"hosts: {{h: {{}}}}\ntasks:\n  - {task}\n"))
    assert "tasks[0]" in problem and message in problem


def test_secrets_must_not_be_literal_passphrases(write_calendar: Writer) -> None:
    (problem,) = problems_of(write_calendar("defaults:\n  ssh: {passphrase: hunter2}\n"))
    assert "defaults.ssh.passphrase" in problem and "must not be written in the calendar" in problem
    (other,) = problems_of(write_calendar("defaults:\n  ssh: {passphrase: {vault: x}}\n", "b.yaml"))
    assert other.endswith("defaults.ssh.passphrase: expected {env: VARIABLE} or {file: PATH}")
    assert "hunter2" not in problem


def test_secret_references_are_env_or_file(write_calendar: Writer) -> None:
    loaded = load_calendar(
        write_calendar("notify:\n  ops: [{env: OPS_URL}, {file: ops-url}, 'json://127.0.0.1/x']\n")
    )
    ops = loaded.calendar.notify["ops"]
    assert [type(item).__name__ for item in ops] == ["EnvSecret", "FileSecret", "str"]
    (problem,) = problems_of(write_calendar("notify:\n  ops: [{vault: x}]\n", "bad.yaml"))
    assert "expected a string, {env: VARIABLE} or {file: PATH}" in problem


def test_a_host_that_is_also_a_group_name_is_ambiguous(write_calendar: Writer) -> None:
    (problem,) = problems_of(write_calendar("hosts:\n  web: {}\n  w1: {groups: [web]}\n"))
    assert "'web' is both a host and a group name" in problem


def test_jump_hosts_may_not_loop(write_calendar: Writer) -> None:
    problems = problems_of(write_calendar("hosts:\n  a: {jump: b}\n  b: {jump: a}\n"))
    assert any("jump hosts form a loop" in problem for problem in problems)


class TestDirectories:
    def test_files_merge_by_name_and_tasks_concatenate(self, tmp_path: Path) -> None:
        (tmp_path / "a-site.yaml").write_text("timezone: Asia/Shanghai\nhosts: {db1: {}}\n")
        (tmp_path / "b-tasks.yaml").write_text(
            "hosts: {db2: {}}\n"
            "tasks:\n  - {name: t, check: x, hosts: [all], schedule: {every: 5m}}\n"
        )
        (tmp_path / "notes.txt").write_text("not a calendar")
        loaded = load_calendar(tmp_path)
        assert list(loaded.calendar.hosts) == ["db1", "db2"]
        assert loaded.calendar.timezone == "Asia/Shanghai"
        assert [file.name for file in loaded.files] == ["a-site.yaml", "b-tasks.yaml"]

    def test_the_same_name_in_two_files_names_both_places(self, tmp_path: Path) -> None:
        (tmp_path / "a.yaml").write_text("timezone: UTC\nhosts:\n  db1: {}\n")
        (tmp_path / "b.yaml").write_text("hosts:\n  db2: {}\n  db1: {}\ntimezone: UTC\n")
        assert problems_of(tmp_path) == [
            f"{tmp_path}/b.yaml:3:3: hosts.db1: defined again; "
            f"first defined at {tmp_path}/a.yaml:3:3",
            f"{tmp_path}/b.yaml:4:1: timezone: defined again; "
            f"first defined at {tmp_path}/a.yaml:1:1",
        ]

    def test_a_problem_in_a_later_file_names_its_own_index(self, tmp_path: Path) -> None:
        task = "  - {name: NAME, check: x, hosts: [h], schedule: {every: 5m}}\n"
        (tmp_path / "a.yaml").write_text("hosts: {h: {}}\ntasks:\n" + task.replace("NAME", "a"))
        (tmp_path / "b.yaml").write_text(
            "tasks:\n" + task.replace("NAME", "b") + task.replace("NAME", "c").replace("5m", "5q")
        )
        (problem,) = problems_of(tmp_path)
        assert problem.startswith(f"{tmp_path}/b.yaml:3:") and "tasks[1].schedule.every" in problem

    def test_plugin_dirs_are_relative_to_their_file(self, tmp_path: Path) -> None:
        (tmp_path / "site").mkdir()
        (tmp_path / "site" / "c.yaml").write_text("plugin_dirs: [plugins, /opt/checks]\n")
        loaded = load_calendar(tmp_path / "site")
        assert loaded.calendar.plugin_dirs == [str(tmp_path / "site" / "plugins"), "/opt/checks"]

    def test_a_directory_without_calendars_is_an_error(self, tmp_path: Path) -> None:
        assert problems_of(tmp_path) == [f"{tmp_path}: no *.yaml calendar files in this directory"]

    def test_a_missing_path_is_an_error(self, tmp_path: Path) -> None:
        assert problems_of(tmp_path / "nope") == [f"{tmp_path}/nope: no such file or directory"]

    def test_a_syntax_error_hides_the_model_errors_it_would_cause(self, tmp_path: Path) -> None:
        (tmp_path / "a.yaml").write_text("hosts: {h: {}}\n")
        (tmp_path / "b.yaml").write_text("tasks: [\n")
        (problem,) = problems_of(tmp_path)
        assert "b.yaml" in problem and "YAML syntax" in problem

    def test_a_file_that_is_not_a_mapping_is_an_error(self, tmp_path: Path) -> None:
        (tmp_path / "a.yaml").write_text("- just\n- a list\n")
        (problem,) = problems_of(tmp_path)
        assert "a calendar file is a mapping" in problem

    def test_binary_garbage_is_reported_as_not_utf8(self, tmp_path: Path) -> None:
        (tmp_path / "a.yaml").write_bytes(b"\xff\xfe\x00garbage")
        (problem,) = problems_of(tmp_path)
        assert "not UTF-8 text" in problem


@pytest.mark.parametrize(
    "section",
    [
        "blackouts:\n  - {name: b, from: 9999-12-30, to: 9999-12-31}\n",
        "hosts: {h: {}}\ntasks:\n  - {name: t, check: x, hosts: [h], "
        "schedule: {at: ['9999-12-31 23:00']}}\n",
        "hosts: {h: {}}\ntasks:\n  - {name: t, check: x, hosts: [h], "
        "schedule: {every: 1h, start: 0001-01-01T00:00:00}}\n",
    ],
)
def test_dates_outside_the_supported_years_are_refused(
    write_calendar: Writer, section: str
) -> None:
    problems = problems_of(write_calendar(section))
    assert problems and all("dates must fall in the years 1970-2199" in item for item in problems)
