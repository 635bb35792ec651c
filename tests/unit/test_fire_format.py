import json
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from maintd.cli.fires import FireFormatter
from maintd.plan import Fire


@pytest.mark.parametrize(
    "reason",
    [None, "window nightly closed", 'blackout "x"\\y', "blackout cn: 春节", "tab\there\nnewline"],
)
def test_fast_json_is_exactly_what_json_dumps_writes(reason: str | None) -> None:
    formatter = FireFormatter(ZoneInfo("Asia/Shanghai"))
    fire = Fire(
        "pg-backup", "db1", datetime(2026, 12, 1, 17, 30, tzinfo=UTC), reason is None, reason
    )
    assert formatter.as_json(fire) == json.dumps(formatter.as_dict(fire), ensure_ascii=False)
    assert json.loads(formatter.as_json(fire))["at"] == "2026-12-02T01:30:00+08:00"


def test_table_rows_show_utc_with_z() -> None:
    formatter = FireFormatter(ZoneInfo("Europe/Berlin"))
    fire = Fire("t", "h", datetime(2026, 12, 1, 0, 0, tzinfo=UTC), False, "blackout b")
    assert formatter.as_row(fire) == [
        "2026-12-01T01:00:00+01:00",
        "2026-12-01T00:00:00Z",
        "t",
        "h",
        "no",
        "blackout b",
    ]
