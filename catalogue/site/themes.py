"""The theme chain (site overrides, theme, built-in default) and one Jinja environment per language."""

from __future__ import annotations

import gettext
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping

from jinja2 import Environment, FileSystemBytecodeCache, FileSystemLoader, StrictUndefined, pass_eval_context
from jinja2.compiler import CodeGenerator, Frame
from jinja2.ext import Extension
from jinja2.lexer import Token, TokenStream
from jinja2.nodes import EvalContext
from markupsafe import Markup, escape

try:  # the text escape() wraps in Markup (markupsafe 3)
    from markupsafe import _escape_inner
except ImportError:  # pragma: no cover
    def _escape_inner(s: str, /) -> str:
        return str(escape(s))

from catalogue.builtin import builtin_root
from catalogue.build.cache import PACKAGE_KEY, digest
from catalogue.config import SiteConfig
from catalogue.site.locales import catalogue_key
from catalogue.problems import Problems

DEFAULT_THEME = "default"


@dataclass(frozen=True)
class Theme:
    name: str
    template_dirs: tuple[Path, ...]  # most specific first
    static_dirs: tuple[Path, ...]  # most specific first


def resolve_theme(config: SiteConfig, problems: Problems) -> Theme | None:
    names = [config.theme] if config.theme == DEFAULT_THEME else [config.theme, DEFAULT_THEME]
    template_dirs: list[Path] = []
    static_dirs: list[Path] = []

    def add(folder: Path) -> None:
        for target, sub in ((template_dirs, "templates"), (static_dirs, "static")):
            path = (folder / sub).resolve()
            if path.is_dir() and path not in target:
                target.append(path)

    add(config.root)  # site-level templates/ and static/
    for name in names:
        found = False
        for base in (config.root / "themes" / name, builtin_root() / "themes" / name):
            if base.is_dir():
                add(base)
                found = True
        if not found:
            problems.error("site.yaml", None, "theme",
                           f"theme {name!r} not found in themes/ nor among the built-in themes "
                           f"({', '.join(sorted(p.name for p in (builtin_root() / 'themes').iterdir()))})")
            return None
    return Theme(config.theme, tuple(template_dirs), tuple(static_dirs))


def static_files(theme: Theme) -> dict[str, Path]:
    """Output path ("static/css/site.css") -> source file; earlier folders win."""
    files: dict[str, Path] = {}
    for folder in reversed(theme.static_dirs):
        for path in sorted(folder.rglob("*")):
            if path.is_file() and not any(part.startswith(".") for part in path.relative_to(folder).parts):
                files["static/" + path.relative_to(folder).as_posix()] = path
    return dict(sorted(files.items()))


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


def escape_output(value: Any) -> str:
    """What `{{ value }}` writes with autoescape: the same text as markupsafe's escape(), as
    a plain str. Written text is only ever joined, so it needs no Markup wrapper, whose making
    (a copy of the text, an attribute lookup that fails) cost 15% of a product page."""
    if type(value) is str:
        return _escape_inner(value)
    if hasattr(value, "__html__"):
        return value.__html__()
    return _escape_inner(str(value))


class _OutputCodeGenerator(CodeGenerator):
    """Compiles `{{ value }}` to escape_output(value) where Jinja's would call escape()."""

    def visit_Template(self, node: Any, frame: Frame | None = None) -> None:
        self.writeline(f"from {__name__} import escape_output")
        super().visit_Template(node, frame)

    def _output_child_pre(self, node: Any, frame: Frame, finalize: Any) -> None:
        if frame.eval_ctx.autoescape and not frame.eval_ctx.volatile:
            self.write("escape_output(")
            if finalize.src is not None:
                self.write(finalize.src)
        else:
            super()._output_child_pre(node, frame, finalize)


class ThemeEnvironment(Environment):
    code_generator_class = _OutputCodeGenerator


def make_environment(theme: Theme, translations: gettext.NullTranslations,
                     globals_: Mapping[str, Any], autoescape: bool = True,
                     bytecode_dir: Path | None = None) -> Environment:
    cache = None
    if bytecode_dir is not None:  # compiled templates, reused by the next build (keyed by source)
        # they hold their language's messages (FixedMessages): a folder per set of messages
        bytecode_dir = bytecode_dir / digest(PACKAGE_KEY, str(autoescape), catalogue_key(translations))[:24]
        try:
            bytecode_dir.mkdir(parents=True, exist_ok=True)
            cache = FileSystemBytecodeCache(str(bytecode_dir))
        except OSError:
            cache = None
    env = ThemeEnvironment(
        loader=FileSystemLoader([str(d) for d in theme.template_dirs]),
        bytecode_cache=cache,
        autoescape=autoescape,
        undefined=StrictUndefined,
        extensions=["jinja2.ext.i18n", FixedMessages],
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )
    env.install_gettext_translations(translations, newstyle=True)  # type: ignore[attr-defined]
    gettext_ = env.globals["gettext"] = env.globals["_"] = _memoized_gettext(translations)
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
    """Writes each `{{ _("literal") }}` into the compiled template as its translation, marked
    safe as Jinja's gettext marks it: an environment serves one language, and a product page
    calls gettext about forty times. Templates compiled this way are cached per language."""

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


def _memoized_gettext(translations: gettext.NullTranslations) -> Any:
    """Jinja's new-style gettext (escaped string, always %-formatted), looked up once per string.

    A page calls it dozens of times with the same few strings; Jinja's own goes through two
    context calls and a catalogue lookup each time.
    """
    found: dict[tuple[str, bool], str] = {}
    finished: dict[tuple[str, bool], str] = {}

    @pass_eval_context
    def gettext_(eval_ctx: EvalContext, string: str, **variables: Any) -> str:
        if variables:
            return _message(string, eval_ctx.autoescape) % variables
        key = (string, eval_ctx.autoescape)
        done = finished.get(key)
        if done is None:  # formatted even without variables ("%%" -> "%"), as Jinja's does
            done = finished[key] = _message(string, eval_ctx.autoescape) % {}
        return done

    def _message(string: str, autoescape: bool) -> str:
        key = (string, autoescape)
        message = found.get(key)
        if message is None:
            text = translations.gettext(string)
            message = found[key] = Markup(text) if autoescape else text
        return message

    return gettext_
