"""Reloads that never stop and never lie: a bad file fails alone and is named in one short line; a missing
or swapped directory is watched again; health says NOT_SERVING while nothing valid is served."""

from __future__ import annotations

import codecs
import os
import shutil
import time
from pathlib import Path
from typing import Any

from grpc_health.v1 import health_pb2, health_pb2_grpc
from rubric_service.gen.rubric.v1 import rubric_service_pb2 as pb
from rubric_service.gen.rubric.v1 import rubric_service_pb2_grpc as pb_grpc
from service_harness import CASEWORK_FACTS, ServerProcess, copy_rubrics

SERVICE = "rubric.v1.RubricService"
COUNTER = """rubric soak.counter "计数" {{
  version "{version}"
  total 1
  indicator one "一" 1 {{ points 1 }}
  grades {{ 好 otherwise }}
}}
"""


def _served(server: ServerProcess, since: int, predicate: Any) -> dict[str, Any]:
    return server.wait_for(lambda e: e.get("event") == "reload" and predicate(e["serving"]), since=since)


def _health(server: ServerProcess) -> int:
    with server.channel() as channel:
        request = health_pb2.HealthCheckRequest(service=SERVICE)
        status: int = health_pb2_grpc.HealthStub(channel).Check(request, timeout=10).status
        return status


def _score_total(server: ServerProcess) -> str:
    with server.channel() as channel:
        request = pb.ScoreRequest(rubric="wuping.casework", facts=CASEWORK_FACTS)
        return str(pb_grpc.RubricServiceStub(channel).Score(request, timeout=10).total)


def test_a_bad_file_fails_alone_and_is_named_in_one_short_line(tmp_path: Path):
    rubrics = copy_rubrics(tmp_path / "rubrics")
    server = ServerProcess(rubrics)
    try:
        mark = server.mark()
        (rubrics / "wuping" / "binary.rubric").write_bytes(b"rubric x.y \xff\xfe\xfd " + os.urandom(900_000))
        (rubrics / "wuping" / "gbk.rubric").write_bytes(COUNTER.format(version="gbk").encode("gbk"))
        _served(server, mark, lambda serving: serving.get("soak.counter", "").startswith("gbk "))
        # ...and a good edit after them is still picked up
        mark = server.mark()
        (rubrics / "wuping" / "later.rubric").write_text(
            COUNTER.format(version="2").replace("soak.counter", "soak.later"), encoding="utf-8"
        )
        _served(server, mark, lambda serving: "soak.later" in serving)
        named = [e for e in server.events if e.get("event") == "rubric_diagnostic" and "binary.rubric" in e["location"]]
        assert named and named[-1]["code"] == "rubric_file_encoding"
        assert max(len(str(e)) for e in server.events) < 5_000  # a file's bytes never reach the log
        assert _score_total(server) == "94.6"
    finally:
        server.kill()


def test_started_on_a_directory_with_nothing_valid_health_says_not_serving(tmp_path: Path):
    rubrics = tmp_path / "rubrics"
    rubrics.mkdir()
    (rubrics / "broken.rubric").write_bytes(codecs.BOM_UTF8 + b"rubric broken {")
    server = ServerProcess(rubrics)
    try:
        assert _health(server) == health_pb2.HealthCheckResponse.NOT_SERVING
        why = server.wait_for(lambda e: e.get("event") == "health" and e.get("status") == "NOT_SERVING")
        assert "no valid rubric is served" in why["reason"]
        mark = server.mark()
        (rubrics / "good.rubric").write_text(COUNTER.format(version="1"), encoding="utf-8")
        server.wait_for(lambda e: e.get("event") == "health" and e.get("status") == "SERVING", since=mark)
        assert _health(server) == health_pb2.HealthCheckResponse.SERVING
    finally:
        server.kill()


def test_a_directory_deleted_and_made_again_is_watched_again(tmp_path: Path):
    rubrics = copy_rubrics(tmp_path / "rubrics")
    server = ServerProcess(rubrics)
    try:
        mark = server.mark()
        shutil.rmtree(rubrics)
        server.wait_for(lambda e: e.get("event") == "rubrics_directory_missing", since=mark)
        assert _score_total(server) == "94.6"  # the last rubrics stay in service meanwhile
        mark = server.mark()
        copy_rubrics(rubrics)
        (rubrics / "counter.rubric").write_text(COUNTER.format(version="after"), encoding="utf-8")
        _served(server, mark, lambda serving: serving.get("soak.counter", "").startswith("after "))
        mark = server.mark()  # and edits in the new directory are seen
        (rubrics / "counter.rubric").write_text(COUNTER.format(version="edited"), encoding="utf-8")
        _served(server, mark, lambda serving: serving.get("soak.counter", "").startswith("edited "))
    finally:
        server.kill()


def test_a_symlink_pointed_elsewhere_or_a_rename_over_is_picked_up(tmp_path: Path):
    releases = tmp_path / "releases"
    first, second = copy_rubrics(releases / "v1"), copy_rubrics(releases / "v2")
    (second / "counter.rubric").write_text(COUNTER.format(version="v2"), encoding="utf-8")
    link = tmp_path / "current"
    link.symlink_to(first, target_is_directory=True)
    server = ServerProcess(link)
    try:
        mark = server.mark()
        staging = tmp_path / "next"
        staging.symlink_to(second, target_is_directory=True)
        staging.replace(link)  # the deploy: point `current` at v2 in one rename
        _served(server, mark, lambda serving: serving.get("soak.counter", "").startswith("v2 "))
        mark = server.mark()
        third = copy_rubrics(releases / "v3")
        (third / "counter.rubric").write_text(COUNTER.format(version="v3"), encoding="utf-8")
        staging.symlink_to(third, target_is_directory=True)
        staging.replace(link)
        _served(server, mark, lambda serving: serving.get("soak.counter", "").startswith("v3 "))
    finally:
        server.kill()


def test_a_directory_named_like_a_rubric_file_is_not_a_symlink_out(tmp_path: Path):
    rubrics = copy_rubrics(tmp_path / "rubrics")
    (rubrics / "notes.rubric").mkdir()
    server = ServerProcess(rubrics)
    try:
        assert not [e for e in server.events if e.get("event") == "rubric_file_refused"]
        assert _score_total(server) == "94.6"
    finally:
        server.kill()


def test_a_directory_removed_and_copied_again_at_once_is_watched_again(tmp_path: Path):
    # `rm -rf rubrics && cp -r new rubrics` often gives the new directory the old one's inode back: the
    # watch must not take it for the directory it was watching (whose watch died with it)
    rubrics = copy_rubrics(tmp_path / "rubrics")
    staged = copy_rubrics(tmp_path / "staged")
    (staged / "counter.rubric").write_text(COUNTER.format(version="deployed"), encoding="utf-8")
    server = ServerProcess(rubrics)
    try:
        mark = server.mark()
        shutil.rmtree(rubrics)
        rubrics.mkdir()  # a deploy that makes the directory first and fills it a moment later
        time.sleep(0.3)
        for item in staged.iterdir():
            (shutil.copytree if item.is_dir() else shutil.copy2)(item, rubrics / item.name)
        _served(server, mark, lambda serving: serving.get("soak.counter", "").startswith("deployed "))
        mark = server.mark()
        (rubrics / "counter.rubric").write_text(COUNTER.format(version="later"), encoding="utf-8")
        _served(server, mark, lambda serving: serving.get("soak.counter", "").startswith("later "))
        assert _health(server) == health_pb2.HealthCheckResponse.SERVING
    finally:
        server.kill()
