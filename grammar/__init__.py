"""The Lark grammar of rubric files (`rubric.lark`), shipped as package data."""

from pathlib import Path

GRAMMAR_PATH = Path(__file__).with_name("rubric.lark")
