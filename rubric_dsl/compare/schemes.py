"""The schemes of a comparison and the rubrics they name, each compiled once (its index is its slot)."""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from rubric_dsl.api import Library, build_library, compile_file, load_library, search_dirs, sources_for
from rubric_dsl.compare.records import CompareError
from rubric_dsl.diagnostics import did_you_mean, did_you_mean_zh
from rubric_dsl.errors import RubricError
from rubric_dsl.parser import parse
from rubric_dsl.program import CompiledRubric
from rubric_dsl.source import SourceFile

PATTERN_CHARS = frozenset("*?[")


@dataclass(frozen=True, slots=True)
class RubricRef:
    """What a worker needs to compile a rubric again: the source texts of it and its ancestors, read
    once, here, so that a file edited during the run cannot make workers score differently."""

    id: str
    origin: str  # the directory or file it was found through; rubrics of one origin compile together
    sources: tuple[tuple[str, str], ...]  # (path, text) of the rubric and each ancestor
    content_hash: str


def compile_refs(refs: Sequence[RubricRef]) -> list[CompiledRubric]:
    """The rubrics of `refs` compiled again from their source texts (in a worker, an executor), each
    checked against its content hash: a rubric that does not compile, or compiles to another hash,
    is an error. Rubrics of one origin compile together, once per process (`_COMPILED`)."""
    missing = [ref for ref in refs if ref not in _COMPILED]
    origins: dict[str, dict[str, str]] = {}
    for ref in missing:
        origins.setdefault(ref.origin, {}).update(ref.sources)
    libraries = {origin: build_library(sources) for origin, sources in origins.items()}
    broken, changed = [], []
    for ref in missing:
        rubric = libraries[ref.origin].rubrics.get(ref.id)
        if rubric is None:
            broken.append(ref.id)
        elif rubric.content_hash != ref.content_hash:
            changed.append(f"{ref.id} ({ref.content_hash[:15]} → {rubric.content_hash[:15]})")
        else:
            _COMPILED[ref] = rubric
    if broken or changed:
        raise CompareError(
            f"a worker compiled different rubrics: {', '.join(broken + changed)}",
            f"工作进程编译出的评分规则与本进程的不同：{'、'.join(broken + changed)}",
        )
    return [_COMPILED[ref] for ref in refs]


_COMPILED: dict[RubricRef, CompiledRubric] = {}  # this process's, by the sources and hash they came from


@dataclass(frozen=True, slots=True)
class Scheme:
    """One column of the comparison: one rubric, or several with records routed among them."""

    name: str  # as given on the command line, e.g. "wuping.*"
    members: tuple[int, ...]  # rubric slots
    pairs: tuple[tuple[str, int], ...] = ()  # FROM=TO: records whose baseline rubric is FROM use slot TO

    def slots(self) -> tuple[int, ...]:
        """Every rubric slot the scheme may score with, members first, each once."""
        return tuple(dict.fromkeys([*self.members, *(slot for _, slot in self.pairs)]))


