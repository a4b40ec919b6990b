"""The theme chain (site overrides, theme, built-in default) and one Jinja environment per language."""

from __future__ import annotations

import gettext
import os
import re
import secrets
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from urllib.parse import quote
from types import CodeType
from typing import Any, Callable, Iterator, Mapping, MutableMapping, Sequence

from jinja2 import BaseLoader, Environment, StrictUndefined, Template, TemplateNotFound
from jinja2.ext import Extension
from jinja2.lexer import Token, TokenStream
from jinja2.nodes import EvalContext
from markupsafe import escape

from catalogue.builtin import builtin_root
from catalogue.content.files import Refusal, folder_refusal, leaves_refusal, read_input, walk_files
from catalogue.config import SiteConfig
from catalogue.site import speedups
from catalogue.site.ui import ui_functions
from catalogue.problems import Problems

DEFAULT_THEME = "default"


@dataclass(frozen=True)
class Theme:
    """The theme chain, resolved once: every template and static file it offers, each from
    the most specific folder that has it (site, theme, parent theme), checked to be a regular
    file of its own folder. Templates are looked up here only, never on disk by name."""

    name: str
    template_dirs: tuple[Path, ...]  # most specific first
    static_dirs: tuple[Path, ...]  # most specific first
    templates: Mapping[str, Path]  # "partials/macros.html" -> its file
    statics: Mapping[str, Path]  # "static/css/site.css" -> its file


THEME_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")


def resolve_theme(config: SiteConfig, problems: Problems) -> Theme | None:
    if not THEME_NAME.fullmatch(config.theme) or ".." in config.theme:
        problems.error("site.yaml", None, "theme", f"{config.theme!r} is not a theme folder name: write the "
                                                  "name of a folder in themes/ (letters, digits, - and _), e.g. default")
        return None
    names = [config.theme] if config.theme == DEFAULT_THEME else [config.theme, DEFAULT_THEME]
    template_dirs: list[Path] = []
    static_dirs: list[Path] = []
    root = config.root

    def add(folder: Path, parent: Path, boundary: Path) -> None:
        for target, sub in ((template_dirs, "templates"), (static_dirs, "static")):
            path = folder / sub
            if not path.exists():
                continue
            # a linked themes/ leads elsewhere as a whole: its folders are inside each other
            refusal = folder_refusal(path, folder) or folder_refusal(folder, parent) or leaves_refusal(path, boundary)
            if refusal is not None:
                problems.error(_shown(path, root), None, None, refusal.message)
            elif path.resolve() not in target:
                target.append(path.resolve())

    add(root, root, root)  # site-level templates/ and static/
    for name in names:
        found = False
        for themes, boundary in ((root / "themes", root), (builtin_root() / "themes", builtin_root())):
            base = themes / name
            if base.is_dir():
                add(base, themes, boundary)
                found = True
        if not found:
            problems.error("site.yaml", None, "theme",
                           f"theme {name!r} not found in themes/ nor among the built-in themes "
                           f"({', '.join(sorted(p.name for p in (builtin_root() / 'themes').iterdir()))})")
            return None
    return theme_of_folders(config.theme, template_dirs, static_dirs, root, problems)


def theme_of_folders(name: str, template_dirs: Sequence[Path], static_dirs: Sequence[Path], root: Path,
                     problems: Problems) -> Theme:
    """The theme made of these folders, most specific first (files refused are reported)."""
    templates = _chain(template_dirs, root, problems, "")
    statics = _chain(static_dirs, root, problems, "static/")
    return Theme(name, tuple(template_dirs), tuple(static_dirs), templates, statics)


def _chain(folders: Sequence[Path], root: Path, problems: Problems, prefix: str) -> dict[str, Path]:
    """Name -> file along the chain, the earlier folder winning; refused files reported."""
    found: dict[str, Path] = {}
    for folder in reversed(folders):
        files, refused = walk_files(folder)
        for rel, refusal in refused:
            problems.error(_shown(folder / rel, root), None, None, refusal.message)
            found.pop(prefix + rel, None)
        for rel, path in files:
            found[prefix + rel] = path
    return dict(sorted(found.items()))


def _shown(path: Path, root: Path) -> str:
    """A path as a message shows it: inside the site, relative to it."""
    absolute = Path(os.path.abspath(path))
    try:
        return absolute.relative_to(Path(os.path.abspath(root))).as_posix()
    except ValueError:
        return str(path)


