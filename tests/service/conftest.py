"""Fixtures: one shared real server (a subprocess on 127.0.0.1, port 0) and a stub for it."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # run from any directory, installed or not
    sys.path.insert(0, str(ROOT))

from rubric_service.gen.rubric.v1 import rubric_service_pb2_grpc as pb_grpc  # noqa: E402
from service_harness import ServerProcess, copy_rubrics  # noqa: E402


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """One shared server over a copy of the bundled rubrics (tests must not edit its files)."""
    process = ServerProcess(copy_rubrics(tmp_path_factory.mktemp("shared") / "rubrics"))
    yield process
    assert process.terminate() == 0


@pytest.fixture(scope="session")
def channel(server: ServerProcess) -> Iterator[grpc.Channel]:
    with server.channel() as ch:
        yield ch


@pytest.fixture(scope="session")
def stub(channel: grpc.Channel) -> Any:
    return pb_grpc.RubricServiceStub(channel)
