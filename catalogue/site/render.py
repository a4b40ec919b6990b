"""Page -> bytes: one Jinja environment per language; a page's data comes evaluated (pages.py)."""

from __future__ import annotations

import gettext
from dataclasses import dataclass
from typing import Any, Mapping

from jinja2 import Environment, TemplateError, TemplateSyntaxError, pass_context
from jinja2.runtime import Context, Macro
from markupsafe import Markup

from catalogue.config import SiteConfig
from catalogue.site import urls
from catalogue.site.edition import Edition
from catalogue.site.locales import Language
from catalogue.site.pages import Page, paged
from catalogue.site.themes import Theme, language_environments, make_environment

# Stands, in a card, for the climb from a page's folder to the site's root ("../../"): no
# text can hold it (control characters are refused in every text field and body).
CLIMB = "\x00\ue000"


@dataclass(frozen=True)
class LanguageLink:
    language: Language
    out_path: str
    current: bool


class RenderError(Exception):
    def __init__(self, template: str, line: int | None, message: str):
        super().__init__(message)
        self.template = template
        self.line = line
        self.message = message


@dataclass(frozen=True)
class RenderSettings:
    """What every page of a build is rendered with, besides its own data: all of it is in the
    edition's key (see build/pipeline.py)."""

    config: SiteConfig
    languages: Mapping[str, Language]
    theme: Theme
    translations: Mapping[str, gettext.NullTranslations]
    assets: Mapping[str, str]
    edition: Edition


def environments(settings: RenderSettings) -> dict[str, Environment]:
    """One Jinja environment per language (templates compile when first used, once for all)."""
    common = {"asset": _asset_function(settings.assets), "config": settings.config,
              "all_languages": settings.languages, "preview": settings.edition.preview,
              "bundle": settings.edition.bundle}
    return language_environments(settings.theme, {lang: settings.translations[lang]
                                                  for lang in settings.config.languages}, common)


