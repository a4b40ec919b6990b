"""Checks of a translator's .po file, each problem at its file and line.

A catalogue is data from outside the team: a string left open, a placeholder misspelt or
added, a lone `%`, HTML in a translation, or a Plural-Forms expression that does not work
would otherwise surface as a wrong page, a crash in the middle of a build, or markup that
templates never meant to publish. Babel reads some of these leniently (an unclosed string
loses its last character), so the lines are read here first.
"""

from __future__ import annotations

import gettext
import re
from babel.messages.catalog import Catalog, Message

from catalogue.content.schema import direction_control, unusable_character
from catalogue.problems import Problems

_KEYWORD_LINE = re.compile(r"(msgctxt|msgid|msgid_plural|msgstr(?:\[\d+\])?)[ \t]+(.*)")
_QUOTED = re.compile(r'"(?:[^"\\]|\\.)*"')
# a %-placeholder as Python's % operator reads it (new-style gettext always formats)
_PERCENT = re.compile(r"%(?:\((?P<name>[^)]*)\))?[#0\- +]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[hlL]?(?P<conv>[diouxXeEfFgGcrsa%])")
_BRACES = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
_MARKUP = re.compile(r"<\s*/?\s*[A-Za-z!]")
PLURAL_SAMPLES = (*range(0, 220), 1000, 1001, 10_000, 100_000, 1_000_000)


def check_syntax(text: str, rel: str, problems: Problems) -> bool:
    """Every line is a comment, a keyword with one quoted string, or a quoted string that
    continues the one before; False when one is not."""
    ok = True
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        keyword = _KEYWORD_LINE.fullmatch(line)
        rest = keyword.group(2).strip() if keyword else line
        if keyword is None and not line.startswith('"'):
            problems.error(rel, number, None, f"not a line of a .po file: {_short(line)} "
                                              "(each line is a comment, msgid, msgstr ... or a \"quoted\" text)")
            ok = False
        elif not _QUOTED.fullmatch(rest):
            problems.error(rel, number, None, "the text is not closed: it must start and end with \" "
                                              "(write a \" inside it as \\\")")
            ok = False
    return ok


def _short(text: str) -> str:
    return repr(text if len(text) <= 40 else text[:37] + "...")


def placeholders(text: str) -> tuple[set[str], list[str]]:
    """(names of %(name)s placeholders, problems with the other % signs) of one string."""
    names: set[str] = set()
    bad: list[str] = []
    index = text.find("%")
    while index >= 0:
        match = _PERCENT.match(text, index)
        if match is None:
            bad.append(f"a lone % at character {index + 1}: write %% for a percent sign")
            index = text.find("%", index + 1)
            continue
        if match.group("conv") != "%":
            name = match.group("name")
            if name is None:
                bad.append(f"{match.group()} has no name: placeholders are written %(name)s")
            else:
                names.add(name)
                if match.end() - match.start() > len(name) + 4:  # %(name) then flags, width or precision
                    # a width pads the value: %(year)9999999s made every page 20 MB
                    bad.append(f"{match.group()} has a width or precision: write %({name}){match.group('conv')}")
        index = text.find("%", match.end())
    return names, bad


def check_messages(catalog: Catalog, rel: str, problems: Problems) -> None:
    for message in catalog:
        if not message.id or message.fuzzy:
            continue
        for text in _strings(message.string):
            _check_translation(message, text, rel, problems)


def _strings(value: object) -> list[str]:
    if isinstance(value, (list, tuple)):
        return [item for item in value if item]
    return [value] if isinstance(value, str) and value else []


def _check_translation(message: Message, text: str, rel: str, problems: Problems) -> None:
    ids = _strings(message.id)
    line = message.lineno
    shown = ids[0] if ids else ""

    def error(what: str) -> None:
        problems.error(rel, line, f"msgid {_short(shown)}", what)

    wanted: set[str] = set()
    for source in ids:
        wanted |= placeholders(source)[0]
    names, bad = placeholders(text)
    for problem in bad:
        error(problem)
    unknown = sorted(names - wanted)
    if unknown:
        known = ", ".join(f"%({name})s" for name in sorted(wanted)) or "none"
        error(f"the translation uses {', '.join(f'%({n})s' for n in unknown)}, which the original does not "
              f"have (placeholders of the original: {known})")
    missing = sorted(wanted - names - {"num"})
    if missing and not isinstance(message.id, (list, tuple)):
        problems.warning(rel, line, f"msgid {_short(shown)}",
                         f"the translation leaves out {', '.join(f'%({n})s' for n in missing)}")
    braces_wanted = {name for source in ids for name in _BRACES.findall(source)}
    if braces_wanted and set(_BRACES.findall(text)) != braces_wanted:
        error(f"the translation must keep the placeholders {', '.join('{' + n + '}' for n in sorted(braces_wanted))} "
              "as they are")
    if _MARKUP.search(text) and not any(_MARKUP.search(source) for source in ids):
        error("a translation is text, shown as it is written: remove the HTML tags from it")
    control = unusable_character(text)
    if control:
        error(control)
    bidi = direction_control(text)
    if bidi:
        problems.warning(rel, line, f"msgid {_short(shown)}", bidi)


def header_line(text: str, name: str) -> int | None:
    for number, line in enumerate(text.splitlines(), 1):
        if line.lstrip().startswith(f'"{name}:'):
            return number
    return None


def check_plural_forms(catalog: Catalog, text: str, rel: str, problems: Problems) -> bool:
    """The Plural-Forms header works: Python's gettext accepts its expression, and for every
    count it names one of the nplurals forms. False when it does not."""
    raw = catalog.mime_headers
    header = next((value for key, value in raw if key.lower() == "plural-forms"), None)
    if header is None:
        return True
    line = header_line(text, "Plural-Forms")
    parts = dict(part.strip().split("=", 1) for part in header.split(";") if "=" in part)
    try:
        count = int(parts.get("nplurals", "").strip())
    except ValueError:
        problems.error(rel, line, "Plural-Forms", f"nplurals must be a whole number: {header!r}")
        return False
    expression = parts.get("plural", "").strip()
    if not 1 <= count <= 6:
        problems.error(rel, line, "Plural-Forms", f"nplurals={count}: languages have 1 to 6 plural forms")
        return False
    try:
        choose = gettext.c2py(expression)
        indices = {n: choose(n) for n in PLURAL_SAMPLES}
    except (ValueError, RecursionError, SyntaxError, OverflowError, ZeroDivisionError, TypeError) as exc:
        problems.error(rel, line, "Plural-Forms", f"the plural expression {_short(expression)} does not work "
                                                  f"({exc}); copy the line for this language from the GNU gettext manual")
        return False
    wrong = next(((n, index) for n, index in indices.items() if not 0 <= int(index) < count), None)
    if wrong is not None:
        problems.error(rel, line, "Plural-Forms", f"for n={wrong[0]} the expression gives form {wrong[1]}, "
                                                  f"but nplurals={count} (forms 0 to {count - 1})")
        return False
    for message in catalog:
        if isinstance(message.id, (list, tuple)) and isinstance(message.string, (list, tuple)) \
                and any(message.string) and len(message.string) != count:
            problems.error(rel, message.lineno, f"msgid {_short(str(message.id[0]))}",
                           f"has {len(message.string)} plural forms (msgstr[0] ...); this language has {count}")
    return True
