"""build(): config -> load -> validate -> link -> plan -> render -> write, problems collected
throughout. The build cache is one seam (memo.py, replan.py) around loading, planning and
rendering: with it or without it (--no-cache), build() makes the same bytes."""

from __future__ import annotations

import os
import time
from contextlib import nullcontext
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Mapping

from catalogue.build import memory
from catalogue.build.cache import Store
from catalogue.build.inputs import InputScan, scan_inputs
from catalogue.build.keys import package_key
from catalogue.build.memo import CachedEvaluator, CachedRecords, KnownDigests, MediaMeasures, record_key, value_key
from catalogue.build.recall import Recall
from catalogue.build.plan import BuildPlan, MissingOutput, Progress, plan_build, write_plan
from catalogue.site.pages import everything
from catalogue.build.replan import (LastMedia, PlanState, RecordMissing, RecordSource, decode_media, dependents,
                                    entry_id, lazy_site, stored_values, users_of, uses_rows)
from catalogue.build.stages import BuildResult, Clock, LoadedSite
from catalogue.build.workers import HelperDied, cpu_count
from catalogue.build.writer import (Manifest, OutputError, OutputLock, Publication, check_output_folder, explain,
                                    make_spare, manifest_keys, sibling)
from catalogue.config import load_config
from catalogue.derive import digest
from catalogue.content.link import link_site
from catalogue.content.load import BodyChanged, load_content
from catalogue.content.validate import check_entry, check_organizer, validate
from catalogue.content.model import Entry, Event
from catalogue.problems import Problems
from catalogue.site import urls
from catalogue.site.edition import Edition
from catalogue.site.index import dates_hold_at, index_site
from catalogue.site.locales import load_languages, load_translations
from catalogue.site.render import environments
from catalogue.site.media import EntryMedia, ImageChanged
from catalogue.site.themes import resolve_theme

__all__ = ["BuildResult", "LoadedSite", "build", "load_site", "open_store", "plan_build", "prepare_spare", "write_plan",
           "resolve_now"]


def resolve_now(now: datetime | None = None) -> datetime:
    """The build's notion of today: --now, else SOURCE_DATE_EPOCH, else the clock."""
    if now is not None:
        return now if now.tzinfo else now.replace(tzinfo=timezone.utc)
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.strip().isdigit():
        try:
            return datetime.fromtimestamp(int(epoch), tz=timezone.utc)
        except (OverflowError, OSError, ValueError):  # past year 9999: the command line refuses it
            pass
    return datetime.now(timezone.utc).replace(microsecond=0)


def default_cache(root: Path) -> Path:
    return root / ".cache" / "catalogue"


def scan_site(root: Path, store: Store, options: str = "", previous: InputScan | None = None,
              dirty: frozenset[tuple[str, str]] | None = None) -> InputScan:
    digests = KnownDigests(store)
    scan = scan_inputs(root, f"{package_key()}|{options}", digests.known, previous, dirty)
    digests.remember(scan)
    return scan


def load_site(root: Path, problems: Problems, now: datetime | None = None, store: Store | None = None,
              scan: InputScan | None = None, workers: int = 1) -> LoadedSite | None:
    """config -> load -> link -> validate; None when the site cannot be checked further."""
    moment = resolve_now(now)
    store = store if store is not None else Store(None)
    config = load_config(root, problems)
    if config is None:
        return None
    theme = resolve_theme(config, problems)
    languages = load_languages(config)
    catalogues = {lang: load_translations(config, lang, problems) for lang in config.languages}
    scan = scan if scan is not None else scan_site(root, store)
    digests = {key: folder.digest for key, folder in scan.folders.items()}
    content = load_content(config, digests, problems, CachedRecords(store, config, workers).load)
    site = link_site(content)
    entries = [e for table in (site.products, site.producers, site.events) for e in table.values()]
    media = MediaMeasures(store, config.root).measure(entries, problems)
    validate(content, moment.date(), {key: m.unreadable for key, m in media.items()}, config.source_lang, problems)
    if theme is None:
        return None
    return LoadedSite(config, site, index_site(site, moment), media, languages, theme, catalogues, moment)


