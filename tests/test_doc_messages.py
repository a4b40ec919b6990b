"""Every message the docs show is one the program prints for the case the docs describe.

The docs are read as they are: each message line in their text blocks (a file, line and
field, a GitHub annotation, the build's last line) and each message quoted in content.md's
section 12 (tables, lists, prose). Each must come out, as written, of one of the cases below,
each run as an editor would: a copy of the example site, one mistake made, `check` (or
`build`) from the command line. A message added to the docs without its case, or a message
the program no longer prints, fails here. `...` in the docs stands for any text."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import REPO
from sitekit import jpeg_bytes

pytestmark = pytest.mark.slow

DOCS = REPO / "docs"
TEA = "content/products/che-xanh-shan-tuyet-ta-leng"
DONG_PAO = "content/products/che-shan-tuyet-dong-pao"
ONLINE = "content/events/tu-van-xuat-khau-truc-tuyen-thi-truong-trung-dong-2027/event.yaml"
OSAKA = "content/events/tuan-le-tra-lai-chau-tai-osaka-2027/event.yaml"

_LOCATED = re.compile(r"^(?:(?:content|locales)/[^:\n]*|site\.yaml)(?::\d+)?: |^::(?:error|warning) file=|^build failed: ")
_MESSAGE_WORDS = re.compile(r"\b(must|unknown|not found|missing|cannot|links to|is not|listed twice|ignored|required|"
                            r"resize|save it|label for|YAML|no site\.yaml|no folder|is a link|at most)\b")


def _located() -> list[tuple[str, str]]:
    """(where in the docs, message) for each message line in a plain text block of any page."""
    found = []
    for doc in sorted(DOCS.glob("*.md")):
        text = doc.read_text(encoding="utf-8")
        for block in re.finditer(r"^ *```([a-z]*)\n(.*?)^ *```", text, re.S | re.M):
            if block.group(1):
                continue  # yaml, markdown, sh...: examples of input, not of output
            first = text[:block.start()].count("\n") + 2
            for offset, line in enumerate(block.group(2).splitlines()):
                line = line.strip()
                path = line.split(": ", 1)[0]
                if _LOCATED.match(line) and "  " not in path:
                    found.append((f"{doc.name}:{first + offset}", line))
    return found


def _quoted() -> list[tuple[str, str]]:
    """(where, fragment) for each message quoted between backticks in content.md section 12."""
    text = (DOCS / "content.md").read_text(encoding="utf-8")
    start = text.index("## 12. ")
    end = text.find("\n## ", start + 1)
    section = text[start:end if end > 0 else len(text)]
    blank = re.sub(r"^```.*?^```", lambda block: "\n" * block.group(0).count("\n"), section, flags=re.S | re.M)
    found = []
    for span in re.finditer(r"`([^`]+)`", blank):
        quoted = " ".join(span.group(1).split())
        if " " in quoted and _MESSAGE_WORDS.search(quoted):
            found.append((f"content.md:{text[:start + span.start()].count(chr(10)) + 1}", quoted))
    return found


def _pattern(message: str, whole_line: bool) -> re.Pattern[str]:
    """`...` is any text; in a .po file's message any number is a number (lines move with every extract)."""
    parts = [re.escape(part) for part in message.split("...")]
    pattern = ".*".join(parts)
    if message.startswith("locales/"):
        pattern = re.sub(r"\d+", r"\\d+", pattern)
    return re.compile(pattern if not whole_line else f"^{pattern}$")


# --- the cases -------------------------------------------------------------------------------


def _line(site: Path, rel: str, number: int, new: str | None, *, insert: bool = False) -> None:
    """Line `number` (from 1) of a file replaced by `new`, or `new` inserted before it, or removed."""
    path = site / rel
    lines = path.read_text(encoding="utf-8").split("\n")
    while len(lines) < number:
        lines.append("")
    if insert:
        lines.insert(number - 1, new or "")
    elif new is None:
        del lines[number - 1]
    else:
        lines[number - 1] = new
    path.write_text("\n".join(lines), encoding="utf-8")


