"""Compile caches: a reload recompiles only the changed files and their heirs; the grammar, trees and code
objects kept on disk are used by the next process, give the same rubrics, and a broken entry or a cache
directory that cannot be written changes nothing but the speed."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import rubric_dsl
from rubric_dsl import cache

ROOT = Path(__file__).resolve().parents[1]
BUNDLED = ROOT / "rubrics"


def test_a_reload_recompiles_only_the_changed_file_and_its_heirs(tmp_path: Path) -> None:
    rubrics = shutil.copytree(BUNDLED, tmp_path / "rubrics")
    before = rubric_dsl.load_library(rubrics)
    again = rubric_dsl.load_library(rubrics)
    assert all(again.rubrics[rid] is before.rubrics[rid] for rid in before.rubrics)  # nothing changed: all kept
    # an edit of a parent: it and every rubric extending it are compiled anew, the others are kept
    parent = next(r for r in before.rubrics.values() if r.ancestors)
    parent_id = parent.ancestors[0]
    parent_path = Path(next(p for p, i in before.ids.items() if i == parent_id))
    text = parent_path.read_text(encoding="utf-8")
    parent_path.write_text(text + "\n# edited\n", encoding="utf-8")
    after = rubric_dsl.load_library(rubrics)
    heirs = {rid for rid, r in before.rubrics.items() if parent_id in r.ancestors or rid == parent_id}
    assert heirs and set(after.rubrics) == set(before.rubrics)
    for rid, rubric in after.rubrics.items():
        if rid in heirs:
            assert rubric is not before.rubrics[rid] and rubric.content_hash != before.rubrics[rid].content_hash
        else:
            assert rubric is before.rubrics[rid]
    assert {rid: r.content_hash for rid, r in after.rubrics.items()} == {
        rid: r.content_hash for rid, r in rubric_dsl.build_library(after.sources).rubrics.items()
    }


LOAD = """
import json, sys
import rubric_dsl
from rubric_dsl import cache
library = rubric_dsl.load_library(sys.argv[1])
hashes = {i: r.content_hash for i, r in library.rubrics.items()}
print(json.dumps({"dir": str(cache.cache_dir()), "hashes": hashes, "diagnostics": len(library.diagnostics)}))
"""


def _fresh(cache_dir: str) -> dict[str, object]:
    env = {**os.environ, "RUBRIC_CACHE_DIR": cache_dir, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", LOAD, str(BUNDLED)], env=env, capture_output=True, text=True, timeout=120, check=True
    )
    assert "Traceback" not in done.stderr
    return dict(json.loads(done.stdout))


def test_a_fresh_process_uses_what_the_last_one_kept(tmp_path: Path) -> None:
    kept = tmp_path / "cache"
    first = _fresh(str(kept))
    assert first["dir"] == str(kept)
    kinds = {p.name: len(list(p.iterdir())) for p in kept.iterdir() if p.is_dir()}
    assert kinds.keys() == {"grammar", "trees", "code"} and all(kinds.values())
    written = {p: p.stat().st_mtime_ns for p in kept.rglob("*.bin")}
    second = _fresh(str(kept))
    assert second["hashes"] == first["hashes"] and second["diagnostics"] == first["diagnostics"]
    assert {p: p.stat().st_mtime_ns for p in kept.rglob("*.bin")} == written  # read, not made again
    # broken entries are missing ones: made again, same rubrics
    for entry in kept.rglob("*.bin"):
        entry.write_bytes(b"\x00not an entry")
    third = _fresh(str(kept))
    assert third["hashes"] == first["hashes"]


def test_a_cache_directory_that_cannot_be_made_changes_nothing_but_speed(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory", encoding="utf-8")
    unusable = _fresh(str(blocker / "cache"))
    assert unusable["dir"] == "None"
    off = _fresh("off")
    assert off["dir"] == "None"
    assert unusable["hashes"] == off["hashes"] == _fresh(str(tmp_path / "cache"))["hashes"]


def test_memo_drops_the_least_recently_used() -> None:
    memo: cache.Memo[str, int] = cache.Memo(2)
    memo.put("a", 1)
    memo.put("b", 2)
    assert memo.get("a") == 1  # a is now the most recent
    memo.put("c", 3)
    assert (memo.get("a"), memo.get("b"), memo.get("c")) == (1, None, 3)


def test_entry_names_are_hashes_of_all_their_parts() -> None:
    assert cache.digest("ab", "c") != cache.digest("a", "bc")
    assert len(cache.digest("x")) == 64
