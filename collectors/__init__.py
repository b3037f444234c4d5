"""Collectors: one module per system, registered by system name in `COLLECTORS`."""

from __future__ import annotations

from collectors.base import Collector
from collectors.eoffice import EOfficeCollector
from collectors.mail import MailCollector
from collectors.onestop import OneStopCollector
from collectors.portal import PortalCollector

COLLECTORS: dict[str, type[Collector]] = {}


def register_collector(cls: type[Collector]) -> type[Collector]:
    """Add a collector under its `system` name; a second collector for the same system is an error."""
    if cls.system in COLLECTORS:
        raise ValueError(f"a collector for system {cls.system!r} is registered already: {COLLECTORS[cls.system]}")
    COLLECTORS[cls.system] = cls
    return cls


def get_collector(system: str) -> type[Collector]:
    """The collector class for `system`; the error lists the valid names."""
    try:
        return COLLECTORS[system]
    except KeyError:
        raise KeyError(f"no collector for system {system!r}; valid systems: {sorted(COLLECTORS)}") from None


for _collector in (EOfficeCollector, OneStopCollector, MailCollector, PortalCollector):
    register_collector(_collector)
