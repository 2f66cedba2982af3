"""``Compare``: score a stream of records under several schemes of served rubrics.

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
  weighted means (``rubric_dsl.compare.rules``, the rule ``rubric compare`` applies);
* records are routed among a scheme's rubrics as ``rubric compare --rubric-column`` routes them
  (``rubric_dsl.compare.route``: pairs, the same id, the nearest heir);
* the statistics are ``rubric_dsl.compare``'s (``Tally``, ``summarize``), and the per-record
  differences its ``grade_change``, ``align`` and ``top``, so the RPC and ``rubric compare`` agree
  to the last decimal on the same records;
* memory does not grow with the number of records: a scheme keeps counts of distinct totals and
  sums of points, never the records; a call caches routes for at most MAX_ROUTES rubric names of at
  most MAX_RUBRIC_NAME characters, and the texts of indicator differences, whose number is bounded
  by the compared rubrics' point ranges over their rounding steps;
* no result grows with the request beyond bounds: names are at most MAX_RUBRIC_NAME characters (cut
  when echoed), bad values are echoed in at most 60 (``rubric_dsl.facts``), at most MAX_LISTED
  unknown facts and ``convert.MAX_LISTED`` unreadable typed facts are listed; the servicer replaces a
  result that would still not fit a reply with a RESULT_TOO_LARGE error.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal, localcontext
from typing import Any

import grpc

from rubric_dsl import CompiledRubric, EvaluationError, InvalidFacts, Result, limits
from rubric_dsl import compare as comparing
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
MAX_ROUTES = 1_000  # distinct rubric names whose routes a call keeps (a few KB each at most)
AMBIGUOUS = "pair one with it in the scheme's `pairs`"

_CHANGES = {"same": pb.GRADE_CHANGE_SAME, "up": pb.GRADE_CHANGE_UP, "down": pb.GRADE_CHANGE_DOWN}
Scoring = tuple[int, Result, tuple[Decimal, ...]]  # slot, result, points in the rubric's order


class Session:
    """One Compare call: the compared rubrics (by slot), the schemes over them, and their tallies."""

    def __init__(self, setup: pb.CompareSetup, snapshot: Snapshot) -> None:
        problems: dict[str, str] = {}
        if not setup.schemes:
            problems["setup.schemes"] = "name at least one scheme to score the records under"
        elif len(setup.schemes) > MAX_SCHEMES:
            problems["setup.schemes"] = f"{len(setup.schemes)} schemes, more than the {MAX_SCHEMES} allowed"
        for number, scheme in enumerate(setup.schemes[:MAX_SCHEMES]):
            problems.update(_scheme_problems(number, scheme))
        if problems:
            raise errors.bad_fields(problems)
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
        self.facts = comparing.FactRule(self.compiled, allow_extra=setup.allow_extra_facts)
        self.inputs = self.facts.inputs
        self.tallies = [comparing.Tally() for _ in self.schemes]
        self.records = 0
        self._ids = [tuple(i.id for i in rubric.indicators) for rubric in self.compiled]
        self._labels = [{i.id: i.label for i in rubric.indicators} for rubric in self.compiled]
        self._alignments: dict[tuple[int, int], comparing.Alignment] = {}
        self._routes: dict[str, tuple[int | str, ...]] = {}
        self._texts: dict[Decimal, str] = {}  # a difference → as the reply writes decimals

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

    def score(self, records: Sequence[pb.CompareRecord]) -> list[pb.RecordComparison]:
        found = []
        points: dict[tuple[int, int], list[tuple[Decimal, ...]]] = {}  # (scheme, slot) → points per record
        for record in records:
            found.append(self._record(self.records, record, points))
            self.records += 1
        with localcontext(comparing.EXACT):  # summed a column at a time: cheaper than record by record
            for (scheme, slot), rows in points.items():
                sums = [sum(column, comparing.ZERO) for column in zip(*rows, strict=True)]
                self.tallies[scheme].add_sums(slot, len(rows), sums)
        return found

    def _record(
        self, index: int, record: pb.CompareRecord, points: dict[tuple[int, int], list[tuple[Decimal, ...]]]
    ) -> pb.RecordComparison:
        answer = pb.RecordComparison(id=record.id[:MAX_ID], index=index)
        try:
            _names(record)
            facts = self._facts(record)
        except ServiceError as exc:
            answer.error.CopyFrom(exc.to_score_error())
            return answer
        weight = comparing.read_weight(record.weight)
        if isinstance(weight, comparing.BadWeight):  # an error of the record, which is still scored
            answer.error.CopyFrom(_bad_weight(weight).to_score_error())
            weight = None
        done: dict[int, Scoring | ServiceError] = {}
        shared: dict[frozenset[str], dict[str, convert.Fact]] = {}  # rubrics declaring the same facts share them
        outcomes: list[Scoring | ServiceError] = []
        for slot in self._route(record.rubric):
            if isinstance(slot, str):
                outcomes.append(_no_rubric_fits(slot))
            else:
                if slot not in done:
                    done[slot] = self._score(slot, facts, shared)
                outcomes.append(done[slot])
        base = outcomes[0]
        for number, outcome in enumerate(outcomes):
            message = answer.outcomes.add()
            if isinstance(outcome, ServiceError):
                message.error.CopyFrom(outcome.to_score_error())
                if outcome.metadata.get("rubric"):
                    message.rubric = outcome.metadata["rubric"]
                continue
            slot, result, scored_points = outcome
            message.rubric = self.compiled[slot].id
            message.total = convert.decimal_text(result.total)
            message.grade = result.grade
            self.tallies[number].add(result.total, result.grade, weight)
            points.setdefault((number, slot), []).append(scored_points)
            if number and not isinstance(base, ServiceError):
                self._difference(base, outcome, message.difference)
        return answer

    def _facts(self, record: pb.CompareRecord) -> dict[str, convert.Fact]:
        """The record's facts that some compared rubric declares; raises for what no rubric takes."""
        try:
            facts = convert.facts_of(record)
        except convert.FactsNotDecoded as exc:
            raise errors.bad_fields(exc.problems, "INVALID_FACTS") from exc
        if len(facts) > limits.MAX_FACTS:
            text = f"the record has {len(facts)} facts, more than the {limits.MAX_FACTS} allowed"
            raise _invalid_facts([Violation("facts", text, "too_many")], text)
        unknown = self.facts.unknown(facts)
        if unknown and not self.facts.allow_extra:
            raise _unknown_facts(unknown, self.facts.hint)
        for name in unknown:
            del facts[name]
        return facts

    def _route(self, rubric: str) -> tuple[int | str, ...]:
        """Per scheme, the slot that scores a record whose own rubric is `rubric` (may be empty), or why none does."""
        found = self._routes.get(rubric)
        if found is None:
            found = tuple(self._route_in(scheme, rubric) for scheme in self.schemes)
            if len(self._routes) < MAX_ROUTES:  # records name few rubrics; a flood of names is not kept
                self._routes[rubric] = found
        return found

    def _route_in(self, scheme: comparing.Scheme, rubric: str) -> int | str:
        if not rubric and (len(scheme.members) != 1 or scheme.pairs):
            return f"the record names no rubric (`rubric`), and scheme `{scheme.name}` holds several"
        return comparing.route(scheme, self.compiled, rubric or None, ambiguous=AMBIGUOUS)

    def _score(
        self, slot: int, facts: dict[str, convert.Fact], shared: dict[frozenset[str], dict[str, convert.Fact]]
    ) -> Scoring | ServiceError:
        rubric, own = self.compiled[slot], self.inputs[slot]
        given = shared.get(own)
        if given is None:
            given = shared[own] = {n: v for n, v in facts.items() if n in own}
        try:
            result = rubric.score(given)
        except InvalidFacts as exc:
            return errors.invalid_facts(exc, rubric.id)
        except EvaluationError as exc:
            return errors.evaluation_failed(exc, rubric.id)
        return slot, result, tuple(result.points.values())

    def _difference(self, base: Scoring, other: Scoring, into: pb.BaselineDifference) -> None:
        (first, before, first_points), (second, after, second_points) = base, other
        into.total = convert.decimal_text(after.total - before.total)
        change = comparing.grade_change(self.compiled[first], before.grade, self.compiled[second], after.grade)
        into.grade_change = _CHANGES[change]
        pair = first, second
        alignment = self._alignments.get(pair)
        if alignment is None:
            alignment = self._alignments[pair] = comparing.align(self._ids[first], self._ids[second])
        labels, fallback = self._labels[second], self._labels[first]
        texts = self._texts
        for indicator, points in comparing.top(alignment, first_points, second_points):
            label = labels.get(indicator) or fallback.get(indicator, indicator)
            text = texts.get(points)
            if text is None:  # differences take few distinct values
                text = texts[points] = convert.decimal_text(points)
            into.indicators.add(id=indicator, label=label, points=text)

    # -- the last response ------------------------------------------------------------------------

    def summaries(self) -> list[pb.SchemeSummary]:
        return [
            _summary_message(comparing.summarize(scheme, self.compiled, tally, self.records, weights=True))
            for scheme, tally in zip(self.schemes, self.tallies, strict=True)
        ]

    def described(self) -> list[dict[str, Any]]:
        """The compared rubrics for a log line."""
        return [{"rubric": r.id, "version": r.version, "content_hash": r.content_hash} for r in self.compiled]


