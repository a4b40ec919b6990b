"""`make bench`: our build against Hugo's, on the same synthetic content, on this machine.

For N products (default 10,000) in vi, en, ar, ja it measures, as medians of several runs:
cold build, warm rebuild with nothing changed, rebuild after editing one product's body, one
producer's name, one template; with peak memory of the whole process tree (RSS, and PSS, which
counts memory that forked workers share with their parent once). Hugo builds
the same content (a minimal multilingual layout in bench/hugo/) in the same run; every figure
is also given as a ratio to Hugo's time for the same step (Hugo re-renders everything each time).
A smaller N checks that cost grows linearly. Last, the preview server: the time from saving
one product's body to the reload signal its browsers receive.

Nothing is deleted while the bench measures: old outputs, caches and sites are moved into
WORK/trash, which is emptied at the start and the end. On some file systems (ext4 without a
journal, for one) making files in the half-minute after tens of thousands were
deleted is far slower, as each new file's place is searched past the recently freed ones:
deleting both outputs before a cold run charged the tool that ran first (ours) several
seconds that the other, a minute later, did not pay. Each timed run starts after `sync`, so
neither tool pays for writing out the other's files either.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

from generate import generate  # noqa: E402
from hugo_site import convert  # noqa: E402
from serve_latency import serve_latency  # noqa: E402
from weights import report as weights_report  # noqa: E402

NOW = "2026-11-29"


def tree_pids(pid: int) -> list[int]:
    """The process and its descendants. Only each process's main thread is asked for its
    children (our workers are started from the main thread; Hugo starts none): asking every
    thread of a many-threaded process at each sample costs the machine a core."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        try:
            with open(f"/proc/{current}/task/{current}/children") as handle:
                todo.extend(int(c) for c in handle.read().split())
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
    return found


def tree_memory(pid: int, proportional: bool) -> int:
    """Resident memory of a process and all its descendants, in bytes: RSS, or PSS.

    RSS counts pages that forked workers share with their parent once per process; PSS
    divides each shared page among the processes sharing it, so it adds up to what the
    tree really holds. PSS is dearer to read (the kernel walks every mapping)."""
    total = 0
    source, field = ("smaps_rollup", "Pss:") if proportional else ("status", "VmRSS:")
    for current in tree_pids(pid):
        try:
            with open(f"/proc/{current}/{source}") as handle:
                for line in handle:
                    if line.startswith(field):
                        total += int(line.split()[1]) * 1024
                        break
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
    return total


