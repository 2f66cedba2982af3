"""Loading the bundled rubrics: the compile caches against no cache, timed in the same run.

* in a warm process: ``load_library`` of the bundled rubrics again (every memo kept: what a reload with no
  change costs), after one file changed (a reload: the file and its heirs are compiled again), and with the
  memos emptied before each load (what every load cost before the caches);
* in a fresh process (``python -c``, timed from after ``import rubric_dsl`` to the loaded library, so the
  grammar is built or read within it): with an empty cache directory (the first run after an install or a
  change of the grammar), with the cache directory the previous runs filled, and with the disk cache off.

Prints the median of ``--rounds`` runs of each, and the ratios. The issue's targets: a warm load under
30 ms, a fresh process under 150 ms.

    python bench/load_bench.py [--rounds 7]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import rubric_dsl  # noqa: E402
from rubric_dsl import cache  # noqa: E402

BUNDLED = ROOT / "rubrics"
FRESH = """
import time
t0 = time.perf_counter()
import rubric_dsl
t1 = time.perf_counter()
library = rubric_dsl.load_library({rubrics!r})
t2 = time.perf_counter()
assert library.rubrics
print({{"import": t1 - t0, "load": t2 - t1}})
"""


def warm(rounds: int, scratch: Path) -> dict[str, float]:
    rubrics = shutil.copytree(BUNDLED, scratch / "rubrics")
    rubric_dsl.load_library(rubrics)
    kept, edited, forgotten = [], [], []
    some_file = sorted(rubrics.rglob("*.rubric"))[0]
    text = some_file.read_text(encoding="utf-8")
    for n in range(rounds):
        start = time.perf_counter()
        rubric_dsl.load_library(rubrics)
        kept.append(time.perf_counter() - start)
        some_file.write_text(text + f"\n# edit {n}\n", encoding="utf-8")
        start = time.perf_counter()
        rubric_dsl.load_library(rubrics)
        edited.append(time.perf_counter() - start)
        cache.forget()
        start = time.perf_counter()
        rubric_dsl.load_library(rubrics)  # the trees and code come from disk still: see the fresh figures
        forgotten.append(time.perf_counter() - start)
    some_file.write_text(text, encoding="utf-8")
    return {
        "warm, nothing changed": statistics.median(kept),
        f"warm, {some_file.name} edited": statistics.median(edited),
        "warm, memos emptied (trees and code from disk)": statistics.median(forgotten),
    }


def fresh(cache_dir: str) -> dict[str, float]:
    env = {**os.environ, "RUBRIC_CACHE_DIR": cache_dir, "PYTHONPATH": str(ROOT)}
    code = FRESH.format(rubrics=str(BUNDLED))
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    return dict(eval(done.stdout))  # our own child's dict of floats


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="load-bench-") as scratch_dir:
        scratch = Path(scratch_dir)
        figures = {"fresh, disk cache off": [], "fresh, empty cache directory": [], "fresh, cache kept": []}
        imports = []
        for n in range(args.rounds):  # interleaved, so that whatever else the machine does hits all alike
            off = fresh("off")
            empty = fresh(str(scratch / f"empty-{n}"))
            filled = fresh(str(scratch / "kept"))
            figures["fresh, disk cache off"].append(off["load"])
            figures["fresh, empty cache directory"].append(empty["load"])
            figures["fresh, cache kept"].append(filled["load"])
            imports.append(off["import"])
        rows = {name: statistics.median(times) for name, times in figures.items()}
        os.environ["RUBRIC_CACHE_DIR"] = str(scratch / "kept")
        rows.update(warm(args.rounds, scratch))
    cold = rows["fresh, disk cache off"]
    print(f"{len(list(BUNDLED.rglob('*.rubric')))} files; median of {args.rounds} rounds; "
          f"`import rubric_dsl` itself {statistics.median(imports) * 1000:.0f} ms (not counted below)\n")  # fmt: skip
    print("| load | ms | / fresh without cache |\n|---|---:|---:|")
    for name, seconds in rows.items():
        print(f"| {name} | {seconds * 1000:.1f} | {seconds / cold:.2f} |")
    print(json.dumps({k: round(v * 1000, 1) for k, v in rows.items()}, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
