"""The parts of every output's key that are not content: the code and libraries that shape
output, and each template with everything it extends, includes or imports.

A page's key is its template's closure key and the digest of its context (see derive.py);
the context's digest covers the content and settings it is made of, and every derivation
takes PACKAGE_KEY in, so an upgrade of Python, of this package or of any library it needs
(Jinja2, Markdown, nh3, Babel and its CLDR data, Pillow, PyYAML, BudouX, WeasyPrint..., and
what they need in turn) makes everything again.
"""

from __future__ import annotations

import re
import sys
import tomllib
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Mapping

from jinja2 import Environment, TemplateSyntaxError, meta

from catalogue import __version__
from catalogue.site import speedups
from catalogue.derive import Derived, Evaluator, derive, digest, digest_bytes

_NAME = re.compile(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)")
_EXTRA = re.compile(r"""extra\s*==\s*["']([^"']+)["']""")


def _needs(requirements: list[str], extras: tuple[str, ...]) -> list[str]:
    """The distributions named by requirement strings, those of other extras left out."""
    names = []
    for requirement in requirements:
        marker = requirement.partition(";")[2]
        extra = _EXTRA.search(marker)
        if extra is not None and extra.group(1) not in extras:
            continue
        found = _NAME.match(requirement)
        if found:
            names.append(found.group(1))
    return names


def _own_requirements() -> list[str]:
    try:
        return metadata.requires("catalogue") or []
    except metadata.PackageNotFoundError:  # run from a checkout that was not installed
        project = Path(__file__).resolve().parent.parent.parent / "pyproject.toml"
        declared = tomllib.loads(project.read_text(encoding="utf-8"))["project"]
        return [*declared["dependencies"], *(f'{need}; extra == "{extra}"'
                                             for extra, needs in declared["optional-dependencies"].items()
                                             for need in needs)]


def shaping_distributions() -> list[str]:
    """Every distribution this package needs, with its PDF extra, and what they need in turn:
    any of them may change what a build writes. Read from the installed metadata, so a new
    dependency is in every key without anyone listing it (the preview's server too: an upgrade
    of it only makes a needless rebuild)."""
    seen: dict[str, str] = {}
    todo = _needs(_own_requirements(), ("pdf",))
    while todo:
        name = todo.pop()
        key = re.sub(r"[-_.]+", "-", name).lower()
        if key in seen:
            continue
        seen[key] = name
        try:
            todo.extend(_needs(metadata.requires(name) or [], ()))
        except metadata.PackageNotFoundError:
            continue
    return sorted(seen)


def distribution_versions() -> dict[str, str]:
    """Installed version of each distribution that shapes output ("-" where one is absent)."""
    found = {}
    for name in shaping_distributions():
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


_ANY = "\x00"  # in template_references' text: a template named by a value known only when it renders


@lru_cache(maxsize=512)
def template_references(source: str) -> str:
    """The templates a template's source names, one per line (_ANY: one known only when it
    renders). A function of the text alone, kept as text in the build cache (parsing every
    template cost each fresh process 0.16 s) and remembered here (the preview plans again at
    every save)."""
    try:
        found = meta.find_referenced_templates(Environment(extensions=["jinja2.ext.i18n"]).parse(source))
    except TemplateSyntaxError:
        return ""
    # a name that cannot stand on a line of its own is taken as any template: never too few
    return "\n".join(sorted({_ANY if name is None or "\n" in name or _ANY in name else name for name in found}))


def reference_values(sources: Mapping[str, str]) -> dict[str, Derived[str]]:
    """Each template's references, as stored derived values (the build keeps them in its cache)."""
    return {name: derive(template_references, source, stored=True) for name, source in sources.items()}


def template_closures(sources: Mapping[str, str], evaluator: Evaluator | None = None,
                      values: Mapping[str, Derived[str]] | None = None) -> dict[str, str]:
    """Per template name: a key of its own source and of every template it extends, includes
    or imports, transitively. A template that names another by a value known only when it
    renders depends on every template. (Templates are parsed with the extensions pages are
    rendered with; one that does not parse fails the build, whatever its key.) `evaluator`:
    where the references are looked up (a cached one reads them from the build cache);
    `values`: reference_values(sources), where the caller has them."""
    evaluator = evaluator if evaluator is not None else Evaluator()
    values = values if values is not None else reference_values(sources)
    evaluator.prefetch(list(values.values()))
    uses: dict[str, set[str]] = {}
    for name, value in values.items():
        text = evaluator.value(value)
        if not isinstance(text, str):  # a cache row of another kind: what the source says
            text = template_references(sources[name])
        found = set(text.split("\n")) - {""}
        uses[name] = set(sources) if _ANY in found else found
    evaluator.flush()
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
