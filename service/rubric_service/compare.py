"""``Compare``: the protobuf side of scoring a stream of records under several schemes of served rubrics.

The comparing itself is ``rubric_dsl.compare``'s engine (``Comparer``), the one ``rubric compare``
runs: routing, the facts each rubric is given, scoring, grade changes and indicator differences,
the weight rule and the rule for facts no compared rubric declares, and the statistics. So the RPC
and ``rubric compare`` agree to the last decimal on the same records, and treat a bad weight or an
unknown fact by the same rules. What is here: the setup's checks, the call's bounds, protobuf ⇄
the engine's records and results, and errors worded as ``Score`` words them (in zh-CN and en-US, the
message in the call's language: ``Session.score``'s `locale`).

Takes: the first request's ``CompareSetup`` (schemes of rubric ids, each id optionally pinned to a
version) and one registry snapshot; then batches of ``CompareRecord``. Guarantees:

* the setup is checked whole before any record is scored: every bad field is named at once
  (INVALID_ARGUMENT), then an unknown rubric or version is NOT_FOUND, as ``Score`` says it;
* every record is scored against the rubrics of that one snapshot, so a reload during the call
  changes nothing in it;
* a record's facts are checked as ``Score`` checks them, rubric by rubric, and a problem becomes
  that scheme's ``ScoreError`` (the same code, reason, message and violations ``Score`` would have
  failed with for the facts that rubric declares); a fact that only some compared rubrics declare
  is not given to the others; what is wrong whatever the scheme (a fact that no compared rubric
  declares, with did-you-mean, unless ``allow_extra_facts``; too many facts; a bad id or rubric
  name) is one error of the record, scored under none, so that no error is repeated once per
  scheme; a bad weight is the record's error too, but the record is still scored and left out of
  weighted means (``rubric_dsl.compare.rules``);
* records are routed among a scheme's rubrics as ``rubric compare --rubric-column`` routes them
  (``rubric_dsl.compare.routing``: pairs, the same id, the nearest heir), the reasons worded for
  the RPC (``WORDING``);
* memory does not grow with the number of records: the engine keeps tallies (counts of distinct
  totals, sums of points), never the records, the routes of at most ``routing.MAX_ROUTES`` rubric
  names of at most MAX_RUBRIC_NAME characters, and decimals whose number is bounded by the compared
  rubrics' point ranges over their rounding steps (``scoring.MAX_NUMBERS`` at most); this module,
  the reply texts of at most MAX_TEXTS decimals;
* no result grows with the request beyond bounds: names are at most MAX_RUBRIC_NAME characters (cut
  when echoed), bad values are echoed in at most 60 (``rubric_dsl.facts``), at most MAX_LISTED
  unknown facts and ``convert.MAX_LISTED`` unreadable typed facts are listed; the servicer replaces a
  result that would still not fit a reply with a RESULT_TOO_LARGE error.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

import grpc

from rubric_dsl import CompiledRubric, EvaluationError, InvalidFacts, limits
from rubric_dsl import compare as comparing
from rubric_dsl.diagnostics import worded_zh
from rubric_service import convert, errors
from rubric_service.errors import ServiceError, Violation
from rubric_service.gen.rubric.v1 import rubric_service_pb2 as pb
from rubric_service.registry import RubricNotFound, Snapshot

MAX_SCHEMES = 16
MAX_SCHEME_RUBRICS = 64  # rubrics and pairs in one scheme
MAX_ID = 1000  # characters of a record id, echoed in its result
MAX_RUBRIC_NAME = 200  # characters of a rubric id, a record's rubric name, or a scheme's name
MAX_LISTED = 100  # facts no compared rubric declares, listed one by one in a record's error
MAX_NAMED = 10  # of those, named in the error's message and given a did-you-mean
MAX_TEXTS = 100_000  # decimals whose reply text a call keeps
Worded = tuple[str, str]  # a problem in English and in Chinese
WORDING = comparing.Wording(  # why no rubric of a scheme fits a record, in the RPC's own words
    nameless="the record names no rubric (`rubric`), and scheme `{scheme}` holds several",
    ambiguous="pair one with it in the scheme's `pairs`",
    nameless_zh="该记录没有写明评分规则（`rubric`），而方案 `{scheme}` 有多个评分规则",
    ambiguous_zh="请在方案的 `pairs` 中为它配对一个",
)

_CHANGES = {"same": pb.GRADE_CHANGE_SAME, "up": pb.GRADE_CHANGE_UP, "down": pb.GRADE_CHANGE_DOWN}


class Session:
    """One Compare call: the compared rubrics (by slot), the schemes over them, and the engine that
    compares the call's records (`rubric_dsl.compare.Comparer`); here, only what protobuf needs."""

    def __init__(self, setup: pb.CompareSetup, snapshot: Snapshot) -> None:
        problems: dict[str, Worded] = {}
        if not setup.schemes:
            problems["setup.schemes"] = ("name at least one scheme to score the records under", "请至少写明一个方案")
        elif len(setup.schemes) > MAX_SCHEMES:
            problems["setup.schemes"] = (
                f"{len(setup.schemes)} schemes, more than the {MAX_SCHEMES} allowed",
                f"有{len(setup.schemes)}个方案，超过上限{MAX_SCHEMES}个",
            )
        for number, scheme in enumerate(setup.schemes[:MAX_SCHEMES]):
            problems.update(_scheme_problems(number, scheme))
        if problems:
            raise _bad_fields(problems)
        self.compiled: list[CompiledRubric] = []
        self.schemes: list[comparing.Scheme] = []
        slots: dict[str, int] = {}

        def slot(ref: pb.RubricRef) -> int:
            try:
                rubric = snapshot.get(ref.rubric, ref.version)
            except RubricNotFound as exc:
                raise errors.not_found(exc) from exc
            if rubric.id not in slots:
                slots[rubric.id] = len(self.compiled)
                self.compiled.append(rubric)
            return slots[rubric.id]

        for scheme in setup.schemes:
            members = tuple(slot(ref) for ref in scheme.rubrics)
            pairs = tuple((pair.from_rubric, slot(pair.rubric)) for pair in scheme.pairs)
            name = scheme.name or _cut(
                ",".join(
                    [
                        *(ref.rubric for ref in scheme.rubrics),
                        *(f"{p.from_rubric}={p.rubric.rubric}" for p in scheme.pairs),
                    ]
                )
            )
            self.schemes.append(comparing.Scheme(name, members, pairs))
        self.engine = comparing.Comparer(
            self.schemes, self.compiled, allow_extra_facts=setup.allow_extra_facts, wording=WORDING
        )
        self._labels = [{i.id: i.label for i in rubric.indicators} for rubric in self.compiled]
        self._texts: dict[Decimal, str] = {}  # decimals as the reply writes them: few distinct values

    @property
    def records(self) -> int:
        """Records of the call so far, scored or not."""
        return self.engine.records

    # -- the first response ---------------------------------------------------------------------

    def rubrics(self) -> list[pb.ComparedRubric]:
        return [
            pb.ComparedRubric(
                scheme=number,
                rubric=self.compiled[slot].id,
                version=self.compiled[slot].version,
                content_hash=self.compiled[slot].content_hash,
                grades=[g.label for g in self.compiled[slot].grades],
            )
            for number, scheme in enumerate(self.schemes)
            for slot in scheme.slots()
        ]

    # -- records ----------------------------------------------------------------------------------

    def score(
        self, records: Sequence[pb.CompareRecord], locale: str = errors.DEFAULT_LOCALE
    ) -> list[pb.RecordComparison]:
        """The records' results, their errors worded in `locale` (the call's)."""
        return [self._record(record, locale) for record in records]

    def _record(self, record: pb.CompareRecord, locale: str) -> pb.RecordComparison:
        answer = pb.RecordComparison(id=record.id[:MAX_ID], index=self.engine.records)
        try:
            _names(record)
            facts = _facts(record)
        except ServiceError as exc:  # not read: a record, scored under no scheme
            self.engine.refuse()
            answer.error.CopyFrom(exc.to_score_error(locale))
            return answer
        found = self.engine.compare(record.id, facts, record.rubric, record.weight)
        problem = found.problem
        if problem is not None:
            if isinstance(problem, comparing.UnknownFacts):  # no outcomes follow
                answer.error.CopyFrom(_unknown_facts(problem.names, self.engine.facts.hint).to_score_error(locale))
            else:  # a bad weight: the outcomes follow
                answer.error.CopyFrom(_bad_weight(problem).to_score_error(locale))
        outcomes, texts = found.outcomes, self._texts
        for number, outcome in enumerate(outcomes):
            message = answer.outcomes.add()
            if isinstance(outcome, comparing.Unscored):
                self._unscored(outcome, message, locale)
                continue
            message.rubric = self.compiled[outcome.slot].id
            message.total = texts.get(outcome.total) or self._text(outcome.total)
            message.grade = outcome.grade
            difference = found.differences[number - 1] if number else None
            if difference is not None:
                self._difference(outcomes[0].slot, outcome.slot, difference, message.difference)
        return answer

    def _unscored(self, outcome: comparing.Unscored, into: pb.SchemeOutcome, locale: str) -> None:
        """The error Score would have given for the facts that rubric declares, or NO_RUBRIC_FITS."""
        if outcome.slot is None:
            into.error.CopyFrom(_no_rubric_fits(outcome.problem).to_score_error(locale))
            return
        rubric = into.rubric = self.compiled[outcome.slot].id
        if outcome.failed is not None:
            error = errors.evaluation_failed(EvaluationError(rubric, *outcome.failed), rubric)
        else:
            error = errors.invalid_facts(InvalidFacts(rubric, outcome.facts), rubric)
        into.error.CopyFrom(error.to_score_error(locale))

    def _difference(
        self, first: int | None, second: int, difference: comparing.Difference, into: pb.BaselineDifference
    ) -> None:
        texts = self._texts
        into.total = texts.get(difference.delta) or self._text(difference.delta)
        into.grade_change = _CHANGES[difference.change]
        labels = self._labels[second]
        fallback = self._labels[first] if first is not None else {}
        for indicator, points in difference.indicators:
            label = labels.get(indicator) or fallback.get(indicator, indicator)
            into.indicators.add(id=indicator, label=label, points=texts.get(points) or self._text(points))

    def _text(self, value: Decimal) -> str:
        """A decimal as the reply writes it (never ""), kept for the next record."""
        text = self._texts.get(value)
        if text is None:
            text = convert.decimal_text(value)
            if len(self._texts) < MAX_TEXTS:
                self._texts[value] = text
        return text

    # -- the last response ------------------------------------------------------------------------

    def summaries(self) -> list[pb.SchemeSummary]:
        return [_summary_message(summary) for summary in self.engine.summaries()]

    def described(self) -> list[dict[str, Any]]:
        """The compared rubrics for a log line."""
        return [{"rubric": r.id, "version": r.version, "content_hash": r.content_hash} for r in self.compiled]


