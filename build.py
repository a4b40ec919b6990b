#!/usr/bin/env python3
"""Build the catalogue in this folder: the same program as the `catalogue` command.

Typed with any Python (`python build.py check`), it runs with the project's .venv, made by
`make build`, where the libraries are; without one it says in one line what to run."""

import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
VENV_PYTHON = HERE / ".venv" / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def _in_venv() -> bool:
    return Path(sys.prefix).resolve() == (HERE / ".venv").resolve()


def _missing_libraries() -> list[str]:
    import importlib.util

    return [name for name in ("jinja2", "markdown", "babel", "yaml", "PIL", "nh3")
            if importlib.util.find_spec(name) is None]


if __name__ == "__main__" and _missing_libraries():
    if not _in_venv() and VENV_PYTHON.exists() and os.environ.get("CATALOGUE_REEXEC") != "1":
        os.environ["CATALOGUE_REEXEC"] = "1"  # once: a broken .venv must not loop
        os.execv(str(VENV_PYTHON), [str(VENV_PYTHON), str(Path(__file__).resolve()), *sys.argv[1:]])
    print(f"build.py: the libraries it needs are not installed for {sys.executable}; "
          f"run `make build` in {HERE} once, then `python build.py {' '.join(sys.argv[1:]) or 'build'}` again",
          file=sys.stderr)
    sys.exit(2)

sys.path.insert(0, str(HERE))

from catalogue.commands.cli import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
