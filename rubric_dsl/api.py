"""The front door: load, check and compile rubric files. The CLI, the service and tests use this.

`load_library(dir)` never raises for a broken file: it gives the compiled rubrics of every
clean file and the diagnostics of every file. `load_dir`, `compile_file` and `compile_source`
raise `RubricError` when the rubric asked for has errors. A rubric's parents (`extends`) are
looked up by id among the `*.rubric` files of the library (`load_library`, `load_dir`), or, for one
file, beside it and then under the `rubrics` directory that holds it (`search_dirs`). Each compiled rubric
carries a content hash over its own source and its ancestors', so any score can be reproduced.

Work is kept by content (`cache`): a text already parsed (same path, same text) is not parsed again, and a
rubric whose whole chain of files (paths and texts) was checked and compiled before is taken as it was, so a
reload recompiles only the changed files and the rubrics that extend them. `load_library` also keeps trees
on disk for the next process; code objects are kept on disk by the generated source's hash (`codegen`).
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from rubric_dsl import ast, cache, checker
from rubric_dsl.diagnostics import Diagnostic, Language, has_errors, sort_diagnostics
from rubric_dsl.diagnostics import inherit as diag
from rubric_dsl.errors import RubricError
from rubric_dsl.files import read_source
from rubric_dsl.inherit import Inheritance
from rubric_dsl.parser import parse_kept
from rubric_dsl.program import CompiledRubric
from rubric_dsl.source import SourceFile, Span

RUBRIC_SUFFIX = ".rubric"
BUNDLED = "rubric_dsl.bundled"  # the rubrics that ship with the package (the repository's rubrics/)
ROOTS_NAME = "rubrics"  # the directory of every region's rubrics, where `extends` may cross regions
# The id of a file that does not parse, so that rubrics extending it can say it is broken.
RUBRIC_ID = re.compile(r"^\s*(?:abstract\s+)?rubric\s+([^\W\d][\w.]*)", re.MULTILINE)


@dataclass(slots=True)
class Library:
    rubrics: dict[str, CompiledRubric] = field(default_factory=dict)
    files: dict[str, list[Diagnostic]] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)
    ids: dict[str, str] = field(default_factory=dict)  # path -> rubric id, for files that parsed

    @property
    def diagnostics(self) -> list[Diagnostic]:
        return sort_diagnostics(d for found in self.files.values() for d in found)

    def render(self, diagnostics: Iterable[Diagnostic] | None = None, lang: Language = "en") -> str:
        chosen = self.diagnostics if diagnostics is None else diagnostics
        return "\n".join(d.render(self.sources.get(d.span.path), lang) for d in chosen)


def rubric_files(directory: str | Path) -> list[Path]:
    """The `*.rubric` files under `directory`, except any whose real path lies outside it (a symlink out)."""
    root = Path(directory).resolve()
    return sorted(
        p for p in Path(directory).rglob(f"*{RUBRIC_SUFFIX}") if p.is_file() and p.resolve().is_relative_to(root)
    )


def read_files(paths: Iterable[Path]) -> tuple[dict[str, str], dict[str, list[Diagnostic]]]:
    """The texts of the files that could be read, and what reading each file found (see `files`)."""
    texts: dict[str, str] = {}
    problems: dict[str, list[Diagnostic]] = {}
    for path in paths:
        text, found = read_source(path)
        if text is not None:
            texts[str(path)] = text
        if found:
            problems[str(path)] = found
    return texts, problems


def build_library(
    sources: Mapping[str, str],
    *,
    compile: bool = True,
    problems: Mapping[str, list[Diagnostic]] | None = None,
    keep_on_disk: bool = False,
) -> Library:
    """Parse, merge, check and (unless `compile=False`) compile every file; problems stay with the
    file they belong to, with what reading them found (`problems`, by path). Checking alone
    generates no code. `keep_on_disk`: parsed trees are kept on disk too (files of a directory)."""
    library = Library(sources=dict(sources))
    for path, found in (problems or {}).items():
        library.files[path] = list(found)
        library.sources.setdefault(path, "")
    trees: dict[str, ast.Rubric] = {}
    paths: dict[str, str] = {}
    unparsed: list[str] = []
    for path, text in sources.items():
        tree, found = parse_kept(SourceFile(path, text), on_disk=keep_on_disk)
        library.files[path] = [*library.files.get(path, []), *found]
        if tree is None:
            unparsed.extend(RUBRIC_ID.findall(text)[:1])
            continue
        if tree.id in trees:
            library.files[path].append(diag.duplicate_rubric(tree.id, trees[tree.id].span, tree.span))
            continue
        trees[tree.id] = tree
        paths[tree.id] = path
        library.ids[path] = tree.id
    clean: dict[str, bool] = {}
    inheritance = Inheritance(trees, lambda rubric_id: clean.get(rubric_id) is False, unparsed)

    def check(rubric_id: str) -> bool:
        if rubric_id in clean:
            return clean[rubric_id]
        clean[rubric_id] = False  # until proven clean; also ends a cycle in `extends`
        parent = trees[rubric_id].extends
        if parent is not None and parent.id in trees:
            check(parent.id)
        merged = inheritance.merge(rubric_id)
        path = paths[rubric_id]
        found = list(merged.diagnostics)
        checked = None
        key = ""
        kept: _Outcome | None = None
        if not merged.diagnostics and not merged.parent_failed:
            # what checking and compiling depend on: the chain's files, paths and texts
            key = cache.digest(*(part for i in merged.chain for part in (paths[i], sources[paths[i]])))
            kept = _outcomes.get(key)
            if kept is None:
                problems, checked = checker.check(merged.rubric)
                kept = _Outcome(tuple(problems), checked)
            found.extend(kept.problems)
            checked = kept.checked
        library.files[path] = sort_diagnostics([*library.files[path], *found])
        ok = not has_errors(library.files[path])
        clean[rubric_id] = ok
        if compile and ok and kept is not None and checked is not None and not checked.rubric.abstract:
            if kept.compiled is None:
                kept.compiled = CompiledRubric(
                    checked,
                    content_hash=content_hash(sources[paths[i]] for i in merged.chain),
                    source_text=sources[path],
                    path=path,
                    ancestors=merged.chain[1:],
                )
            library.rubrics[rubric_id] = kept.compiled
        if kept is not None:
            _outcomes.put(key, kept)
        return ok

    for rubric_id in trees:
        check(rubric_id)
    return library


@dataclass(slots=True)
class _Outcome:
    """What checking (and compiling, once asked) a rubric gave, kept by its chain's paths and texts."""

    problems: tuple[Diagnostic, ...]
    checked: checker.CheckedRubric | None
    compiled: CompiledRubric | None = None