class Rubrics:
    """Every rubric the schemes name, compiled once each; a rubric's index here is its slot."""

    def __init__(self, directory: str | Path | None) -> None:
        """`directory`: where ids are looked up (None: ./rubrics) and, when given, the parents of files."""
        self.directory = Path(directory) if directory is not None else Path("rubrics")
        self.parents = Path(directory) if directory is not None else None
        self.refs: list[RubricRef] = []
        self.compiled: list[CompiledRubric] = []
        self._library: Library | None = None
        self._families: dict[str, dict[str, str]] = {}

    def find(self, name: str) -> list[int]:
        if name.endswith(".rubric") or Path(name).is_file():
            return [self._file(name)]
        if PATTERN_CHARS & set(name):
            library = self._load()
            found = sorted(i for i in library.rubrics if fnmatch.fnmatchcase(i, name))
            if not found:
                raise CompareError(
                    f"no rubric in {self.directory} matches `{name}`",
                    f"{self.directory} 中没有与 `{name}` 相符的评分规则",
                )
            return [self._by_id(i) for i in found]
        return [self._by_id(name)]

    def _load(self) -> Library:
        if self._library is None:
            if not self.directory.is_dir():
                raise CompareError(
                    f"rubric directory {self.directory} does not exist; name one with --rubrics DIR",
                    f"评分规则目录 {self.directory} 不存在；请用 --rubrics 目录 指定",
                )
            self._library = load_library(self.directory)
        return self._library

    def _by_id(self, name: str) -> int:
        library = self._load()
        if name not in library.rubrics:
            broken = [path for path, rubric_id in library.ids.items() if rubric_id == name]
            if broken:
                raise RubricError([d for d in library.files[broken[0]] if d.severity == "error"], library.sources)
            known = sorted(library.rubrics)
            raise CompareError(
                f"unknown rubric `{name}` in {self.directory}{did_you_mean(name, known)}",
                f"{self.directory} 中没有评分规则 `{name}`{did_you_mean_zh(name, known)}",
            )
        return self._add(str(self.directory), library.rubrics[name], library.sources)

    def _file(self, name: str) -> int:
        if not Path(name).is_file():
            raise CompareError(f"{name}: no such file", f"{name}：没有这个文件")
        parents = self.parents  # --rubrics when given, else the rubrics/ directory that holds the file
        rubric = compile_file(name, parents)
        sources = sources_for({rubric.path: rubric.source_text}, search_dirs(name, parents))
        return self._add(name, rubric, sources)

    def _add(self, origin: str, rubric: CompiledRubric, sources: Mapping[str, str]) -> int:
        for slot, ref in enumerate(self.refs):
            if (ref.id, ref.origin) == (rubric.id, origin):
                return slot
        files = self._files(origin, sources)
        paths = [rubric.path, *(files[i] for i in rubric.ancestors if i in files)]
        self.refs.append(RubricRef(rubric.id, origin, tuple((p, sources[p]) for p in paths), rubric.content_hash))
        self.compiled.append(rubric)
        return len(self.refs) - 1

    def _files(self, origin: str, sources: Mapping[str, str]) -> dict[str, str]:
        """Rubric id → its file, over the files a rubric's parents are found in."""
        if origin not in self._families:
            found: dict[str, str] = {}
            for path, text in sources.items():
                tree, _ = parse(SourceFile(path, text))
                if tree is not None:
                    found.setdefault(tree.id, path)
            self._families[origin] = found
        return self._families[origin]


def load_schemes(specs: Sequence[str], directory: str | Path | None, *, mixed: bool) -> tuple[list[Scheme], Rubrics]:
    """Each spec is one scheme: ids, .rubric files, patterns (`wuping.*`) and, with a rubric
    column, FROM=TO pairs, separated by commas."""
    rubrics = Rubrics(directory)
    schemes = [_scheme(spec, rubrics, mixed) for spec in specs]
    if not schemes:
        raise CompareError("name at least one rubric with --rubric", "请用 --rubric 指定至少一个评分规则")
    return schemes, rubrics


def _scheme(spec: str, rubrics: Rubrics, mixed: bool) -> Scheme:
    members: list[int] = []
    pairs: list[tuple[str, int]] = []
    for item in (part.strip() for part in spec.split(",")):
        if "=" in item:
            source, _, target = item.partition("=")
            found = rubrics.find(target.strip())
            if len(found) != 1 or not source.strip():
                raise CompareError(
                    f"`{item}`: a pair is FROM=TO, one rubric id on each side",
                    f"`{item}`：配对应写作 原评分规则=新评分规则，等号两边各一个评分规则编号",
                )
            pairs.append((source.strip(), found[0]))
        elif item:
            members.extend(s for s in rubrics.find(item) if s not in members)
    if not members and not pairs:
        raise CompareError(f"--rubric `{spec}` names no rubric", f"--rubric `{spec}` 没有指定任何评分规则")
    if not mixed and (pairs or len(members) > 1):
        ids = [rubrics.compiled[s].id for s in members]
        raise CompareError(
            f"`{spec}` names several rubrics ({', '.join(ids)}) or pairs; "
            "say which rubric scores each record with --rubric-column COLUMN",
            f"`{spec}` 指定了多个评分规则（{'、'.join(ids)}）或配对；"
            "请用 --rubric-column 列名 指明每条记录由哪个评分规则评分",
        )
    return Scheme(spec, tuple(members), tuple(pairs))
