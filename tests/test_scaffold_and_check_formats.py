"""`new` scaffolds entries that `check` accepts once filled in; `check` speaks text, JSON, GitHub."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

from conftest import REPO, build_ok, page, text_of


def cli(site: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(REPO / "build.py"), *args], cwd=site, capture_output=True,
                          text=True, timeout=120)


def fill(path: Path, values: dict[str, str]) -> None:
    text = path.read_text(encoding="utf-8")
    for key, value in values.items():
        text, count = re.subn(rf"^(\s*){re.escape(key)}: FILL_IN", rf"\g<1>{key}: {value}", text, flags=re.M)
        assert count == 1, key
    assert not re.search(r":\s*FILL_IN", text), f"unfilled placeholder left in {path.name}"
    path.write_text(text, encoding="utf-8")


def test_new_product_makes_a_vietnamese_slug_and_passes_check_when_filled(site: Path) -> None:
    done = cli(site, "new", "product", "Chè Shan tuyết Đông Pao")
    assert done.returncode == 0, done.stderr
    folder = site / "content/products/che-shan-tuyet-dong-pao"
    assert sorted(p.name for p in folder.iterdir()) == ["product.yaml", "vi.md"]
    assert "replace every FILL_IN" in done.stdout and "python build.py check" in done.stdout
    record = (folder / "product.yaml").read_text(encoding="utf-8")
    for field in ("producer", "category", "district", "images", "hs_code", "certifications", "markets",
                  "packaging", "moq", "shelf_life_days", "marketplaces", "updated", "valid_until", "certificate"):
        assert re.search(rf"^\s*#?\s*{field}:", record, flags=re.M), field
    assert "halal (Halal)" in record and "tam-duong (Tam Đường)" in record
    checked = cli(site, "check")
    assert checked.returncode == 1
    assert "content/products/che-shan-tuyet-dong-pao/product.yaml:5: producer: still FILL_IN" in checked.stdout
    fill(folder / "product.yaml", {"producer": "htx-ta-leng", "category": "beverage", "stars": "4",
                                   "year": "2024", "district": "sin-ho"})
    fill(folder / "vi.md", {"summary": "Chè cổ thụ Đông Pao."})
    done = cli(site, "check")
    assert done.returncode == 0, done.stdout
    out = build_ok(site)
    doc = page(out, "vi/products/che-shan-tuyet-dong-pao/index.html")
    assert text_of(doc.cssselect("h1")[0]) == "Chè Shan tuyết Đông Pao"


def test_new_event_and_producer_in_another_language(site: Path) -> None:
    assert cli(site, "new", "producer", "Ta Leng Tea House", "--lang", "en").returncode == 0
    folder = site / "content/producers/ta-leng-tea-house"
    assert sorted(p.name for p in folder.iterdir()) == ["en.md", "producer.yaml", "vi.md"]
    fill(folder / "producer.yaml", {"type": "household", "district": "tam-duong"})
    for lang in ("en", "vi"):
        fill(folder / f"{lang}.md", {"summary": "A family tea house."})
    assert cli(site, "new", "event", "Hội chợ OCOP 2027").returncode == 0
    event = site / "content/events/hoi-cho-ocop-2027"
    fill(event / "event.yaml", {"kind": "trade-fair", "start": "2027-04-01T08:00:00+07:00",
                                "location": "{venue: Giảng Võ, city: Hà Nội, country: VN}"})
    fill(event / "vi.md", {"summary": "Hội chợ."})
    done = cli(site, "check")
    assert done.returncode == 0, done.stdout


def test_new_refuses_to_overwrite_and_bad_names(site: Path) -> None:
    done = cli(site, "new", "product", "Mắc ca")
    assert done.returncode == 1 and "content/products/mac-ca already exists" in done.stderr
    done = cli(site, "new", "product", "マカダミア")
    assert done.returncode == 1 and "give one with --slug" in done.stderr
    assert cli(site, "new", "product", "マカダミア", "--slug", "macadamia-jp", "--lang", "ja").returncode == 0
    assert cli(site, "new", "gadget", "x").returncode == 2
    done = cli(site, "new", "product", "X", "--slug", "Bad Name")
    assert done.returncode == 1 and "--slug 'Bad Name' is not a slug" in done.stderr
    long_name = " ".join(["Chè Shan tuyết cổ thụ"] * 20)  # 440 characters: no folder may be named so long
    done = cli(site, "new", "product", long_name)
    assert done.returncode == 0, done.stderr
    [made] = [p for p in (site / "content/products").iterdir() if p.name.startswith("che-shan-tuyet-co-thu-che")]
    assert len(made.name) <= 80 and not made.name.endswith("-") and long_name in (made / "vi.md").read_text("utf-8")
    done = cli(site, "new", "product", "X", "--slug", "a" * 300)
    assert done.returncode == 1 and "--slug is 300 characters; a folder name of at most 80" in done.stderr
    shutil.rmtree(site / "content/events")
    (site / "content/events").write_text("not a folder", encoding="utf-8")
    done = cli(site, "new", "event", "Hội chợ")
    assert done.returncode == 1 and "cannot write content/events/hoi-cho" in done.stderr, done.stderr
    for run in (done,):
        assert "Traceback" not in run.stderr


def broken(site: Path) -> Path:
    data = site / "content/products/che-ta-leng/product.yaml"
    data.write_text(data.read_text(encoding="utf-8").replace('hs_code: "0902.10"', "hs_code: 0902.10")
                    .replace("district: tam-duong", "district: mars"), encoding="utf-8")
    return site


def test_check_github_annotations(site: Path) -> None:
    done = cli(broken(site), "check", "--format", "github")
    assert done.returncode == 1
    lines = done.stdout.splitlines()
    assert lines[0].startswith("::error file=content/products/che-ta-leng/product.yaml,line=4,title=district::"
                               "unknown district 'mars'; known: sin-ho (Sìn Hồ / Sin Ho)")
    assert lines[1] == ('::error file=content/products/che-ta-leng/product.yaml,line=6,title=hs_code::must be '
                        'text, not the number 902.1 (YAML read 0902.10 as the number 902.1, losing characters); '
                        'write it in quotes: hs_code: "0902.10"')


def test_check_json(site: Path) -> None:
    done = cli(broken(site), "check", "--format", "json")
    assert done.returncode == 1
    report = json.loads(done.stdout)
    assert report["ok"] is False and report["errors"] == 2
    assert [(p["path"], p["line"], p["field"]) for p in report["problems"]] == [
        ("content/products/che-ta-leng/product.yaml", 4, "district"),
        ("content/products/che-ta-leng/product.yaml", 6, "hs_code")]
    assert json.loads(cli(site.parent / "site", "check", "--format", "json").stdout)["ok"] is False


def test_ci_example_workflow_runs_the_github_check() -> None:
    import yaml
    workflow = yaml.safe_load((REPO / "docs/ci-example.yml").read_text(encoding="utf-8"))
    steps = [step.get("run", "") for job in workflow["jobs"].values() for step in job["steps"]]
    assert any("check --format github" in run for run in steps)


class FakeTerminal:
    def __init__(self, tty: bool):
        self.tty, self.text = tty, ""

    def isatty(self) -> bool:
        return self.tty

    def write(self, text: str) -> None:
        self.text += text

    def flush(self) -> None:
        pass


def test_progress_bar_only_on_a_terminal() -> None:
    from catalogue.commands.cli import ProgressBar
    terminal, pipe = FakeTerminal(True), FakeTerminal(False)
    for done in range(1, 201):
        ProgressBar.__call__(bar := ProgressBar(terminal, True), done, 200) if done == 1 else bar(done, 200)
        ProgressBar(pipe, True)(done, 200)
    assert "[###############...............] 100/200 pages" in terminal.text
    assert terminal.text.endswith("\r")
    assert pipe.text == ""
    quiet = FakeTerminal(True)
    ProgressBar(quiet, False)(1, 2)
    assert quiet.text == ""


def test_build_prints_a_summary_line(site: Path) -> None:
    done = cli(site, "build", "--now", "2026-11-29")
    assert done.returncode == 0
    assert re.fullmatch(r"built \d+ pages in 4 languages, 2 images \(2 resized\), 0 warning\(s\), "
                        r"\d+\.\d s -> public\n", done.stdout), done.stdout
    assert cli(site, "build", "--quiet", "--now", "2026-11-29").stdout == ""


def test_build_timings_name_every_stage_with_its_seconds(site: Path) -> None:
    """--timings: one line on stderr, each stage that ran with its seconds, in the order they
    ran; stdout keeps its one summary line. A build with nothing to do says so."""
    done = cli(site, "build", "--timings", "--now", "2026-11-29")
    assert done.returncode == 0
    assert done.stdout.startswith("built "), done.stdout
    lines = [line for line in done.stderr.splitlines() if line.startswith("time per stage: ")]
    assert len(lines) == 1, done.stderr
    found = re.fullmatch(r"time per stage: (.*) \(build (\d+\.\d\d) s\)", lines[0])
    assert found, lines[0]
    stages = [re.fullmatch(r"([a-z]+) (\d+\.\d\d) s", part) for part in found[1].split(", ")]
    assert all(stages), found[1]
    names = [stage[1] for stage in stages]
    assert names == ["scan", "load", "plan", "render", "publish", "keep"], names
    assert sum(float(stage[2]) for stage in stages) <= float(found[2]) + 0.01 * len(stages)
    again = cli(site, "build", "--timings", "--quiet", "--now", "2026-11-29")
    assert again.stdout == ""
    assert re.search(r"^time per stage: scan \d+\.\d\d s", again.stderr, re.M), again.stderr
    assert "time per stage" not in cli(site, "build", "--now", "2026-11-29").stderr
