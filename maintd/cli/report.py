"""`maintd report`: the maintenance report of a period — planned vs done, runs, failures,
incidents and their SLAs, the KPIs, forecasts and the work planned next — as one HTML page,
Markdown or JSON, in English or Chinese."""

from __future__ import annotations

import json
import os
import sys
import tempfile
from datetime import UTC, date, datetime, tzinfo
from pathlib import Path

import click

from maintd import __version__
from maintd.cli.options import config_option, parse_moment
from maintd.cli.output import to_json_value
from maintd.cli.paths import database_option, open_records, required_calendar
from maintd.config import Calendar
from maintd.errors import UsageError
from maintd.report import content, document, html, markdown
from maintd.report.content import ReportData
from maintd.report.kpi_json import kpis_json
from maintd.report.kpi_source import read_kpis
from maintd.report.period import Length, Period, resolve_period
from maintd.report.texts import LANGUAGES, Texts
from maintd.store import Ledger


@click.command()
@click.option(
    "--period", "length", type=click.Choice([Length.DAY.value, Length.WEEK.value,
                                             Length.MONTH.value]),
    default=Length.WEEK.value, show_default=True,
    help="How far back the report looks: to the same local time a day, week or month before "
    "now (or before --to).",
)  # fmt: skip
@click.option(
    "--from", "start_text", metavar="DATE",
    help="Start: a local date (from its midnight) or date-time; overrides --period.",
)  # fmt: skip
@click.option(
    "--to", "end_text", metavar="DATE",
    help="End: a local date (that whole day included) or date-time (default: now).",
)  # fmt: skip
@click.option(
    "--format", "output_format", type=click.Choice(["html", "md", "json"]), default="md",
    show_default=True,
    help="One self-contained HTML page with charts, Markdown with the same tables, or JSON.",
)  # fmt: skip
@click.option(
    "--out", "out_path", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE",
    help="Write the report here (replaced whole, never half-written); default: stdout.",
)  # fmt: skip
@click.option(
    "--lang", type=click.Choice(list(LANGUAGES)), default="en", show_default=True,
    help="Language of the headings and fixed texts (en: English, zh: Chinese).",
)  # fmt: skip
@config_option
@database_option
def report(  # noqa: PLR0913 - one keyword per command-line option
    *, length: str, start_text: str | None, end_text: str | None, output_format: str,
    out_path: Path | None, lang: str, config_path: Path | None, database: str | None,
) -> None:  # fmt: skip
    """Write the maintenance report of a period (default: the week ending now).

    Without --out every format goes to stdout (HTML too: `> report.html`). --from/--to take
    dates in the calendar's zone; a date given to --to includes that whole day, and the next
    period (the work planned ahead) is as long as the one reported. The report needs the
    calendar: it compares what was planned with what the ledger recorded.
    """
    with open_records(config_path, database) as records:
        why = "report compares the plan with the ledger"
        calendar = required_calendar(records.calendar, config_path, why)
        now = datetime.now(UTC).replace(microsecond=0)
        period = resolve_period(
            Length(length), now, calendar.zone,
            parse_bound(start_text, calendar.zone, "--from"),
            parse_bound(end_text, calendar.zone, "--to"),
        )  # fmt: skip
        data = gather(records.ledger, calendar, period, now)
    text = render(data, output_format, Texts(lang))
    if out_path is None:
        sys.stdout.write(text)
    else:
        write_whole(out_path, text)


def gather(ledger: Ledger, calendar: Calendar, period: Period, now: datetime) -> ReportData:
    """The report of ``period``, its KPIs exactly as `maintd kpi` gives them."""
    kpis, rows = read_kpis(ledger, calendar, period.start, period.end, now)
    return content.gather_report(ledger, calendar, period, now, kpis=kpis, steps=rows.steps)


def render(data: ReportData, output_format: str, texts: Texts) -> str:
    """The report as text in ``output_format`` (html, md or json; JSON is not translated)."""
    if output_format == "json":
        kpis = kpis_json(data.kpis, data.period.zone)
        found = document.build_document(data, kpis)
        return json.dumps(found, default=to_json_value, ensure_ascii=False, indent=2) + "\n"
    if output_format == "html":
        return html.render_html(data, texts, __version__)
    return markdown.render_markdown(data, texts, __version__)


def parse_bound(text: str | None, zone: tzinfo, option: str) -> date | datetime | None:
    """A --from/--to value: a bare ISO date stays a date (a whole local day), anything else
    is read as `parse_moment` reads it. Raises UsageError for what is neither."""
    if text is None:
        return None
    moment = parse_moment(text, zone, option)
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        return moment


def current_umask() -> int:
    """The process's umask (read by setting it back at once: this command runs one thread)."""
    umask = os.umask(0o077)
    os.umask(umask)
    return umask


def write_whole(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file in the same directory, so that a
    reader (a web server, a mail job) never sees half a report. Raises UsageError when the
    directory cannot be written."""
    try:
        descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    except OSError as error:
        raise UsageError(f"--out: cannot write in {path.parent}: {error.strerror}") from None
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            file.write(text)
        # mkstemp made it 0600: give it the mode any new file gets (a report is meant to be
        # shared and holds no secret), which a private umask keeps private.
        os.chmod(temporary, 0o666 & ~current_umask())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