class Renderer:
    """`envs`: environments made by environments(settings) earlier, their templates compiled
    already (the preview keeps them between builds with the same settings)."""

    def __init__(self, settings: RenderSettings, envs: Mapping[str, Environment] | None = None):
        self.settings = settings
        config = settings.config
        self.config = config
        self.languages = settings.languages
        self.style: urls.LinkStyle = settings.edition.link_style
        self.translations = settings.translations
        self.bundle = settings.edition.bundle
        self.envs: Mapping[str, Environment] = envs if envs is not None else environments(settings)
        self._cards: dict[tuple[object, ...], str] = {}  # of one language at a time, see _cached
        self._in_card = False
        self._cards_lang: str | None = None
        self._links: dict[tuple[int, str], str] = {}  # (page depth, target) -> link, see _url
        self._links_lang: str | None = None  # the language of the pages whose links those are
        self._layout: dict[tuple[object, ...], Markup] = {}  # see _shared
        for env in self.envs.values():  # this renderer's own memories, whoever made the environment
            env.globals["url"] = self._url
            env.globals["cached"] = self._cached
            env.globals["shared"] = self._shared

    @pass_context
    def _cached(self, context: Context, macro: Macro, item: Any, *args: Any) -> Markup:
        """A card rendered once per language for the pages of every depth: its links climb to
        the site's root as CLIMB, which becomes the climb from each page's own folder."""
        page: Page = context["page"]
        depth = page.out_path.count("/")
        if page.kind == "not_found" or depth == 0:  # root-based links, or no climb at all
            return Markup(str(macro(item, *args)))
        if page.lang != self._cards_lang:  # pages come language by language: keep one set
            self._cards.clear()
            self._cards_lang = page.lang
        key = (macro.name, item.slug, args)
        html = self._cards.get(key)
        if html is None:
            self._in_card = True
            try:
                html = self._cards[key] = str(macro(item, *args))
            finally:
                self._in_card = False
        return Markup(html.replace(CLIMB, "../" * depth))

    @pass_context
    def _shared(self, context: Context, macro: Macro) -> Markup:
        """A part of the layout (site navigation, footer) rendered once per language, page
        depth and page kind: what it shows must depend on nothing else of the page."""
        page: Page = context["page"]
        key = (macro.name, page.lang, page.out_path.count("/"), page.kind)
        html = self._layout.get(key)
        if html is None:
            html = self._layout[key] = Markup(str(macro()))
        return html

    @pass_context
    def _url(self, context: Context, out_path: str) -> str:
        """link(), remembered by page depth: a page calls it dozens of times, and every page
        of a depth links to another file alike (links climb to the root, then come down)."""
        page: Page = context["page"]
        if self._in_card and not out_path.startswith("#"):  # see _cached
            link = urls.relative("", out_path, self.style)  # from the root: the path itself
            return CLIMB if link == "./" else CLIMB + link
        if page.kind == "not_found" or out_path.startswith(page.out_path):  # itself, or a part of itself
            return self.link(page, out_path)
        key = (page.out_path.count("/"), out_path)
        found = self._links.get(key)
        if found is None:
            if len(self._links) >= 100_000:
                self._links.clear()
            found = self._links[key] = self.link(page, out_path)
        return found

    def link(self, page: Page, out_path: str) -> str:
        """How `page` refers to another output file."""
        if page.kind == "not_found":  # served at any depth: only root-based links work
            return urls.root_relative(self.config.base_url, out_path)
        return urls.relative(page.out_path, out_path, self.style)

    def render(self, page: Page, data: Mapping[str, Any]) -> bytes:
        lang = page.lang or self.config.source_lang
        if lang != self._links_lang:  # pages come a language at a time, linking mostly within it
            self._links.clear()
            self._links_lang = lang
        env = self.envs[lang]
        try:
            template = env.get_template(page.template)
            html = template.render(self.context(page, lang, data))
        except TemplateSyntaxError as exc:
            raise RenderError(exc.filename or exc.name or page.template, exc.lineno, exc.message or str(exc))
        except TemplateError as exc:
            line = _template_line(exc)
            raise RenderError(page.template, line, f"{exc.__class__.__name__}: {exc}") from exc
        return html.encode("utf-8")

    def context(self, page: Page, lang: str, data: Mapping[str, Any]) -> dict[str, Any]:
        config = self.config
        language = self.languages[lang]
        alternates = page.alternates or {}
        ctx: dict[str, Any] = {
            "page": page,
            "lang": language,
            "site_title": config.localized(config.title, lang),
            "site_description": config.localized(config.description, lang) if config.description else "",
            "contact": config.contact,
            "contact_address": config.localized(config.contact.address, lang) if config.contact.address else None,
            "language_links": [LanguageLink(self.languages[code], path, code == lang)
                               for code, path in alternates.items()],
            "canonical": urls.absolute(config.base_url, page.out_path),
            "hreflang": [(code, urls.absolute(config.base_url, path)) for code, path in page.search_alternates().items()],
            "untranslated": page.untranslated,
            "x_default": urls.absolute(config.base_url, alternates.get(config.source_lang, "index.html"))
            if page.kind != "home" else config.base_url,
            "home_path": urls.home(lang),
            "link_style": self.style,
            "search_index": urls.search_index(lang),
            "pagination": pagination(page),
        }
        if page.kind == "root":
            ctx.update(self._root_data(page))
        ctx.update(data)
        if page.kind != "root":
            ctx.update(self._structured(page, lang, data))
        return ctx

    def _root_data(self, page: Page) -> dict[str, Any]:
        codes = self.bundle.languages if self.bundle else self.config.languages
        return {"languages": [self.languages[code] for code in codes],
                "homes": {code: urls.home(code) for code in codes},
                "titles": {code: self.config.localized(self.config.title, code) for code in codes}}

    def _structured(self, page: Page, lang: str, data: Mapping[str, Any]) -> dict[str, Any]:
        """JSON-LD blocks and Open Graph facts for pages that describe one thing."""
        from catalogue.outputs import structured as ld

        base = self.config.base_url
        ui = self.translations[lang]
        home = (ui.gettext("Home"), urls.home(lang))
        blocks: list[dict[str, Any]] = []
        og: dict[str, Any] = {"type": "website", "image": None}
        if page.kind == "product":
            view = data["product"]
            product = data["record"]
            labels = {"award": ui.gettext("OCOP rating %(year)s") % {"year": product.ocop.year} + ": " +
                      ui.ngettext("%(num)d OCOP star out of 5", "%(num)d OCOP stars out of 5",
                                  product.ocop.stars) % {"num": product.ocop.stars},
                      "hs_code": ui.gettext("HS code"), "shelf_life": ui.gettext("Shelf life"),
                      "certification": ui.gettext("Certifications"), "on_request": ui.gettext("on request")}
            blocks.append(ld.product_ld(base, product, view, labels))
            blocks.append(ld.breadcrumbs_ld(base, [home, (ui.gettext("Products"), urls.section(lang, "products")),
                                                   (view.card.category.text, view.card.category.path or ""),
                                                   (view.card.words.name, view.card.path)]))
            og = {"type": "product", "image": view.images[0] if view.images else None}
        elif page.kind == "producer":
            view = data["producer"]
            blocks.append(ld.organization_ld(base, view, view.card.district.text))
            blocks.append(ld.breadcrumbs_ld(base, [home, (ui.gettext("Producers"), urls.section(lang, "producers")),
                                                   (view.card.words.name, view.card.path)]))
            cover = next((p.cover for p in view.products if p.cover), None)
            og = {"type": "website", "image": cover}
        elif page.kind == "event":
            view = data["event"]
            organizer = view.organizer_card.words.name if view.organizer_card else \
                str(view.organizer) if view.organizer else None
            blocks.append(ld.event_ld(base, data["record"], view, organizer))
            blocks.append(ld.breadcrumbs_ld(base, [home, (ui.gettext("Events"), urls.section(lang, "events")),
                                                   (view.card.words.name, view.card.path)]))
            cover = next((p.cover for p in view.products if p.cover), None)
            og = {"type": "website", "image": cover}
        elif page.kind == "listing":
            blocks.append(ld.breadcrumbs_ld(base, [home, (ui.gettext("Products"), urls.section(lang, "products")),
                                                   (data["label"].text, page.out_path)]))
        elif page.kind == "home":
            blocks.append({"@context": ld.SCHEMA, "@type": "WebSite", "name": self.config.localized(self.config.title, lang),
                           "url": urls.absolute(base, page.out_path), "inLanguage": lang})
        image = og.get("image") or _first_cover(data)  # a listing or the home: its first product's photo
        return {"json_ld": [ld.dumps(block) for block in blocks],
                "og_type": og["type"],
                "og_image": urls.absolute(base, image.path) if image else None,
                "og_image_size": (image.width, image.height) if image else None}