_outcomes: cache.Memo[str, _Outcome] = cache.Memo(512)


def content_hash(texts: Iterable[str]) -> str:
    digest = hashlib.sha256()
    for text in texts:
        digest.update(text.encode("utf-8"))
        digest.update(b"\0")
    return "sha256:" + digest.hexdigest()


def load_library(directory: str | Path) -> Library:
    """Every rubric file under `directory`; a file that cannot be read or decoded fails alone, named."""
    texts, problems = read_files(rubric_files(directory))
    return build_library(texts, problems=problems, keep_on_disk=True)


def load_dir(directory: str | Path) -> dict[str, CompiledRubric]:
    library = load_library(directory)
    if has_errors(library.diagnostics):
        raise RubricError([d for d in library.diagnostics if d.severity == "error"], library.sources)
    return library.rubrics


def rubric_root(path: str | Path) -> Path:
    """The nearest directory named `rubrics` that holds `path` (the layout `rubric serve` reads, where
    one region's rubrics extend another's: rubrics/leting → rubrics/national), else the directory
    itself or the file's own directory."""
    given = Path(path)
    start = given if given.is_dir() else given.parent
    for candidate in (start, *start.parents):  # as the path was given, so that file names keep their form
        if candidate.name == ROOTS_NAME:
            return candidate
    for candidate in start.resolve().parents:  # a relative path from inside the tree
        if candidate.name == ROOTS_NAME:
            return candidate
    return start


