"""Command line: build, check, serve ... Exit 0 on success, 1 for content problems, 2 for usage."""

from __future__ import annotations

import argparse
import os
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Sequence, TextIO

from catalogue import __version__
from catalogue.build.pipeline import build, load_site
from catalogue.problems import Problem, Problems

COMMANDS = ("build", "check", "serve")


def _now(value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO date or date-time: {value!r} "
                                         "(e.g. 2026-11-29 or 2026-11-29T08:00:00+07:00)") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _port(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {value!r}") from None
    if not 0 <= number <= 65535:
        raise argparse.ArgumentTypeError(f"{number} is not a port: use 1 to 65535 (0: any free port)")
    return number


MAX_JOBS = 64


def _jobs(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of processes: {value!r}") from None
    if not 1 <= number <= MAX_JOBS:
        raise argparse.ArgumentTypeError(f"{number} processes: use 1 to {MAX_JOBS}")
    return number


def _epoch_usable(value: str) -> bool:
    """Whether SOURCE_DATE_EPOCH can be the build's date (its specification asks a tool to
    stop on a malformed one, rather than build with another date)."""
    if not value.strip().isdigit():
        return False
    try:
        datetime.fromtimestamp(int(value), tz=timezone.utc)
    except (OverflowError, OSError, ValueError):
        return False
    return True


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="catalogue", description="Static multilingual product catalogue.")
    parser.add_argument("--version", action="version", version=f"catalogue {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def site_arg(p: argparse.ArgumentParser) -> None:
        p.add_argument("--site", type=Path, default=Path("."), help="the site's folder (default: here)")
        p.add_argument("--now", type=_now, default=None,
                       help="build date for upcoming/past events and expiry (default: SOURCE_DATE_EPOCH "
                            "or the clock)")

    p_build = sub.add_parser("build", help="build the site into public/")
    site_arg(p_build)
    p_build.add_argument("--out", type=Path, default=None, help="output folder (default: SITE/public)")
    p_build.add_argument("--quiet", "-q", action="store_true", help="print only problems")
    p_build.add_argument("--no-cache", action="store_true", help="ignore the build cache (.cache/catalogue)")
    p_build.add_argument("--jobs", "-j", type=_jobs, default=None, help="processes to use, 1 to 64 (default: all cores)")
    p_build.add_argument("--timings", action="store_true", help="also print the seconds each stage of the build took")

    p_check = sub.add_parser("check", help="validate only; list every problem")
    site_arg(p_check)
    p_check.add_argument("--format", choices=("text", "json", "github"), default="text",
                         help="github: annotations for a pull request's changed lines")

    p_new = sub.add_parser("new", help="scaffold a product, producer or event")
    p_new.add_argument("kind", choices=("product", "producer", "event"))
    p_new.add_argument("name", help="the entry's name, in the language of --lang")
    p_new.add_argument("--lang", default=None, help="language of NAME and of the first text (default: source)")
    p_new.add_argument("--slug", default=None, help="folder name, if not made from NAME")
    site_arg(p_new)

    p_serve = sub.add_parser("serve", help="preview on 127.0.0.1 with live reload")
    site_arg(p_serve)
    p_serve.add_argument("--port", type=_port, default=8000, help="port on 127.0.0.1 (default: 8000; 0: any free one)")
    p_serve.add_argument("--out", type=Path, default=None, help="preview folder (default: a temporary one)")
    p_serve.add_argument("--verbose", "-v", action="store_true", help="also print the web server's request log")

    p_bundle = sub.add_parser("bundle", help="offline zip of the catalogue that works from file://")
    site_arg(p_bundle)
    p_bundle.add_argument("--lang", default=None, help="languages, comma-separated; the first opens (default: all)")
    p_bundle.add_argument("--market", default=None, help="only products, producers and events for this market")
    p_bundle.add_argument("--out", type=Path, default=None, help="zip file (default: SITE/dist/catalogue[-MARKET].zip)")
    pdf = p_bundle.add_mutually_exclusive_group()
    pdf.add_argument("--pdf", dest="pdf", action="store_true", default=None, help="require the PDF catalogue")
    pdf.add_argument("--no-pdf", dest="pdf", action="store_false", help="leave the PDF out")

    p_pdf = sub.add_parser("pdf", help="printable PDF catalogue per language (needs the pdf extra)")
    site_arg(p_pdf)
    p_pdf.add_argument("--lang", default=None, help="languages, comma-separated (default: all)")
    p_pdf.add_argument("--market", default=None, help="only this market's products")
    p_pdf.add_argument("--out", type=Path, default=None, help="folder for the PDFs (default: SITE/dist)")

    p_i18n = sub.add_parser("i18n", help="UI translation workflow and coverage")
    p_i18n.add_argument("action", choices=("extract", "update", "compile", "status", "stamp"),
                        help="status: what is missing or stale; stamp ENTRY [LANG ...]: mark translations "
                             "as checked against the current source text")
    p_i18n.add_argument("targets", nargs="*", help="for stamp: an entry (products/SLUG) or --all, then languages")
    p_i18n.add_argument("--all", action="store_true", help="for stamp: every translation of every entry")
    p_i18n.add_argument("--force", action="store_true",
                        help="for stamp: stamp even a translation whose name, summary or body is the source's")
    p_i18n.add_argument("--format", choices=("table", "json"), default="table", help="for status")
    p_i18n.add_argument("--strict", action="store_true", help="for status: exit 1 if anything is missing or stale")
    site_arg(p_i18n)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """The command line; output piped into a reader that stops early (`| head`) ends quietly."""
    try:
        return _main(argv)
    except BrokenPipeError:
        # the reader is gone: nothing more can be said to it, and Python must not try again at exit
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0


def _main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    if not args_list or args_list[0].startswith("-") and args_list[0] not in ("-h", "--help", "--version"):
        args_list.insert(0, "build")
    if args_list[:2] == ["i18n", "stamp"] and "--all" in args_list:  # let languages follow --all
        args_list.remove("--all")
        args_list.append("--all")
    parser = make_parser()
    args = parser.parse_args(args_list)
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and not _epoch_usable(epoch):  # empty: unset, as for the other tools that read it
        parser.error(f"SOURCE_DATE_EPOCH={epoch[:40]!r} is not a number of seconds since 1970-01-01 up to "
                     "year 9999; set it to one (e.g. `git log -1 --format=%ct`) or unset it")
    if args.command == "check":
        return run_check(args.site, args.now, sys.stdout, args.format)
    if args.command == "new":
        return run_new(args)
    if args.command == "bundle":
        return run_bundle(args)
    if args.command == "pdf":
        return run_pdf(args)
    if args.command == "i18n":
        if args.action in ("status", "stamp"):
            return run_translation_status(args, parser)
        return run_i18n(args.action, args.site)
    if args.command == "serve":
        from catalogue.commands.serve import serve
        return serve(args.site, args.port, args.out, args.now, args.verbose)
    return run_build(args.site, args.out or args.site / "public", args.now, args.quiet,
                     not args.no_cache, args.jobs, args.timings)


def print_problems(problems: Problems, stream: TextIO) -> None:
    for problem in problems.sorted():
        print(problem.format(), file=stream)


def run_check(site: Path, now: datetime | None, stream: TextIO, fmt: str = "text") -> int:
    problems = Problems()
    load_site(site, problems, now)
    if fmt == "json":
        import json
        print(json.dumps({"ok": not problems.has_errors(), "errors": len(problems.errors),
                          "warnings": len(problems.warnings),
                          "problems": [{"path": p.path, "line": p.line, "field": p.field, "message": p.message,
                                        "severity": p.severity} for p in problems.sorted()]},
                         ensure_ascii=False, indent=1), file=stream)
        return 1 if problems.has_errors() else 0
    if fmt == "github":
        for problem in problems.sorted():
            print(github_annotation(problem), file=stream)
    else:
        print_problems(problems, stream)
    errors, warnings = len(problems.errors), len(problems.warnings)
    if errors:
        print(f"check: {errors} error(s), {warnings} warning(s)", file=stream)
        return 1
    print(f"check: OK, {warnings} warning(s)", file=stream)
    return 0


class ProgressBar:
    """A one-line bar on a terminal; silent when output is a file or a pipe."""

    def __init__(self, stream: TextIO, enabled: bool):
        self.stream = stream
        self.enabled = enabled and stream.isatty()
        self.shown = -1

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled or total <= 0:
            return
        percent = done * 100 // total
        if percent == self.shown and done != total:
            return
        self.shown = percent
        filled = percent * 30 // 100
        self.stream.write(f"\r[{'#' * filled}{'.' * (30 - filled)}] {done}/{total} pages")
        if done == total:
            self.stream.write("\r" + " " * 60 + "\r")
        self.stream.flush()


def run_build(site: Path, out: Path, now: datetime | None, quiet: bool, use_cache: bool = True,
              jobs: int | None = None, timings: bool = False) -> int:
    result = build(site, out, now, progress=ProgressBar(sys.stderr, not quiet), use_cache=use_cache,
                   workers=jobs, release_memory=False)
    print_problems(result.problems, sys.stderr)
    if timings:  # on stderr, as the problems: stdout keeps its one summary line
        stages = ", ".join(f"{stage} {seconds:.2f} s" for stage, seconds in result.timings.items())
        print(f"time per stage: {stages or 'none run'} (build {result.seconds:.2f} s)", file=sys.stderr)
    if not result.ok:
        print(f"build failed: {len(result.problems.errors)} error(s); {out} was left unchanged",
              file=sys.stderr)
        return 1
    if not quiet and result.up_to_date:
        print(f"up to date: nothing changed since the last build ({result.seconds:.2f} s) -> {out}")
    elif not quiet:
        fresh = f" ({result.rendered} rendered)" if result.rendered != result.pages else ""
        print(f"built {result.pages} pages{fresh} in {result.languages} languages, {result.images} images "
              f"({result.encoded} resized), {len(result.problems.warnings)} warning(s), "
              f"{result.seconds:.1f} s -> {out}")
    return 0


def run_i18n(action: str, site: Path) -> int:
    from catalogue.commands import i18n
    from catalogue.config import load_config
    from catalogue.site.themes import resolve_theme

    problems = Problems()
    config = load_config(site, problems)
    theme = resolve_theme(config, problems) if config else None
    if config is None or theme is None:
        print_problems(problems, sys.stderr)
        return 1
    languages = list(config.languages)
    if i18n.refuse_outside(config, languages, problems):
        print_problems(problems, sys.stderr)
        return 1
    if action in ("extract", "update"):
        template = i18n.extract(config, theme)
        print(f"extracted {len(template)} messages -> {i18n.write_pot(config, template)}")
        if action == "update":
            for path in i18n.update(config, template, languages):
                print(f"updated {path}")
    else:
        for path in i18n.compile_all(config, languages, problems):
            print(f"compiled {path}")
    print_problems(problems, sys.stderr)
    return 1 if problems.has_errors() else 0


def run_translation_status(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    import json

    from catalogue.commands import report as reports
    from catalogue.content.model import Entry
    from catalogue.content.translations import source_hash
    from catalogue.content.validate import untranslated_parts

    problems = Problems()
    loaded = load_site(args.site, problems, args.now)
    if loaded is None or problems.has_errors():
        print_problems(problems, sys.stderr)
        return 1
    config, site = loaded.config, loaded.site
    if args.action == "status":
        report = reports.build_report(config, site, loaded.theme, problems)
        if args.format == "json":
            print(json.dumps(report.as_json(), ensure_ascii=False, indent=1))
        else:
            print(reports.format_table(report))
        return 1 if args.strict and report.incomplete() else 0
    if args.all:
        entries: list[Entry] = [e for table in (site.products, site.producers, site.events) for e in table.values()]
        languages = [t for t in args.targets]
    else:
        if not args.targets:
            parser.error("i18n stamp needs an entry (e.g. products/che-shan-tuyet) or --all")
        entry = reports.find_entry(site, args.targets[0])
        if entry is None:
            parser.error(f"no entry {args.targets[0]!r}: write it as products/SLUG, producers/SLUG or events/SLUG")
        entries = [entry]
        languages = args.targets[1:]
    for lang in languages:
        if lang not in config.languages[1:]:
            parser.error(f"{lang!r} is not a translated language of this site: {list(config.languages[1:])}")
    changed = 0
    failed = 0
    for entry in entries:
        digest = source_hash(entry.texts[config.source_lang])
        for lang, text in sorted(entry.texts.items()):
            if lang == config.source_lang or (languages and lang not in languages):
                continue
            copied = untranslated_parts(entry, lang, config.source_lang)
            if copied and not args.force:
                print(f"{text.rel_path}: not stamped: its {' and '.join(copied)} "
                      f"{'is' if len(copied) == 1 else 'are'} the same as in {config.source_lang}.md; "
                      "translate it, or stamp it with --force if it is meant to be the same", file=sys.stderr)
                failed += 1
                continue
            try:
                stamped = reports.stamp_text_file(config.root / text.rel_path, digest)
            except (reports.StampError, ValueError, OSError) as exc:
                print(f"{text.rel_path}: not stamped: {exc}", file=sys.stderr)
                failed += 1
                continue
            if stamped:
                changed += 1
                print(f"stamped {text.rel_path}: translation_of: {digest}")
    print(f"{changed} file(s) stamped")
    return 1 if failed else 0


def github_annotation(problem: Problem) -> str:
    """A workflow command, so a pull request shows the problem on the line it is about."""
    def data(value: str) -> str:
        return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")

    def prop(value: str) -> str:
        return data(value).replace(":", "%3A").replace(",", "%2C")

    props = [f"file={prop(problem.path)}"]
    if problem.line:
        props.append(f"line={problem.line}")
    if problem.field:
        props.append(f"title={prop(problem.field)}")
    level = "error" if problem.severity == "error" else "warning"
    return f"::{level} {','.join(props)}::{data(problem.message)}"


def run_new(args: argparse.Namespace) -> int:
    from catalogue.config import load_config
    from catalogue.build.pipeline import resolve_now
    from catalogue.commands.scaffold import ScaffoldError, scaffold

    problems = Problems()
    config = load_config(args.site, problems)
    if config is None:
        print_problems(problems, sys.stderr)
        return 1
    try:
        made = scaffold(config, args.kind, args.name, args.lang, args.slug, resolve_now(args.now).date().isoformat())
    except ScaffoldError as exc:
        print(f"new: {exc}", file=sys.stderr)
        return 1
    rel = made.folder.relative_to(config.root).as_posix()
    print(f"created {rel}/")
    for path in made.files:
        print(f"  {path.relative_to(config.root).as_posix()}")
    print(f"""
next:
  1. open {rel}/{args.kind}.yaml and replace every FILL_IN (the comments list the allowed codes)
  2. write the summary and the description in {made.files[1].name}{" and add photos to the folder" if args.kind == "product" else ""}
  3. python build.py check      (lists anything still missing, with file and line)
  4. python build.py serve      (see the page at http://127.0.0.1:8000/)""")
    return 0


def _languages(value: str | None) -> list[str] | None:
    """--lang en,ar: each language once, in the order given (`ja,ja` is Japanese)."""
    return list(dict.fromkeys(part.strip() for part in value.split(",") if part.strip())) if value else None


def run_bundle(args: argparse.Namespace) -> int:
    from catalogue.commands.bundle import make_bundle, size_report

    name = f"catalogue{'-' + args.market if args.market else ''}.zip"
    out = args.out or args.site / "dist" / name
    result = make_bundle(args.site, out, _languages(args.lang), args.market, args.now, args.pdf)
    print_problems(result.problems, sys.stderr)
    if not result.ok:
        print("bundle failed; nothing was written", file=sys.stderr)
        return 1
    print(size_report(result))
    return 0


def run_pdf(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from catalogue.build.pipeline import open_store
    from catalogue.commands.bundle import check_target_file
    from catalogue.commands.pdf import is_pdf, pdf_available, write_pdf
    from catalogue.content.link import restrict_to_market
    from catalogue.site.index import index_site

    if not pdf_available():
        print("pdf: WeasyPrint is not installed: pip install 'catalogue[pdf]' (and Debian's "
              "fonts-noto-core fonts-noto-cjk for Arabic and Japanese)", file=sys.stderr)
        return 1
    out = args.out or args.site / "dist"
    refusal = check_target_file(out / "catalogue.pdf", args.site) if out.is_dir() or not out.exists() else \
        f"{out} is a file; give a folder for the PDFs"
    if refusal:
        print(f"pdf: {refusal}", file=sys.stderr)
        return 1
    problems = Problems()
    store = open_store(args.site, True, None)
    try:
        loaded = load_site(args.site, problems, args.now, store)
        print_problems(problems, sys.stderr)
        if loaded is None or problems.has_errors():
            return 1
        languages = _languages(args.lang) or list(loaded.config.languages)
        bad = [lang for lang in languages if lang not in loaded.config.languages]
        markets = loaded.config.codes.get("markets")
        if bad:  # as bundle says it: what the site has is content, so exit 1
            print(f"pdf: --lang: {', '.join(bad)} not among the site's languages {list(loaded.config.languages)}",
                  file=sys.stderr)
        if args.market and args.market not in markets:
            print(f"pdf: --market: unknown market {args.market!r}; known: {', '.join(markets.codes())}",
                  file=sys.stderr)
        if bad or (args.market and args.market not in markets):
            return 1
        if args.market:
            site = restrict_to_market(loaded.site, args.market)
            loaded = replace(loaded, site=site, index=index_site(site, loaded.now))
        targets = {lang: out / f"catalogue-{lang}{'-' + args.market if args.market else ''}.pdf"
                   for lang in languages}
        refused = [why for why in (check_target_file(target, args.site, is_pdf) for target in targets.values()) if why]
        for why in refused:
            print(f"pdf: {why}", file=sys.stderr)
        if refused:
            return 1
        for lang, target in targets.items():
            write_pdf(loaded, lang, args.market, target, store)
            print(f"wrote {target} ({target.stat().st_size / 1e6:.1f} MB)")
    finally:
        store.close()
    return 0