def _first_cover(data: Mapping[str, Any]) -> Any:
    """The cover of the first card with one among a page's product cards, for og:image."""
    for key in ("featured", "products"):
        for card in data.get(key) or ():
            cover = getattr(card, "cover", None)
            if cover is not None:
                return cover
    return None


@dataclass(frozen=True)
class Pagination:
    number: int
    pages: int
    previous: str | None
    next: str | None
    links: tuple[tuple[int, str], ...]  # (number, out_path) of every page


def pagination(page: Page) -> Pagination | None:
    if page.pages <= 1 or not page.alternates or page.lang is None:
        return None
    first = page.alternates[page.lang] if page.number == 1 else page.out_path.rsplit("page/", 1)[0] + "index.html"
    links = tuple((n, paged(first, n)) for n in range(1, page.pages + 1))
    return Pagination(page.number, page.pages, links[page.number - 2][1] if page.number > 1 else None,
                      links[page.number][1] if page.number < page.pages else None, links)


def _asset_function(assets: Mapping[str, str]) -> Any:
    def asset(name: str) -> str:
        """Output path of a theme file, e.g. asset('css/site.css')."""
        try:
            return assets[name]
        except KeyError:
            raise TemplateError(f"no theme file static/{name}") from None
    return asset


def _template_line(exc: BaseException) -> int | None:
    tb = exc.__traceback__
    line = None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename.endswith(".html") or "template" in tb.tb_frame.f_code.co_name:
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def render_text(settings: RenderSettings, template_name: str, lang: str, extra: Mapping[str, Any]) -> str:
    """A plain-text template (README and the like) in one language; no HTML escaping."""
    env = make_environment(settings.theme, settings.translations[lang],
                           {"config": settings.config, "all_languages": settings.languages}, autoescape=False)
    config = settings.config
    context = {"lang": settings.languages[lang], "site_title": config.localized(config.title, lang),
               "contact": config.contact,
               "contact_address": config.localized(config.contact.address, lang) if config.contact.address else None}
    context.update(extra)
    return env.get_template(template_name).render(context)