def _facts(record: pb.CompareRecord) -> dict[str, convert.Fact]:
    """The record's facts, decoded and bounded; which of them no compared rubric declares is the engine's rule."""
    try:
        facts = convert.facts_of(record)
    except convert.FactsNotDecoded as exc:
        raise errors.bad_fields(exc.problems, "INVALID_FACTS", exc.problems_zh) from exc
    if len(facts) > limits.MAX_FACTS:
        text = f"the record has {len(facts)} facts, more than the {limits.MAX_FACTS} allowed"
        zh = f"这条记录有{len(facts)}项事实，超过上限{limits.MAX_FACTS}项"
        raise _invalid_facts([Violation("facts", text, "too_many", zh)], text, zh)
    return facts


def _scheme_problems(number: int, scheme: pb.Scheme) -> dict[str, Worded]:
    where = f"setup.schemes[{number}]"
    if not scheme.rubrics and not scheme.pairs:
        return {f"{where}.rubrics": ("name at least one rubric", "请至少写明一个评分规则")}
    if len(scheme.rubrics) + len(scheme.pairs) > MAX_SCHEME_RUBRICS:
        count = len(scheme.rubrics) + len(scheme.pairs)
        return {
            where: (
                f"{count} rubrics and pairs, more than the {MAX_SCHEME_RUBRICS} a scheme may hold",
                f"有{count}个评分规则和配对，超过一个方案的上限{MAX_SCHEME_RUBRICS}个",
            )
        }
    problems: dict[str, Worded] = {}
    seen = set()
    names = [
        (f"{where}.name", scheme.name),
        *((f"{where}.rubrics[{n}].rubric", ref.rubric) for n, ref in enumerate(scheme.rubrics)),
        *((f"{where}.rubrics[{n}].version", ref.version) for n, ref in enumerate(scheme.rubrics)),
        *((f"{where}.pairs[{n}].from_rubric", pair.from_rubric) for n, pair in enumerate(scheme.pairs)),
        *((f"{where}.pairs[{n}].rubric.rubric", pair.rubric.rubric) for n, pair in enumerate(scheme.pairs)),
        *((f"{where}.pairs[{n}].rubric.version", pair.rubric.version) for n, pair in enumerate(scheme.pairs)),
    ]
    for field, name in names:
        if len(name) > MAX_RUBRIC_NAME:
            problems[field] = (
                f"{len(name)} characters, more than the {MAX_RUBRIC_NAME} allowed",
                f"长{len(name)}个字符，超过上限{MAX_RUBRIC_NAME}",
            )
    if problems:
        return problems
    for position, ref in enumerate(scheme.rubrics):
        if not ref.rubric:
            problems[f"{where}.rubrics[{position}].rubric"] = ("name the rubric", "请写明评分规则")
        elif ref.rubric in seen:
            problems[f"{where}.rubrics[{position}].rubric"] = (
                f"{ref.rubric!r} is named twice in this scheme",
                f"“{ref.rubric}”在这个方案中写了两次",
            )
        seen.add(ref.rubric)
    sources: set[str] = set()
    for position, pair in enumerate(scheme.pairs):
        if not pair.from_rubric:
            problems[f"{where}.pairs[{position}].from_rubric"] = (
                "name the records' rubric this pair routes",
                "请写明这个配对转交的记录所用的评分规则",
            )
        elif pair.from_rubric in sources:
            problems[f"{where}.pairs[{position}].from_rubric"] = (
                f"{pair.from_rubric!r} is paired twice",
                f"“{pair.from_rubric}”配对了两次",
            )
        if not pair.rubric.rubric:
            problems[f"{where}.pairs[{position}].rubric.rubric"] = (
                "name the rubric that scores those records",
                "请写明为这些记录计分的评分规则",
            )
        sources.add(pair.from_rubric)
    return problems


