"""The workbench's operations: a draft rubric's text checked, outlined, scored, tested, rendered and saved.

Takes: the served directory's ``Registry``, whether the page may write there (``rubric studio``: yes;
``rubric serve --http-port``: no), and per call a JSON object: ``path`` (a ``*.rubric`` file relative to
the directory), ``source`` (the editor's text; the file's own when absent), ``facts``, ``lang``.

Guarantees:

* a draft is checked and compiled with the directory's other rubrics as its parents, standing in for
  the file of its path; nothing is written unless the page may write, and then only ``save`` writes, to a
  ``*.rubric`` file inside the directory, after which the served rubrics are reloaded;
* diagnostics carry both languages and the CLI's rendering (code, ``path:line:col``, caret);
* at most ``MAX_DRAFTS`` drafts are worked on at once (RESOURCE_EXHAUSTED past that), a draft is at most
  ``MAX_SOURCE_BYTES``, so the page's keystrokes cannot starve scoring;
* a problem is a ``ServiceError`` worded in Chinese and English: a bad path or body INVALID_ARGUMENT, a write
  on a shared server PERMISSION_DENIED, bad facts INVALID_FACTS (every bad fact named) inside a 200 reply of
  ``score``, in the language of ``lang`` (the page shows them beside their fields).
"""

from __future__ import annotations

import json
import tempfile
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
from google.protobuf import json_format

from rubric_dsl import EvaluationError, InvalidFacts
from rubric_dsl.api import Library, build_library, rubric_files, sources_for
from rubric_dsl.coverage import Coverage
from rubric_dsl.diagnostics import Diagnostic
from rubric_dsl.formatter import format_source
from rubric_dsl.limits import MAX_SOURCE_BYTES
from rubric_dsl.program import CompiledRubric
from rubric_dsl.sheet import render_html, render_markdown, render_xlsx, sheet_table, split_facts
from rubric_dsl.testcases import TESTS_SUFFIX, run_file
from rubric_service import convert, errors
from rubric_service.errors import ServiceError
from rubric_service.gen.rubric.v1 import rubric_service_pb2 as pb
from rubric_service.registry import Registry, RubricNotFound

MAX_DRAFTS = 2
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MEDIA = {"html": "text/html; charset=utf-8", "md": "text/markdown; charset=utf-8", "xlsx": XLSX}


@dataclass(frozen=True)
class Download:
    content: bytes
    media_type: str
    name: str


def json_object(data: bytes) -> dict[str, Any]:
    try:
        body = json.loads(data.decode("utf-8") or "{}")
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise errors.undecodable(f"the body is not JSON: {exc}") from exc
    if not isinstance(body, dict):
        raise errors.undecodable("the body must be a JSON object")
    return body


def diagnostic_json(d: Diagnostic, source: str) -> dict[str, Any]:
    span = d.span
    return {
        "code": d.code,
        "severity": d.severity,
        "line": span.line,
        "column": span.column,
        "endLine": span.end_line,
        "endColumn": span.end_column,
        "message": d.message,
        "messageZh": d.message_zh or d.message,
        "rendered": d.render(source, "en"),
        "renderedZh": d.render(source, "zh"),
    }


def format_reply(body: Mapping[str, Any]) -> dict[str, Any]:
    """``{source}`` in the canonical layout: ``{ok, source, changed, diagnostics}``."""
    source = _text(body, "source")
    path = str(body.get("path") or "<input>")
    formatted, problems = format_source(source, path)
    return {
        "ok": formatted is not None,
        "source": formatted if formatted is not None else source,
        "changed": formatted is not None and formatted != source,
        "diagnostics": [diagnostic_json(d, source) for d in problems],
    }


def _text(body: Mapping[str, Any], key: str) -> str:
    value = body.get(key, "")
    if not isinstance(value, str):
        raise errors.bad_fields({key: "must be a text"}, problems_zh={key: "应为文本"})
    if len(value.encode("utf-8")) > MAX_SOURCE_BYTES:
        raise errors.bad_fields(
            {key: f"larger than the {MAX_SOURCE_BYTES} bytes a rubric may have"},
            problems_zh={key: f"超过评分规则的上限{MAX_SOURCE_BYTES}字节"},
        )
    return value


