"""The benchmark's content as a Hugo site: page bundles with one index.<lang>.md per language."""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent


def convert(site: Path, target: Path) -> Path:
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(HERE / "hugo", target)
    for kind in ("products", "producers", "events"):
        for entry in sorted((site / "content" / kind).iterdir()):
            facts = yaml.safe_load((entry / f"{kind[:-1]}.yaml").read_text(encoding="utf-8")) or {}
            facts.pop("start", None), facts.pop("end", None)
            bundle = target / "content" / kind / entry.name
            bundle.mkdir(parents=True)
            for text in sorted(entry.glob("*.md")):
                _, front, body = text.read_text(encoding="utf-8").split("---\n", 2)
                meta = yaml.safe_load(front)
                meta = {"title": meta["name"], "summary": meta["summary"], **facts}
                (bundle / f"index.{text.stem}.md").write_text(
                    "---\n" + yaml.safe_dump(meta, allow_unicode=True) + "---\n" + body, encoding="utf-8")
    return target