def _names(record: pb.CompareRecord) -> None:
    problems: dict[str, Worded] = {}
    if len(record.id) > MAX_ID:
        problems["id"] = (
            f"the id has {len(record.id)} characters, more than the {MAX_ID} allowed",
            f"编号长{len(record.id)}个字符，超过上限{MAX_ID}",
        )
    if len(record.rubric) > MAX_RUBRIC_NAME:
        problems["rubric"] = (
            f"the name has {len(record.rubric)} characters, more than the {MAX_RUBRIC_NAME} allowed",
            f"名称长{len(record.rubric)}个字符，超过上限{MAX_RUBRIC_NAME}",
        )
    if problems:
        raise _bad_fields(problems)


def _bad_fields(problems: dict[str, Worded]) -> ServiceError:
    return errors.bad_fields(
        {name: en for name, (en, _) in problems.items()}, problems_zh={name: zh for name, (_, zh) in problems.items()}
    )


def _invalid_facts(violations: list[Violation], message: str, message_zh: str) -> ServiceError:
    """A problem of the record's facts whatever the scheme (a ScoreError: it never becomes a status)."""
    return ServiceError(grpc.StatusCode.INVALID_ARGUMENT, "INVALID_FACTS", message, violations, message_zh=message_zh)


def _unknown_facts(unknown: Sequence[str], hint: Callable[[str], str]) -> ServiceError:
    """One violation per fact (the first MAX_LISTED, the first MAX_NAMED with did-you-mean), each name
    cut to MAX_RUBRIC_NAME characters: a flood of long names must not make a reply larger than the request,
    nor take long to answer."""
    violations = []
    for number, name in enumerate(unknown[:MAX_LISTED]):
        hinted = hint(name) if number < MAX_NAMED else ""
        text = f"no compared rubric declares this fact{hinted}"
        meant = re.fullmatch(r"; did you mean `(.+)`\?", hinted)
        zh = "所比较的评分规则都没有声明此事实" + (f"；是不是 `{meant[1]}`？" if meant else "")
        violations.append(Violation(f"facts.{_cut(name)}", text, "unknown", zh))
    shown = [_cut(name) for name in unknown[:MAX_NAMED]]
    named = ", ".join(shown) + (", …" if len(unknown) > MAX_NAMED else "")
    more = f" (the first {MAX_LISTED} are listed)" if len(unknown) > MAX_LISTED else ""
    more_zh = f"（只列出前{MAX_LISTED}项）" if len(unknown) > MAX_LISTED else ""
    etc = "等" if len(unknown) > MAX_NAMED else ""
    return _invalid_facts(
        violations,
        f"{len(unknown)} fact(s) that no compared rubric declares: {named}{more}",
        f"有{len(unknown)}项事实所比较的评分规则都没有声明：{'、'.join(shown)}{etc}{more_zh}",
    )