def _scheme_problems(number: int, scheme: pb.Scheme) -> dict[str, str]:
    where = f"setup.schemes[{number}]"
    if not scheme.rubrics and not scheme.pairs:
        return {f"{where}.rubrics": "name at least one rubric"}
    if len(scheme.rubrics) + len(scheme.pairs) > MAX_SCHEME_RUBRICS:
        count = len(scheme.rubrics) + len(scheme.pairs)
        return {where: f"{count} rubrics and pairs, more than the {MAX_SCHEME_RUBRICS} a scheme may hold"}
    problems, seen = {}, set()
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
            problems[field] = f"{len(name)} characters, more than the {MAX_RUBRIC_NAME} allowed"
    if problems:
        return problems
    for position, ref in enumerate(scheme.rubrics):
        if not ref.rubric:
            problems[f"{where}.rubrics[{position}].rubric"] = "name the rubric"
        elif ref.rubric in seen:
            problems[f"{where}.rubrics[{position}].rubric"] = f"{ref.rubric!r} is named twice in this scheme"
        seen.add(ref.rubric)
    sources: set[str] = set()
    for position, pair in enumerate(scheme.pairs):
        if not pair.from_rubric:
            problems[f"{where}.pairs[{position}].from_rubric"] = "name the records' rubric this pair routes"
        elif pair.from_rubric in sources:
            problems[f"{where}.pairs[{position}].from_rubric"] = f"{pair.from_rubric!r} is paired twice"
        if not pair.rubric.rubric:
            problems[f"{where}.pairs[{position}].rubric.rubric"] = "name the rubric that scores those records"
        sources.add(pair.from_rubric)
    return problems


