"""Page -> bytes: one Jinja environment per language, contexts from the view builder."""

from __future__ import annotations

import gettext
from dataclasses import dataclass
from typing import Any, Mapping

from jinja2 import Environment, TemplateError, TemplateSyntaxError, pass_context
from jinja2.runtime import Context, Macro
from markupsafe import Markup

from catalogue.site import urls
from catalogue.build.cache import digest
from catalogue.config import SiteConfig
from catalogue.site.locales import Language
from catalogue.site.markup import MarkdownRenderer
from catalogue.content.model import Entry, Site
from catalogue.site.plan import LISTING_KINDS, Page
from catalogue.site.themes import Theme, make_environment
from catalogue.site.views import ViewBuilder


# Stands, in a card, for the climb from a page's folder to the site's root ("../../"): no
# text holds it (files with a NUL byte are refused; a YAML escape could make one, and would
# only change its own text).
CLIMB = "\x00\ue000"


FLUSH_AT = 256  # fragments kept before they are saved together (a few hundred KB)


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


class Renderer:
    def __init__(self, config: SiteConfig, site: Site, languages: Mapping[str, Language],
                 theme: Theme, translations: Mapping[str, gettext.NullTranslations],
                 views: ViewBuilder, assets: Mapping[str, str], style: urls.LinkStyle = "pretty",
                 preview: bool = False, bundle: Mapping[str, Any] | None = None,
                 fragments: Any = None, keys: Any = None, stored: bool | None = None):
        self.config = config
        self.site = site
        self.languages = languages
        self.views = views
        self.style = style
        self.markdown = MarkdownRenderer()
        self.translations = translations
        self.bundle = bundle
        common = {"asset": _asset_function(assets), "config": config, "all_languages": languages,
                  "preview": preview, "bundle": bundle}
        folder = getattr(fragments, "folder", None) if fragments is not None and fragments.enabled else None
        bytecode_dir = folder / "templates" if folder is not None else None
        self.envs: dict[str, Environment] = {
            lang: make_environment(theme, translations[lang], common, bytecode_dir=bytecode_dir)
            for lang in config.languages
        }
        self._cards: dict[tuple[object, ...], str] = {}  # of one language at a time, see _cached
        self._in_card = False
        self._cards_lang: str | None = None
        self.fragments = fragments if fragments is not None and fragments.enabled else None
        # a cold cache has nothing to find: do not look for every card and body in it
        # (`stored` is asked once before rendering, as the build's own fragments come in)
        self._stored = self.fragments is not None and (
            stored if stored is not None else self.fragments.has_rows("fragments"))
        self.keys = keys
        self._fresh: dict[str, str] = {}  # fragments made in this batch, saved by flush()
        self._links: dict[tuple[int, str], str] = {}  # (page depth, target) -> link, see _url
        self._layout: dict[tuple[object, ...], Markup] = {}  # see _shared
        for env in self.envs.values():
            env.globals["url"] = self._url
            env.globals["cached"] = self._cached
            env.globals["shared"] = self._shared

    @pass_context
    def _cached(self, context: Context, macro: Macro, item: Any, *args: Any) -> Markup:
        """A card rendered once per language for the pages of every depth: its links climb to
        the site's root as CLIMB, which becomes the climb from each page's own folder.

        Cards are not kept in the build cache: one takes about as long to render as to store
        and fetch again, and a big site has hundreds of thousands of them.
        """
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

    def _fragment_key(self, kind: str, page: Page, *parts: str) -> str | None:
        if self.fragments is None or self.keys is None:
            return None
        lang = page.lang or self.config.source_lang
        return digest(kind, self.keys.edition[lang], self.keys.templates.get("partials/macros.html", ""),
                      self.style, page.kind == "not_found",
                      page.out_path.count("/"), *parts)

    def _fragment(self, key: str | None) -> str | None:
        if key is None or self.fragments is None:
            return None
        return self._fresh.get(key) or (self.fragments.get("fragments", key) if self._stored else None)

    def _remember(self, key: str | None, html: str) -> None:
        if key is not None:
            self._fresh[key] = html

    def flush(self, final: bool = True) -> None:
        """Save the fragments rendered since the last flush, in one transaction; unless
        `final`, only once there are enough of them (a transaction costs more than a row)."""
        if not final and len(self._fresh) < FLUSH_AT:
            return
        if self.fragments is not None and self._fresh:
            self.fragments.put_many("fragments", self._fresh)
        self._fresh = {}

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

    def render(self, page: Page) -> bytes:
        lang = page.lang or self.config.source_lang
        env = self.envs[lang]
        try:
            template = env.get_template(page.template)
            html = template.render(self.context(page, lang))
        except TemplateSyntaxError as exc:
            raise RenderError(exc.filename or exc.name or page.template, exc.lineno, exc.message or str(exc))
        except TemplateError as exc:
            line = _template_line(exc)
            raise RenderError(page.template, line, f"{exc.__class__.__name__}: {exc}") from exc
        return html.encode("utf-8")

    def context(self, page: Page, lang: str) -> dict[str, Any]:
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
            "hreflang": [(code, urls.absolute(config.base_url, path)) for code, path in alternates.items()],
            "x_default": urls.absolute(config.base_url, alternates.get(config.source_lang, "index.html"))
            if page.kind != "home" else config.base_url,
            "home_path": urls.home(lang),
            "link_style": self.style,
            "search_index": urls.search_index(lang),
        }
        ctx.update(self._page_data(page, lang))
        if page.kind != "root":
            ctx.update(self._structured(page, lang, ctx))
        return ctx

    def _structured(self, page: Page, lang: str, data: Mapping[str, Any]) -> dict[str, Any]:
        """JSON-LD blocks and Open Graph facts for pages that describe one thing."""
        from catalogue.outputs import structured as ld

        base = self.config.base_url
        ui = self.translations[lang]
        home = (ui.gettext("Home"), urls.home(lang))
        blocks: list[dict[str, Any]] = []
        og: dict[str, Any] = {"type": "website", "image": None}
        if page.kind == "product" and page.key:
            view = data["product"]
            product = self.site.products[page.key]
            labels = {"award": ui.gettext("OCOP rating %(year)s") % {"year": product.ocop.year} + ": " +
                      ui.ngettext("%(num)d OCOP star out of 5", "%(num)d OCOP stars out of 5",
                                  product.ocop.stars) % {"num": product.ocop.stars},
                      "hs_code": ui.gettext("HS code"), "shelf_life": ui.gettext("Shelf life"),
                      "certification": ui.gettext("Certifications")}
            blocks.append(ld.product_ld(base, product, view, labels))
            blocks.append(ld.breadcrumbs_ld(base, [home, (ui.gettext("Products"), urls.section(lang, "products")),
                                                   (view.card.category.text, view.card.category.path or ""),
                                                   (view.card.words.name, view.card.path)]))
            og = {"type": "product", "image": view.images[0] if view.images else None}
        elif page.kind == "producer" and page.key:
            view = data["producer"]
            blocks.append(ld.organization_ld(base, view, view.card.district.text))
            blocks.append(ld.breadcrumbs_ld(base, [home, (ui.gettext("Producers"), urls.section(lang, "producers")),
                                                   (view.card.words.name, view.card.path)]))
            cover = next((p.cover for p in view.products if p.cover), None)
            og = {"type": "website", "image": cover}
        elif page.kind == "event" and page.key:
            view = data["event"]
            organizer = view.organizer_card.words.name if view.organizer_card else view.organizer
            blocks.append(ld.event_ld(base, self.site.events[page.key], view, organizer))
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
        image = og.get("image")
        return {"json_ld": [ld.dumps(block) for block in blocks],
                "og_type": og["type"],
                "og_image": urls.absolute(base, image.path) if image else None,
                "og_image_size": (image.width, image.height) if image else None}

    def _page_data(self, page: Page, lang: str) -> dict[str, Any]:
        views = self.views
        if page.kind == "root":
            codes = self.bundle["languages"] if self.bundle else self.config.languages
            return {"languages": [self.languages[code] for code in codes],
                    "homes": {code: urls.home(code) for code in codes},
                    "titles": {code: self.config.localized(self.config.title, code) for code in codes}}
        lv = views.for_language(lang)
        if page.kind == "product":
            assert page.key
            return {"product": views.product(page.key, lang, self._body(page, self.site.products[page.key]))}
        if page.kind == "producer":
            assert page.key
            return {"producer": views.producer(page.key, lang, self._body(page, self.site.producers[page.key]))}
        if page.kind == "event":
            assert page.key
            return {"event": views.event(page.key, lang, self._body(page, self.site.events[page.key]))}
        if page.kind in ("product_index", "home"):
            upcoming, _ = views.events_split(lang)
            facet_groups = views.facet_groups(lang) if page.kind == "product_index" else []
            cards = list(lv.products.values())
            featured = sorted(cards, key=lambda c: (-c.stars, c.slug))[:8]
            return {"products": cards, "featured": featured, "upcoming": upcoming[:3],
                    "upcoming_count": len(upcoming), "facet_groups": facet_groups,
                    "producers": list(lv.producers.values()),
                    "facets": {name: [views.label(lv, name, code) for code in views.used_codes(name)]
                               for name in LISTING_KINDS}}
        if page.kind == "producer_index":
            return {"producers": list(lv.producers.values())}
        if page.kind == "event_index":
            upcoming, past = views.events_split(lang)
            return {"upcoming": upcoming, "past": past}
        if page.kind == "listing":
            assert page.key and page.list_name
            return {"label": views.label(lv, page.list_name, page.key),
                    "list_name": page.list_name,
                    "products": views.listing_products(lang, page.list_name, page.key)}
        return {}

    def _body(self, page: Page, entry: Entry) -> str:
        assert page.lang
        text = entry.texts.get(page.lang) or entry.texts[self.config.source_lang]
        body = text.body

        def resolve(name: str) -> tuple[str, int, int] | None:
            asset = self.views.media.get(entry.rel_dir, name)
            if asset is None:
                return None
            largest = asset.largest
            return self.link(page, largest.out_path), largest.width, largest.height

        images = [(name, a.largest.out_path, a.largest.width, a.largest.height)
                  for name, a in self.views.media.in_folder(entry.rel_dir)] if "](" in body else []
        key = self._fragment_key("markdown", page, body, repr(images))
        html = self._fragment(key)
        if html is None:
            html = self.markdown.render(body, resolve)
            self._remember(key, html)
        return html


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


def render_text(loaded: Any, template_name: str, lang: str, extra: Mapping[str, Any]) -> str:
    """A plain-text template (README and the like) in one language; no HTML escaping."""
    env = make_environment(loaded.theme, loaded.translations[lang],
                           {"config": loaded.config, "all_languages": loaded.languages}, autoescape=False)
    config = loaded.config
    context = {"lang": loaded.languages[lang], "site_title": config.localized(config.title, lang),
               "contact": config.contact,
               "contact_address": config.localized(config.contact.address, lang) if config.contact.address else None}
    context.update(extra)
    return env.get_template(template_name).render(context)
