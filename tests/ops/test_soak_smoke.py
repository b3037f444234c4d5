"""bench/soak.py keeps working: a half-minute run with two users reports zero errors and zero lost records.

The figures of the real soak (20 users, 10 minutes) come from running the benchmark itself, not from here.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.ops.conftest import ROOT


@pytest.mark.slow
def test_short_soak_reports_no_errors_and_no_lost_records() -> None:
    done = subprocess.run(
        [sys.executable, "bench/soak.py", "--minutes", "0.5", "--users", "2", "--user-processes", "1",
         "--interval", "10", "--import-every", "10", "--baseline-seconds", "10"],
        cwd=ROOT, capture_output=True, text=True, timeout=900, check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert {"name", "value", "unit"} <= result.keys()
    assert (result["errors"], result["lost_records"]) == (0, 0), done.stdout
    assert result["imports"] >= 1 and result["workflow_writes"] > 0 and result["page_runs"] > 0
