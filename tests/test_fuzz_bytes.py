"""Byte-level fuzzing of the library and the command line: files as any bytes at all (random, invalid
UTF-8, byte-order marks, UTF-16, NULs, GBK) are read, or refused by name; never a traceback.

The number of examples follows the hypothesis profile (see tests/conftest.py); `campaign` is the long run.
"""

from __future__ import annotations

import codecs
import contextlib
import io
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import rubric_dsl
from rubric_cli.main import main
from rubric_dsl.diagnostics import codes
from rubric_dsl.files import decode
from tests.conftest import one_indicator

FUZZ = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
SEED = one_indicator(
    "bands rate { [95%, ∞) 5  [90%, 95%) 4  otherwise 0 }", 'input rate percent "预算执行率"', "5"
).encode()
PREFIXES = [b"", codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, b"\0", b"\xff"]


@st.composite
def file_bytes(draw: st.DrawFn) -> bytes:
    """Random bytes, or a real rubric re-encoded, cut, or with bytes changed, behind a byte-order mark or not."""
    kind = draw(st.sampled_from(["random", "encoded", "cut", "flipped"]))
    if kind == "random":
        body = draw(st.binary(max_size=400))
    elif kind == "encoded":
        body = SEED.decode("utf-8").encode(draw(st.sampled_from(["utf-8", "gbk", "gb18030", "utf-16", "utf-16-be"])))
    elif kind == "cut":
        body = SEED[: draw(st.integers(0, len(SEED)))]
    else:
        data = bytearray(SEED)
        for _ in range(draw(st.integers(1, 8))):
            data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))
        body = bytes(data)
    return draw(st.sampled_from(PREFIXES)) + body


@FUZZ
@given(file_bytes())
def test_any_bytes_are_read_or_refused_by_name(data: bytes) -> None:
    text, found = decode("f.rubric", data)
    if text is None:
        assert [d.code for d in found] in ([codes.FILE_ENCODING], [codes.FILE_UNREADABLE])
        assert found[0].severity == "error" and found[0].span.path == "f.rubric"
        return
    assert "\0" not in text
    assert all(d.severity == "warning" for d in found)
    for diagnostic in rubric_dsl.check_source(text, "f.rubric"):  # and the text gets diagnostics, not an exception
        assert diagnostic.render(text) and diagnostic.span.path == "f.rubric"


@FUZZ
@given(file_bytes())
def test_the_command_line_reads_any_file_without_a_traceback(tmp_path_factory: object, data: bytes) -> None:
    assert hasattr(tmp_path_factory, "mktemp")
    folder: Path = tmp_path_factory.mktemp("bytes")  # type: ignore[attr-defined]
    path = folder / "f.rubric"
    path.write_bytes(data)
    for argv in (["check", str(path)], ["fmt", "--check", str(path)], ["sheet", "--rubric", str(path)]):
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(argv)
        assert code in (0, 1, 2), (argv, err.getvalue())
        assert "Traceback" not in err.getvalue()
        if code and argv[0] != "fmt":
            assert str(path) in err.getvalue() or "f.rubric" in err.getvalue()