def _names(record: pb.CompareRecord) -> None:
    problems = {}
    if len(record.id) > MAX_ID:
        problems["id"] = f"the id has {len(record.id)} characters, more than the {MAX_ID} allowed"
    if len(record.rubric) > MAX_RUBRIC_NAME:
        problems["rubric"] = f"the name has {len(record.rubric)} characters, more than the {MAX_RUBRIC_NAME} allowed"
    if problems:
        raise errors.bad_fields(problems)


def _invalid_facts(violations: list[Violation], message: str) -> ServiceError:
    """A problem of the record's facts whatever the scheme (a ScoreError: it never becomes a status)."""
    return ServiceError(grpc.StatusCode.INVALID_ARGUMENT, "INVALID_FACTS", message, violations)


def _unknown_facts(unknown: list[str], hint: Callable[[str], str]) -> ServiceError:
    """One violation per fact (the first MAX_LISTED, the first MAX_NAMED with did-you-mean), each name
    cut to MAX_RUBRIC_NAME characters: a flood of long names must not make a reply larger than the request,
    nor take long to answer."""
    violations = []
    for number, name in enumerate(unknown[:MAX_LISTED]):
        text = f"no compared rubric declares this fact{hint(name) if number < MAX_NAMED else ''}"
        violations.append(Violation(f"facts.{_cut(name)}", text, "unknown"))
    named = ", ".join(_cut(name) for name in unknown[:MAX_NAMED]) + (", …" if len(unknown) > MAX_NAMED else "")
    more = f" (the first {MAX_LISTED} are listed)" if len(unknown) > MAX_LISTED else ""
    return _invalid_facts(violations, f"{len(unknown)} fact(s) that no compared rubric declares: {named}{more}")


def _cut(name: str) -> str:
    return name if len(name) <= MAX_RUBRIC_NAME else name[:MAX_RUBRIC_NAME] + "…"


def _bad_weight(weight: comparing.BadWeight) -> ServiceError:
    """An error of the record that names its weight; the record is still scored (`rubric_dsl.compare.rules`)."""
    return ServiceError(
        grpc.StatusCode.INVALID_ARGUMENT,
        "INVALID_REQUEST",
        f"weight: {weight.problem}; the record is scored, and left out of weighted means",
        [Violation("weight", weight.problem)],
    )


def _no_rubric_fits(why: str) -> ServiceError:
    return ServiceError(grpc.StatusCode.INVALID_ARGUMENT, "NO_RUBRIC_FITS", why, [Violation("rubric", why)])


def _text(value: Decimal | None) -> str:
    return "" if value is None else convert.decimal_text(value)


def _summary_message(summary: comparing.Summary) -> pb.SchemeSummary:
    weighted = summary.weighted > 0
    return pb.SchemeSummary(
        name=summary.scheme.name,
        scored=summary.scored,
        unscored=summary.unscored,
        grades=[pb.GradeCount(label=label, count=count) for label, count in summary.grades],
        mean=_text(summary.mean),
        median=_text(summary.median),
        minimum=_text(summary.minimum),
        maximum=_text(summary.maximum),
        weighted_mean=_text(summary.weighted_mean) if weighted else "",
        weight_total=_text(summary.weight_total) if weighted else "",
        weighted=summary.weighted,
        lost=[
            pb.MeanLoss(id=lost.id, label=lost.label, weight=_text(lost.weight), mean=_text(lost.mean))
            for lost in summary.lost
        ],
    )
