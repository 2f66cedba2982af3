"""A short soak under faults (``bench/soak.py``): 32 clients, edits, cancellations, deadlines, SIGTERM.

Checks what must hold whatever the machine's load: every answer right, nothing lost,
a clean exit. No timing or memory assertions: ``bench/soak.py`` measures RSS over a
longer run.
"""

from __future__ import annotations

from pathlib import Path

from bench.soak import SoakConfig, report, run_soak


def test_short_soak_under_faults(tmp_path: Path):
    config = SoakConfig(duration=8.0, clients=32, warmup=2.0, seed=7, edit_every=0.5, workdir=tmp_path)
    result = run_soak(config)
    summary = report(result, config)
    assert result.wrong == [], summary
    assert result.lost == [], summary
    assert result.exit_code == 0, summary
    # The mix really ran: good answers and the common errors, edits the server took and refused.
    assert {"OK", "INVALID_FACTS", "RUBRIC_NOT_FOUND", "COMPARED", "WATCH_CHURN"} <= set(result.outcomes), summary
    assert result.edits["counter_good"] and result.server_events["reload"], summary
    assert result.server_events["decision"] > 100, summary  # the lost-records check had decisions to check
    assert result.edits["counter_broken"] + result.edits["casework_broken"], summary
    assert not [k for k in result.server_events if k.startswith(("error:", "critical:", "raw"))], summary
