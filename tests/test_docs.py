"""The documentation matches the program: every command and option of docs/commands.md is
the real argument parser's, and the parser has nothing the page leaves out."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from catalogue.commands.cli import make_parser

DOCS = Path(__file__).resolve().parent.parent / "docs"


def _commands() -> dict[str, set[str]]:
    """Each command of the parser with its option strings (without --help)."""
    parser = make_parser()
    found: dict[str, set[str]] = {}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found[name] = {option for a in sub._actions for option in a.option_strings
                               if option not in ("-h", "--help")}
    return found


def _glance() -> list[str]:
    text = (DOCS / "commands.md").read_text(encoding="utf-8")
    block = text.split("## The commands at a glance", 1)[1].split("```", 2)[1]
    return [line for line in block.splitlines() if line.startswith("python build.py ")]


def test_the_commands_at_a_glance_are_the_parsers() -> None:
    commands = _commands()
    lines = _glance()
    shown: dict[str, set[str]] = {}
    for line in lines:
        words = line.split()
        name = words[2].strip("[]")
        if name.startswith("-"):
            continue
        shown.setdefault(name, set()).update(re.findall(r"(?<![\w-])--[a-z][a-z-]*", line))
    assert set(shown) == set(commands)
    for name, options in commands.items():
        long_options = {o for o in options if o.startswith("--")}
        assert shown[name] == long_options, name


def test_every_option_is_in_the_options_table_for_its_commands() -> None:
    text = (DOCS / "commands.md").read_text(encoding="utf-8")
    table = text.split("Options:", 1)[1].split("\n\n", 2)[1]
    rows = [row.split("|")[1:3] for row in table.splitlines() if row.startswith("| `")]
    documented: dict[str, set[str]] = {}
    for options, commands in rows:
        names = set(re.findall(r"`(-{1,2}[a-z][a-z-]*)", options))
        where = {c.split()[0] for c in re.findall(r"`([a-z0-9 ]+)`", commands)} if "all commands" not in commands \
            else set(_commands())
        for option in names:
            documented.setdefault(option, set()).update(where)
    for name, options in _commands().items():
        for option in options:
            if option in ("--site", "--now"):  # every command has them: the table says "all commands"
                continue
            assert name in documented.get(option, set()), f"{name} {option} is not in the options table"


def _bare_python() -> str:
    """A Python without the program's libraries (the system's), as a new editor types it."""
    import shutil
    import subprocess

    for candidate in ("/usr/bin/python3", shutil.which("python3") or ""):
        if candidate and subprocess.run([candidate, "-c", "import jinja2"], capture_output=True).returncode != 0:
            return candidate
    import pytest
    pytest.skip("no Python without the libraries on this machine")


def test_build_py_typed_with_any_python_uses_the_projects_venv(tmp_path: Path) -> None:
    import shutil
    import subprocess

    repo = DOCS.parent
    bare = _bare_python()
    done = subprocess.run([bare, str(repo / "build.py"), "--version"], cwd=repo, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0 and done.stdout.startswith("catalogue "), done.stderr
    # a checkout where `make build` was not run yet: one line saying what to do
    shutil.copy(repo / "build.py", tmp_path / "build.py")
    done = subprocess.run([bare, "build.py", "check"], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines() == [
        f"build.py: the libraries it needs are not installed for {bare}; run `make build` in {tmp_path} once, "
        "then `python build.py check` again"]
