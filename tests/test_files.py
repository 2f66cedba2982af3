"""Files as people save them: UTF-8 with or without BOM, GBK/GB18030 and UTF-16 read with a warning,
anything else refused by name; one bad file never stops the others."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest

import rubric_dsl
from rubric_dsl.diagnostics import codes
from rubric_dsl.files import decode, read_source
from tests.cli.helpers import run_cli
from tests.conftest import one_indicator

TEXT = one_indicator("points 1", "", "1")
CHINESE = TEXT.replace("rubric ", "# 中文注释：预算执行率\nrubric ", 1)


@pytest.mark.parametrize(
    ("data", "warned"),
    [
        (CHINESE.encode("utf-8"), None),
        (codecs.BOM_UTF8 + CHINESE.encode("utf-8"), None),
        (CHINESE.encode("gbk"), "GB18030/GBK"),
        (CHINESE.encode("gb18030"), "GB18030/GBK"),
        (CHINESE.encode("utf-16"), "UTF-16"),
        (codecs.BOM_UTF16_BE + CHINESE.encode("utf-16-be"), "UTF-16"),
    ],
    ids=["utf-8", "utf-8 with BOM", "gbk", "gb18030", "utf-16 le", "utf-16 be"],
)
def test_readable_encodings(data: bytes, warned: str | None) -> None:
    text, found = decode("x.rubric", data)
    assert text == CHINESE  # the mark is dropped, every character kept
    if warned is None:
        assert found == []
    else:
        (warning,) = found
        assert (warning.code, warning.severity) == (codes.FILE_ENCODING, "warning")
        assert warned in warning.message and "UTF-8" in warning.message
        assert warned in warning.message_zh and "另存为" in warning.message_zh


@pytest.mark.parametrize(
    "data",
    [b"rubric \xff\xfe\xfd oops", b"rubric x\0y", b"\x00\x01\x02\x03"],
    ids=["not any encoding", "NUL in text", "binary"],
)
def test_undecodable_files_are_refused(data: bytes) -> None:
    text, (problem,) = decode("x.rubric", data)
    assert text is None
    assert (problem.code, problem.severity) == (codes.FILE_ENCODING, "error")
    assert "save it as UTF-8" in problem.message and "另存为 UTF-8" in problem.message_zh


def test_a_directory_named_like_a_file_cannot_be_read(tmp_path: Path) -> None:
    (tmp_path / "x.rubric").mkdir()
    text, (problem,) = read_source(tmp_path / "x.rubric")
    assert text is None and problem.code == codes.FILE_UNREADABLE


def _rubric(rubric_id: str) -> str:
    return one_indicator("points 1", "", "1").replace("rubric test.one", f"rubric {rubric_id}", 1)


@pytest.fixture
def mixed(tmp_path: Path) -> Path:
    (tmp_path / "good.rubric").write_text(_rubric("demo.good"), encoding="utf-8")
    (tmp_path / "bom.rubric").write_bytes(codecs.BOM_UTF8 + _rubric("demo.bom").encode())
    (tmp_path / "gbk.rubric").write_bytes(("# 开平区\n" + _rubric("demo.gbk")).encode("gbk"))
    (tmp_path / "broken.rubric").write_bytes(b"rubric demo.broken \xff\xfe\xfd {")
    return tmp_path


def test_one_bad_file_fails_alone(mixed: Path) -> None:
    library = rubric_dsl.load_library(mixed)
    assert sorted(library.rubrics) == ["demo.bom", "demo.gbk", "demo.good"]
    broken = library.files[str(mixed / "broken.rubric")]
    assert [d.code for d in broken] == [codes.FILE_ENCODING]
    gbk = library.files[str(mixed / "gbk.rubric")]
    assert [(d.code, d.severity) for d in gbk] == [(codes.FILE_ENCODING, "warning")]
    assert library.files[str(mixed / "bom.rubric")] == []


def test_the_command_line_names_the_file_and_goes_on(mixed: Path) -> None:
    done = run_cli("check", str(mixed))
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert f"{mixed / 'broken.rubric'}:1:1: error:" in done.stderr
    assert f"{mixed / 'gbk.rubric'}:1:1: warning: the file is saved as GB18030/GBK" in done.stderr
    score = run_cli("score", "--rubric", str(mixed / "gbk.rubric"), "--facts", "-", stdin="{}")
    assert score.returncode == 0 and "Traceback" not in score.stderr
