"""CheckRubric's budget: what a check may cost (source size, indicators, generated code, time), each refused
RESOURCE_EXHAUSTED naming what was exceeded; the check runs in a process of its own, replaced when killed.

The worker is the real one (``python -m rubric_service.check_worker``), given budgets small enough to cross;
the server's own answer for each is tested over the wire with the default budget."""

from __future__ import annotations

from collections.abc import Iterator

import grpc
import pytest
from rubric_service.check_worker import MAX_CHECK_INDICATORS, BudgetExceeded, CheckBudget, CheckWorker
from rubric_service.gen.rubric.v1 import rubric_service_pb2 as pb
from rubric_service.gen.rubric.v1 import rubric_service_pb2_grpc as pb_grpc
from service_harness import BUNDLED, ServerProcess, copy_rubrics, rich_error


def _rubric(indicators: int, rubric_id: str = "test.many") -> str:
    body = "\n".join(f'    indicator i{n} "指标{n}" 1 {{\n      points 0\n    }}' for n in range(indicators))
    return (
        f'rubric {rubric_id} "许多指标" {{\n  version "1"\n  total {indicators}\n'
        f'  section all "全部" {indicators} {{\n{body}\n  }}\n'
        "  grades { 优 >= 1  差 otherwise }\n}\n"
    )


@pytest.fixture
def worker() -> Iterator[CheckWorker]:
    made = CheckWorker(CheckBudget(code_bytes=20_000))
    yield made
    made.close()


def test_a_clean_text_is_checked_in_the_worker(worker: CheckWorker) -> None:
    assert worker.check(_rubric(3), "three.rubric", {}, None) == []
    broken = _rubric(3).replace("points 0", "points nothing", 1)
    found = worker.check(broken, "broken.rubric", {}, None)
    assert [d.span.path for d in found] == ["broken.rubric"] and found[0].severity == "error"


def test_generated_code_over_the_budget_is_refused(worker: CheckWorker) -> None:
    with pytest.raises(BudgetExceeded) as caught:
        worker.check(_rubric(200), "big.rubric", {}, None)
    assert caught.value.what == "code_bytes" and caught.value.limit == 20_000
    assert caught.value.actual is not None and caught.value.actual > 20_000


def test_a_check_past_its_seconds_is_stopped_and_the_worker_replaced() -> None:
    slow = CheckWorker(CheckBudget(wall_seconds=0.001))
    try:
        with pytest.raises(BudgetExceeded) as caught:
            slow.check(_rubric(100), "slow.rubric", {}, None)
        assert caught.value.what == "seconds"
        slow.budget = CheckBudget()
        assert slow.check(_rubric(3), "after.rubric", {}, None) == []
        assert slow.started == 2  # the process that overran was killed, a new one checked
    finally:
        slow.close()


@pytest.fixture(scope="module")
def stub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[pb_grpc.RubricServiceStub]:
    server = ServerProcess(copy_rubrics(tmp_path_factory.mktemp("budget") / "rubrics"))
    with server.channel() as channel:
        yield pb_grpc.RubricServiceStub(channel)
    assert server.terminate() == 0


def test_too_many_indicators_are_refused_over_the_wire(stub: pb_grpc.RubricServiceStub) -> None:
    count = MAX_CHECK_INDICATORS + 1
    with pytest.raises(grpc.RpcError) as caught:
        stub.CheckRubric(pb.CheckRubricRequest(source=_rubric(count), path="many.rubric"), timeout=60)
    code, violations, info = rich_error(caught.value)
    assert (code, info.reason, dict(info.metadata)) == (
        grpc.StatusCode.RESOURCE_EXHAUSTED,
        "CHECK_BUDGET_EXCEEDED",
        {"exceeded": "indicators", "limit": str(MAX_CHECK_INDICATORS)},
    )
    assert violations == {"source": f"indicators: at most {MAX_CHECK_INDICATORS}; {count} asked"}
    assert "indicators" in caught.value.details()


def test_a_served_parent_is_checked_against_in_the_worker(stub: pb_grpc.RubricServiceStub) -> None:
    source = (BUNDLED / "wuping" / "casework.rubric").read_text(encoding="utf-8")
    assert stub.CheckRubric(pb.CheckRubricRequest(source=source, path="casework.rubric"), timeout=60).ok
    grades = "  override grades {\n    优 >= 90\n    差 otherwise\n  }\n"
    text = f'rubric test.child "子" extends wuping.casework {{\n{grades}}}\n'
    response = stub.CheckRubric(pb.CheckRubricRequest(source=text, path="child.rubric"), timeout=60)
    assert response.ok, [d.message for d in response.diagnostics]
