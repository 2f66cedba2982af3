"""`rubric studio [DIR]`: the workbench for one person's directory on 127.0.0.1, opened in the browser the
`webbrowser` module chooses (here `$BROWSER`, a script that writes down the address it was given)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

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
        rebound = urllib.request.Request(url + "v1/studio/info", headers={"Host": "attacker.example"})
        with pytest.raises(urllib.error.HTTPError) as refused:  # a name rebound to 127.0.0.1 cannot drive it
            urllib.request.urlopen(rebound, timeout=WAIT)
        assert refused.value.code == 403
        assert json.loads(refused.value.read())["details"][0]["reason"] == "NOT_LOCAL"
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