def replan_site(root: Path, state: PlanState, scan: InputScan, store: Store, uses: str, now: datetime,
                problems: Problems) -> tuple[LoadedSite, set[str], list[str], set[str]] | None:
    """The site for a rebuild that plans only what changed (see replan.py), with the outputs
    to plan, the changed entries and their leaves that changed; None where everything must
    be planned. `uses`: the prefix of the rows saying which outputs use each leaf."""
    if scan.settings != state.settings or set(state.entries) != {f"{k}/{n}" for k, n in scan.folders} \
            or not state.index.holds_at(now):
        return None
    changed = [key for key, folder in scan.folders.items() if folder.digest != state.entries[f"{key[0]}/{key[1]}"][0]]
    if len(changed) > 64:  # many edits at once (a checkout): planning everything is as quick
        return None
    local = Problems()
    config = load_config(root, local)
    theme = resolve_theme(config, local) if config is not None else None
    if config is None or theme is None:
        return None
    catalogues = {lang: load_translations(config, lang, local) for lang in config.languages}
    records = CachedRecords(store, config)
    fresh_list = records.load([(kind, scan.folders[(kind, name)].path, scan.folders[(kind, name)].digest)  # type: ignore[misc]
                               for kind, name in changed], local)
    fresh = {entry_id(entry): entry for entry in fresh_list if entry is not None}
    producers = frozenset(state.index.producers)
    for entry in fresh.values():
        check_entry(entry, now.date(), config.source_lang, local)
        if isinstance(entry, Event):
            check_organizer(entry, producers.__contains__, local)
    if local.has_errors() or len(fresh) != len(changed) or any(
            state.entries[ident][2] != entry.index_digest for ident, entry in fresh.items()):
        return None  # an error (the whole build reports it), or the index would change
    measured = MediaMeasures(store, config.root)
    media_now = measured.measure(list(fresh.values()), local)
    if local.has_errors():
        return None
    source = RecordSource(store, records.decode_record)
    site = lazy_site(state, fresh, source)
    media = LastMedia(state.entries, fresh, media_now,
                      lambda ident, files_digest: _media_loader(store, measured.key(files_digest), ident))
    leaves = set()
    for ident, entry in fresh.items():
        leaves.add(f"record:{ident}")
        now_media = media_now.get((entry.kind, entry.slug))
        if state.entries[ident][3] != (now_media.digest if now_media is not None else "none"):
            leaves.add(f"media:{ident}")  # its images changed: what shows them is made again
        if state.entries[ident][1] != entry.facts_digest:
            leaves.add(f"facts:{ident}")
        if state.entries[ident][4] != entry.data_digest:
            leaves.add(f"data:{ident}")
    wanted = users_of(store, uses, leaves)
    if wanted is None:
        return None
    changed_paths = tuple(f"content/{_FOLDERS[kind]}/{name}/" for kind, name in changed)
    # what the unchanged content said, and what the changed says now
    problems.extend([problem for problem in state.warnings if not problem.path.startswith(changed_paths)])
    problems.extend(local.items)
    loaded = LoadedSite(config, site, state.index, media, load_languages(config), theme, catalogues, now)
    return loaded, wanted, [f"{kind}/{name}" for kind, name in changed], leaves


_FOLDERS = {"product": "products", "producer": "producers", "event": "events"}


def _same_inputs(row: bytes | None, stamp: str, now: datetime) -> bool:
    """Whether a build at `now` reading inputs of this stamp would make what the row's build
    made (the row: the stamp, then its index's dates): the same inputs, a time giving the same dates."""
    kept, _, dates = (row or b"").decode("utf-8", "replace").partition("\n")
    return kept == stamp and dates_hold_at(dates, now)


def _media_loader(store: Store, key: str, ident: str) -> Callable[[], EntryMedia]:
    def load() -> EntryMedia:
        data = store.get("records", key)
        media = decode_media(data) if data is not None else None
        return media if media is not None else EntryMedia({}, frozenset(), "none", ident)
    return load


def cache_refusal(out_dir: Path, cache_dir: Path | None) -> str | None:
    """Why the output may not go where the build cache is kept (given elsewhere than the
    site's .cache/, which check_output_folder refuses): publishing swaps the output folder
    out, and the cache with it."""
    if cache_dir is None:
        return None
    out, cache = Path(os.path.realpath(out_dir)), Path(os.path.realpath(cache_dir))
    if out == cache or out.is_relative_to(cache) or cache.is_relative_to(out):
        return f"output folder {out_dir} holds the build cache ({cache_dir}) or is inside it; choose another folder"
    return None


