"""CheckRubric's check: one rubric text, checked beside the served directory.

Takes: rubric source text, the name to report it under, and the served directory.
Guarantees: pure -- nothing is written, stored or served; the directory's
``*.rubric`` files are read only so that ``extends`` finds its parents. When the
text defines a rubric id that a file in the directory also defines (an edited
copy of a served or parent rubric), the text stands in for that file instead of
clashing with it as a duplicate.
"""

from __future__ import annotations

from pathlib import Path

import rubric_dsl
from rubric_dsl import Diagnostic

RUBRIC_SUFFIX = ".rubric"


def _directory_sources(directory: Path) -> dict[str, str]:
    files = sorted(p for p in directory.rglob(f"*{RUBRIC_SUFFIX}") if p.is_file())
    return {str(p): p.read_text(encoding="utf-8") for p in files}


def check_text(text: str, path: str, directory: Path) -> list[Diagnostic]:
    """Every diagnostic of ``text`` (reported under ``path``), parents taken from ``directory``."""
    alone = rubric_dsl.build_library({path: text})
    own_id = alone.ids.get(path)
    if own_id is None:  # does not parse: nothing in the directory can help
        return alone.files[path]
    try:
        sources = _directory_sources(directory)
    except OSError:
        return alone.files[path]
    same_id = {p for p, i in rubric_dsl.build_library(sources).ids.items() if i == own_id}
    sources = {p: t for p, t in sources.items() if p not in same_id and p != path}
    sources[path] = text
    return rubric_dsl.build_library(sources).files[path]
