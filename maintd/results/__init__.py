"""The parse stage: a plugin's exit code and output -> a typed ``CheckResult``.

Takes raw bytes and an exit code, or a run's whole ``RawOutput``; hands on ``CheckResult``
(status, summary, long output, perfdata with threshold ranges). Pure: no I/O.
"""

from maintd.results.interpret import interpret
from maintd.results.nagios import CheckResult, parse_output
from maintd.results.perfdata import Perfdatum, Range, parse_perfdata, parse_range

__all__ = [
    "CheckResult",
    "Perfdatum",
    "Range",
    "interpret",
    "parse_output",
    "parse_perfdata",
    "parse_range",
]
