"""Every diagnostic code, once: stable names that tools and editors may rely on (like OPA's
`ast/errors.go`). docs/diagnostics.md shows each with an example."""

from typing import Final

ABSTRACT_NOT_OVERRIDDEN: Final = "rubric_abstract_not_overridden"
BAND_EMPTY: Final = "rubric_band_empty"
BAND_GAP: Final = "rubric_band_gap"
BAND_OVERLAP: Final = "rubric_band_overlap"
DUPLICATE_HEADER: Final = "rubric_duplicate_header"
DUPLICATE_NAME: Final = "rubric_duplicate_name"
EXTENDS_CYCLE: Final = "rubric_extends_cycle"
FILE_ENCODING: Final = "rubric_file_encoding"
FILE_UNREADABLE: Final = "rubric_file_unreadable"
GRADE_OUT_OF_RANGE: Final = "rubric_grade_out_of_range"
GRADES_NOT_MONOTONE: Final = "rubric_grades_not_monotone"
GRADES_UNCOVERED: Final = "rubric_grades_uncovered"
GIVEN_NOT_OPTIONAL: Final = "rubric_given_not_optional"
INVALID_AGGREGATE: Final = "rubric_invalid_aggregate"
INVALID_INPUT: Final = "rubric_invalid_input"
INVALID_ROUNDING: Final = "rubric_invalid_rounding"
INVALID_RULE: Final = "rubric_invalid_rule"
JUDGED_RANGE: Final = "rubric_judged_range"
LET_CYCLE: Final = "rubric_let_cycle"
LIMIT_EXCEEDED: Final = "rubric_limit_exceeded"
MISSING_HEADER: Final = "rubric_missing_header"
NOT_APPLICABLE_POLICY: Final = "rubric_not_applicable_policy"
OVERRIDE_MISSING: Final = "rubric_override_missing"
PARENT_HAS_ERRORS: Final = "rubric_parent_has_errors"
POINTS_EXCEED_WEIGHT: Final = "rubric_points_exceed_weight"
SYNTAX_ERROR: Final = "rubric_syntax_error"
TARGET_NOT_POSITIVE: Final = "rubric_target_not_positive"
TOTAL_MISMATCH: Final = "rubric_total_mismatch"
TYPE_ERROR: Final = "rubric_type_error"
UNKNOWN_FIELD: Final = "rubric_unknown_field"
UNKNOWN_NAME: Final = "rubric_unknown_name"
UNKNOWN_PARENT: Final = "rubric_unknown_parent"
UNUSED_INPUT: Final = "rubric_unused_input"
WEIGHT_MISMATCH: Final = "rubric_weight_mismatch"

# issue 11 (adjustment lines, the final range, vetoes and caps, points(ID))
ADJUSTMENT_INVALID: Final = "rubric_adjustment_invalid"
FINAL_RANGE: Final = "rubric_final_range"
POINTS_CYCLE: Final = "rubric_points_cycle"
POINTS_UNKNOWN: Final = "rubric_points_unknown"
VETO_GRADE: Final = "rubric_veto_grade"

ALL: Final = frozenset(
    {
        ABSTRACT_NOT_OVERRIDDEN,
        BAND_EMPTY,
        BAND_GAP,
        BAND_OVERLAP,
        DUPLICATE_HEADER,
        DUPLICATE_NAME,
        EXTENDS_CYCLE,
        FILE_ENCODING,
        FILE_UNREADABLE,
        GRADE_OUT_OF_RANGE,
        GRADES_NOT_MONOTONE,
        GRADES_UNCOVERED,
        GIVEN_NOT_OPTIONAL,
        INVALID_AGGREGATE,
        INVALID_INPUT,
        INVALID_ROUNDING,
        INVALID_RULE,
        JUDGED_RANGE,
        LET_CYCLE,
        LIMIT_EXCEEDED,
        MISSING_HEADER,
        NOT_APPLICABLE_POLICY,
        OVERRIDE_MISSING,
        PARENT_HAS_ERRORS,
        POINTS_EXCEED_WEIGHT,
        SYNTAX_ERROR,
        TARGET_NOT_POSITIVE,
        TOTAL_MISMATCH,
        TYPE_ERROR,
        UNKNOWN_FIELD,
        UNKNOWN_NAME,
        UNKNOWN_PARENT,
        UNUSED_INPUT,
        WEIGHT_MISMATCH,
        ADJUSTMENT_INVALID,
        FINAL_RANGE,
        POINTS_CYCLE,
        POINTS_UNKNOWN,
        VETO_GRADE,
    }
)
