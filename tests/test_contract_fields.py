"""What the content contract allows is accepted and shown: free-text units, places, addresses
and organisers written once or per language."""

from __future__ import annotations

import json
from pathlib import Path

from babel.units import format_unit
from conftest import NOW, build_ok, messages, page, text_of
from sitekit import write

from catalogue.build.pipeline import build


def _set_moq(site: Path, unit: str) -> None:
    path = site / "content/products/che-ta-leng/product.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text[:text.index("moq:")] + f"moq: {{quantity: 200, unit: {unit}}}\n" +
                    text[text.index("shelf_life_days"):], encoding="utf-8")


def _moq(out: Path, lang: str) -> str:
    """The minimum order as shown: the fact at the place the English page shows it."""
    terms = [text_of(dt) for dt in page(out, "en/products/che-ta-leng/index.html").cssselect("dl dt")]
    at = terms.index("Minimum order")
    dd = page(out, f"{lang}/products/che-ta-leng/index.html").cssselect("dl dt")[at].getnext()
    return text_of(dd)


def test_any_unit_text_builds_and_known_spellings_are_translated(site: Path, tmp_path: Path) -> None:
    _set_moq(site, "Tonnes")
    out = build_ok(site, tmp_path / "a")
    for lang in ("en", "vi", "ja", "ar"):  # CLDR's own way to write it, in each language
        assert _moq(out, lang) == format_unit(200, "mass-tonne", length="short", locale=lang), lang
    _set_moq(site, "HỘP")
    out = build_ok(site, tmp_path / "c")
    assert (_moq(out, "en"), _moq(out, "vi"), _moq(out, "ja")) == ("200 boxes", "200 hộp", "200 箱")
    _set_moq(site, '"bao 50 kg"')
    result = build(site, tmp_path / "b", NOW, use_cache=False)
    assert result.ok and not result.problems.warnings, messages(result)
    assert _moq(tmp_path / "b", "en") == "200 bao 50 kg"
    assert _moq(tmp_path / "b", "ja") == "200 bao 50 kg"


def _event(out: Path, lang: str, slug: str = "hoi-thao-che") -> tuple[str, dict[str, object]]:
    doc = page(out, f"{lang}/events/{slug}/index.html")
    data = [json.loads(script.text) for script in doc.cssselect('script[type="application/ld+json"]')]
    event = next(d for d in data if d.get("@type") == "Event")
    return text_of(doc.cssselect("main")[0]), event


def test_places_addresses_and_organisers_may_be_written_per_language(site: Path, tmp_path: Path) -> None:
    events = site / "content/events"
    workshop = events / "hoi-thao-che/event.yaml"
    workshop.write_text(workshop.read_text(encoding="utf-8").replace(
        'location: {venue: "Hội trường Sở Công Thương", city: "Lai Châu", country: VN}',
        'location: {venue: {vi: "Hội trường Sở Công Thương", en: "Department of Industry hall"},\n'
        '           city: {vi: "Thành phố Lai Châu", en: "Lai Chau City", ja: "ライチャウ市"}, country: VN}'),
        encoding="utf-8")
    online = events / "tu-van-nhat-ban/event.yaml"
    online.write_text(online.read_text(encoding="utf-8").replace(
        'organizer: "Cục Xúc tiến thương mại"',
        'organizer: {vi: "Cục Xúc tiến thương mại", en: "Vietnam Trade Promotion Agency"}'), encoding="utf-8")
    producer = site / "content/producers/htx-ta-leng/producer.yaml"
    producer.write_text(producer.read_text(encoding="utf-8").replace(
        'address: "Bản Tả Lèng"', 'address: {vi: "Bản Tả Lèng, Tam Đường", en: "Ta Leng village, Tam Duong"}'),
        encoding="utf-8")
    result = build(site, tmp_path / "out", NOW, use_cache=False)
    assert result.ok, messages(result)
    out = tmp_path / "out"
    text, data = _event(out, "en")
    assert "Department of Industry hall" in text and "Lai Chau City" in text and "Vietnam" in text
    assert data["location"] == {"@type": "Place", "name": "Department of Industry hall",
                                "address": {"@type": "PostalAddress", "addressLocality": "Lai Chau City",
                                            "addressCountry": "VN"}}
    text, data = _event(out, "vi")
    assert "Hội trường Sở Công Thương" in text and "Thành phố Lai Châu" in text
    text, _ = _event(out, "ja")  # its own city; the venue from its chain (English)
    assert "ライチャウ市" in text and "Department of Industry hall" in text
    assert "Vietnam Trade Promotion Agency" in _event(out, "en", "tu-van-nhat-ban")[0]
    assert "Cục Xúc tiến thương mại" in _event(out, "vi", "tu-van-nhat-ban")[0]
    assert "Ta Leng village, Tam Duong" in text_of(page(out, "en/producers/htx-ta-leng/index.html"))
    assert "Bản Tả Lèng, Tam Đường" in text_of(page(out, "vi/producers/htx-ta-leng/index.html"))


