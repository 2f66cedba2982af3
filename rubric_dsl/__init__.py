"""A checked rubric language for budget performance evaluation (预算绩效评价).

Pipeline, one module per stage: `source` (text, spans) → `parser` (Lark → `ast`) → `inherit`
(`extends`, `override`) → `checker` (diagnostics) → `codegen` (generated scoring function) →
`program` (the compiled rubric) → `results` and `explain`. `errors` holds what the library raises;
`api` is the front door the CLI, the service and the tests use.
"""

from rubric_dsl.api import (
    Library,
    build_library,
    check_source,
    compile_file,
    compile_source,
    load_dir,
    load_library,
    rubric_root,
    search_dirs,
)
from rubric_dsl.diagnostics import Diagnostic
from rubric_dsl.errors import EvaluationError, FactProblem, InvalidFacts, RubricDslError, RubricError
from rubric_dsl.program import CompiledRubric, GradeInfo, IndicatorInfo, InputInfo, SectionInfo
from rubric_dsl.results import IndicatorResult, Result, SectionResult

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
