"""The Prometheus text exposition format, version 0.0.4, written by hand: families of samples in,
text out. Pure; prometheus_client is not a dependency of maintd (its parser checks this output
in the tests).

    # HELP maintd_runs_total Fires recorded by this process, by task and status.
    # TYPE maintd_runs_total counter
    maintd_runs_total{task="disk",status="OK"} 42
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
Kind = Literal["counter", "gauge", "histogram"]
Labels = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Sample:
    """One line: its full name (``_total``, ``_bucket``… included), labels and value."""

    name: str
    labels: Labels
    value: float


@dataclass(frozen=True)
class Family:
    """A metric with its HELP and TYPE lines and every sample of it."""

    name: str
    kind: Kind
    help: str
    samples: Sequence[Sample]


def render(families: Iterable[Family]) -> str:
    """The exposition text of ``families``, in their order."""
    lines: list[str] = []
    for family in families:
        lines.append(f"# HELP {family.name} {escape_help(family.help)}")
        lines.append(f"# TYPE {family.name} {family.kind}")
        lines.extend(render_sample(sample) for sample in family.samples)
    return "\n".join(lines) + "\n" if lines else ""


def render_sample(sample: Sample) -> str:
    """``name{label="value",...} value``."""
    if not sample.labels:
        return f"{sample.name} {format_value(sample.value)}"
    pairs = ",".join(f'{name}="{escape_label_value(value)}"' for name, value in sample.labels)
    return f"{sample.name}{{{pairs}}} {format_value(sample.value)}"


def escape_label_value(value: str) -> str:
    r"""A label value as the format wants it: ``\`` → ``\\``, ``"`` → ``\"``, newline → ``\n``."""
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def escape_help(text: str) -> str:
    r"""HELP text escapes only ``\`` and newline (a quote is literal there)."""
    return text.replace("\\", "\\\\").replace("\n", "\\n")


def format_value(value: float) -> str:
    """Integers without a fraction, floats in full precision, and the format's own spelling
    of infinities and NaN (Go's ``ParseFloat`` reads them back)."""
    if isinstance(value, int):
        return str(value)
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return repr(float(value))


def histogram_samples(
    name: str, labels: Labels, bounds: Sequence[float], counts: Sequence[int], total: float
) -> list[Sample]:
    """The ``_bucket``, ``_sum`` and ``_count`` samples of one histogram.

    ``counts`` holds the observations of each bucket alone (``counts[i]`` those at most
    ``bounds[i]`` and above the bound before it) and one more for those above every bound;
    the format wants cumulative buckets ending with ``le="+Inf"``, equal to ``_count``.
    """
    samples = []
    cumulative = 0
    for bound, count in zip((*bounds, math.inf), counts, strict=True):
        cumulative += count
        samples.append(Sample(f"{name}_bucket", (*labels, ("le", format_value(bound))), cumulative))
    samples.append(Sample(f"{name}_sum", labels, total))
    samples.append(Sample(f"{name}_count", labels, cumulative))
    return samples
