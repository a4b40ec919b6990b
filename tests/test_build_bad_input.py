"""Each kind of bad input: the build fails, names file, line and field, and says what to do."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import NOW, REPO, build_fails, build_ok, messages

from catalogue.build.pipeline import build

PRODUCT = "content/products/che-ta-leng"


def edit(site: Path, rel: str, old: str, new: str) -> None:
    path = site / rel
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {rel}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def only(result_messages: list[str], needle: str) -> str:
    found = [m for m in result_messages if needle in m]
    assert len(found) == 1, f"expected one message with {needle!r} in {result_messages}"
    return found[0]


def test_hs_code_written_as_a_number_is_explained(site: Path) -> None:
    edit(site, f"{PRODUCT}/product.yaml", 'hs_code: "0902.10"', "hs_code: 0902.10")
    msg = only(messages(build_fails(site)), "hs_code")
    assert msg == (f"{PRODUCT}/product.yaml:6: hs_code: must be text, not the number 902.1 (YAML read "
                   '0902.10 as the number 902.1, losing characters); write it in quotes: hs_code: "0902.10"')


def test_unknown_code_lists_the_known_ones_with_labels(site: Path) -> None:
    edit(site, f"{PRODUCT}/product.yaml", "category: beverage", "category: beverages")
    msg = only(messages(build_fails(site)), "category")
    assert msg.startswith(f"{PRODUCT}/product.yaml:2: category: unknown category 'beverages'; known: ")
    assert "beverage (Đồ uống / Beverages)" in msg and "food (Thực phẩm / Food)" in msg


def test_unknown_district_says_where_to_declare_it(site: Path) -> None:
    edit(site, f"{PRODUCT}/product.yaml", "district: tam-duong", "district: muong-te")
    msg = only(messages(build_fails(site)), "district")
    assert "known: sin-ho (Sìn Hồ / Sin Ho), tam-duong (Tam Đường / Tam Duong)" in msg
    assert "Declare it in site.yaml under codes: districts:" in msg


def test_duplicate_yaml_key(site: Path) -> None:
    edit(site, f"{PRODUCT}/product.yaml", "category: beverage\n", "category: beverage\ncategory: food\n")
    msg = only(messages(build_fails(site)), "duplicate")
    assert msg == f"{PRODUCT}/product.yaml:3: category: duplicate key (first given at line 2); keep only one"


def test_unclosed_front_matter(site: Path) -> None:
    (site / f"{PRODUCT}/en.md").write_text("---\nname: Tea\nsummary: Good.\nBody without a fence\n",
                                           encoding="utf-8")
    msg = only(messages(build_fails(site)), "en.md")
    assert msg == f"{PRODUCT}/en.md:1: front matter is not closed: add a line '---' after the last field"


def test_missing_front_matter(site: Path) -> None:
    (site / f"{PRODUCT}/en.md").write_text("Just a body\n", encoding="utf-8")
    msg = only(messages(build_fails(site)), "en.md")
    assert msg.startswith(f"{PRODUCT}/en.md:1: missing front matter")


def test_non_utf8_file_names_the_line(site: Path) -> None:
    (site / f"{PRODUCT}/en.md").write_bytes(b"---\nname: Tea\nsummary: Caf\xe9 style\n---\nBody\n")
    msg = only(messages(build_fails(site)), "en.md")
    assert msg == f"{PRODUCT}/en.md:3: file is not valid UTF-8 (byte 0xE9); save it as UTF-8"


def test_folder_name_breaking_the_slug_rule(site: Path) -> None:
    os.rename(site / PRODUCT, site / "content/products/Chè_Tả-Lèng")
    msg = only(messages(build_fails(site)), "Chè_Tả-Lèng")
    assert msg == ("content/products/Chè_Tả-Lèng: folder name 'Chè_Tả-Lèng' is not a slug: use lowercase "
                   "letters a-z, digits and single hyphens (e.g. 'che-ta-leng')")


def test_slug_reference_breaking_the_rule(site: Path) -> None:
    edit(site, f"{PRODUCT}/product.yaml", "producer: htx-ta-leng", "producer: HTX--Ta-Leng")
    msg = only(messages(build_fails(site)), "producer")
    assert msg.startswith(f"{PRODUCT}/product.yaml:1: producer: 'HTX--Ta-Leng' is not a slug")


def test_image_path_outside_the_entry_folder(site: Path) -> None:
    edit(site, f"{PRODUCT}/product.yaml", "images: [cover.jpg, pack.png]",
         "images: [../mac-ca/cover.jpg, /etc/passwd.jpg]")
    found = [m for m in messages(build_fails(site)) if "images[" in m]
    assert found == [
        f"{PRODUCT}/product.yaml:5: images[0]: '../mac-ca/cover.jpg' must be a file name in this folder, "
        "with no folders in it",
        f"{PRODUCT}/product.yaml:5: images[1]: '/etc/passwd.jpg' must be a file name in this folder, "
        "with no folders in it",
    ]


def test_image_symlink_escaping_the_folder(site: Path, tmp_path: Path) -> None:
    outside = tmp_path / "secret.jpg"
    outside.write_bytes((site / f"{PRODUCT}/cover.jpg").read_bytes())
    (site / f"{PRODUCT}/cover.jpg").unlink()
    (site / f"{PRODUCT}/cover.jpg").symlink_to(outside)
    msg = only(messages(build_fails(site)), "images[0]")
    assert msg == (f"{PRODUCT}/product.yaml:5: images[0]: 'cover.jpg' is a link to a file outside its folder "
                   f"({outside}); put the file itself here instead of a link")


def test_body_image_outside_the_folder(site: Path) -> None:
    (site / f"{PRODUCT}/en.md").write_text("---\nname: Tea\nsummary: Good.\n---\nIntro\n\n![x](../../x.jpg)\n",
                                           encoding="utf-8")
    msg = only(messages(build_fails(site)), "en.md")
    assert msg == (f"{PRODUCT}/en.md:7: image '../../x.jpg' must be a file in this entry's folder "
                   "(no folders, no '..')")


def test_body_image_missing_while_the_record_is_broken_too(site: Path) -> None:
    """Every problem of a run at once: the body's missing image is named even though the
    product's own record fails."""
    (site / f"{PRODUCT}/en.md").write_text("---\nname: Tea\nsummary: Good.\n---\nIntro\n\n"
                                           "`![code](nope.png)`\n\n![x](gone.png)\n", encoding="utf-8")
    (site / f"{PRODUCT}/product.yaml").write_text("category: [not, a, code]\n", encoding="utf-8")
    found = messages(build_fails(site))
    assert only(found, "en.md") == f"{PRODUCT}/en.md:9: image 'gone.png' not found in {PRODUCT}/; images here: cover.jpg, pack.png"
    assert any(message.startswith(f"{PRODUCT}/product.yaml:1: category") for message in found)


