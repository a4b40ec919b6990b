"""YAML with line numbers and duplicate-key detection, and front matter splitting.

PyYAML's C parser (when present) composes the node tree; we build the values ourselves so
that every field keeps the line it came from and a repeated key is a problem, not a
silent overwrite.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Mapping

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from catalogue.content.files import Refusal, read_input
from catalogue.problems import Problems

try:  # the C loader is several times faster on large sites
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

_TEXT = "tag:yaml.org,2002:str"
MAX_NODES = 100_000  # guards against alias bombs ("billion laughs")
MAX_DEPTH = 40


@dataclass(frozen=True)
class YamlDoc:
    """Plain Python data plus the line of every field, keyed by dotted path."""

    data: Any
    lines: Mapping[str, int] = field(default_factory=dict)
    raw: Mapping[str, str] = field(default_factory=dict)  # scalar source text, for hints
    source: str = ""  # the whole file, where read_mapping read one

    def line(self, path: str) -> int | None:
        """Line of `path` ("ocop.stars", "packaging[1].size"), or of its nearest parent."""
        while path:
            if path in self.lines:
                return self.lines[path]
            cut = max(path.rfind("."), path.rfind("["))
            path = path[:cut] if cut > 0 else ""
        return self.lines.get("")


class _TooBig(Exception):
    pass


class _Builder:
    def __init__(self, line_offset: int):
        self.constructor = SafeConstructor()
        self.line_offset = line_offset
        self.lines: dict[str, int] = {}
        self.raw: dict[str, str] = {}
        self.duplicates: list[tuple[str, int, int]] = []
        self.bad_keys: list[tuple[str, int]] = []
        self.visited = 0

    def line_of(self, node: Node) -> int:
        return node.start_mark.line + 1 + self.line_offset

    def build(self, node: Node, path: str, depth: int = 0) -> Any:
        self.visited += 1
        if self.visited > MAX_NODES or depth > MAX_DEPTH:
            raise _TooBig
        self.lines.setdefault(path, self.line_of(node))
        if isinstance(node, ScalarNode):
            self.raw[path] = node.value
            if node.tag == _TEXT:  # what the constructor would return, without its dispatch
                return node.value
            try:
                return self.constructor.construct_object(node, deep=True)
            except ValueError:  # 2025-02-30 or an offset of +29:00 looks like a date and is none:
                return node.value  # its text, as if quoted, which the field's own check names
        if isinstance(node, SequenceNode):
            return [self.build(item, f"{path}[{i}]", depth + 1) for i, item in enumerate(node.value)]
        if isinstance(node, MappingNode):
            self.constructor.flatten_mapping(node)
            result: dict[Any, Any] = {}
            first_line: dict[Any, int] = {}
            for key_node, value_node in node.value:
                if not isinstance(key_node, ScalarNode):
                    self.bad_keys.append((path, self.line_of(key_node)))
                    continue
                key = key_node.value if key_node.tag == _TEXT else \
                    self.constructor.construct_object(key_node, deep=True)
                if key is None or isinstance(key, (list, dict)):
                    self.bad_keys.append((path, self.line_of(key_node)))
                    continue
                key = key if isinstance(key, str) else str(key)
                child = f"{path}.{key}" if path else key
                if key in result:
                    self.duplicates.append((child, first_line[key], self.line_of(key_node)))
                    continue
                first_line[key] = self.line_of(key_node)
                self.lines[child] = self.line_of(key_node)
                result[key] = self.build(value_node, child, depth + 1)
            return result
        raise _TooBig  # pragma: no cover - composer yields only the three node kinds


_OPENERS = {"while parsing a flow sequence": "the list opened by '[' here is not closed with ']'",
            "while parsing a flow mapping": "the mapping opened by '{' here is not closed with '}'",
            "while scanning a quoted scalar": "the quoted text that starts here has no closing quote"}


def _unclosed(exc: yaml.MarkedYAMLError) -> "tuple[str, yaml.Mark] | None":
    """For a bracket or a quote left open: what is wrong, at the line where it was opened."""
    said = _OPENERS.get((exc.context or "").strip())
    if said is None or exc.context_mark is None:
        return None
    if exc.problem_mark is not None and exc.problem_mark.line == exc.context_mark.line:
        return None  # on one line: the problem's own place is as good
    return said, exc.context_mark


def parse_yaml(text: str, rel_path: str, problems: Problems, line_offset: int = 0) -> YamlDoc | None:
    """Parse one YAML document; on failure add problems and return None."""
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        what = exc.problem or exc.context or "invalid YAML"
        if mark is not None and mark.index < len(text) and text[mark.index] == "\t":
            what += " (a tab character: indent with spaces, not tabs)"
        opened = _unclosed(exc)
        if opened is not None:  # YAML notices only on a later line: point at the opening instead
            what, mark = opened
        line = mark.line + 1 + line_offset if mark else None
        problems.error(rel_path, line, None, f"YAML syntax error: {what}{_syntax_hint(what)}")
        return None
    except yaml.YAMLError as exc:
        problems.error(rel_path, None, None, f"YAML error: {exc}")
        return None
    if node is None:
        return YamlDoc(None, {})
    builder = _Builder(line_offset)
    try:
        data = builder.build(node, "")
    except _TooBig:
        problems.error(rel_path, None, None,
                       "YAML document is too large or too deeply nested (aliases expand without limit?)")
        return None
    except yaml.YAMLError as exc:  # a scalar that cannot be constructed, e.g. a bad date
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 + line_offset if mark else None
        problems.error(rel_path, line, None, f"YAML value error: {getattr(exc, 'problem', exc)}")
        return None
    except ValueError as exc:  # e.g. 2023-02-30 parses as a date and then fails
        problems.error(rel_path, None, None, f"YAML value error: {exc}")
        return None
    for child, first, again in builder.duplicates:
        problems.error(rel_path, again, child,
                       f"duplicate key (first given at line {first}); keep only one")
    for parent, line in builder.bad_keys:
        problems.error(rel_path, line, parent or None, "keys must be plain text")
    return YamlDoc(data, builder.lines, builder.raw)


def _syntax_hint(what: str) -> str:
    if "mapping values are not allowed" in what:
        return " (a value containing ': ' must be put in quotes)"
    return ""


def read_text(src_path: Path, rel_path: str, problems: Problems, folder: Path | None = None,
              kind: str = "text") -> str | None:
    """Read a UTF-8 text file of `folder` (default: its own); a stray byte is reported with its
    line, a link out of the folder or an oversized file with what to do, never a traceback."""
    raw = read_input(src_path, folder if folder is not None else src_path.parent, kind)
    if isinstance(raw, Refusal):
        problems.error(rel_path, None, None, raw.message)
        return None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        problems.error(rel_path, line, None,
                       f"file is not valid UTF-8 (byte 0x{raw[exc.start]:02X}); save it as UTF-8")
        return None
    if text.startswith("\ufeff"):
        text = text[1:]
    if "\x00" in text:
        problems.error(rel_path, text.count("\n", 0, text.index("\x00")) + 1, None,
                       "file contains NUL bytes; is it a text file?")
        return None
    return text


@dataclass(frozen=True)
class FrontMatter:
    yaml_text: str
    yaml_line_offset: int  # lines before the YAML block (the opening ---)
    body: str
    body_line: int  # file line where the body starts


_FENCE = re.compile(r"---[ \t]*\r?")


def split_front_matter(text: str, rel_path: str, problems: Problems) -> FrontMatter | None:
    """Split `---` YAML front matter from the Markdown body."""
    lines = text.split("\n")
    if not lines or not _FENCE.fullmatch(lines[0]):
        problems.error(rel_path, 1, None,
                       "missing front matter: the file must begin with a line '---', then "
                       "'name:' and 'summary:', then another '---'")
        return None
    for index in range(1, len(lines)):
        if _FENCE.fullmatch(lines[index]):
            yaml_text = "\n".join(lines[1:index])
            body = "\n".join(lines[index + 1:])
            return FrontMatter(yaml_text, 1, body, index + 2)
    problems.error(rel_path, 1, None,
                   "front matter is not closed: add a line '---' after the last field")
    return None


def read_mapping(path: Path, rel_path: str, problems: Problems, missing: str, not_mapping: str,
                 kind: str = "data") -> YamlDoc | None:
    """A YAML file that must exist and hold fields; each way it can fail is one clear problem."""
    if not path.exists() and not path.is_symlink():
        problems.error(rel_path, None, None, missing)
        return None
    source = read_text(path, rel_path, problems, kind=kind)
    if source is None:
        return None
    doc = parse_yaml(source, rel_path, problems)
    if doc is None:
        return None
    if not isinstance(doc.data, dict):
        problems.error(rel_path, 1, None, not_mapping)
        return None
    return replace(doc, source=source)
