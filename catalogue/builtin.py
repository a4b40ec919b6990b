"""Where the package's own theme, UI catalogues and data live: inside a wheel, or in a checkout."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

import yaml

_PACKAGE = Path(__file__).resolve().parent


def builtin_root() -> Path:
    """Folder holding `themes/` and `locales/` shipped with the package."""
    bundled = _PACKAGE / "builtin"
    if (bundled / "themes").is_dir():
        return bundled  # installed from a wheel or sdist
    return _PACKAGE.parent  # a source checkout: the repository's own themes/ and locales/


def package_data(name: str) -> Any:
    """A YAML file of the package's own data (`catalogue/data/NAME`), read with the C loader."""
    text = resources.files("catalogue").joinpath(f"data/{name}").read_text(encoding="utf-8")
    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