def test_missing_image_file(site: Path) -> None:
    (site / f"{PRODUCT}/pack.png").unlink()
    msg = only(messages(build_fails(site)), "images[1]")
    assert msg == f"{PRODUCT}/product.yaml:5: images[1]: 'pack.png' not found in this folder; images here: cover.jpg"


def test_corrupt_image(site: Path) -> None:
    (site / f"{PRODUCT}/cover.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    found = messages(build_fails(site))
    assert any(m.startswith(f"{PRODUCT}/cover.jpg: cannot read image") for m in found), found


def test_missing_required_and_unknown_fields(site: Path) -> None:
    edit(site, f"{PRODUCT}/product.yaml", "category: beverage\n", "catgory: beverage\n")
    found = messages(build_fails(site))
    assert f"{PRODUCT}/product.yaml:2: catgory: unknown field (did you mean 'category'?); known: " in \
        only(found, "catgory")
    assert only(found, "category: required") == \
        f"{PRODUCT}/product.yaml:1: category: required field is missing (OCOP product group)"


def test_a_date_that_does_not_exist_is_named_with_its_line_and_the_rest_still_checked(site: Path) -> None:
    """Unquoted, 2025-02-30 and +29:00 look like a date and a time to YAML and fail as it makes
    them: the whole file went unread, its other mistakes unsaid, with no line and no field."""
    path = site / PRODUCT / "product.yaml"
    path.write_text("".join(line for line in path.read_text(encoding="utf-8").splitlines(keepends=True)
                            if not line.startswith("updated:")), encoding="utf-8")
    edit(site, f"{PRODUCT}/product.yaml", "category: beverage\n", "category: beverage\nupdated: 2025-02-30\nbogus: 1\n")
    edit(site, "content/events/hoi-thao-che/event.yaml", "start: 2022-06-14T08:30:00+07:00",
         "start: 2022-06-14T08:30:00+29:00")
    found = messages(build_fails(site))
    assert only(found, "updated:") == (f"{PRODUCT}/product.yaml:3: updated: 2025-02-30 is not a day of the calendar "
                                       "(day is out of range for month); write a date that exists, e.g. 2027-06-30")
    assert only(found, "bogus").startswith(f"{PRODUCT}/product.yaml:4: bogus: unknown field")
    assert only(found, "hoi-thao-che/event.yaml").startswith(
        "content/events/hoi-thao-che/event.yaml:2: start: must be a date (2027-03-15) or a date and time with offset")
    assert not any("YAML value error" in m for m in found), found


def test_custom_x_fields_are_allowed(site: Path) -> None:
    edit(site, f"{PRODUCT}/product.yaml", "category: beverage\n", "category: beverage\nx_internal_id: 42\n")
    build_ok(site)


def test_language_file_for_an_unlisted_language(site: Path) -> None:
    (site / f"{PRODUCT}/fr.md").write_text("---\nname: Thé\nsummary: Bon.\n---\n", encoding="utf-8")
    msg = only(messages(build_fails(site)), "fr.md")
    assert msg == (f"{PRODUCT}/fr.md: language 'fr' is not in site.yaml languages ['vi', 'en', 'ar', 'ja']: "
                   "rename the file or add the language")


def test_missing_source_language_file(site: Path) -> None:
    (site / f"{PRODUCT}/vi.md").unlink()
    msg = only(messages(build_fails(site)), "vi.md")
    assert msg == f"{PRODUCT}/vi.md: missing: the source-language text (vi.md) is required"


def test_missing_name_in_a_language_file(site: Path) -> None:
    (site / f"{PRODUCT}/en.md").write_text("---\nsummary: Good.\n---\nBody\n", encoding="utf-8")
    msg = only(messages(build_fails(site)), "en.md")
    assert msg == f"{PRODUCT}/en.md:1: name: required field is missing (the entry's name in this language)"


def test_dangling_references(site: Path) -> None:
    edit(site, f"{PRODUCT}/product.yaml", "producer: htx-ta-leng", "producer: htx-ta-lenh")
    edit(site, "content/events/hoi-thao-che/event.yaml", "products: [che-ta-leng]", "products: [che-ta-lemg]")
    found = messages(build_fails(site))
    assert f"{PRODUCT}/product.yaml:1: producer: no folder content/producers/htx-ta-lenh; did you mean " \
           "'htx-ta-leng'? Or create it with: python build.py new producer \"NAME\" --slug htx-ta-lenh" in found
    assert "content/events/hoi-thao-che/event.yaml:6: products[0]: no folder content/products/che-ta-lemg; " \
           "did you mean 'che-ta-leng'? Or create it with: python build.py new product \"NAME\" --slug che-ta-lemg" \
           in found


def test_a_producer_not_made_yet_is_met_with_the_command_that_makes_it(site: Path) -> None:
    edit(site, f"{PRODUCT}/product.yaml", "producer: htx-ta-leng", "producer: cong-ty-moi")
    [message] = [m for m in messages(build_fails(site)) if "cong-ty-moi" in m]
    assert message == f"{PRODUCT}/product.yaml:1: producer: no folder content/producers/cong-ty-moi; Create it " \
                      'with: python build.py new producer "NAME" --slug cong-ty-moi'
    # the command as printed, with a name: run where the site is, by the program the site is built with
    made = run_cli("new", "producer", "Công ty Mới", "--slug", "cong-ty-moi", cwd=site)
    assert made.returncode == 0, made.stderr
    assert not [m for m in messages(build(site, site / "public", NOW)) if "cong-ty-moi" in m and "no folder" in m]


def test_event_end_before_start_and_missing_offset(site: Path) -> None:
    edit(site, "content/events/hoi-thao-che/event.yaml", "end: 2022-06-14T16:30:00+07:00",
         "end: 2022-06-13T16:30:00+07:00")
    edit(site, "content/events/tu-van-nhat-ban/event.yaml", "start: 2027-03-10", "start: 2027-03-10T09:00:00")
    found = messages(build_fails(site))
    assert "content/events/hoi-thao-che/event.yaml:3: end: is before start; check the date and the UTC offset" \
        in found
    assert ("content/events/tu-van-nhat-ban/event.yaml:2: start: needs its UTC offset, e.g. "
            "2027-03-15T08:30:00+07:00 (+07:00 is Vietnam time)") in found


def test_yaml_syntax_error_names_the_line(site: Path) -> None:
    edit(site, f"{PRODUCT}/product.yaml", "category: beverage", "category: [beverage")
    msg = only(messages(build_fails(site)), "YAML")
    assert msg == f"{PRODUCT}/product.yaml:2: YAML syntax error: the list opened by '[' here is not closed with ']'"  # category is on line 2


def test_bad_site_yaml_fields(site: Path) -> None:
    edit(site, "site.yaml", "base_url: https://example.org/cat/", "base_url: example.org")
    edit(site, "site.yaml", "languages: [vi, en, ar, ja]", "languages: [vi, en, ar, ja, xx-1]")
    found = messages(build_fails(site))
    assert "site.yaml:3: base_url: must be a full web address starting with https:// or http://, " \
           "not 'example.org'" in found
    assert "site.yaml:4: languages[4]: 'xx-1' is not a language code such as vi, en, ar, ja, zh-Hant" in found


def test_every_problem_of_a_run_is_reported_together(site: Path) -> None:
    edit(site, f"{PRODUCT}/product.yaml", 'hs_code: "0902.10"', "hs_code: 0902.10")
    edit(site, "content/producers/htx-ta-leng/producer.yaml", "type: cooperative", "type: coop")
    (site / "content/events/hoi-thao-che/en.md").write_bytes(b"---\nname: \xff\n---\n")
    files = {m.split(":")[0] for m in messages(build_fails(site))}
    assert files == {f"{PRODUCT}/product.yaml", "content/producers/htx-ta-leng/producer.yaml",
                     "content/events/hoi-thao-che/en.md"}


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(REPO / "build.py"), *args], cwd=cwd, capture_output=True,
                          text=True, timeout=120)


