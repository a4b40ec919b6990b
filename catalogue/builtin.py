"""Where the package's own theme and UI catalogues live: inside a wheel, or in a checkout."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def builtin_root() -> Path:
    """Folder holding `themes/` and `locales/` shipped with the package."""
    bundled = _PACKAGE / "builtin"
    if (bundled / "themes").is_dir():
        return bundled  # installed from a wheel or sdist
    return _PACKAGE.parent  # a source checkout: the repository's own themes/ and locales/
