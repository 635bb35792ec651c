"""The dashboard's one stylesheet, inline in every page: nothing is fetched, so a page works
offline, behind any proxy, and under a Content-Security-Policy that allows no other source.

Status colours are the report's (``report.svg.STATUS_TO_COLOUR``), so a CRITICAL looks the same
in the weekly report and on the wall screen; each gets a text colour it can be read on. An
incident's own words (PREDICTED, ANOMALY) are shown grey.
"""

from __future__ import annotations

from maintd.report.svg import NO_RUNS_COLOUR, STATUS_TO_COLOUR

NO_RESULT = "NONE"  # a pair that has not run yet, in classes and the status filter
DARK_TEXT, LIGHT_TEXT = "#111111", "#ffffff"

BASE = """
:root { color-scheme: light; }
body { font-family: 'Noto Sans', 'Helvetica Neue', Arial, sans-serif; color: #222;
  background: #fff; margin: 0; line-height: 1.4; font-size: 14px; }
header { background: #08306b; color: #fff; padding: .5rem 1rem; display: flex;
  flex-wrap: wrap; gap: .3rem 1.2rem; align-items: baseline; }
header a { color: #fff; }
header .brand { font-weight: 700; font-size: 1.1rem; text-decoration: none; }
main { padding: .5rem 1rem 2rem; max-width: 1400px; }
h1 { font-size: 1.35rem; margin: .6rem 0 .4rem; }
h2 { font-size: 1.1rem; border-bottom: 2px solid #08519c; padding-bottom: .15rem;
  margin: 1.4rem 0 .5rem; }
table { border-collapse: collapse; margin: .3rem 0 .8rem; }
th, td { border: 1px solid #ccc; padding: .2rem .45rem; text-align: left; vertical-align: top; }
th { background: #f1f5fa; font-weight: 600; }
table.facts th { width: 11rem; }
.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.muted, footer, .note { color: #555; }
footer { padding: 0 1rem 1rem; font-size: .85rem; }
pre { background: #f7f7f7; border: 1px solid #ddd; padding: .5rem; white-space: pre-wrap;
  overflow-wrap: anywhere; max-height: 40rem; overflow: auto; }
form.filters { display: flex; flex-wrap: wrap; gap: .4rem .8rem; align-items: end;
  margin: .4rem 0; }
form.filters label { display: flex; flex-direction: column; font-size: .8rem; color: #444; }
.counts { display: flex; flex-wrap: wrap; gap: .35rem; margin: .4rem 0; padding: 0;
  list-style: none; }
.counts a { display: inline-block; padding: .15rem .55rem; border-radius: .8rem;
  text-decoration: none; border: 1px solid #999; }
.counts a.chosen { outline: 3px solid #08306b; }
table.grid { border-collapse: separate; border-spacing: 2px; }
table.grid th, table.grid td { border: 0; padding: 0; background: none; }
table.grid thead th { writing-mode: vertical-rl; transform: rotate(180deg); font-weight: 500;
  font-size: .78rem; max-height: 9rem; overflow: hidden; white-space: nowrap;
  padding: .2rem 0; text-align: left; }
table.grid tbody th { font-weight: 500; padding-right: .5rem; white-space: nowrap;
  font-size: .82rem; }
.cell { display: block; width: 1.25rem; height: 1.25rem; line-height: 1.25rem;
  text-align: center; font-size: .72rem; font-weight: 700; text-decoration: none;
  border-radius: 2px; }
.pages { margin: .3rem 0; }
.clock { white-space: nowrap; }
.clock.breached { color: #b30000; font-weight: 700; }
.clock.warned { color: #a35f00; font-weight: 700; }
.clock.met { color: #2b7a2b; }
.badge { display: inline-block; padding: 0 .4rem; border-radius: .3rem; font-size: .8rem;
  font-weight: 700; background: #d9d9d9; }
details { margin: .3rem 0; }
svg.chart { max-width: 100%; height: auto; }
"""


def text_colour(background: str) -> str:
    """Dark or light text, whichever reads better on ``background`` (``#rrggbb``), by its
    relative luminance (WCAG)."""
    channels = [int(background[index : index + 2], 16) / 255 for index in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    luminance = 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    # The luminance where black and white text have the same contrast ratio.
    return DARK_TEXT if luminance > 0.179 else LIGHT_TEXT


def _status_rules() -> str:
    colours = {**STATUS_TO_COLOUR, NO_RESULT: NO_RUNS_COLOUR}
    rules = [
        f".s-{status} {{ background: {colour}; color: {text_colour(colour)}; }}"
        for status, colour in colours.items()
    ]
    rules.append(f".s-{NO_RESULT} {{ border: 1px dashed #999; box-sizing: border-box; }}")
    return "\n".join(rules)


STYLESHEET = BASE + _status_rules() + "\n"
