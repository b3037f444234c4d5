"""Prometheus instruments of the collector daemon, defined once; the registry is injectable for tests."""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Gauge, Histogram

POLL_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)
CYCLE_BUCKETS = (1, 5, 15, 30, 60, 120, 300, 600, 1200)


@dataclass(frozen=True)
class Instruments:
    polls: Counter
    poll_duration: Histogram
    last_success: Gauge
    unit_last_success: Gauge
    records_written: Counter
    records_quarantined: Counter
    cycle_duration: Histogram
    cycle_lag: Gauge
    cycles_skipped: Counter
    inbox_files: Counter


def make_instruments(registry: CollectorRegistry = REGISTRY) -> Instruments:
    """Create the daemon's instruments in `registry` (once per process; tests pass a fresh registry)."""
    return Instruments(
        polls=Counter("itmon_collector_polls", "Polls of a unit's system, by system and outcome.",
                      ["system", "outcome"], registry=registry),
        poll_duration=Histogram("itmon_collector_poll_duration_seconds", "Duration of one poll.",
                                ["system"], buckets=POLL_BUCKETS, registry=registry),
        last_success=Gauge("itmon_collector_last_success_timestamp_seconds",
                           "Unix time of the last successful poll of any unit, by system.",
                           ["system"], registry=registry),
        unit_last_success=Gauge("itmon_collector_unit_last_success_timestamp_seconds",
                                "Unix time of the last successful poll of one unit's system (seeded from the "
                                "database at start; the daemon's start time when the unit never succeeded).",
                                ["unit", "system"], registry=registry),
        records_written=Counter("itmon_collector_records_written", "Raw records stored, by table.",
                                ["table"], registry=registry),
        records_quarantined=Counter("itmon_collector_records_quarantined",
                                    "Records rejected into quarantine, by table.", ["table"], registry=registry),
        cycle_duration=Histogram("itmon_collector_cycle_duration_seconds",
                                 "Duration of one cycle: poll, write, score, publish.",
                                 buckets=CYCLE_BUCKETS, registry=registry),
        cycle_lag=Gauge("itmon_collector_cycle_lag_seconds",
                        "How late the last cycle started after its systems became due.", registry=registry),
        cycles_skipped=Counter("itmon_collector_cycles_skipped",
                               "Scheduled runs that found a cycle still running (folded into the next).",
                               registry=registry),
        inbox_files=Counter("itmon_collector_inbox_files", "Inbox files taken in, by outcome.",
                            ["outcome"], registry=registry),
    )
