"""The quarantine of speed-ups on libraries' private internals: one module, used only with
the release series it was tested with, switchable off, and giving the same output as the
libraries' public behaviour."""

from __future__ import annotations

import filecmp
import os
import re
import subprocess
import sys
from pathlib import Path

import markdown
import pytest
from jinja2 import Environment
from jinja2.compiler import CodeGenerator

from catalogue.build.writer import MARKER
from catalogue.site import speedups
from catalogue.site.markup import EXTENSIONS, FOOTNOTES, MarkdownRenderer, _BodyExtension, sanitise

ROOT = Path(__file__).resolve().parent.parent

# what reaching past a library's public API looks like in this code base
_PRIVATE_USE = re.compile(r"_escape_inner|_priority\b|_InlineProcessor__|jinja2\.compiler|_output_child_pre|"
                          r"\._split\b|is_block_level\s*=")


def test_private_internals_are_used_in_the_quarantine_alone() -> None:
    users = sorted(str(path.relative_to(ROOT)) for path in (ROOT / "catalogue").rglob("*.py")
                   if _PRIVATE_USE.search(path.read_text(encoding="utf-8")))
    assert users == ["catalogue/site/speedups.py"]


def test_each_speed_up_is_off_for_a_release_it_was_not_tested_with(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(speedups.SWITCH, raising=False)
    tested = dict(speedups.TESTED)
    monkeypatch.setattr(speedups, "_version", lambda name: tested[name] + ".7")
    assert all(speedups.active(name) for name in tested)
    assert speedups.code_generator() is speedups.OutputCodeGenerator
    monkeypatch.setattr(speedups, "_version", lambda name: tested[name] + "1.0")  # 3.110 is not 3.11
    assert not any(speedups.active(name) for name in tested)
    assert speedups.code_generator() is CodeGenerator
    md = markdown.Markdown()
    assert isinstance(speedups.quicken(md), speedups.PlainMarkdown)
    assert speedups.quicken(md).prepare("text") is md


def test_the_installed_libraries_are_the_tested_ones() -> None:
    """A dependency upgraded past the tested series turns the speed-ups off, silently slower:
    this says so, so the pins and TESTED move together."""
    assert [name for name in speedups.TESTED if not speedups.active(name)] == []


@pytest.mark.parametrize("value", ["off", "0", "no", "OFF "])
def test_the_switch_turns_every_speed_up_off(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv(speedups.SWITCH, value)
    assert not any(speedups.active(name) for name in speedups.TESTED)
    assert "True" not in speedups.state()


def _plain_render(source: str) -> str:
    holder = MarkdownRenderer()
    md = markdown.Markdown(extensions=[*EXTENSIONS, _BodyExtension(holder)],
                           extension_configs={"footnotes": FOOTNOTES}, output_format="html")
    return sanitise(md.convert(source))


def test_the_quick_converter_renders_as_python_markdown(monkeypatch: pytest.MonkeyPatch) -> None:
    """Hand-picked bodies that touch each speed-up (the property test is in test_markup.py)."""
    renderer = MarkdownRenderer()
    bodies = ["plain", "*a* and _b_", "line  \nbreak", "a\tb", "x\r\ny", "one\r\n\r\ntwo", "<b>raw</b> &amp;", "> quote\n> more",
              "[a][r]\n\n[r]: https://example.com", "| a | b |\n|---|---|\n| 1 | `2|3` |", "1. one\n2. two",
              "Title\n===", "`code`", "\\*not\\*", "a\x02b", "Term\n: def", "x[^1]\n\n[^1]: n", "# H {: .c}"]
    for body in bodies * 2:  # the second time, on converters already trimmed for other bodies
        assert renderer.render(body) == _plain_render(body), body


_TEMPLATE = "{{ a }}|{{ b|upper }}{% for x in xs %}<{{ x }}>{% endfor %}{{ n }}{% autoescape false %}{{ a }}{% endautoescape %}"


def test_the_output_code_generator_writes_what_jinja_writes() -> None:
    values = {"a": "<&'\">", "b": "x<y", "xs": ["1", 2, None], "n": 4.5}

    class Quick(Environment):
        code_generator_class = speedups.OutputCodeGenerator

    assert Quick(autoescape=True).from_string(_TEMPLATE).render(values) == \
        Environment(autoescape=True).from_string(_TEMPLATE).render(values)


def _build(site: Path, out: Path, switch: str) -> None:
    env = {**os.environ, speedups.SWITCH: switch, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-m", "catalogue", "build", "--site", str(site), "--out", str(out), "--now", "2026-06-01"],
                          env=env, capture_output=True, text=True, cwd=site)
    assert done.returncode == 0, done.stderr


def _same_tree(left: Path, right: Path) -> list[str]:
    differ: list[str] = []
    comparison = filecmp.dircmp(left, right, ignore=[MARKER])  # it names the build

    def walk(c: filecmp.dircmp[str], prefix: str) -> None:
        differ.extend(prefix + name for name in c.left_only + c.right_only)
        _, mismatch, errors = filecmp.cmpfiles(c.left, c.right, c.common_files, shallow=False)
        differ.extend(prefix + name for name in mismatch + errors)
        for name, sub in c.subdirs.items():
            walk(sub, prefix + name + "/")
    walk(comparison, "")
    return differ


def test_a_site_builds_byte_for_byte_the_same_with_the_speed_ups_off(site: Path, tmp_path: Path) -> None:
    _build(site, tmp_path / "on", "on")
    _build(site, tmp_path / "off", "off")
    assert _same_tree(tmp_path / "on", tmp_path / "off") == []