def test_check_command_lists_problems_and_exits_1(site: Path) -> None:
    edit(site, f"{PRODUCT}/product.yaml", 'hs_code: "0902.10"', "hs_code: 0902.10")
    edit(site, "content/producers/htx-ta-leng/producer.yaml", "type: cooperative", "type: coop")
    done = run_cli("check", cwd=site)
    assert done.returncode == 1
    lines = done.stdout.splitlines()
    assert lines[0].startswith("content/producers/htx-ta-leng/producer.yaml:1: type: unknown producer type")
    assert lines[1].startswith(f"{PRODUCT}/product.yaml:6: hs_code: must be text")
    assert lines[-1] == "check: 2 error(s), 0 warning(s)"


def test_usage_errors_exit_2(site: Path) -> None:
    assert run_cli("frobnicate", cwd=site).returncode == 2
    assert run_cli("build", "--now", "yesterday", cwd=site).returncode == 2


@pytest.mark.parametrize("command", [["check"], ["build", "--out", "../out"]])
def test_clean_site_exits_0(site: Path, command: list[str]) -> None:
    done = run_cli(*command, cwd=site)
    assert done.returncode == 0, done.stdout + done.stderr


def test_thousands_separator_in_a_currency_without_decimals(site: Path) -> None:
    edit(site, f"{PRODUCT}/product.yaml", "amount: 85000", "amount: 85.000")
    msg = only(messages(build_fails(site)), "amount")
    assert msg == (f"{PRODUCT}/product.yaml:10: packaging[0].unit_price.amount: VND has no decimals, so 85.000 "
                   "is read as 85; write the whole amount without separators, e.g. 85000")


