"""The calendar stage: YAML files -> a validated, frozen ``Calendar``.

Takes a path (a file or a directory of *.yaml); hands on a ``LoadedCalendar`` (the model plus
where each value came from) or raises ``ConfigError`` with every problem, located file:line:col.
"""

from maintd.config.load import LoadedCalendar, load_calendar
from maintd.config.model import Calendar, Task

__all__ = ["Calendar", "LoadedCalendar", "Task", "load_calendar"]
