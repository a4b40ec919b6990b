"""Packaging hook: ship the repository's default theme and UI catalogues inside the wheel.

In a checkout they live at the top level (themes/, locales/), where editors of the example
site find them; an installed package finds them under catalogue/builtin/.
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent


class BuildWithBuiltins(build_py):
    def run(self) -> None:
        super().run()
        target = Path(self.build_lib) / "catalogue" / "builtin"
        for name in ("themes", "locales"):
            source = ROOT / name
            destination = target / name
            if destination.exists():
                shutil.rmtree(destination)
            shutil.copytree(source, destination, ignore=shutil.ignore_patterns("*.mo", "__pycache__"))


setup(cmdclass={"build_py": BuildWithBuiltins})
