"""The front door the CLI and the service use: loading, structure, metadata, typed facts."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

import rubric_dsl
from tests.conftest import RUBRICS, SEED_CASEWORK


def test_load_dir_and_compile_file_agree(bundled: dict[str, rubric_dsl.CompiledRubric]) -> None:
    by_file = rubric_dsl.compile_file(RUBRICS / "wuping" / "casework.rubric", search_dir=RUBRICS)
    by_dir = bundled["wuping.casework"]
    assert (by_file.id, by_file.version, by_file.content_hash) == (by_dir.id, by_dir.version, by_dir.content_hash)
    assert by_file.score(SEED_CASEWORK).to_dict() == by_dir.score(SEED_CASEWORK).to_dict()


def test_header_metadata_and_structure(bundled: dict[str, rubric_dsl.CompiledRubric]) -> None:
    rubric = bundled["wuping.inspection"]
    assert rubric.title == "武平县纪委项目支出绩效评价：定额基本业务费"
    assert rubric.metadata == {
        "source": "2022年度武平县纪委部门决算 附件《项目支出绩效自评表》 项目支出部门评价表（自选项目）",
        "region": "福建省龙岩市武平县",
        "year": "2022",
    }
    assert (rubric.total, rubric.rounding) == (Decimal(100), "round indicator 0.1 half_up")
    rate = next(i for i in rubric.inputs if i.name == "execution_rate")
    assert (rate.kind, rate.label, rate.minimum, rate.maximum, rate.required) == (
        "percent",
        "预算执行率",
        Decimal(0),
        Decimal(1),
        True,
    )
    basis = next(i for i in rubric.inputs if i.name == "basis_failed")
    assert (basis.kind, basis.default, basis.required) == ("count", "0", False)
    assert [s.id for s in rubric.sections if s.depth == 0] == ["common", "personal"]
    assert sum(i.weight for i in rubric.indicators) == rubric.total
    assert [(g.label, g.minimum) for g in rubric.grades] == [
        ("优", Decimal(90)),
        ("良", Decimal(80)),
        ("中", Decimal(60)),
        ("差", None),
    ]


def test_ancestors_nearest_first(bundled: dict[str, rubric_dsl.CompiledRubric]) -> None:
    assert bundled["wuping.casework.kaiping_scale"].ancestors == ("wuping.casework", "wuping.common")
    assert bundled["wuping.casework"].ancestors == ("wuping.common",)
    alone = rubric_dsl.compile_source(
        'rubric t "T" {\n  version "1"\n  total 10\n  indicator a "A" 10 {\n    points 10\n  }\n'
        "  grades {\n    优 >= 9\n    差 otherwise\n  }\n}\n",
        "t.rubric",
    )
    assert alone.ancestors == ()


def test_typed_fact_values(bundled: dict[str, rubric_dsl.CompiledRubric]) -> None:
    typed = {
        **SEED_CASEWORK,
        "execution_rate": 100,
        "satisfaction": Decimal("98.02"),
        "on_time": True,
        "eight_rules_people": 62,
    }
    assert bundled["wuping.casework"].score(typed).total == Decimal("94.6")


def test_load_library_keeps_each_files_problems(tmp_path: Path) -> None:
    for path in (RUBRICS / "wuping").glob("*.rubric"):
        (tmp_path / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    broken = tmp_path / "casework.rubric"
    broken.write_text(broken.read_text(encoding="utf-8").replace("above 70", "above 70%"), encoding="utf-8")
    library = rubric_dsl.load_library(tmp_path)
    assert "wuping.casework" not in library.rubrics and "wuping.inspection" in library.rubrics
    assert {d.code for d in library.files[str(broken)]} == {"rubric_type_error"}
    with pytest.raises(rubric_dsl.RubricError) as failed:
        rubric_dsl.load_dir(tmp_path)
    assert f"{broken}:" in str(failed.value) and "remove the `%`" in str(failed.value)
