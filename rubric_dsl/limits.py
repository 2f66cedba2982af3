"""Limits that keep one rubric file or one request from taking more than a bounded share of
memory or time. Each is checked where the thing enters (the parser for sources, the fact
validator for requests, the service for messages and streams) and refused with a clear error.
"""

from __future__ import annotations

MAX_SOURCE_BYTES = 1_000_000  # a rubric file; the largest real scheme is a few kilobytes
MAX_TREE_DEPTH = 120  # nesting of sections, rules and expressions, counted on the parse tree
MAX_INDICATORS = 2_000
MAX_INPUTS = 2_000
MAX_NUMBER_DIGITS = 30  # digits of a number written in a rubric
MAX_FACTS = 10_000  # facts in one request (extra facts allowed, for comparison data)
MAX_FACT_TEXT = 200  # characters of one fact's text value
MAX_MAGNITUDE = 30  # a numeric fact beyond 10**30 cannot be meant (and would overflow arithmetic)
MAX_RECORDS = 2_000  # records in one list of records (e.g. a department's projects)
MAX_RECORDS_TEXT = 1_000_000  # characters of a list of records given as JSON text