def static_files(theme: Theme) -> Mapping[str, Path]:
    """Output path ("static/css/site.css") -> source file; earlier folders win."""
    return theme.statics


class ThemeLoader(BaseLoader):
    """Templates of the resolved chain only: a name the chain does not hold is not found,
    whatever is on disk (no path leaves the theme's folders)."""

    def __init__(self, templates: Mapping[str, Path], shared: "SharedTemplates | None" = None, lang: str = ""):
        self.templates = templates
        self.shared = shared  # the templates compiled once for every language, see SharedTemplates
        self.lang = lang

    def get_source(self, environment: Environment, template: str) -> tuple[str, str, Callable[[], bool]]:
        path = self.templates.get(template)
        if path is None:
            raise TemplateNotFound(template)
        data = read_input(path, path.parent, "theme")
        if isinstance(data, Refusal):
            raise TemplateNotFound(f"{template} ({data.message})")
        return data.decode("utf-8", errors="replace"), str(path), lambda: True

    def list_templates(self) -> list[str]:
        return sorted(self.templates)

    def load(self, environment: Environment, name: str,
             globals: "MutableMapping[str, Any] | None" = None) -> Template:
        """The template from the code compiled once for every language, with this one's fixed
        messages written in (what BaseLoader.load does, the compiling aside)."""
        if self.shared is None:
            return super().load(environment, name, globals)
        source, filename, uptodate = self.get_source(environment, name)
        code = self.shared.code(name, self.lang, source, filename)
        return environment.template_class.from_code(environment, code, globals if globals is not None else {},
                                                    uptodate)


class SharedTemplates:
    """Each template compiled once for the environments of all languages. Their code differs
    only in the fixed messages (FixedMessages): the shared code holds a marker where each one
    goes, and a language's copy has its text in the marker's place, in the code's constants.
    A product page's templates take about 45 ms to compile, and a rebuild of a few pages in
    four languages spent most of its rendering compiling them four times.

    The markers carry a random token, so no template's own text can be taken for one; a
    message some language cannot fix at compile time (a placeholder without its value) is
    left to gettext in every language."""

    CLOSE = "\ue001"

    def __init__(self, compiler: Environment, fixers: Mapping[str, Callable[[str], "str | None"]]):
        self.fixers = fixers
        self.marker = "\ue000" + secrets.token_hex(8) + ":"
        self.pattern = re.compile(re.escape(self.marker) + r"(\d+)" + self.CLOSE)
        self.texts: list[Mapping[str, str]] = []  # marker number -> language -> text
        self.compiled: dict[str, CodeType] = {}
        self.compiler = compiler
        compiler.fixed_message = self.fixed  # type: ignore[attr-defined]  # (extend() keeps one set)

    def fixed(self, string: str) -> str | None:
        texts = {lang: fix(string) for lang, fix in self.fixers.items()}
        if any(text is None for text in texts.values()):
            return None
        self.texts.append(texts)  # type: ignore[arg-type]
        return f"{self.marker}{len(self.texts) - 1}{self.CLOSE}"

    def code(self, name: str, lang: str, source: str, filename: str | None) -> CodeType:
        shared = self.compiled.get(name)
        if shared is None:
            shared = self.compiled[name] = self.compiler.compile(source, name, filename)
        return self._written(shared, lang)

    def _written(self, code: CodeType, lang: str) -> CodeType:
        consts = tuple(self._const(value, lang) for value in code.co_consts)
        if all(new is old for new, old in zip(consts, code.co_consts)):
            return code
        return code.replace(co_consts=consts)

    def _const(self, value: Any, lang: str) -> Any:
        if isinstance(value, str):
            if self.marker not in value:
                return value
            return self.pattern.sub(lambda found: self.texts[int(found[1])][lang], value)
        if isinstance(value, CodeType):
            return self._written(value, lang)
        if isinstance(value, (tuple, frozenset)):
            items = [self._const(item, lang) for item in value]
            return value if all(new is old for new, old in zip(items, value)) else type(value)(items)
        return value


FINGERPRINTED = (".css", ".js")


def fingerprinted(files: Mapping[str, Path]) -> dict[str, str]:
    """Theme file -> output path; stylesheets and scripts get their content hash in the name,
    so a host may cache them for a year ("static/css/site.css" -> "static/css/site.3f2a9c1e.css").
    Other files keep their names: stylesheets may refer to them."""
    import hashlib

    result = {}
    for out_path, src in files.items():
        name = out_path[len("static/"):]
        if src.suffix in FINGERPRINTED:
            digest = hashlib.sha256(src.read_bytes()).hexdigest()[:10]
            stem, dot, suffix = out_path.rpartition(".")
            result[name] = f"{stem}.{digest}.{suffix}"
        else:
            result[name] = out_path
    return result


