"""The parts of every output's key that are not content: the code and libraries that shape
output, and each template with everything it extends, includes or imports.

A page's key is its template's closure key and the digest of its context (see derive.py);
the context's digest covers the content and settings it is made of, and every derivation
takes PACKAGE_KEY in, so an upgrade of Python, Jinja2, Markdown, nh3, Babel (and its CLDR
data), Pillow, PyYAML or of this package makes everything again.
"""

from __future__ import annotations

import sys
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Mapping

from jinja2 import Environment, TemplateSyntaxError, meta

from catalogue import __version__
from catalogue.site import speedups
from catalogue.derive import digest, digest_bytes

# The distributions whose behaviour shows in what a build writes.
SHAPING_DISTRIBUTIONS = ("Jinja2", "MarkupSafe", "Markdown", "nh3", "Babel", "PyYAML", "Pillow", "segno",
                         "weasyprint", "pydyf")


def distribution_versions() -> dict[str, str]:
    """Installed version of each distribution that shapes output ("-" where one is absent)."""
    found = {}
    for name in SHAPING_DISTRIBUTIONS:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "-"
    return found


@lru_cache(maxsize=1)
def package_key() -> str:
    """This package's code and data, Python's version, the shaping libraries' versions and
    which speed-ups are on."""
    package = Path(__file__).resolve().parent.parent
    files = sorted(package.rglob("*.py")) + sorted(package.glob("data/*.yaml"))
    versions = distribution_versions()
    return digest("catalogue", __version__, sys.version, sys.implementation.cache_tag, speedups.state(),
                  *(f"{name}={version}" for name, version in sorted(versions.items())),
                  *(f"{f.relative_to(package).as_posix()}:{digest_bytes('code', f.read_bytes())}" for f in files))


def template_closures(sources: Mapping[str, str]) -> dict[str, str]:
    """Per template name: a key of its own source and of every template it extends, includes
    or imports, transitively. A template that names another by a value known only when it
    renders depends on every template. (Templates are parsed with the extensions pages are
    rendered with; one that does not parse fails the build, whatever its key.)"""
    env = Environment(extensions=["jinja2.ext.i18n"])
    uses: dict[str, set[str]] = {}
    for name, source in sources.items():
        try:
            found = set(meta.find_referenced_templates(env.parse(source)))
        except TemplateSyntaxError:
            found = set()
        uses[name] = set(sources) if None in found else {ref for ref in found if ref}
    own = {name: digest(source) for name, source in sources.items()}
    keys = {}
    for name in sources:
        closure, todo = set(), [name]
        while todo:
            current = todo.pop()
            if current in closure or current not in sources:
                continue
            closure.add(current)
            todo.extend(uses.get(current, ()))
        keys[name] = digest("template", *(f"{n}:{own[n]}" for n in sorted(closure)))
    return keys
