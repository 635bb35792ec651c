"""The Nagios plugin protocol: statuses, summaries, long output and perfdata."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from maintd.results import parse_output, parse_perfdata, parse_range
from maintd.status import Status


@pytest.mark.parametrize(
    ("code", "status"),
    [
        (0, Status.OK),
        (1, Status.WARNING),
        (2, Status.CRITICAL),
        (3, Status.UNKNOWN),
        (4, Status.UNKNOWN),
    ],
)
def test_exit_codes_map_to_statuses(code: int, status: Status) -> None:
    assert parse_output(code, b"DISK OK").status == status


def test_odd_exit_codes_are_unknown_and_say_why() -> None:
    assert parse_output(127, b"").notes[0] == "exit code 127: command or interpreter not found"
    assert parse_output(-9, b"").notes[0] == "killed by signal 9"


def test_first_line_is_summary_and_perfdata() -> None:
    result = parse_output(0, b"DISK OK - / 42% used | used_pct=42%;80;90;0;100\n")
    assert result.summary == "DISK OK - / 42% used"
    (datum,) = result.perfdata
    assert (datum.label, datum.value, datum.unit) == ("used_pct", 42.0, "%")
    assert datum.warn is not None and datum.warn.text == "80"
    assert (datum.minimum, datum.maximum) == (0.0, 100.0)


def test_long_output_and_perfdata_after_it_as_in_the_guidelines() -> None:
    # The example of the Monitoring Plugins development guidelines.
    output = (
        "DISK OK - free space: / 3326 MB (56%); | /=2643MB;5948;5958;0;5968\n"
        "/ 15272 MB (77%);\n"
        "/boot 68 MB (69%);\n"
        "/home 69357 MB (27%);\n"
        "/var/log 819 MB (84%); | /boot=68MB;88;93;0;98\n"
        "/home=69357MB;253404;253409;0;253414 \n"
        "/var/log=818MB;970;975;0;980\n"
    )
    result = parse_output(0, output.encode())
    assert result.summary == "DISK OK - free space: / 3326 MB (56%);"
    assert result.long_output.splitlines() == [
        "/ 15272 MB (77%);",
        "/boot 68 MB (69%);",
        "/home 69357 MB (27%);",
        "/var/log 819 MB (84%); ",
    ]
    assert [datum.label for datum in result.perfdata] == ["/", "/boot", "/home", "/var/log"]
    assert result.perfdata[3].value == 818.0 and result.perfdata[3].unit == "MB"
    assert result.notes == ()


def test_quoted_labels_may_hold_spaces_and_escaped_quotes() -> None:
    items, notes = parse_perfdata("'free space'=12GB 'it''s'=1 plain=2")
    assert [item.label for item in items] == ["free space", "it's", "plain"]
    assert notes == []


def test_undetermined_values_and_missing_fields() -> None:
    items, _ = parse_perfdata("a=U;;;; b=5 c=1.5e3s;;10")
    assert items[0].value is None
    assert (items[1].value, items[1].warn, items[1].maximum) == (5.0, None, None)
    assert items[2].unit == "s" and items[2].crit is not None


def test_malformed_items_are_skipped_with_a_note_and_the_rest_kept() -> None:
    items, notes = parse_perfdata("good=1 bad=abc =3 also_good=2;x;5 last=3")
    assert [item.label for item in items] == ["good", "last"]
    assert len(notes) == 3
    assert "bad=abc" in notes[0] and "not a number" in notes[0]
    assert "not a range" in notes[2]


def test_an_unterminated_quote_spoils_only_what_follows_it() -> None:
    items, notes = parse_perfdata("good=1 'open=4 other=2")
    assert [item.label for item in items] == ["good"]
    assert "unterminated quoted label" in notes[0]


@pytest.mark.parametrize(
    ("text", "alerting", "quiet"),
    [
        ("10", [-1, 11], [0, 5, 10]),
        ("10:", [9.9], [10, 1e9]),
        ("~:10", [10.1], [-1e9, 10]),
        ("10:20", [9, 21], [10, 15, 20]),
        ("@10:20", [10, 15, 20], [9, 21]),
    ],
)
def test_ranges_alert_as_the_guidelines_say(
    text: str, alerting: list[float], quiet: list[float]
) -> None:
    threshold = parse_range(text)
    assert all(threshold.alerts(value) for value in alerting)
    assert not any(threshold.alerts(value) for value in quiet)


def test_a_range_with_an_open_end_is_infinite() -> None:
    assert parse_range("~:5").start == -math.inf
    assert parse_range("5:").end == math.inf


@pytest.mark.parametrize("text", ["", "abc", "20:10", "@", "1:2:3"])
def test_bad_ranges_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_range(text)


def test_binary_output_is_unknown_safe_text() -> None:
    result = parse_output(0, b"\xff\xfe\x00\x01 | x=1")
    assert result.status == Status.OK
    assert "\ufffd" in result.summary
    assert "NUL bytes" in result.notes[0]


def test_empty_output_is_named() -> None:
    result = parse_output(0, b"")
    assert result.summary == "(no output)"
    assert "suspicious" in result.notes[0]


@given(st.binary(max_size=400), st.integers(min_value=-64, max_value=300))
def test_garbage_never_raises(output: bytes, code: int) -> None:
    result = parse_output(code, output)
    assert isinstance(result.status, Status)
    assert result.summary