class Trash:
    """Where the bench sets aside what it would delete; emptied only when nothing is timed."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.count = 0

    def put(self, path: Path) -> None:
        if path.exists():
            self.folder.mkdir(parents=True, exist_ok=True)
            self.count += 1
            path.rename(self.folder / f"{self.count}-{path.name}")

    def empty(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


def measure(command: list[str], cwd: Path) -> tuple[float, int, int]:
    """Wall time and peak tree RSS and PSS of one command."""
    os.sync()  # the files of the run before are on disk: this run does not pay for them
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak_rss = peak_pss = 0
    done = threading.Event()

    def sample() -> None:  # RSS 20 times a second; PSS, dearer to read, twice
        nonlocal peak_rss, peak_pss
        ticks = 0
        while not done.is_set():
            peak_rss = max(peak_rss, tree_memory(process.pid, proportional=False))
            if ticks % 10 == 0:
                peak_pss = max(peak_pss, tree_memory(process.pid, proportional=True))
            ticks += 1
            time.sleep(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, stderr = process.communicate()
    elapsed = time.perf_counter() - started
    done.set()
    sampler.join()
    if process.returncode != 0:
        raise SystemExit(f"failed: {' '.join(command)}\n{stderr.decode()[-2000:]}")
    return elapsed, peak_rss, peak_pss


class Bench:
    def __init__(self, work: Path, products: int, hugo: str, runs: int, trash: Trash):
        self.trash = trash
        trash.put(work / f"site-{products}")
        trash.put(work / f"hugo-{products}")
        self.site = generate(work / f"site-{products}", products)
        (self.site / "templates").mkdir(exist_ok=True)
        shutil.copy(REPO / "themes/default/templates/product.html", self.site / "templates/product.html")
        self.photo = self.site / "content/products/product-00042/cover.jpg"  # one product with a photo
        write_photo(self.photo, (120, 90, 40))
        with open(self.photo.parent / "product.yaml", "a", encoding="utf-8") as handle:
            handle.write("images: [cover.jpg]\n")
        self.out = work / f"out-{products}"
        self.hugo_site = convert(self.site, work / f"hugo-{products}")
        self.hugo_photo = self.hugo_site / "content/products/product-00042/cover.jpg"
        shutil.copy(self.photo, self.hugo_photo)  # a page resource Hugo publishes
        self.hugo_out = work / f"hugo-out-{products}"
        self.hugo = hugo
        self.runs = runs
        self.products = products
        self.edits = 0

    def ours(self) -> list[str]:
        return [sys.executable, str(REPO / "build.py"), "build", "--site", str(self.site), "--out", str(self.out),
                "--now", NOW, "--quiet"]

    def theirs(self) -> list[str]:
        return [self.hugo, "--quiet", "--source", str(self.hugo_site), "--destination", str(self.hugo_out)]

    def clean(self) -> None:
        for path in (self.out, self.site / ".cache", self.hugo_out, self.hugo_site / "resources"):
            self.trash.put(path)

    def step(self, name: str, prepare, hugo_prepare, cold: bool = False) -> dict[str, float]:
        ours, theirs, ours_rss, theirs_rss, ours_pss, theirs_pss = [], [], [], [], [], []
        for _ in range(self.runs):
            if cold:
                self.clean()
            prepare()
            t, rss, pss = measure(self.ours(), REPO)
            ours.append(t), ours_rss.append(rss), ours_pss.append(pss)
            hugo_prepare()
            t, rss, pss = measure(self.theirs(), REPO)
            theirs.append(t), theirs_rss.append(rss), theirs_pss.append(pss)
            if not cold:
                self.restore()
        return {"ours": statistics.median(ours), "hugo": statistics.median(theirs),
                "ours_rss": max(ours_rss), "hugo_rss": max(theirs_rss),
                "ours_pss": max(ours_pss), "hugo_pss": max(theirs_pss)}

    # edits: each one is undone after its run; "{n}" in the new text is the edit's number, so
    # that no run makes what an earlier one made (a cached page of an identical edit would be
    # measured, not an edit)
    def edit(self, rel: str, old: str, new: str, hugo_rel: str | None = None, hugo_old: str = "",
             hugo_new: str = "") -> tuple:
        path = self.site / rel
        original = path.read_text(encoding="utf-8")
        hugo_path = self.hugo_site / hugo_rel if hugo_rel else None
        hugo_original = hugo_path.read_text(encoding="utf-8") if hugo_path else ""
        self._undo = [(path, original)] + ([(hugo_path, hugo_original)] if hugo_path else [])

        def prepare() -> None:
            self.edits += 1
            made = new.replace("{n}", str(self.edits))
            path.write_text(original.replace(old, made, 1) if old else original + made, encoding="utf-8")

        def hugo_prepare() -> None:
            if hugo_path:
                made = hugo_new.replace("{n}", str(self.edits))
                hugo_path.write_text(hugo_original.replace(hugo_old, made, 1) if hugo_old
                                     else hugo_original + made, encoding="utf-8")
        return prepare, hugo_prepare

    def replace_photo(self) -> tuple:
        """The photo replaced by another under the same name (undone after each run)."""
        original, hugo_original = self.photo.read_bytes(), self.hugo_photo.read_bytes()
        self._undo_bytes = [(self.photo, original), (self.hugo_photo, hugo_original)]
        self._undo = []

        def prepare() -> None:  # another photo each run (see edit)
            self.edits += 1
            write_photo(self.photo, self._colour())

        return prepare, (lambda: write_photo(self.hugo_photo, self._colour()))

    def _colour(self) -> tuple[int, int, int]:
        return (30, 110, 160 + self.edits % 90)

    def build_back(self) -> None:
        """Our output back to the unedited state (untimed). What it says is shown only where it
        fails, as for the timed builds: thousands of warnings of the generated site otherwise."""
        done = subprocess.run(self.ours(), cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        if done.returncode != 0:
            raise SystemExit(f"failed: {' '.join(self.ours())}\n{done.stderr.decode()[-2000:]}")

    def restore(self) -> None:
        for path, data in getattr(self, "_undo_bytes", []):
            path.write_bytes(data)
        if getattr(self, "_undo_bytes", None):
            self._undo_bytes = []
            self.build_back()
        for path, text in getattr(self, "_undo", []):
            path.write_text(text, encoding="utf-8")
        if getattr(self, "_undo", None):  # bring our output back to the unedited state
            self.build_back()


def write_photo(path: Path, colour: tuple[int, int, int]) -> None:
    """A 1600x1200 JPEG of one colour with a gradient, as a phone photo is in size."""
    from PIL import Image

    image = Image.new("RGB", (1600, 1200), colour)
    image.putdata([(colour[0], (colour[1] + x // 8) % 256, (colour[2] + y // 6) % 256)
                   for y in range(1200) for x in range(1600)])
    image.save(path, "JPEG", quality=85)


def keystroke_report(out: Path) -> str:
    """One keystroke of the product list's search over the whole index, in Chromium."""
    try:
        from search_keystroke import keystrokes, report
        found = keystrokes(out)
    except ImportError:
        return "search keystroke: not measured (needs the test tools: make test installs them)"
    return report(*found).replace("search keystroke:", "search keystroke at this size:", 1)