def _sheet_bytes(rubric: CompiledRubric, result: Any, sheet_format: str, header: Mapping[str, Any]) -> bytes:
    table = sheet_table(rubric, result, header)
    if sheet_format == "xlsx":
        with tempfile.TemporaryDirectory() as scratch:
            target = Path(scratch) / "sheet.xlsx"
            render_xlsx(table, target)
            return target.read_bytes()
    return (render_html(table) if sheet_format == "html" else render_markdown(table)).encode("utf-8")


def _score(rubric: CompiledRubric, facts: Mapping[str, Any]) -> Any:
    try:
        return rubric.score(facts)
    except InvalidFacts as exc:
        raise errors.invalid_facts(exc, rubric.id) from exc
    except EvaluationError as exc:
        raise errors.evaluation_failed(exc, rubric.id) from exc


def served_sheet(servicer: Any, request: pb.ScoreRequest, sheet_format: Any, header: Any) -> tuple[bytes, str, str]:
    """The 评分表 of a served rubric (``POST /v1/sheet``): scored when the request has facts."""
    if sheet_format not in MEDIA:
        raise _bad_format()
    if not isinstance(header, dict):
        raise errors.bad_fields(
            {"header": "must be an object of header fields"}, problems_zh={"header": "应为表头各栏组成的对象"}
        )
    if not request.rubric:
        raise errors.bad_fields({"rubric": "name the rubric"}, problems_zh={"rubric": "请写明评分规则"})
    try:
        rubric = servicer.registry.snapshot().get(request.rubric, request.version)
    except RubricNotFound as exc:
        raise errors.not_found(exc) from exc
    try:
        given = convert.facts_of(request)
    except convert.FactsNotDecoded as exc:
        raise errors.bad_fields(exc.problems, "INVALID_FACTS", exc.problems_zh) from exc
    facts, found = split_facts(rubric, given)
    result = _score(rubric, facts) if given else None
    content = _sheet_bytes(rubric, result, sheet_format, {**found, **header})
    return content, MEDIA[sheet_format], f"{rubric.id}.{sheet_format}"


