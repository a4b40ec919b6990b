"""The default theme mirrors itself for right-to-left languages: no physical sides in its CSS."""

from __future__ import annotations

import re

from conftest import REPO

PHYSICAL = re.compile(r"(?<![\w-])(?:(?:margin|padding|border|inset)-(?:left|right)|left|right|"
                      r"float\s*:\s*(?:left|right)|text-align\s*:\s*(?:left|right)|clear\s*:\s*(?:left|right))"
                      r"(?![\w-])\s*:?")


def test_theme_css_uses_logical_properties_only() -> None:
    for css in sorted((REPO / "themes/default/static").rglob("*.css")):
        for number, line in enumerate(css.read_text(encoding="utf-8").splitlines(), 1):
            code = re.sub(r"/\*.*?\*/", "", line)
            found = [m.group(0) for m in PHYSICAL.finditer(code) if m.group(0).rstrip().endswith(":") or
                     ":" in m.group(0)]
            assert not found, f"{css.relative_to(REPO)}:{number}: physical direction {found} in {line.strip()!r}"


def test_the_checker_would_catch_a_physical_property() -> None:
    assert PHYSICAL.search(".x { margin-left: 1rem }")
    assert PHYSICAL.search(".x { text-align: right }")
    assert PHYSICAL.search(".x { left: 0 }")
    assert not PHYSICAL.search(".x { margin-inline-start: 1rem; inset-inline-end: 0 }")
