"""Publishing is all or nothing: a build killed (kill -9) at any moment, or failing on the
disk, leaves the published folder exactly the old build or exactly the new one, never a mix,
never missing; the next build removes what the interrupted one left."""

from __future__ import annotations

import hashlib
import os
import random
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import NOW, REPO

from catalogue.build.pipeline import build

pytestmark = [pytest.mark.slow]


def snapshot(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def command(site: Path, out: Path, *extra: str) -> list[str]:
    return [sys.executable, str(REPO / "build.py"), "build", "--site", str(site), "--out", str(out),
            "--now", NOW.date().isoformat(), "-q", *extra]


def set_version(site: Path, new: bool) -> None:
    """The edit between the old build and the new: a name (on many pages) and a body."""
    path = site / "content/products/che-ta-leng/vi.md"
    text = path.read_text(encoding="utf-8")
    old_name, new_name = "name: Chè Shan tuyết Tả Lèng", "name: Chè Tả Lèng"
    old_body, new_body = "Dùng nước 85 °C.", "Dùng nước 90 °C."
    if new:
        text = text.replace(old_name, new_name).replace(old_body, new_body)
    else:
        text = text.replace(new_name, old_name).replace(new_body, old_body)
    path.write_text(text, encoding="utf-8")


def killed_at(args: list[str], seconds: float) -> int | None:
    """Run a build and kill it and its helpers (SIGKILL) after `seconds`; its exit code if it
    ended first."""
    process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        return process.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        return None


@pytest.mark.parametrize("kind", ["incremental", "full"])
def test_a_build_killed_at_any_moment_leaves_the_old_or_the_new(site: Path, tmp_path: Path, kind: str) -> None:
    out = tmp_path / "out"
    extra = ("--no-cache",) if kind == "full" else ()
    assert subprocess.run(command(site, out), capture_output=True).returncode == 0
    old = snapshot(out)
    set_version(site, True)
    started = time.perf_counter()
    assert subprocess.run(command(site, tmp_path / "expected", "--no-cache"), capture_output=True).returncode == 0
    duration = time.perf_counter() - started
    new = snapshot(tmp_path / "expected")
    assert new != old
    rng = random.Random(20 if kind == "full" else 21)
    outcomes = {"old": 0, "new": 0}
    for _ in range(8):
        set_version(site, False)  # the old build published again
        assert subprocess.run(command(site, out), capture_output=True).returncode == 0
        assert snapshot(out) == old
        set_version(site, True)
        killed_at(command(site, out, *extra), rng.uniform(0.2, duration * 1.3))
        found = snapshot(out)
        assert found in (old, new), "a mix of the old and the new build, or nothing"
        outcomes["old" if found == old else "new"] += 1
    assert subprocess.run(command(site, out), capture_output=True).returncode == 0
    assert snapshot(out) == new
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".out.")) == [".out.catalogue-spare"]
    assert outcomes["old"] > 0  # some kills came before the swap


def test_a_disk_error_in_the_middle_of_a_build_leaves_the_old_build(site: Path, tmp_path: Path) -> None:
    """A file too big for what the process may write (as a full disk would refuse it)."""
    import resource

    out = tmp_path / "out"
    assert build(site, out, NOW).ok
    old = snapshot(out)
    set_version(site, True)
    limit = 8 * 1024  # smaller than a page of this site

    def small_files() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    done = subprocess.run(command(site, out, "--no-cache"), capture_output=True, text=True, preexec_fn=small_files)
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    assert "cannot write" in done.stderr and "file too large" in done.stderr
    assert snapshot(out) == old


def test_a_build_failing_after_it_wrote_pages_leaves_the_published_build_exactly(site: Path, tmp_path: Path) -> None:
    """Three builds: the files the first two share are the same on disk (hard links). A third
    that writes some of them and then fails must not have changed a byte of the second."""
    out = tmp_path / "out"
    assert build(site, out, NOW).ok
    set_version(site, True)
    assert build(site, out, NOW).ok
    second = snapshot(out)
    path = site / "content/products/mac-ca/vi.md"  # its pages are the same in both builds
    path.write_text(path.read_text(encoding="utf-8").replace("Hạt to, béo.", "Hạt to, béo, thơm."), encoding="utf-8")
    (site / "templates").mkdir()
    (site / "templates/event.html").write_text("{% extends 'base.html' %}{% block main %}{{ nope.nope }}{% endblock %}",
                                              encoding="utf-8")
    failed = build(site, out, NOW, workers=1)  # products are rendered, then events fail
    assert not failed.ok and failed.problems.errors[0].path == "templates/event.html"
    assert snapshot(out) == second