def _cut(name: str) -> str:
    return name if len(name) <= MAX_RUBRIC_NAME else name[:MAX_RUBRIC_NAME] + "…"


def _bad_weight(weight: comparing.BadWeight) -> ServiceError:
    """An error of the record that names its weight; the record is still scored (`rubric_dsl.compare.rules`)."""
    zh = weight.problem_zh
    return ServiceError(
        grpc.StatusCode.INVALID_ARGUMENT,
        "INVALID_REQUEST",
        f"weight: {weight.problem}; the record is scored, and left out of weighted means",
        [Violation("weight", weight.problem, "", zh)],
        message_zh=f"weight：权重 {zh}；该记录照常计分，但不计入加权平均",
    )


def _no_rubric_fits(why: str) -> ServiceError:
    """Why no rubric of a scheme fits a record, in the engine's words and this module's own (``WORDING``),
    each with its Chinese (``rubric_dsl.compare.route``)."""
    why_zh = worded_zh(why)
    return ServiceError(
        grpc.StatusCode.INVALID_ARGUMENT,
        "NO_RUBRIC_FITS",
        why,
        [Violation("rubric", why, "", why_zh if why_zh != why else "")],
        message_zh=why_zh if why_zh != why else "",
    )


def _optional_text(value: Decimal | None) -> str:
    return "" if value is None else convert.decimal_text(value)


def _summary_message(summary: comparing.Summary) -> pb.SchemeSummary:
    weighted = summary.weighted > 0
    return pb.SchemeSummary(
        name=summary.scheme.name,
        scored=summary.scored,
        unscored=summary.unscored,
        grades=[pb.GradeCount(label=label, count=count) for label, count in summary.grades],
        mean=_optional_text(summary.mean),
        median=_optional_text(summary.median),
        minimum=_optional_text(summary.minimum),
        maximum=_optional_text(summary.maximum),
        weighted_mean=_optional_text(summary.weighted_mean) if weighted else "",
        weight_total=_optional_text(summary.weight_total) if weighted else "",
        weighted=summary.weighted,
        lost=[
            pb.MeanLoss(
                id=lost.id, label=lost.label, weight=_optional_text(lost.weight), mean=_optional_text(lost.mean)
            )
            for lost in summary.lost
        ],
    )