class Studio:
    """The workbench over one registry; ``writable`` only for ``rubric studio``."""

    def __init__(self, registry: Registry, *, writable: bool) -> None:
        self.registry = registry
        self.writable = writable
        self._drafts = threading.BoundedSemaphore(MAX_DRAFTS)

    @property
    def root(self) -> Path:
        return self.registry.directory.resolve()

    def call(self, action: str, body: dict[str, Any]) -> dict[str, Any] | Download:
        handlers: dict[str, Callable[[Mapping[str, Any]], dict[str, Any] | Download]] = {
            "info": self.info,
            "file": self.file,
            "analyze": self.analyze,
            "score": self.score,
            "tests": self.tests,
            "sheet": self.sheet,
            "save": self.save,
        }
        handler = handlers.get(action)
        if handler is None:
            raise ServiceError(
                grpc.StatusCode.NOT_FOUND,
                "NO_SUCH_ACTION",
                f"the workbench has no {action[:50]!r}",
                message_zh=f"工作台没有“{action[:50]}”这个操作",
            )
        if action in ("info", "file"):
            return handler(body)
        if not self._drafts.acquire(blocking=False):
            raise errors.too_much(
                "TOO_MANY_DRAFTS",
                "the workbench is busy with other drafts; try again",
                {},
                "工作台正忙于其他草稿，请稍后再试",
            )
        try:
            return handler(body)
        finally:
            self._drafts.release()

    # -- files ---------------------------------------------------------------------------------------------

    def _path(self, body: Mapping[str, Any]) -> Path:
        raw = body.get("path")
        if not isinstance(raw, str) or not raw or len(raw) > 500:
            raise errors.bad_fields(
                {"path": "name a .rubric file of the directory, e.g. wuping/inspection.rubric"},
                problems_zh={"path": "请写明目录中的一个评分规则文件，如“wuping/inspection.rubric”"},
            )
        try:
            path = (self.root / raw).resolve()
        except (OSError, ValueError):  # a NUL byte, a symlink loop
            path = self.root
        if not path.is_relative_to(self.root) or path.suffix != ".rubric":
            raise errors.bad_fields(
                {"path": f"{raw[:200]!r} is not a .rubric file inside the directory"},
                problems_zh={"path": f"“{raw[:200]}”不是目录中的评分规则文件"},
            )
        return path

    def info(self, body: Mapping[str, Any]) -> dict[str, Any]:
        snapshot = self.registry.snapshot()
        served = {str(Path(p).resolve()): rid for rid, (p, _) in snapshot.texts.items()}
        files = []
        for file in rubric_files(self.root):
            real = file.resolve()
            files.append({"path": real.relative_to(self.root).as_posix(), "id": served.get(str(real), "")})
        return {"mode": "studio" if self.writable else "server", "writable": self.writable, "files": files}

    @staticmethod
    def _read(path: Path, body: Mapping[str, Any]) -> str:
        try:
            return path.read_text(encoding="utf-8")
        except (OSError, UnicodeError) as exc:
            raise ServiceError(
                grpc.StatusCode.NOT_FOUND,
                "NO_SUCH_FILE",
                f"{str(body['path'])[:200]}: cannot read it",
                message_zh=f"无法读取“{str(body['path'])[:200]}”",
            ) from exc

    def file(self, body: Mapping[str, Any]) -> dict[str, Any]:
        path = self._path(body)
        source = self._read(path, body)
        tests = path.with_name(path.name.removesuffix(".rubric") + TESTS_SUFFIX)
        return {"path": body["path"], "source": source, "hasTests": tests.is_file()}

    def save(self, body: Mapping[str, Any]) -> dict[str, Any]:
        if not self.writable:
            raise ServiceError(
                grpc.StatusCode.PERMISSION_DENIED,
                "READ_ONLY",
                "this server's rubrics are read-only from the page: drafts are checked and scored, never written;"
                " use `rubric studio DIR` to edit your own directory",
                message_zh="此服务器上的评分规则在页面中只读：草稿只检查与评分，不写入；"
                "要编辑自己的目录，请用 `rubric studio DIR`",
            )
        path = self._path(body)
        source = _text(body, "source")
        if not path.parent.is_dir():
            raise errors.bad_fields(
                {"path": f"{str(body['path'])[:200]}: its folder does not exist"},
                problems_zh={"path": f"“{str(body['path'])[:200]}”所在的文件夹不存在"},
            )
        scratch = path.with_name(path.name + ".saving")
        scratch.write_text(source, encoding="utf-8")
        scratch.replace(path)
        snapshot = self.registry.reload()
        return {"saved": body["path"], "rubrics": len(snapshot.rubrics)}

    # -- drafts --------------------------------------------------------------------------------------------

    def _library(self, body: Mapping[str, Any]) -> tuple[Library, str, str]:
        path = self._path(body)
        source = _text(body, "source") if "source" in body else self._read(path, body)
        library = build_library(sources_for({str(path): source}, [self.root]))
        return library, str(path), source

    def _compiled(self, body: Mapping[str, Any]) -> tuple[CompiledRubric, Library, str]:
        library, path, _ = self._library(body)
        rubric_id = library.ids.get(path)
        if rubric_id is None or rubric_id not in library.rubrics:
            raise ServiceError(
                grpc.StatusCode.FAILED_PRECONDITION,
                "DRAFT_HAS_ERRORS",
                "the draft has errors (see its diagnostics) or is abstract; it cannot be scored",
                message_zh="草稿有错误（见问题列表）或是抽象评分规则，无法计分",
            )
        return library.rubrics[rubric_id], library, path

    def analyze(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """Diagnostics, outline (the compiled rubric as ``rubric.v1.Rubric``) and the blank 评分表."""
        library, path, source = self._library(body)
        found = library.files.get(path, [])
        rubric_id = library.ids.get(path)
        rubric = library.rubrics.get(rubric_id) if rubric_id else None
        reply: dict[str, Any] = {
            "diagnostics": [diagnostic_json(d, source) for d in found],
            "errors": sum(d.severity == "error" for d in found),
            "rubric": None,
            "sheet": None,
        }
        if rubric is not None:
            message = convert.rubric_message(rubric)
            message.ClearField("source_text")
            reply["rubric"] = json_format.MessageToDict(message)
            reply["sheet"] = render_html(sheet_table(rubric))
        return reply

    def _facts(self, rubric: CompiledRubric, body: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        facts = body.get("facts", {})
        if not isinstance(facts, dict):
            raise errors.bad_fields(
                {"facts": "must be an object of fact names to values"}, problems_zh={"facts": "应为事实名到值的对象"}
            )
        return split_facts(rubric, {k: v for k, v in facts.items() if v not in ("", None)})

    def score(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """The draft scored on ``facts``: the ``ScoreResponse`` with explanations and the 评分表, or ``error``
        (a ``google.rpc.Status``-shaped object naming every bad fact)."""
        rubric, _, _ = self._compiled(body)
        facts, header = self._facts(rubric, body)
        lang = "en" if body.get("lang") == "en" else "zh"
        try:
            result = _score(rubric, facts)
        except ServiceError as exc:
            return {"error": _status_json(exc, errors.EN if lang == "en" else errors.ZH)}
        reply = json_format.ParseDict(result.to_dict(lang), pb.ScoreResponse(), ignore_unknown_fields=True)
        return {
            "result": json_format.MessageToDict(reply),
            "sheet": render_html(sheet_table(rubric, result, header)),
        }

    def sheet(self, body: Mapping[str, Any]) -> Download:
        rubric, _, _ = self._compiled(body)
        sheet_format = body.get("format", "xlsx")
        if sheet_format not in MEDIA:
            raise _bad_format()
        facts, header = self._facts(rubric, body)
        result = _score(rubric, facts) if facts else None
        return Download(_sheet_bytes(rubric, result, sheet_format, header), MEDIA[sheet_format],
                        f"{rubric.id}.{sheet_format}")  # fmt: skip

    def tests(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """The test cases beside the draft's file, run on the draft, and the clauses they reach."""
        library, path, _ = self._library(body)
        tests = Path(path).with_name(Path(path).name.removesuffix(".rubric") + TESTS_SUFFIX)
        if not tests.is_file():
            return {"file": None, "cases": [], "passed": 0, "failed": 0, "coverage": None}
        outcomes = run_file(tests, library)
        rubric_id = library.ids.get(path)
        rubric = library.rubrics.get(rubric_id) if rubric_id else None
        coverage = Coverage(rubric) if rubric is not None else None
        cases = []
        for outcome in outcomes:
            if coverage is not None and outcome.result is not None and outcome.rubric == rubric_id:
                coverage.add(outcome.result)
            cases.append({"name": outcome.name, "passed": outcome.passed, "failures": list(outcome.failures)})
        reply: dict[str, Any] = {
            "file": tests.relative_to(self.root).as_posix(),
            "cases": cases,
            "passed": sum(c["passed"] for c in cases),
            "failed": sum(not c["passed"] for c in cases),
            "coverage": None,
        }
        if coverage is not None:
            clauses, missed = coverage.clauses(), coverage.missed()
            missed_keys = {c.key for c in missed}
            reply["coverage"] = {
                "clauses": len(clauses),
                "reached": len(clauses) - len(missed),
                "lines": [
                    {"line": c.span.line, "clause": c.label, "reached": c.key not in missed_keys}
                    for c in clauses
                    if c.span.path == path
                ],
            }
        return reply


def _bad_format() -> ServiceError:
    return errors.bad_fields({"format": "one of xlsx, html, md"}, problems_zh={"format": "应为 `xlsx`、`html` 或 `md`"})


def _status_json(error: ServiceError, locale: str) -> dict[str, Any]:
    """A bad draft's facts inside a 200 reply: the message and each fact's problem in `locale`."""
    return {
        "code": error.code_number,
        "reason": error.reason,
        "message": error.text(locale),
        "fieldViolations": [
            {"field": v.field, "description": v.text(locale), "reason": v.reason} for v in error.violations
        ],
    }
