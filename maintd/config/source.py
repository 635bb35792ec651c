"""YAML text -> plain Python data, remembering where every key and value stood.

PyYAML is imported here and nowhere else. The loader composes the node tree (which carries line
and column marks) and builds the data itself, so that every path inside the calendar
(``("tasks", 2, "schedule", "cron")``) maps back to a file position for error messages.

It also makes YAML 1.1's surprises explicit: ``01:30`` stays the string "01:30" (not the
sexagesimal number 5400), only true/false are booleans (``no`` stays "no", the Norway problem),
and a key given twice in one mapping is an error instead of silently keeping the last.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar, NamedTuple, Protocol

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode

from maintd.errors import Problem

Path = tuple[str | int, ...]

_BaseLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_NULL_TAG = "tag:yaml.org,2002:null"
_DECIMAL = re.compile(r"[-+]?[0-9]+")
_PLAIN_KEY = re.compile(r"[^\s.\[\]'\"]+")
_INT_TAG = "tag:yaml.org,2002:int"
_FLOAT_TAG = "tag:yaml.org,2002:float"
_BOOL_TAG = "tag:yaml.org,2002:bool"
_MERGE_TAG = "tag:yaml.org,2002:merge"
_STR_TAG = "tag:yaml.org,2002:str"
_COLLECTION_TAGS = ("tag:yaml.org,2002:map", "tag:yaml.org,2002:seq")


class Position(NamedTuple):
    """A place in a file, 1-based as editors show it."""

    file: str
    line: int
    column: int


class Mark(Protocol):
    """PyYAML's node mark: the file name and a 0-based line and column. The source map keeps
    the marks the parser made anyway, and turns one into a Position only when asked."""

    name: str
    line: int
    column: int


def position_of(mark: Mark) -> Position:
    """Return the 1-based Position of a PyYAML mark."""
    return Position(mark.name, mark.line + 1, mark.column + 1)


class _NamedText(io.StringIO):
    """Calendar text that tells the parser its file name, so every mark carries it."""

    def __init__(self, text: str, name: str) -> None:
        super().__init__(text)
        self.name = name


class _Loader(_BaseLoader):  # type: ignore[misc]
    """PyYAML's safe loader with a memo of plain-scalar tags: resolving a tag tries a dozen
    regular expressions, and calendars repeat the same few hundred words and numbers."""

    _plain_tags: ClassVar[dict[str, str]] = {}

    def resolve(self, kind: type, value: Any, implicit: tuple[bool, bool]) -> str:
        if kind is ScalarNode and implicit[0]:
            tag = self._plain_tags.get(value)
            if tag is None:
                tag = super().resolve(kind, value, implicit)
                if len(self._plain_tags) < _TAG_MEMO_LIMIT:
                    self._plain_tags[value] = tag
            return tag
        return str(super().resolve(kind, value, implicit))


_TAG_MEMO_LIMIT = 200_000


@dataclass
class SourceMap:
    """Where each path of the loaded data came from: its value node and its key node."""

    values: dict[Path, Mark] = field(default_factory=dict)
    keys: dict[Path, Mark] = field(default_factory=dict)
    # A directory's files are merged, so the merged tasks[7] may be tasks[2] of its own file;
    # messages name the path as it reads in that file.
    local_names: dict[Path, Path] = field(default_factory=dict)

    def problem(self, path: Path, message: str, prefer_key: bool = False) -> Problem:
        """A Problem about the value at ``path``, located at it (or its nearest ancestor)."""
        position = self.locate(path, prefer_key)
        if position is None:
            return Problem(message, self.display(path))
        return Problem(message, self.display(path), *position)

    def display(self, path: Path) -> str:
        """Return ``path`` as it reads in its own file (``tasks[2].schedule``)."""
        return format_path(_renamed(path, self.local_names))

    def locate(self, path: Path, prefer_key: bool = False) -> Position | None:
        """Return the position of ``path``, or of its nearest ancestor that has one."""
        for length in range(len(path), -1, -1):
            prefix = path[:length]
            if prefer_key and prefix in self.keys:
                return position_of(self.keys[prefix])
            if prefix in self.values:
                return position_of(self.values[prefix])
        return None

    def update(
        self,
        other: SourceMap,
        rename: dict[Path, Path] | None = None,
        skip: set[Path] | None = None,
    ) -> None:
        """Copy ``other``'s positions in, moving paths that start with a key of ``rename`` and
        leaving out paths under a prefix in ``skip`` (values that were not merged)."""
        if not rename and not skip:
            self.values.update(other.values)
            self.keys.update(other.keys)
            return
        for mine, theirs in ((self.values, other.values), (self.keys, other.keys)):
            for path, position in theirs.items():
                if skip and (path[:1] in skip or path[:2] in skip):
                    continue
                mine[_renamed(path, rename or {})] = position


def _renamed(path: Path, rename: dict[Path, Path]) -> Path:
    # Renames are of list items: (section, index) prefixes.
    new_prefix = rename.get(path[:2])
    return path if new_prefix is None else new_prefix + path[2:]


def load_yaml(text: str, file: str) -> tuple[Any, SourceMap, list[Problem]]:
    """Parse one YAML document. Returns the data (None for an empty file), its source map and
    the problems found; a syntax error is returned as a single problem with its position."""
    source_map = SourceMap()
    problems: list[Problem] = []
    loader = _Loader(_NamedText(text, file))
    try:
        node = loader.get_single_node()
        if node is None:
            return None, source_map, problems
        builder = _Builder(loader, file, source_map, problems)
        return builder.build(node, ()), source_map, problems
    except _TooLargeError:
        message = f"the document expands to over {MAX_NODES:,} values (aliases inside aliases?)"
        return None, SourceMap(), [Problem(message, file=file)]
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (None, None)
        message = f"YAML syntax: {error.problem or error.context}"
        return None, source_map, [Problem(message, file=file, line=line, column=column)]
    except yaml.reader.ReaderError as error:
        return None, source_map, [_reader_problem(error, text, file)]
    except yaml.YAMLError as error:
        message = " ".join(str(error).split())  # one line: the CLI prints a problem per line
        return None, source_map, [Problem(f"YAML syntax: {message}", file=file)]
    finally:
        loader.dispose()


def _reader_problem(error: yaml.reader.ReaderError, text: str, file: str) -> Problem:
    """A character YAML does not allow (a NUL, a control character), located by line and
    column: PyYAML gives only its offset, in a message spread over two lines."""
    offset = min(max(error.position, 0), len(text))
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    character = error.character
    code = ord(character) if isinstance(character, str) else int(character)
    message = f"YAML syntax: character U+{code:04X} is not allowed in YAML text ({error.reason})"
    return Problem(message, file=file, line=line, column=column)


_CONSTRUCT = object()  # "let PyYAML construct it": hex ints, floats, timestamps
MAX_NODES = 2_000_000  # aliases can multiply a small file ("billion laughs"): stop there
TAG_TO_KIND = {
    _INT_TAG: "whole number",
    _FLOAT_TAG: "number",
    "tag:yaml.org,2002:timestamp": "date or date-time",
    "tag:yaml.org,2002:binary": "base64 value",
}


class _TooLargeError(Exception):
    """The document expands (through aliases) to more values than a calendar can hold."""


def _bool_or_word(value: str) -> Any:
    # yes/no/on/off stay words (YAML 1.1 made them booleans: the Norway problem)
    lowered = value.lower()
    return lowered == "true" if lowered in ("true", "false") else value


def _int_or_text(value: str) -> Any:
    if ":" in value:
        return value  # YAML 1.1 sexagesimal: "01:30" is a time, not 5400
    if _DECIMAL.fullmatch(value):
        return int(value, 10)  # "0022" is 22 (YAML 1.2), not the octal 18 of YAML 1.1
    return _CONSTRUCT


_QUICK_SCALARS: dict[str, Callable[[str], Any]] = {
    _NULL_TAG: lambda value: None,
    _BOOL_TAG: _bool_or_word,
    _INT_TAG: _int_or_text,
    _FLOAT_TAG: lambda value: value if ":" in value else _CONSTRUCT,
}


class _Builder:
    """Walks a composed node tree into dicts, lists and scalars, filling the source map."""

    def __init__(self, loader: Any, file: str, source_map: SourceMap, problems: list[Problem]):
        self.loader = loader
        self.file = file
        self.source_map = source_map
        self.problems = problems
        self.active: set[int] = set()
        self.own_keys: dict[int, set[int] | None] = {}
        self.nodes = 0

    def position(self, node: Node) -> Position:
        return position_of(node.start_mark)

    def build(self, node: Node, path: Path) -> Any:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise _TooLargeError
        self.source_map.values[path] = node.start_mark
        if isinstance(node, ScalarNode):
            return self.build_scalar(node, path)
        if node.tag not in _COLLECTION_TAGS:
            # The tag itself is not repeated: it could be a secret written after a '!'.
            self.problem(node, path, "cannot read this value: unsupported YAML tag")
            return None
        if id(node) in self.active:  # only an alias to an enclosing collection can loop
            self.problem(node, path, "an alias refers to itself")
            return None
        self.active.add(id(node))
        try:
            if isinstance(node, MappingNode):
                return self.build_mapping(node, path)
            return [self.build(item, (*path, index)) for index, item in enumerate(node.value)]
        finally:
            self.active.discard(id(node))

    def build_mapping(self, node: MappingNode, path: Path) -> dict[Any, Any]:
        own_keys = self.mapping_own_keys(node)
        result: dict[Any, Any] = {}
        first_seen: dict[Any, Node] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode):
                self.problem(key_node, path, "keys must be plain words, not lists or mappings")
                continue
            key = key_node.value  # keys are names: `1:`, `true:` and `null:` stay text
            earlier = first_seen.get(key)
            if earlier is not None and (
                own_keys is None or (id(earlier) in own_keys and id(key_node) in own_keys)
            ):
                line = earlier.start_mark.line + 1
                self.problem(key_node, (*path, key), f"duplicate key (first given on line {line})")
                continue
            first_seen[key] = key_node
            self.source_map.keys[(*path, key)] = key_node.start_mark
            result[key] = self.build(value_node, (*path, key))
        return result

    def mapping_own_keys(self, node: MappingNode) -> set[int] | None:
        """The key nodes written in the mapping itself (None: no merge key, so all of them).
        Worked out once per node: merging rewrites the node, and an alias visits it again."""
        if id(node) not in self.own_keys:
            if any(key.tag == _MERGE_TAG for key, _ in node.value):
                self.own_keys[id(node)] = {id(key) for key, _ in node.value}
                self.loader.flatten_mapping(node)
            else:
                self.own_keys[id(node)] = None
        return self.own_keys[id(node)]

    def build_scalar(self, node: ScalarNode, path: Path) -> Any:
        tag, value = node.tag, node.value
        if tag == _STR_TAG:
            return value
        quick = _QUICK_SCALARS.get(tag)
        if quick is not None:
            result = quick(value)
            if result is not _CONSTRUCT:
                return result
        try:
            return self.loader.construct_object(node, deep=True)
        except (yaml.YAMLError, ValueError, TypeError, AttributeError, OverflowError):
            # The value is not repeated: it may be a secret.
            kind = TAG_TO_KIND.get(tag)
            message = f"not a valid {kind}" if kind else "unsupported YAML tag"
            self.problem(node, path, f"cannot read this value: {message}")
            return None

    def problem(self, node: Node, path: Path, message: str) -> None:
        position = self.position(node)
        self.problems.append(
            Problem(message, format_path(path), position.file, position.line, position.column)
        )


def format_path(path: Path) -> str:
    """Write a data path the way people read it: ``tasks[2].schedule.cron``."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        elif not (_PLAIN_KEY.fullmatch(str(part)) and str(part).isprintable()):
            # A key of control characters, spaces or dots would break the message's one line
            # or read as several keys: quoted, it shows what is really there.
            text += f"[{str(part)!r}]"
        else:
            text += f".{part}" if text else str(part)
    return text