def search_dirs(path: str | Path, rubrics: str | Path | None = None) -> list[Path]:
    """Where the parents (`extends`) of a rubric file, or of the rubrics under a directory, are looked
    up, the first to define an id winning: its own directory, then `rubrics` (`--rubrics DIR`), by
    default `rubric_root(path)`."""
    given = Path(path)
    own = given if given.is_dir() else given.parent
    return [own, Path(rubrics) if rubrics is not None else rubric_root(given)]


def sources_for(texts: Mapping[str, str], dirs: Iterable[str | Path]) -> dict[str, str]:
    """The rubric files under `dirs` and `texts` (path → text). A text stands in for the file of the same
    path or of the same rubric id; a file reached twice (two spellings, or a directory inside another)
    is read once; an id that an earlier directory (or a text) defines is not taken from a later one,
    while two files of one id in the same directory stay, for the checker to report."""
    seen = {key for key in map(_file_key, texts) if key is not None}
    taken = {found[0] for found in map(RUBRIC_ID.findall, texts.values()) if found}
    sources: dict[str, str] = {}
    for directory in dict.fromkeys(Path(d) for d in dirs):
        here: dict[str, str] = {}
        for file in rubric_files(directory):
            key = _file_key(str(file))
            if key is None or key in seen:
                continue
            text, _ = read_source(file)
            if text is None:
                continue  # a file that cannot be read is reported where it is checked itself
            own = RUBRIC_ID.findall(text)[:1]
            if own and own[0] in taken:
                continue
            seen.add(key)
            here[str(file)] = text
        taken.update(found[0] for found in map(RUBRIC_ID.findall, here.values()) if found)
        sources.update(here)
    sources.update(texts)
    return sources


def _file_key(path: str) -> tuple[int, int] | None:
    """The identity of the file at `path` (device, inode); None for a name that is no file, such as `<input>`."""
    try:
        status = os.stat(path)
    except (OSError, ValueError):  # no such file, or not even a path (a NUL byte)
        return None
    return status.st_dev, status.st_ino


def _with_text(path: str, text: str, search_dir: str | Path | None) -> dict[str, str]:
    """The rubrics under `search_dir`, with `text` standing in for the file of that path or that id."""
    return sources_for({path: text}, [search_dir] if search_dir is not None else [])


def check_source(text: str, path: str = "<input>", search_dir: str | Path | None = None) -> list[Diagnostic]:
    """The diagnostics of one rubric text; nothing is compiled."""
    library = build_library(_with_text(path, text, search_dir), compile=False)
    return library.files[path]


def compile_source(text: str, path: str = "<input>", search_dir: str | Path | None = None) -> CompiledRubric:
    library = build_library(_with_text(path, text, search_dir))
    return _take(library, path)


def compile_file(path: str | Path, search_dir: str | Path | None = None) -> CompiledRubric:
    """The rubric of one file; its parents are looked up in `search_dirs(path, search_dir)`: beside it,
    then under `search_dir`, by default the `rubrics` directory that holds it."""
    file = Path(path)
    text, found = read_source(file)
    if text is None:
        raise RubricError(found)
    library = build_library(sources_for({str(file): text}, search_dirs(file, search_dir)), problems={str(file): found})
    return _take(library, str(file))


def _take(library: Library, path: str) -> CompiledRubric:
    found = library.files[path]
    if has_errors(found):
        raise RubricError([d for d in found if d.severity == "error"], library.sources)
    rubric_id = library.ids[path]
    if rubric_id not in library.rubrics:
        raise RubricError([diag.abstract_not_scorable(rubric_id, Span(path, 1, 1, 1, 2))], library.sources)
    return library.rubrics[rubric_id]


def bundled_rubrics() -> Path:
    """The directory of the bundled rubrics: the checkout's `rubrics/`, or its installed copy."""
    return Path(str(resources.files(BUNDLED)))
