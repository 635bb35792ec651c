"""The base class of every calendar model: unknown keys are errors, values are frozen."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class CalendarModel(BaseModel):
    """A part of the calendar. Unknown keys are rejected (the loader adds a "did you mean" hint)
    and a loaded calendar is immutable, so every later stage can share it without copying."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=False)