def test_tab_indentation_is_explained(site: Path) -> None:
    edit(site, f"{PRODUCT}/product.yaml", "district: tam-duong", "district:\n\ttam-duong")
    msg = only(messages(build_fails(site)), "YAML")
    assert "indent with spaces, not tabs" in msg


def test_organizer_that_looks_like_a_misspelt_producer_slug_warns(site: Path) -> None:
    edit(site, "content/events/hoi-thao-che/event.yaml", "organizer: htx-ta-leng", "organizer: htx-ta-lenh")
    from conftest import NOW

    from catalogue.build.pipeline import build
    result = build(site, site / "public", NOW)
    assert result.ok
    assert [p.format() for p in result.problems.warnings] == [
        "content/events/hoi-thao-che/event.yaml:7: warning: organizer: 'htx-ta-lenh' looks like a producer slug, "
        "but there is no folder content/producers/htx-ta-lenh; fix the slug or write the organiser's name"]


def test_producer_district_without_products_builds(site: Path) -> None:
    edit(site, "content/producers/htx-ta-leng/producer.yaml", "district: tam-duong", "district: sin-ho")
    edit(site, "content/products/mac-ca/product.yaml", "district: sin-ho", "district: tam-duong")
    build_ok(site)


def test_check_on_the_example_site_exits_0() -> None:
    from conftest import LAPSED_IN_EXAMPLE

    done = run_cli("check", "--now", "2026-11-29", cwd=REPO)
    assert done.returncode == 0, done.stdout
    lines = done.stdout.strip().splitlines()
    assert lines[-1] == f"check: OK, {len(LAPSED_IN_EXAMPLE)} warning(s)"
    # the only warnings: the example's ratings granted in 2019-2022 and never renewed in its records
    assert sorted(line.split(":")[0] for line in lines[:-1]) == [path for path, _ in LAPSED_IN_EXAMPLE]
    assert all("warning: ocop.year: the OCOP rating of 20" in line for line in lines[:-1])


@pytest.mark.parametrize("command", [("i18n", "status"), ("check",), ("i18n", "status", "--format", "json")])
def test_output_into_a_reader_that_stopped_ends_quietly(command: tuple[str, ...]) -> None:
    """`catalogue i18n status | head -1`: the reader is gone before the program writes."""
    process = subprocess.Popen([sys.executable, str(REPO / "build.py"), *command, "--now", "2026-11-29"], cwd=REPO,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()  # as `head` does once it has its lines
    with process.stderr:
        stderr = process.stderr.read().decode()
    process.wait(timeout=120)
    assert "Traceback" not in stderr and "BrokenPipe" not in stderr, stderr
    assert process.returncode == 0
