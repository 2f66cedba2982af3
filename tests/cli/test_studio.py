"""`rubric studio [DIR]`: the workbench for one person's directory on 127.0.0.1, opened in the browser the
`webbrowser` module chooses (here `$BROWSER`, a script that writes down the address it was given)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests.cli.helpers import copied_rubrics, run_cli
from tests.conftest import ROOT

WAIT = 30.0


def test_studio_serves_the_directory_on_localhost_and_opens_the_browser(tmp_path: Path) -> None:
    directory = copied_rubrics(tmp_path)
    opened = tmp_path / "opened.txt"
    browser = tmp_path / "browser.sh"
    browser.write_text(f'#!/bin/sh\nprintf %s "$1" > {opened}\n', encoding="utf-8")
    browser.chmod(0o755)
    env = {**os.environ, "BROWSER": str(browser)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "rubric_cli", "studio", str(directory)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + WAIT  # bounds a hang only; nothing is timed
        while not (opened.exists() and opened.read_text()) and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.05)
        url = opened.read_text()
        assert url.startswith("http://127.0.0.1:") and url.endswith("/")
        with urllib.request.urlopen(url + "v1/studio/info", timeout=WAIT) as reply:
            info = json.loads(reply.read())
        assert info["mode"] == "studio" and info["writable"] is True
        assert {"path": "wuping/inspection.rubric", "id": "wuping.inspection"} in info["files"]
        with urllib.request.urlopen(url, timeout=WAIT) as reply:
            assert "工作台" in reply.read().decode("utf-8")
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=WAIT)
    assert proc.returncode == 0
    assert url in err  # the address is printed too, for a machine without a browser
    assert any(json.loads(line).get("event") == "http_serving" for line in out.splitlines() if line.startswith("{"))


def test_studio_refuses_a_directory_that_is_not_there(tmp_path: Path) -> None:
    done = run_cli("studio", str(tmp_path / "missing"), "--no-browser")
    assert done.returncode == 2
    assert "not a directory" in done.stderr and "Traceback" not in done.stderr