def test_a_place_map_with_a_bad_language_names_the_field(site: Path, tmp_path: Path) -> None:
    workshop = site / "content/events/hoi-thao-che/event.yaml"
    workshop.write_text(workshop.read_text(encoding="utf-8").replace(
        'city: "Lai Châu"', 'city: {"Lai Châu": x, en: [1]}'), encoding="utf-8")
    result = build(site, tmp_path / "out", NOW, use_cache=False)
    found = messages(result)
    assert not result.ok
    assert any("event.yaml:4" in m and "location.city.Lai Châu" in m and "not a language code" in m for m in found), found
    assert any("location.city.en" in m for m in found), found


def test_a_rating_older_than_three_years_without_valid_until_is_flagged_and_shown_expired(site: Path,
                                                                                       tmp_path: Path) -> None:
    path = site / "content/products/mac-ca/product.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("year: 2024", "year: 2021"), encoding="utf-8")
    result = build(site, tmp_path / "out", NOW, use_cache=False)
    assert result.ok
    assert [p.format() for p in result.problems.warnings] == [
        "content/products/mac-ca/product.yaml:3: warning: ocop.year: the OCOP rating of 2021 has no valid_until, "
        "and ratings last 3 years: it is shown as expired since 2024-12-31; add valid_until, or the year of its "
        "renewal"]
    lapsed = page(tmp_path / "out", "en/products/mac-ca/index.html").cssselect(".rating .lapsed")
    assert [text_of(e) for e in lapsed] == ["expired on December 31, 2024"]
    assert page(tmp_path / "out", "ja/products/mac-ca/index.html").cssselect(".rating .lapsed")
    # a rating within its three years, or with a valid_until still ahead, is shown as current
    assert not page(tmp_path / "out", "en/products/che-ta-leng/index.html").cssselect(".rating .lapsed")
    path.write_text(path.read_text(encoding="utf-8").replace("year: 2021", "year: 2023"), encoding="utf-8")
    result = build(site, tmp_path / "out2", NOW, use_cache=False)
    assert result.ok and not result.problems.warnings
    assert not page(tmp_path / "out2", "en/products/mac-ca/index.html").cssselect(".rating .lapsed")


def test_dates_times_and_places_are_joined_as_each_locale_joins_them(site: Path, tmp_path: Path) -> None:
    from datetime import datetime as _datetime

    from babel import Locale
    from babel.dates import format_date, format_interval, get_datetime_format

    from catalogue.site.formatting import place_separator

    out = build_ok(site, tmp_path / "out")
    start = _datetime.fromisoformat("2022-06-14T08:30:00+07:00")
    end = _datetime.fromisoformat("2022-06-14T16:30:00+07:00")
    places = {"vi": "Việt Nam", "en": "Vietnam", "ar": "فيتنام", "ja": "ベトナム"}
    for lang in ("vi", "en", "ar", "ja"):
        doc = page(out, f"{lang}/events/hoi-thao-che/index.html")
        when = doc.cssselect(f'time[datetime="{start.isoformat()}"]')[0]
        # one day: its date and its hours' interval, joined by the locale's date-time pattern
        skeleton = "hm" if "h" in Locale.parse(lang).time_formats["short"].pattern else "Hm"
        joined = get_datetime_format("full", locale=lang).replace("'", "") \
            .replace("{0}", format_interval(start, end, skeleton, tzinfo=start.tzinfo, locale=lang)) \
            .replace("{1}", format_date(start.date(), "full", locale=lang))
        assert text_of(when).startswith(" ".join(joined.split())), (lang, text_of(when), joined)
        assert ", " not in joined or lang in ("en", "vi")  # (ja joins with a space, ar with "، ")
        card = page(out, f"{lang}/events/index.html")
        shown = [text_of(p) for p in card.cssselect(".event-card .muted bdi")]
        separator = place_separator(Locale.parse(lang))
        assert f"Hội trường Sở Công Thương{separator}Lai Châu{separator}{places[lang]}" in shown, (lang, shown)