def test_output_folders_that_cannot_be_written_are_one_clear_message(site: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    for out, expected in ((blocker / "public", "cannot be made: "), (Path("/proc/catalogue-out"), "cannot write /proc")):
        done = subprocess.run(command(site, out), capture_output=True, text=True)
        assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
        assert expected in done.stderr, done.stderr
    for jobs in ("0", "100000", "many"):
        done = subprocess.run(command(site, tmp_path / "out", "--jobs", jobs), capture_output=True, text=True)
        assert done.returncode == 2 and "--jobs" in done.stderr and "Traceback" not in done.stderr


@pytest.mark.parametrize("out_path", ["../escape.html", "/etc/x", "a/../../b", "", ".catalogue-output", "./.catalogue-output",
                                      "a\\b", "a\x00b", "x/./../../y"])
def test_no_output_path_leaves_the_output_folder(out_path: str) -> None:
    from catalogue.build.writer import OutputError, checked_path

    with pytest.raises(OutputError):
        checked_path(out_path)


@pytest.mark.parametrize("out_path", ["index.html", "en/products/x/index.html", "media/a.b.webp", "a/./b.html"])
def test_output_paths_inside_the_folder_are_allowed(out_path: str) -> None:
    from catalogue.build.writer import checked_path

    checked_path(out_path)


def test_a_spare_made_after_a_first_build_is_what_the_next_rebuild_brings_up_to_date(site: Path,
                                                                                      tmp_path: Path) -> None:
    """The preview makes it while the editor reads: its first save then costs what changed,
    not a link of every published file into a new folder. It changes nothing published."""
    from catalogue.build.pipeline import prepare_spare

    out = tmp_path / "out"
    assert build(site, out, NOW).ok
    published = snapshot(out)
    spare = tmp_path / ".out.catalogue-spare"
    assert not spare.exists()  # a first build has no build before it to keep
    assert prepare_spare(site, out)
    assert snapshot(out) == published and snapshot(spare) == published
    page = "en/products/che-ta-leng/index.html"
    assert os.stat(spare / page).st_ino == os.stat(out / page).st_ino  # linked, not copied
    assert not prepare_spare(site, out)  # one is ready
    folder = os.stat(spare).st_ino
    set_version(site, True)
    assert build(site, out, NOW).ok
    assert os.stat(out).st_ino == folder  # the spare, brought up to date and swapped in
    assert snapshot(out) == snapshot_of_cold_build(site, tmp_path / "cold")
    assert snapshot(spare) == published  # the build before, for the next one
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".out.")) == [".out.catalogue-spare"]


def snapshot_of_cold_build(site: Path, out: Path) -> dict[str, str]:
    assert build(site, out, NOW, use_cache=False).ok
    return snapshot(out)


def test_a_file_is_never_written_through(tmp_path: Path) -> None:
    """What is at a file's place in the folder being made is removed and a file made anew:
    never written through a hard link, a symbolic link, a pipe or a device; and a file of
    the folder's own is not written over in place (see the next test)."""
    from catalogue.build.writer import write_file

    folder, elsewhere = tmp_path / "folder", tmp_path / "elsewhere"
    folder.mkdir(), elsewhere.mkdir()
    (elsewhere / "published.html").write_bytes(b"published")
    os.link(elsewhere / "published.html", folder / "shared.html")
    (elsewhere / "outside.txt").write_bytes(b"not ours")
    os.symlink(elsewhere / "outside.txt", folder / "linked.html")
    os.mkfifo(folder / "pipe.html")
    names = ["shared.html", "linked.html", "pipe.html", "new/index.html"]
    try:  # a device (here one that swallows what is written) is never opened
        os.mknod(folder / "device.html", 0o600 | stat.S_IFCHR, os.makedev(1, 3))
        names.append("device.html")
    except (PermissionError, OSError):  # not allowed here: the other kinds still are checked
        pass
    for name in names:
        write_file(folder, name, b"new")
        assert (folder / name).read_bytes() == b"new" and not (folder / name).is_symlink()
    assert (elsewhere / "published.html").read_bytes() == b"published"
    assert os.stat(folder / "shared.html").st_nlink == 1
    assert (elsewhere / "outside.txt").read_bytes() == b"not ours"


