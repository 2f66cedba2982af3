"""`rubric serve`: the service's own server (`rubric_service.server`), with the same options, started
from the `rubric` command's table."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from rubric_cli.main import main
from tests.cli.helpers import run_cli
from tests.conftest import ROOT, RUBRICS
from tests.service.service_harness import ServerProcess, copy_rubrics

RUBRIC_SERVE = (sys.executable, "-m", "rubric_cli", "serve")


def test_serve_takes_the_options_of_the_server_module() -> None:
    env = {**os.environ, "COLUMNS": "100"}
    runs = [
        subprocess.run([*command, "--help"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False)
        for command in ((sys.executable, "-m", "rubric_service.server"), RUBRIC_SERVE)
    ]
    assert [run.returncode for run in runs] == [0, 0]
    assert runs[1].stdout == runs[0].stdout
    assert "--max-stream-records" in runs[1].stdout and "--token-file" in runs[1].stdout


def test_serve_refuses_a_directory_that_does_not_exist(tmp_path: Path) -> None:
    done = run_cli("serve", "--rubrics", str(tmp_path / "missing"), "--port", "0")
    assert done.returncode == 2
    assert f"rubric serve: {tmp_path / 'missing'}: not a directory" in done.stderr
    assert json.loads(done.stdout)["event"] == "no_rubrics_directory"  # the server's log line, on stdout


def test_serve_answers_until_sigterm(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    server = ServerProcess(copy_rubrics(tmp_path / "rubrics"), serve=RUBRIC_SERVE)
    try:
        serving = server.wait_for(lambda e: e.get("event") == "serving")
        assert {"wuping.inspection", "wuping.casework"} <= set(serving["rubrics"])
        assert main(["call", "Health", "--target", server.target]) == 0
        assert json.loads(capsys.readouterr().out) == {"status": "SERVING"}
    finally:
        assert server.terminate() == 0
    assert server.wait_for(lambda e: e.get("event") == "stopped")


def test_a_port_in_use_gets_one_line_not_a_traceback(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = run_cli("serve", "--rubrics", str(RUBRICS), "--port", str(port), "--no-reload")
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert f"rubric serve: cannot bind 127.0.0.1:{port}: the port is in use" in done.stderr