def _has(site: Path, rel: str, number: int, start: str) -> None:
    """The case edits the line the docs talk about: fail loudly if the example moved it."""
    line = (site / rel).read_text(encoding="utf-8").split("\n")[number - 1]
    assert line.startswith(start), f"{rel}:{number} is now {line!r}; update the case and the docs"


def _guide_example(path: str) -> str:
    guide = (DOCS / "editing.md").read_text(encoding="utf-8")
    rest = guide[guide.index(f"<!-- example: {path} -->"):]
    return re.search(r"```[a-z]*\n(.*?)```", rest, re.S).group(1)


def _dong_pao(site: Path, *edits: tuple[int, str]) -> None:
    """The product of docs/editing.md, written as the guide shows it, with its photos."""
    folder = site / DONG_PAO
    folder.mkdir()
    for name in ("product.yaml", "vi.md"):
        (folder / name).write_text(_guide_example(f"{DONG_PAO}/{name}"), encoding="utf-8")
    for photo in ("doi-che-dong-pao.jpg", "goi-che-dong-pao.jpg"):
        (folder / photo).write_bytes(jpeg_bytes((80, 60)))
    for number, new in edits:
        _line(site, f"{DONG_PAO}/product.yaml", number, new)


def _scaffold(site: Path) -> None:
    subprocess.run([sys.executable, str(REPO / "build.py"), "new", "product", DONG_PAO.rsplit("/", 1)[1]],
                   cwd=site, check=True, capture_output=True)


def _po(site: Path, lang: str, change: Callable[[str], str]) -> None:
    shutil.copytree(REPO / "locales", site / "locales", dirs_exist_ok=True)
    path = site / "locales" / lang / "LC_MESSAGES" / "messages.po"
    path.write_text(change(path.read_text(encoding="utf-8")), encoding="utf-8")


def _site_yaml(site: Path, old: str, new: str) -> None:
    text = (site / "site.yaml").read_text(encoding="utf-8")
    assert old in text
    (site / "site.yaml").write_text(text.replace(old, new, 1), encoding="utf-8")


def _sub(site: Path, rel: str, old: str, new: str) -> None:
    text = (site / rel).read_text(encoding="utf-8")
    assert old in text, (rel, old)
    (site / rel).write_text(text.replace(old, new, 1), encoding="utf-8")


@dataclass(frozen=True)
class Case:
    name: str
    make: Callable[[Path], None]
    args: tuple[str, ...] = ("check",)


def _tea_yaml(number: int, start: str, new: str | None, *, insert: bool = False) -> Callable[[Path], None]:
    def make(site: Path) -> None:
        if not insert:
            _has(site, f"{TEA}/product.yaml", number, start)
        _line(site, f"{TEA}/product.yaml", number, new, insert=insert)
    return make


def _both(*makes: Callable[[Path], None]) -> Callable[[Path], None]:
    def make(site: Path) -> None:
        for each in makes:
            each(site)
    return make


def _big_png(site: Path) -> None:
    from PIL import Image
    Image.new("L", (8000, 6000)).save(site / TEA / "che-xanh-shan-tuyet.jpg", format="JPEG")


def _heavy_file(site: Path) -> None:
    path = site / TEA / "goi-che-xanh.jpg"
    path.write_bytes(path.read_bytes() + b"\0" * (26 * 1024 * 1024))


def _symlinked_image(site: Path) -> None:
    outside = site / "elsewhere.jpg"
    outside.write_bytes(jpeg_bytes())
    (site / TEA / "goi-che-xanh.jpg").unlink()
    (site / TEA / "goi-che-xanh.jpg").symlink_to(outside)


