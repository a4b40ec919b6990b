"""UI strings for templates, from the translators' catalogues: text, never markup.

A translation is data written by someone outside the team, so where it meets HTML it is
escaped like any other text, and so are the values filled into its placeholders. (Jinja's own
gettext trusts translations as markup: a msgstr with `"` or `</a><script>` would become
part of every page of its language.) A sentence that needs markup around a part of it takes
that part as a placeholder, filled by the template with markup of its own.
"""

from __future__ import annotations

import gettext
import json
from typing import Any, Callable

from babel import Locale
from jinja2 import pass_eval_context
from jinja2.nodes import EvalContext
from markupsafe import escape


def ui_functions(translations: gettext.NullTranslations) -> dict[str, Callable[..., Any]]:
    """gettext, ngettext, pgettext and npgettext for a Jinja environment (new style: the
    message is always %-formatted with the keyword arguments, and `num` is the count)."""
    plain: dict[str, str] = {}  # msgid -> msgstr, looked up once (a page asks for the same few)
    finished: dict[tuple[str, bool], str] = {}

    def message(string: str) -> str:
        found = plain.get(string)
        if found is None:
            found = plain[string] = translations.gettext(string)
        return found

    def fill(text: str, autoescape: bool, variables: dict[str, Any]) -> str:
        return escape(text) % variables if autoescape else text % variables

    @pass_eval_context
    def gettext_(eval_ctx: EvalContext, string: str, **variables: Any) -> str:
        if variables:
            return fill(message(string), eval_ctx.autoescape, variables)
        key = (string, eval_ctx.autoescape)
        done = finished.get(key)
        if done is None:  # formatted even without variables ("%%" -> "%"), as Jinja's is
            done = finished[key] = fill(message(string), eval_ctx.autoescape, {})
        return done

    @pass_eval_context
    def ngettext_(eval_ctx: EvalContext, singular: str, plural: str, num: int, **variables: Any) -> str:
        variables.setdefault("num", num)
        return fill(translations.ngettext(singular, plural, num), eval_ctx.autoescape, variables)

    @pass_eval_context
    def pgettext_(eval_ctx: EvalContext, context: str, string: str, **variables: Any) -> str:
        variables.setdefault("context", context)
        return fill(translations.pgettext(context, string), eval_ctx.autoescape, variables)

    @pass_eval_context
    def npgettext_(eval_ctx: EvalContext, context: str, singular: str, plural: str, num: int,
                   **variables: Any) -> str:
        variables.setdefault("context", context)
        variables.setdefault("num", num)
        return fill(translations.npgettext(context, singular, plural, num), eval_ctx.autoescape, variables)

    def plural_forms(singular: str, plural: str, locale: Locale) -> str:
        """Every form of a count's message, as JSON for the browser: CLDR plural category ->
        the text with {n} where the number goes (the page picks one with Intl.PluralRules).
        The form for each category is the catalogue's own, found at a number of that category."""
        rule = locale.plural_form
        forms = {}
        for tag in ("zero", "one", "two", "few", "many", "other"):
            if tag not in rule.tags and tag != "other":
                continue
            number = next((n for n in range(0, 1000) if rule(n) == tag), None)
            if number is None:  # a category of fractions alone: never a count
                continue
            text = translations.ngettext(singular, plural, number).replace("%(num)d", "\x00")
            forms[tag] = (text % {}).replace("\x00", "{n}")
        return json.dumps(forms, ensure_ascii=False, sort_keys=True)

    return {"gettext": gettext_, "_": gettext_, "ngettext": ngettext_, "pgettext": pgettext_,
            "npgettext": npgettext_, "plural_forms": plural_forms}