_DIRECTION_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def isolate(value: Any) -> Any:
    """A text for plain-text places (a page title, an attribute) where <bdi> cannot go: one
    holding direction controls is wrapped in FIRST STRONG ISOLATE ... POP DIRECTIONAL
    ISOLATE, so its controls end with it and cannot reorder what follows."""
    text = str(value)
    if _DIRECTION_CONTROLS.isdisjoint(text):
        return value
    return "\u2068" + text + "\u2069"


def mailto(address: Any) -> str:
    """The mailto: address of an email, percent-encoded as RFC 6068 asks: an address holding
    `?`, `&`, `,` or `%` is one recipient, never a second one, a Bcc or a body."""
    return "mailto:" + quote(str(address), safe="@!$'*+-._~")


class ThemeEnvironment(Environment):
    code_generator_class = speedups.code_generator()


def listed(items: Any, locale: Any) -> str:
    """Items as the locale writes a list ("a, b and c", "a、b、c", "a وb"), by CLDR."""
    from babel.lists import format_list

    return format_list([str(item) for item in items], locale=locale)


def language_environments(theme: Theme, translations: Mapping[str, gettext.NullTranslations],
                          globals_: Mapping[str, Any]) -> dict[str, Environment]:
    """An environment per language (autoescaped), whose templates compile once for all."""
    first = next(iter(translations.values()), gettext.NullTranslations())
    compiler = make_environment(theme, first, globals_)
    fixers = {lang: partial(_fixed_message, ui_functions(messages)["gettext"], EvalContext(compiler))
              for lang, messages in translations.items()}
    shared = SharedTemplates(compiler, fixers)
    return {lang: make_environment(theme, messages, globals_, shared=shared, lang=lang)
            for lang, messages in translations.items()}


def make_environment(theme: Theme, translations: gettext.NullTranslations,
                     globals_: Mapping[str, Any], autoescape: bool = True,
                     shared: SharedTemplates | None = None, lang: str = "") -> Environment:
    env = ThemeEnvironment(
        loader=ThemeLoader(theme.templates, shared, lang),
        autoescape=autoescape,
        undefined=StrictUndefined,
        extensions=["jinja2.ext.i18n", FixedMessages],
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )
    env.filters["isolate"] = isolate
    env.filters["listed"] = listed
    env.filters["mailto"] = mailto
    env.install_gettext_translations(translations, newstyle=True)  # type: ignore[attr-defined]
    functions = ui_functions(translations)  # translations as text: see ui.py
    env.globals.update(functions)
    gettext_ = functions["gettext"]
    env.globals.update(globals_)
    if autoescape:
        env.extend(fixed_message=partial(_fixed_message, gettext_, EvalContext(env)))
    return env


def _fixed_message(gettext_: Any, eval_ctx: EvalContext, string: str) -> str | None:
    try:
        return str(gettext_(eval_ctx, string))
    except (KeyError, ValueError, TypeError):  # a placeholder without its value: fails as written
        return None


class FixedMessages(Extension):
    """Writes each `{{ _("literal") }}` into the compiled template as its translation, already
    escaped by gettext (see ui.py): an environment serves one language, and a product page
    calls gettext about forty times."""

    def filter_stream(self, stream: TokenStream) -> Iterator[Token]:
        fixed: Callable[[str], str | None] | None = getattr(self.environment, "fixed_message", None)
        tokens = list(stream)
        index = 0
        while index < len(tokens):
            token = tokens[index]
            call = tokens[index - 1:index + 5] if index else []
            if (fixed is not None and token.type == "name" and token.value in ("_", "gettext")
                    and [t.type for t in call] == ["variable_begin", "name", "lparen", "string", "rparen",
                                                   "variable_end"]):
                # only a whole {{ _("...") }}: Jinja folds other constant expressions (~, +)
                # into plain strings, which would then be escaped
                text = fixed(call[3].value)
                if text is not None:  # ("text"|safe): a constant, written into the page's text
                    line = token.lineno
                    yield from (Token(line, "lparen", "("), Token(line, "string", text), Token(line, "pipe", "|"),
                                Token(line, "name", "safe"), Token(line, "rparen", ")"))
                    index += 4
                    continue
            yield token
            index += 1