def test_a_page_a_process_still_reads_keeps_its_bytes(tmp_path: Path) -> None:
    """The spare's copy of a page was published until the last swap: a web server may still
    be sending it, from an open file, a mapped one, or (sendfile) from the file's cached
    pages after closing it. Whatever it holds keeps the old bytes; the page is made anew."""
    from catalogue.build.writer import write_file

    folder = tmp_path / "folder"
    folder.mkdir()
    for name in ("read.html", "mapped.html", "own.html"):
        (folder / name).write_bytes(b"the old page")
    holder = subprocess.Popen([sys.executable, "-c", (
        "import mmap, os, sys\n"
        f"reading = open({str(folder / 'read.html')!r}, 'rb')\n"
        f"fd = os.open({str(folder / 'mapped.html')!r}, os.O_RDONLY)\n"
        "mapped = mmap.mmap(fd, 0, prot=mmap.PROT_READ); os.close(fd)\n"
        "print('ready', flush=True); sys.stdin.read()\n"
        "print(reading.read().decode(), mapped[:].decode(), sep='|', flush=True)")],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "ready"
    own = os.open(folder / "own.html", os.O_RDONLY)  # as the cached pages a socket still sends
    try:
        for name in ("read.html", "mapped.html", "own.html"):
            write_file(folder, name, b"the new page")
            assert (folder / name).read_bytes() == b"the new page"
        said, _ = holder.communicate("", timeout=30)
        assert said.strip() == "the old page|the old page"  # what it was sending, whole
        assert os.pread(own, 100, 0) == b"the old page"
    finally:
        os.close(own)


def test_a_spare_made_but_not_recorded_is_not_trusted(site: Path, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """Killed between setting the spare aside and keeping its row: the next build finds a
    folder the cache does not describe, and starts afresh instead of going on from it."""
    from catalogue.build import pipeline
    from catalogue.build.cache import Store

    out = tmp_path / "out"
    assert build(site, out, NOW).ok
    put_many = Store.put_many
    monkeypatch.setattr(Store, "put_many", lambda self, table, items, clear=None: None)  # the row never kept
    assert pipeline.prepare_spare(site, out)
    monkeypatch.setattr(Store, "put_many", put_many)
    spare = tmp_path / ".out.catalogue-spare"
    (spare / "en/index.html").write_bytes(b"left by hand in a folder the cache does not describe")
    set_version(site, True)
    assert build(site, out, NOW).ok
    assert snapshot(out) == snapshot_of_cold_build(site, tmp_path / "cold")


def _children(pid: int) -> set[int]:
    """The living processes `pid` forked (a zombie is not living)."""
    found: set[int] = set()
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return found
    for task in tasks:
        try:
            found.update(int(n) for n in Path(f"/proc/{pid}/task/{task}/children").read_text().split())
        except OSError:
            pass
    return {child for child in found if _alive(child)}


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_a_build_killed_alone_takes_its_helpers_with_it(tmp_path: Path) -> None:
    """kill -9 of the build's own process only (not of its group, as a user's `kill PID` or an
    out-of-memory killer does): its helpers, which share its lock on the output, end with it,
    so the next build is not told another one is writing, and makes what a cold build makes."""
    import shutil

    site = tmp_path / "site"
    for name in ("content", "locales", "themes"):
        if (REPO / name).is_dir():
            shutil.copytree(REPO / name, site / name)
    shutil.copy(REPO / "site.yaml", site / "site.yaml")
    out = tmp_path / "out"
    rng = random.Random(36)
    for _ in range(3):
        process = subprocess.Popen(command(site, out, "--no-cache", "--jobs", "2"), stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL, start_new_session=True)
        seen: set[int] = set()
        deadline = time.monotonic() + 60
        while not seen and process.poll() is None and time.monotonic() < deadline:
            seen = _children(process.pid)
            time.sleep(0.01)
        assert seen, "the build forked no helper"
        time.sleep(rng.uniform(0.0, 0.5))
        seen |= _children(process.pid)
        os.kill(process.pid, signal.SIGKILL)  # the build's process alone
        process.wait()
        until = time.monotonic() + 5
        while any(_alive(child) for child in seen) and time.monotonic() < until:
            time.sleep(0.05)
        left = [child for child in seen if _alive(child)]
        for child in left:
            os.kill(child, signal.SIGKILL)
        assert left == [], "helpers outlived the build they worked for"
    again = subprocess.run(command(site, out), capture_output=True, text=True)
    assert again.returncode == 0, again.stderr
    assert snapshot(out) == snapshot_of_cold_build(site, tmp_path / "cold")


def test_a_lock_taken_on_a_lock_file_just_removed_is_taken_again(tmp_path: Path, monkeypatch) -> None:
    """A build ending removes its lock file while it holds it. Another one that opened the file
    just before and locks it just after holds a lock on a file no longer there: a third build
    would make a new file, lock it, and write beside it. The lock must be on the file named."""
    import fcntl

    from catalogue.build.writer import OutputError, OutputLock

    out = tmp_path / "out"
    real = fcntl.flock
    raced: list[bool] = []

    def flock_after_another_build(handle: int, operation: int) -> None:
        if not raced:  # between this build's open and its lock, another one comes and goes
            raced.append(True)
            with OutputLock(out):
                pass
        real(handle, operation)

    monkeypatch.setattr(fcntl, "flock", flock_after_another_build)
    with OutputLock(out):
        monkeypatch.setattr(fcntl, "flock", real)
        assert raced
        with pytest.raises(OutputError, match="another build is writing"):
            with OutputLock(out):
                pass
    assert not any(tmp_path.iterdir())  # and nothing left beside the output once it is done