def _non_utf8(site: Path) -> None:
    path = site / TEA / "en.md"
    lines = path.read_bytes().split(b"\n")
    lines[1] = "name: Chè xanh".encode("cp1252")
    path.write_bytes(b"\n".join(lines))


CASES = [
    Case("hs code as a number", _tea_yaml(10, "hs_code:", "hs_code: 0902.10")),
    Case("hs code as a number, built", _tea_yaml(10, "hs_code:", "hs_code: 0902.10"), ("build", "--quiet")),
    Case("unknown producer type", lambda site: _sub(site, "content/producers/hop-tac-xa-che-ta-leng/producer.yaml",
                                                    "type: cooperative", "type: coop")),
    Case("annotations for GitHub", _both(lambda site: _dong_pao(site, (6, "district: tam duong"), (9, "hs_code: 0902.10")),
                                         lambda site: _sub(site, "content/products/hong-tra-shan-tuyet-sa-de-phin/product.yaml",
                                                           "valid_until: 2026-12-18", "valid_until: 2025-12-18")),
         ("check", "--format", "github")),
    Case("a product just scaffolded", _scaffold),
    Case("the guide's product with a wrong category", lambda site: _dong_pao(site, (2, "category: drinks"))),
    Case("unknown category", _tea_yaml(2, "category:", "category: drinks")),
    Case("unknown district", _tea_yaml(8, "district:", "district: tam-duonng")),
    Case("duplicate key", _tea_yaml(3, "", "category: food", insert=True)),
    Case("front matter not closed", lambda site: _line(site, f"{TEA}/en.md", 5, None)),
    Case("no front matter", lambda site: _line(site, f"{TEA}/en.md", 1, None)),
    Case("a colon in a value", lambda site: _line(site, f"{TEA}/vi.md", 3, "summary: Chè xanh: hái tay, sao chảo.")),
    Case("a value starting with @", lambda site: _line(site, f"{TEA}/vi.md", 3, "summary: @chè xanh")),
    Case("an event product that does not exist", lambda site: _sub(site, OSAKA, "products: [tra-o-long-tan-uyen",
                                                                   "products: [tra-o-long-tan-uyenn")),
    Case("a tab in the front matter", lambda site: _line(site, f"{TEA}/vi.md", 3, "\tsummary: Chè xanh")),
    Case("a date that does not exist", _tea_yaml(7, "  valid_until:", "  valid_until: 2027-02-30")),
    Case("not UTF-8", _non_utf8),
    Case("bad folder name", lambda site: shutil.copytree(site / TEA, site / "content/products/Chè Xanh Tả Lèng")),
    Case("bad slug inside a file", _tea_yaml(1, "producer:", "producer: HTX-Ta-Leng")),
    Case("image outside the folder", _tea_yaml(9, "images:", "images: [../bach-tra-shan-tuyet-ta-leng/bach-tra.jpg]")),
    Case("body image outside the folder", lambda site: _line(site, f"{TEA}/vi.md", 27, "![Đồi chè](../../doi-che.jpg)")),
    Case("body image not found", lambda site: _line(site, f"{TEA}/vi.md", 27, "![Đồi chè](doi-che.jpg)")),
    Case("image linked from elsewhere", _symlinked_image),
    Case("image not found", lambda site: (site / TEA / "goi-che-xanh.jpg").unlink()),
    Case("not an image format", _tea_yaml(9, "images:", "images: [che-xanh.gif]")),
    Case("truncated image", lambda site: (site / TEA / "goi-che-xanh.jpg").write_bytes(
        (site / TEA / "goi-che-xanh.jpg").read_bytes()[:-1])),
    Case("damaged image", lambda site: (site / TEA / "goi-che-xanh.jpg").write_bytes(b"not an image")),
    Case("image too many pixels", _big_png),
    Case("image file too heavy", _heavy_file),
    Case("image listed twice", _tea_yaml(9, "images:", "images: [che-xanh-shan-tuyet.jpg, che-xanh-shan-tuyet.jpg]")),
    Case("no vi.md", lambda site: (site / TEA / "vi.md").unlink()),
    Case("no product.yaml", lambda site: (site / TEA / "product.yaml").unlink()),
    Case("empty product.yaml", lambda site: (site / TEA / "product.yaml").write_text("", encoding="utf-8")),
    Case("a language the site does not have", lambda site: shutil.copy(site / TEA / "en.md", site / TEA / "fr.md")),
    Case("required fields missing", _both(_tea_yaml(2, "category:", None),
                                          lambda site: _line(site, f"{TEA}/en.md", 2, None))),
    Case("unknown field", _tea_yaml(18, "shelf_life_days:", "shelf_life_day: 540")),
    Case("producer that does not exist", _tea_yaml(1, "producer:", "producer: hop-tac-xa-che-ta-leg")),
    Case("unknown market, certification, unit", _both(
        _tea_yaml(12, "markets:", "markets: [midle-east]"), _tea_yaml(11, "certifications:", "certifications: [iso]"))),
    Case("unknown event kind", lambda site: _line(site, OSAKA, 1, "kind: fair")),
    Case("stars out of range", _tea_yaml(4, "  stars:", "  stars: 6")),
    Case("a year as text", _tea_yaml(5, "  year:", "  year: \"2024\"")),
    Case("a price of zero", _tea_yaml(14, "  - {size", "  - {size: \"100 g\", unit_price: {amount: 0, currency: VND}}")),
    Case("a price with dots", _tea_yaml(14, "  - {size", "  - {size: \"100 g\", unit_price: {amount: \"120.000.000\", currency: VND}}")),
    Case("a price with a comma", _tea_yaml(14, "  - {size", "  - {size: \"100 g\", unit_price: {amount: 120,000, currency: VND}}")),
    Case("a date as text", _tea_yaml(7, "  valid_until:", "  valid_until: 22/10/2027")),
    Case("a list as text", _tea_yaml(12, "markets:", "markets: japan")),
    Case("a group as text", _tea_yaml(17, "moq:", "moq: 200 kg")),
    Case("an address without https", _tea_yaml(20, "  - {name: Shopee", "  - {name: Shopee, url: \"shopee.vn/che-xanh\"}")),
    Case("an e-mail without @", lambda site: _sub(site, "content/producers/hop-tac-xa-che-ta-leng/producer.yaml",
                                                  "@", " at ")),
    Case("unknown currency", _tea_yaml(14, "  - {size", "  - {size: \"100 g\", unit_price: {amount: 5, currency: USDT}}")),
    Case("empty", _tea_yaml(10, "hs_code:", "hs_code: \"\"")),
    Case("listed twice", _tea_yaml(12, "markets:", "markets: [japan, japan]")),
    Case("event time without offset", lambda site: _line(site, OSAKA, 2, "start: 2027-03-04T10:00:00")),
    Case("event ends before it starts", lambda site: _line(site, OSAKA, 3, "end: 2027-03-03T18:00:00+09:00")),
    Case("event time in another form", lambda site: _line(site, OSAKA, 2, "start: 4 March 2027")),
    Case("online event not online", lambda site: _line(site, ONLINE, 4, "location:\n  online: false\n  url: https://example.org/")),
    Case("online event with a city", lambda site: _line(site, ONLINE, 4, "location:\n  online: true\n  city: Hà Nội")),
    Case("rating expired", _tea_yaml(7, "  valid_until:", "  valid_until: 2025-10-22")),
    Case("translation_of in the source", lambda site: _line(site, f"{TEA}/vi.md", 4, "translation_of: \"168b1c61\"\n---")),
    Case("a loose file", lambda site: (site / "content/products/ghi-chu.txt").write_text("ghi chú", encoding="utf-8")),
    Case("a placeholder renamed in a .po", lambda site: _po(site, "vi", lambda po: po.replace(
        "được hiển thị bằng %(source)s", "được hiển thị bằng %(source)s %(ngon_ngu)s", 1))),
    Case("a damaged .po", lambda site: _po(site, "en", lambda po: re.sub(r'\nmsgstr "Company"\n', "\n", po, count=1))),
    Case("no site.yaml", lambda site: (site / "site.yaml").unlink()),
    Case("base_url without https", lambda site: _site_yaml(site, "base_url: https://", "base_url: ")),
    Case("a language name", lambda site: _site_yaml(site, "languages: [vi, en, ar, ja]", "languages: [vi, en, ar, ja, english]")),
    Case("an unknown language", lambda site: _site_yaml(site, "languages: [vi, en, ar, ja]", "languages: [vi, en, ar, ja, xx]")),
    Case("a title in a language the site lacks", lambda site: _site_yaml(site, "  ja: \"ライチャウ省のOCOP産品\"",
                                                                        "  ja: \"ライチャウ省のOCOP産品\"\n  fr: \"Produits\"")),
    Case("a code label in a language the site lacks", lambda site: _site_yaml(
        site, 'ja: "ナムニュン県"}', 'ja: "ナムニュン県", fr: "Nam Nhun"}')),
    Case("a code that is not a slug", lambda site: _site_yaml(site, "    sin-ho:", "    Sin_Ho:")),
    Case("a theme that does not exist", lambda site: _site_yaml(site, "theme: default", "theme: ocop-xanh")),
]


