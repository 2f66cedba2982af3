"""A checked rubric language for budget performance evaluation (预算绩效评价).

Pipeline, one module per stage: `source` (text, spans) → `parser` (Lark → `ast`) → `resolver`
(`extends`, `override`) → `checker` (diagnostics) → `compiler` (generated scoring function) →
`evaluator` (results, explanations). `api` is the front door the CLI, the service and the tests use.
"""

from rubric_dsl.api import (
    Library,
    RubricError,
    build_library,
    check_source,
    compile_file,
    compile_source,
    load_dir,
    load_library,
    rubric_root,
    search_dirs,
)
from rubric_dsl.compiler import CompiledRubric, GradeInfo, IndicatorInfo, InputInfo, SectionInfo
from rubric_dsl.diagnostics import Diagnostic
from rubric_dsl.evaluator import EvaluationError, IndicatorResult, Result, RubricDslError, SectionResult
from rubric_dsl.facts import FactProblem, InvalidFacts

__all__ = [
    "CompiledRubric",
    "Diagnostic",
    "EvaluationError",
    "FactProblem",
    "GradeInfo",
    "IndicatorInfo",
    "IndicatorResult",
    "InputInfo",
    "InvalidFacts",
    "Library",
    "Result",
    "RubricDslError",
    "RubricError",
    "SectionInfo",
    "SectionResult",
    "build_library",
    "check_source",
    "compile_file",
    "compile_source",
    "load_dir",
    "load_library",
    "rubric_root",
    "search_dirs",
]