def open_store(root: Path, use_cache: bool, cache_dir: Path | None, recall: Recall | None = None) -> Store:
    """The build cache, or with --no-cache a store that holds nothing. Where there is no site
    (a mistyped --site), none: its folder is not made, the message says what is missing."""
    if not use_cache or (cache_dir is None and not (root / "site.yaml").is_file()):
        return Store(None)
    return Store(cache_dir or default_cache(root), memory=recall.rows if recall else None)


def plan_state(loaded: LoadedSite, scan: InputScan, problems: Problems) -> PlanState:
    """What the next build may take from this one's plan."""
    site = loaded.site
    entries = {entry_id(e): (e.digest, e.facts_digest, e.index_digest,
                             _media_digest(loaded, e.kind, e.slug), e.data_digest)
               for table in (site.products, site.producers, site.events) for e in table.values()}
    keys = {ident: record_key(loaded.config, ident.split("/", 1)[0], digests[0]) for ident, digests in entries.items()}
    return PlanState(scan.settings, entries, loaded.index, tuple(problems.warnings), keys)


def plan_uses(plan: BuildPlan) -> dict[str, tuple[str, ...]]:
    """For each leaf of the plan's derivations, the outputs that use it."""
    return dependents([(page.out_path, page.data) for page in plan.pages if page.data is not None]
                      + [(item.out_path, item.content) for item in plan.files])


def uses_digest(plan: BuildPlan, entries: Mapping[str, tuple[str, ...]]) -> str:
    """What the rows saying which outputs use each leaf are made from: every output with the
    digest of its derivation (made of its arguments' digests, down to the entries), and every
    entry with its digests. Equal digests, equal rows: a build after a template edit, whose
    pages are made of what they were, need not walk 50,000 derivations to write them again."""
    return digest("uses", *(f"{page.out_path}\x1f{page.data.digest}" for page in plan.pages if page.data is not None),
                  *(f"{item.out_path}\x1f{item.content.digest}" for item in plan.files),
                  *(f"{ident}\x1f{'|'.join(digests)}" for ident, digests in sorted(entries.items())))


def _media_digest(loaded: LoadedSite, kind: str, slug: str) -> str:
    found = loaded.media.get((kind, slug))
    return found.digest if found is not None else "none"


def replanned_state(state: PlanState, loaded: LoadedSite, problems: Problems) -> PlanState:
    """The last build's plan state with the entries this rebuild read anew (the index and
    which outputs use what are the same: the rebuild changed neither)."""
    site = loaded.site
    fresh = [e for table in (site.products, site.producers, site.events) for e in table.values() if isinstance(e, Entry)]
    return replace(state, entries={**state.entries, **{entry_id(e): (e.digest, e.facts_digest, e.index_digest,
                                                                     _media_digest(loaded, e.kind, e.slug),
                                                                     e.data_digest)
                                                      for e in fresh}},
                   record_keys={**state.record_keys, **{entry_id(e): record_key(loaded.config, e.kind, e.digest)
                                                        for e in fresh}},
                   warnings=tuple(problems.warnings))


def build(root: Path, out_dir: Path, now: datetime | None = None, progress: Progress | None = None,
          preview: bool = False, replace_any: bool = False, cache_dir: Path | None = None, use_cache: bool = True,
          workers: int | None = None, link_style: urls.LinkStyle = "pretty", known: InputScan | None = None,
          dirty: frozenset[tuple[str, str]] | None = None, release_memory: bool = True,
          recall: Recall | None = None, on_published: Callable[[], None] | None = None) -> BuildResult:
    """Build the site at `root` into `out_dir`. `known`, `dirty`: see scan_inputs (the preview's
    watcher knows what it saw change). `release_memory=False`: the objects kept out of the
    garbage collector stay out after the build (a process that ends with it). `recall`: what
    a process that builds again and again keeps between its builds (see recall.py).
    `on_published`: called as soon as the new output is in place, before the cache is
    brought up to date (the preview tells its browsers to reload then)."""
    started = time.perf_counter()
    problems = Problems()
    result = BuildResult(problems, out_dir=out_dir)
    if not (root / "site.yaml").exists():  # a mistyped --site: said, and no folder made there
        load_config(root, problems)
        return result
    refusal = check_output_folder(out_dir, root, ours=replace_any) or cache_refusal(out_dir, cache_dir)
    if refusal:
        problems.error(str(out_dir), None, None, refusal)
        return result
    store = open_store(root, use_cache, cache_dir, recall)
    store.begin()
    jobs = workers if workers is not None else cpu_count()
    moment = resolve_now(now)
    try:
        # what a build reads and plans lasts until it ends: the collector would scan it all at
        # each collection, freeing nothing (see memory.py)
        with OutputLock(out_dir), memory.collection_paused():
            _build(root, out_dir, moment, progress, preview, link_style, known, dirty, store, jobs, result,
                   recall or Recall.none(), on_published)
    except OutputError as exc:
        problems.error(str(out_dir), None, None, str(exc))
    except (BodyChanged, ImageChanged) as exc:
        problems.error(str(exc), None, None, "the file changed while the build ran; build again")
    except OSError as exc:
        problems.error(str(out_dir), None, None, explain(exc, getattr(exc, "filename", None) or out_dir))
    except HelperDied as exc:
        problems.error(str(out_dir), None, None, str(exc))
    finally:
        for line in store.report():
            problems.warning("(build cache)", None, None, line)
        store.close()
        if release_memory:
            memory.release_kept_objects()
        result.seconds = time.perf_counter() - started
    return result


