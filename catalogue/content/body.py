"""What a Markdown body points at, found while it is still text: the images it shows.

Every way Markdown (and the raw HTML it allows) can show an image is found here, so that one
check covers them all: inline `![alt](file.jpg)`, reference-style `![alt][ref]`, `![alt][]`
and `![ref]` with their `[ref]: file.jpg` definitions, and `<img src="file.jpg">`. Rendering
guards the same rule again (markup.py), so a form this misses cannot point outside anyway.
"""

from __future__ import annotations

import re

_INLINE = re.compile(r"!\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+[\"'][^)]*)?\)")
# reference images: ![alt][ref], ![alt][] (the alt is the reference), ![ref]
_REFERENCE = re.compile(r"!\[([^\]]*)\](?:[ ]?\[([^\]]*)\])?")
# a definition: up to three spaces, [label]: target (perhaps on the next line, perhaps in <>)
_DEFINITION = re.compile(r"^[ ]{0,3}\[([^\[\]]+)\]:[ \t]*\n?[ \t]*<?([^\s>]+)>?", re.M)
_RAW_IMG = re.compile(r"<img\b[^>]*?\bsrc\s*=\s*(?:\"([^\"]*)\"|'([^']*)'|([^\s>]+))", re.I)
_NOT_MARKDOWN = re.compile(r"<!--.*?-->|^(```|~~~).*?^\1|`[^`\n]*`", re.S | re.M)


def _label(text: str) -> str:
    """A reference label as Markdown compares them: case and runs of spaces do not count."""
    return " ".join(text.lower().split())


def _blank(match: re.Match[str]) -> str:
    return re.sub(r"[^\n]", " ", match.group(0))


def body_image_refs(source: str) -> list[tuple[int, str]]:
    """(line within the body, target) of every image of a body, in order of lines.

    Comments and code are blanked first (keeping their line breaks): an example in them is
    not an image. A reference image is reported at the line of its definition, where its
    target is written.
    """
    if "![" not in source and "<img" not in source.lower():
        return []  # blanking only turns characters into spaces: it makes no image
    source = _NOT_MARKDOWN.sub(_blank, source)
    found: list[tuple[int, str]] = []

    def line_of(index: int) -> int:
        return source.count("\n", 0, index)

    for match in _INLINE.finditer(source):
        found.append((line_of(match.start()), match.group(1)))
    inline_free = _INLINE.sub(_blank, source)
    definitions: dict[str, tuple[int, str]] = {}
    for match in _DEFINITION.finditer(inline_free):
        definitions.setdefault(_label(match.group(1)), (line_of(match.start(2)), match.group(2)))
    used: set[str] = set()
    for match in _REFERENCE.finditer(inline_free):
        alt, ref = match.group(1), match.group(2)
        label = _label(ref if ref else alt)
        if label in definitions and label not in used:
            used.add(label)
            found.append(definitions[label])
    for match in _RAW_IMG.finditer(source):
        target = next(group for group in match.groups() if group is not None)
        found.append((line_of(match.start()), target.strip()))
    return sorted(found)