def compile_package() -> None:
    """Our modules' bytecode written beside them, as an installed package has it (pip compiles
    at install; an editable install writes it at the first import, unless the environment says
    PYTHONDONTWRITEBYTECODE, as some CI machines do): a timed build must not compile Python."""
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(REPO / "catalogue"), str(REPO / "build.py")],
                   check=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--products", type=int, default=10_000)
    parser.add_argument("--small", type=int, default=1_000, help="second size, for the linearity check")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--work", type=Path, default=HERE / "work")
    parser.add_argument("--no-serve", action="store_true", help="skip the preview server's reload time")
    parser.add_argument("--hugo", default=shutil.which("hugo") or str(HERE / ".venv/bin/hugo"))
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    trash = Trash(args.work / "trash")
    trash.empty()  # left by a run that was killed
    compile_package()
    try:
        run(args, trash)
    finally:
        trash.empty()
    return 0


def run(args: argparse.Namespace, trash: Trash) -> None:
    print(f"machine: {os.cpu_count()} cores; Python {sys.version.split()[0]}; "
          f"{subprocess.run([args.hugo, 'version'], capture_output=True, text=True).stdout.strip().splitlines()[-1][:60]}")
    rows = []
    cold_small = None
    for products in sorted({args.small, args.products}):
        bench = Bench(args.work, products, args.hugo, args.runs, trash)
        noop = (lambda: None)
        cold = bench.step("cold", noop, noop, cold=True)
        if products == args.small and products != args.products:
            cold_small = cold
            continue
        rows.append(("cold full build", cold))
        page_weights = weights_report(bench.out)
        keystroke = keystroke_report(bench.out)
        bench._undo = []
        rows.append(("warm, nothing changed", bench.step("warm", noop, noop)))
        rows.append(("one product's body edited", bench.step("body", *bench.edit(
            "content/products/product-00042/vi.md", "\n## ", "\nMột câu mới {n}.\n\n## ",
            "content/products/product-00042/index.vi.md", "\n## ", "\nMột câu mới {n}.\n\n## "))))
        rows.append(("one producer's name edited", bench.step("producer", *bench.edit(
            "content/producers/producer-00007/en.md", "name: \"Producer 7 en\"", "name: \"Producer Seven {n} en\"",
            "content/producers/producer-00007/index.en.md", "title: Producer 7 en", "title: Producer Seven {n} en"))))
        rows.append(("a template edited", bench.step("template", *bench.edit(
            "templates/product.html", "<h1", "<h1 data-bench=\"{n}\"",
            "layouts/_default/single.html", "<h1>", "<h1 data-bench=\"{n}\">"))))
        rows.append(("a photo replaced", bench.step("photo", *bench.replace_photo())))
        if cold_small:
            rows.append((f"cold at {args.small} products", cold_small))
        if not args.no_serve:
            reloads = serve_latency(bench.site, args.work / f"preview-{products}",
                                    "content/products/product-00042/vi.md", "\n## ", "\nMột câu mới {n}.\n\n## ",
                                    runs=max(args.runs, 5))
    hugo_cold = rows[0][1]["hugo"]
    print(f"\nN = {args.products} products x 4 languages; medians of {args.runs} runs; seconds (ratio to Hugo)")
    print(f"{'step':<30} {'ours':>9} {'Hugo':>9} {'ratio':>7} {'vs Hugo full':>13} {'ours RSS':>10} {'Hugo RSS':>10}"
          f" {'ours PSS':>10} {'Hugo PSS':>10}")
    for name, row in rows:
        print(f"{name:<30} {row['ours']:>8.2f}s {row['hugo']:>8.2f}s {row['ours'] / row['hugo']:>6.2f}x "
              f"{row['ours'] / hugo_cold:>12.2f}x {row['ours_rss'] / 2**20:>8.0f}MB {row['hugo_rss'] / 2**20:>8.0f}MB"
              f" {row['ours_pss'] / 2**20:>8.0f}MB {row['hugo_pss'] / 2**20:>8.0f}MB")
    if not args.no_serve:
        print(f"\nserve, one product's body saved -> reload signal: median {statistics.median(reloads):.3f} s "
              f"(runs: {', '.join(f'{t:.3f}' for t in reloads)})")
    print("\n" + page_weights)
    print(keystroke)
    if cold_small:
        big = rows[0][1]["ours"]
        print(f"\nlinearity: {args.small} -> {args.products} products took {big / cold_small['ours']:.1f}x the time "
              f"(Hugo {rows[0][1]['hugo'] / cold_small['hugo']:.1f}x)")


if __name__ == "__main__":
    sys.exit(main())
