"""The Lark grammar of rubric files (`rubric.lark`); installed as `rubric_dsl.grammar` (package data)."""