def _run(case: Case, root: Path) -> list[str]:
    site = root / re.sub(r"\W+", "-", case.name)
    site.mkdir()
    shutil.copy(REPO / "site.yaml", site / "site.yaml")
    shutil.copytree(REPO / "content", site / "content", symlinks=True)
    case.make(site)
    done = subprocess.run([sys.executable, str(REPO / "build.py"), *case.args, "--now", "2026-11-29"],
                          cwd=site, capture_output=True, text=True, timeout=300)
    assert "Traceback" not in done.stderr, (case.name, done.stderr)
    return (done.stdout + done.stderr).splitlines()


@pytest.fixture(scope="module")
def printed(tmp_path_factory) -> dict[str, list[str]]:
    root = tmp_path_factory.mktemp("doc-messages")
    with ThreadPoolExecutor(max_workers=4) as pool:
        return dict(zip((case.name for case in CASES), pool.map(lambda case: _run(case, root), CASES)))


def _who_prints(message: str, whole_line: bool, printed: dict[str, list[str]]) -> list[str]:
    pattern = _pattern(message, whole_line)
    return [name for name, lines in printed.items() if any(pattern.search(line) for line in lines)]


@pytest.mark.parametrize(("where", "message"), _located(), ids=lambda value: value[:60])
def test_each_message_line_in_the_docs_is_printed_for_its_case(where: str, message: str,
                                                               printed: dict[str, list[str]]) -> None:
    assert _who_prints(message, True, printed), f"{where}: no case prints\n  {message}"


@pytest.mark.parametrize(("where", "message"), _quoted(), ids=lambda value: value[:60])
def test_each_message_quoted_in_section_12_is_printed_for_its_case(where: str, message: str,
                                                                   printed: dict[str, list[str]]) -> None:
    assert _who_prints(message, False, printed), f"{where}: no case prints\n  {message}"


def test_the_docs_are_read_whole() -> None:
    """The readers above find the docs' messages: a change of layout cannot make them vacuous."""
    assert len(_located()) >= 45 and len(_quoted()) >= 30


def test_every_case_prints_a_message_of_the_docs(printed: dict[str, list[str]]) -> None:
    """No case is dead weight: each produces at least one message that the docs show."""
    shown = [(_pattern(message, True), message) for _, message in _located()] + \
            [(_pattern(message, False), message) for _, message in _quoted()]
    idle = [name for name, lines in printed.items()
            if not any(pattern.search(line) for pattern, _ in shown for line in lines)]
    assert not idle
