"""Deployment files checked by the tools that run them: promtool for Prometheus, systemd-analyze for the units."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry, generate_latest

from collectors.instrumentation import make_instruments
from importers.mapping import load_mapping
from importers.postfix import load_mailbox_map
from metrics.backup import verify
from province.registry import load_registry
from tests.ops.conftest import fill_data_dir

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
PROMETHEUS = DEPLOY / "prometheus"
SYSTEMD = DEPLOY / "systemd"
METRIC_NAME = re.compile(r"\bitmon_[a-z_]+\b")


def promtool(*args: str) -> subprocess.CompletedProcess[str]:
    tool = shutil.which("promtool")
    assert tool, "promtool is missing: scripts/test installs Debian's prometheus package"
    return subprocess.run([tool, *args], cwd=PROMETHEUS, capture_output=True, text=True, timeout=120, check=False)


def test_promtool_check_config() -> None:
    done = promtool("check", "config", "prometheus.yml")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 rule files found" in done.stdout


def test_promtool_check_rules() -> None:
    done = promtool("check", "rules", "alerts.yml")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS: 6 rules found" in done.stdout


def test_promtool_test_rules() -> None:
    done = promtool("test", "rules", "alerts_test.yml")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS" in done.stdout


def test_rules_use_only_metrics_the_daemon_exports() -> None:
    registry = CollectorRegistry()
    instruments = make_instruments(registry)
    instruments.polls.labels("mail", "ok").inc()
    instruments.poll_duration.labels("mail").observe(0.1)
    instruments.last_success.labels("mail").set(1)
    instruments.unit_last_success.labels("000.00.31.H27", "mail").set(1)
    instruments.records_written.labels("documents").inc()
    instruments.records_quarantined.labels("documents").inc()
    instruments.cycle_duration.observe(1)
    instruments.inbox_files.labels("rejected").inc()
    exported = set(METRIC_NAME.findall(generate_latest(registry).decode()))
    for name in ("alerts.yml", "alerts_test.yml"):
        used = set(METRIC_NAME.findall((PROMETHEUS / name).read_text(encoding="utf-8")))
        assert used and used <= exported, f"{name} uses {sorted(used - exported)}, not exported by the daemon"


def installed_copy(unit: Path, target: Path) -> Path:
    """The unit as installed here: this Python for the venv's, root for the itmon account."""
    text = unit.read_text(encoding="utf-8").replace("/opt/itmon/.venv/bin/python", sys.executable)
    target.write_text(re.sub(r"^(User|Group)=itmon$", r"\1=root", text, flags=re.M), encoding="utf-8")
    return target


@pytest.mark.parametrize("unit", sorted(p.name for p in SYSTEMD.iterdir()))
def test_systemd_unit_verifies_without_warnings(unit: str, tmp_path: Path) -> None:
    tool = shutil.which("systemd-analyze")
    if tool is None:
        pytest.skip("systemd-analyze is not installed on this machine")
    copy = installed_copy(SYSTEMD / unit, tmp_path / unit)
    if unit.endswith(".timer"):
        installed_copy(SYSTEMD / unit.replace(".timer", ".service"), tmp_path / unit.replace(".timer", ".service"))
    done = subprocess.run([tool, "verify", "--man=no", str(copy)], capture_output=True, text=True, timeout=120,
                          check=False)
    assert (done.returncode, done.stderr.strip()) == (0, ""), done.stderr


def test_backup_unit_command_runs_as_written(tmp_path: Path) -> None:
    """The backup unit's ExecStart, with this machine's paths, writes a backup that verifies."""
    line = next(x for x in (SYSTEMD / "itmon-backup.service").read_text().splitlines() if x.startswith("ExecStart="))
    args = shlex.split(line.removeprefix("ExecStart="))
    data_dir = fill_data_dir(tmp_path / "lib")
    swaps = {"/var/lib/itmon": str(data_dir), "/etc/itmon/province.toml": str(DEPLOY.parent / "data" / "province.toml"),
             "/opt/itmon/rubrics": str(DEPLOY.parent / "rubrics"), "/var/backups/itmon": str(tmp_path / "backups")}
    command = [sys.executable, *(swaps.get(a, a) for a in args[1:])]
    done = subprocess.run(command, cwd=DEPLOY.parent, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    (folder,) = (tmp_path / "backups").iterdir()
    assert verify(folder)["tables"]["documents"] == 6


EXAMPLES = DEPLOY / "examples"


@pytest.mark.parametrize("name", ["eoffice-export.toml", "onestop-report.toml"])
def test_example_mappings_load(name: str) -> None:
    mapping = load_mapping(EXAMPLES / name)
    assert mapping.columns


def test_example_mailbox_map_loads_against_the_sandbox_registry() -> None:
    units = frozenset(load_registry(DEPLOY.parent / "data" / "province.toml").codes())
    assert load_mailbox_map(EXAMPLES / "mail-units.toml", units).unit_of("a@snv.bacninh.gov.vn") == "000.02.27.H27"