def prepare_spare(root: Path, out_dir: Path, cache_dir: Path | None = None, recall: Recall | None = None) -> bool:
    """Make the published folder's spare where none is ready (see writer.make_spare), for a
    process with idle time after a build: its next rebuild then costs what changed. What is
    published does not change; True where a spare was made."""
    store = open_store(root, True, cache_dir, recall)
    store.begin()
    try:
        with OutputLock(out_dir):
            published_key, spare_key = manifest_keys(out_dir)
            found = store.get_many("outputs", (published_key, spare_key))
            published, spare = Manifest.decode(found.get(published_key)), Manifest.decode(found.get(spare_key))
            if published is None or spare is not None and Publication.holds(sibling(Path(os.path.abspath(out_dir)),
                                                                                   "spare"), spare):
                return False
            if not make_spare(out_dir, published):
                return False
            store.put_many("outputs", {spare_key: found[published_key]})  # it holds what is published
            return True
    except (OutputError, OSError):  # another build holds the folder, or the disk refused: no spare
        return False
    finally:
        store.close()


def _build(root: Path, out_dir: Path, now: datetime, progress: Progress | None, preview: bool,
           link_style: urls.LinkStyle, known: InputScan | None, dirty: frozenset[tuple[str, str]] | None,
           store: Store, jobs: int, result: BuildResult, recall: Recall,
           on_published: Callable[[], None] | None = None, incomplete: bool = False) -> None:
    """`incomplete`: the published folder lacks files its manifest lists (removed by hand);
    once swapped out, it is not kept as a spare to bring up to date."""
    problems = result.problems
    clock = Clock(result.timings)
    published_key, spare_key = manifest_keys(out_dir)
    state_key, index_key, stamp_key = f"{published_key}#plan", f"{published_key}#index", f"{published_key}#inputs"
    uses = f"{published_key}#uses"  # then "/" and a leaf: one row per leaf
    uses_from = f"{uses}#from"  # what a build that planned everything made those rows from
    found = store.get_many("outputs", (published_key, spare_key, state_key, index_key, stamp_key, uses_from))
    published = recall.same("published", found.get(published_key), lambda: Manifest.decode(found.get(published_key)))
    spare = recall.same("spare", found.get(spare_key), lambda: Manifest.decode(found.get(spare_key)))
    scan = result.scan = scan_site(root, store, f"{link_style}|{preview}", known, dirty)
    clock("scan")
    if published is not None and _same_inputs(found.get(stamp_key), f"{published.build}:{scan.stamp}", now) \
            and Publication.is_current(out_dir, published):
        said = PlanState.warnings_in(found.get(state_key))
        if said is not None:  # nothing to do; what the check said of the content is said again
            problems.extend(list(said))
            result.up_to_date = True
            return
    pieces = (found.get(state_key), found.get(index_key))
    state = recall.same("plan state", pieces, lambda: PlanState.decode(*pieces)) if published is not None else None
    again = replan_site(root, state, scan, store, f"{uses}/", now, problems) if state is not None else None
    if again is not None:
        loaded, wanted, result.changed, changed_leaves = again
        result.replanned = True
    else:
        with memory.collection_paused():
            made = load_site(root, problems, now, store, scan, jobs)
        memory.keep_alive_objects()
        if made is None or problems.has_errors():
            return
        loaded, wanted = made, None
    clock("load")
    edition = Edition(loaded.config.languages, link_style, web=True, preview=preview)
    plan = plan_build(loaded, edition, problems, wanted.__contains__ if wanted is not None else everything,
                      fresh=frozenset(result.changed) if wanted is not None else None,
                      evaluator=CachedEvaluator(store))
    clock("plan")
    if problems.has_errors():
        return
    publication = Publication(out_dir, published, spare)

    def give_up() -> None:
        kept = publication.discard()  # the published folder is as it was
        if kept is not None:
            store.put_many("outputs", {spare_key: kept.encode()})

    carried = None
    if wanted is not None:  # a rebuild: what it did not plan stays as the last build made it
        planned = {page.out_path for page in plan.pages} | {item.out_path for item in plan.files} | set(plan.statics)
        carried = {path: key for path, key in (published.files if published else {}).items()  # made again, or
                   if path not in planned and path not in wanted and not path.startswith("static/")}  # no more
    try:
        envs = recall.same("templates", plan.settings_digest, lambda: environments(plan.settings)) \
            if recall.keep else None  # compiled templates, kept for builds with the same settings
        # a full build makes 50,000 pages' garbage; a process that builds again and again holds
        # what it keeps between builds, and collects between builds instead
        with memory.collection_resumed() if wanted is None and not recall.keep else nullcontext():
            write_plan(plan, publication, store, jobs, problems, result, progress, carried, envs)
        clock("render")
        if problems.has_errors():
            give_up()
            return
        publication.publish()
        clock("publish")
        if on_published is not None:
            on_published()
    except (MissingOutput, RecordMissing) as exc:  # the last build's files or records are not all there
        give_up()
        store.delete("outputs", [state_key])
        result.timings.clear()
        result.replanned = False
        return _build(root, out_dir, now, progress, preview, link_style, known, dirty, store, jobs, result, recall,
                      on_published, incomplete or isinstance(exc, MissingOutput))
    except BaseException:
        give_up()
        raise
    state = replanned_state(state, loaded, problems) if again is not None and state is not None else \
        plan_state(loaded, scan, problems)
    kept = state.encode_changing()
    index = pieces[1] if again is not None and pieces[1] is not None else state.encode_index()  # a rebuild: as it was
    recall.remember("plan state", (kept, index), state)  # what the next build reads back
    new_manifest = publication.new.encode()
    # the spare now: as read, if it was read; nothing to go on from where files were missing
    swapped_out = publication.published if publication.published is not None and not incomplete else Manifest("")
    spare_manifest = found[published_key] if swapped_out is published and published_key in found \
        else swapped_out.encode()
    recall.remember("published", new_manifest, publication.new)
    recall.remember("spare", spare_manifest, swapped_out)
    clear = None
    if again is None:  # the index, and which outputs use what, as a build that planned all made them
        made_from = uses_digest(plan, state.entries).encode()
        made_of = {index_key: index}
        if found.get(uses_from) != made_from:  # else the rows are those this plan makes (a template edited)
            made_of.update({**uses_rows(f"{uses}/", plan_uses(plan), state.entries), uses_from: made_from})
            clear = uses
    else:  # which outputs use the leaves that changed: all that used them were planned again
        now_uses = plan_uses(plan)
        made_of = {**uses_rows(f"{uses}/", {leaf: now_uses.get(leaf, ()) for leaf in changed_leaves}, ()),
                   uses_from: b""}  # no longer only what a whole plan made
    store.put_many("outputs", {published_key: new_manifest, state_key: kept, spare_key: spare_manifest, **made_of},
                   clear=clear)
    # the next build with the same inputs does nothing, and repeats this one's warnings
    store.put_many("outputs", {stamp_key: f"{publication.build}:{scan.stamp}\n{loaded.index.dates()}".encode()})
    if again is None:  # what this build's output is made of stays in the cache; nothing else does
        derivations = [page.data for page in plan.pages] + [item.content for item in plan.files] + list(plan.made_of)
        store.retain("values_", [value_key(d) for d in stored_values(derivations)])
        store.retain("records", list(state.record_keys.values()) + [MediaMeasures(store, loaded.config.root).key(d[0])
                                                                    for d in state.entries.values()])
        store.retain("files", [KnownDigests.ROW] + [folder.stamp for folder in scan.folders.values()])
    result.languages = len(loaded.config.languages)
    clock("keep")
    return None
