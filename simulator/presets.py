"""Which province the simulator serves (default, small, scale) and the registry it writes for its port."""

from __future__ import annotations

import dataclasses
from datetime import date
from pathlib import Path

from province.registry import CredentialRef, Endpoint, Province, Unit, load_registry
from province.writer import write_registry

DEFAULT_REGISTRY = Path(__file__).resolve().parent.parent / "data" / "province.toml"
TOKEN_ENV = "ITMON_SANDBOX_TOKEN"
SANDBOX_DEFAULT_TOKEN = "sandbox-only-not-a-secret"  # noqa: S105 - documented sandbox default, loopback only
PORTAL_DOWN_UNIT = "090.50.27.H27"  # Xã Đèo Gia: its portal never answers
COLLAPSING_UNIT = "085.50.27.H27"  # Xã Biên Sơn: adoption collapses over the last six months
MERGED_UNIT = "037.50.27.H27"  # Xã Đại Đồng, successor of Xã Hoàn Sơn and Xã Tri Phương since 1/7/2025
NO_ONESTOP_UNIT = "000.15.27.H27"  # Báo và Phát thanh, Truyền hình Bắc Ninh
SMALL_UNITS = (
    "000.00.00.H27", "000.01.27.H27", "000.09.27.H27", "000.13.27.H27", NO_ONESTOP_UNIT, "000.31.27.H27",
    "000.41.27.H27", "001.41.27.H27", "002.41.27.H27", MERGED_UNIT, "001.50.27.H27", "019.50.27.H27",
    COLLAPSING_UNIT, PORTAL_DOWN_UNIT,
)
PRESETS = ("default", "small", "scale")
SCALE_UNITS = 5000
SCALE_DEPARTMENTS = 40


def _with_base(unit: Unit, base: str) -> Unit:
    endpoints = {s: dataclasses.replace(e, base_url=f"{base}/u/{unit.code}/{s}") for s, e in unit.endpoints.items()}
    return dataclasses.replace(unit, endpoints=endpoints)


def _closure(province: Province, wanted: list[Unit]) -> tuple[Unit, ...]:
    """`wanted` plus the parents and predecessors they refer to, in registry order."""
    codes = {u.code for u in wanted}
    changed = True
    while changed:
        changed = False
        for unit in province.units:
            if unit.code in codes:
                for ref in (unit.parent, *unit.predecessors):
                    if ref and ref not in codes:
                        codes.add(ref)
                        changed = True
    return tuple(u for u in province.units if u.code in codes)


def scale_province(template: Province, count: int) -> Province:
    """A national-scale sandbox: `count` units named after the template's real names, numbered."""
    token = CredentialRef(env=TOKEN_ENV)
    root = template.unit(template.code)
    departments = [u for u in template.units if u.level == "department" and u.valid_to is None]
    communes = [u for u in template.units if u.level == "commune" and u.valid_to is None]
    units: list[Unit] = [root]
    for i in range(count):
        if i < SCALE_DEPARTMENTS:
            model = departments[i % len(departments)]
            code = f"{i // 99:03d}.{i % 99 + 1:02d}.28.H27"
            level = "department"
        else:
            j = i - SCALE_DEPARTMENTS
            model = communes[j % len(communes)]
            code = f"{j % 999 + 1:03d}.{60 + j // 999:02d}.27.H27"
            level = "commune"
        name = f"{model.name} {i // len(communes) + 1}" if level == "commune" else f"{model.name} ({i + 1})"
        systems = ("eoffice", "onestop", "mail", "portal")
        endpoints = {s: Endpoint(s, "web" if s == "portal" else "itmon-v1", "http://127.0.0.1", None
                                 if s == "portal" else token) for s in systems}
        units.append(Unit(code, None, name, level, root.code, model.headcount, True, date(2020, 1, 1), None, (),
                          endpoints))
    return Province(template.name, template.code, tuple(units), template.path, "")


def build_province(preset: str, units: int | None = None, template_path: Path = DEFAULT_REGISTRY) -> Province:
    template = load_registry(template_path)
    if preset == "scale":
        return scale_province(template, units or SCALE_UNITS)
    if preset == "small":
        chosen = [u for u in template.units if u.code in SMALL_UNITS]
    elif preset == "default":
        chosen = list(template.units)
    else:
        raise ValueError(f"preset {preset!r} is not one of {list(PRESETS)}")
    if units is not None:
        chosen = [u for u in chosen if u.level in ("department", "commune")][:units]
    return dataclasses.replace(template, units=_closure(template, chosen))


def write_served_registry(province: Province, base: str, path: Path) -> Province:
    """Write the registry whose endpoints point at `base`; return it as served."""
    served = tuple(_with_base(u, base) for u in province.units)
    header = (f"Written by `python -m simulator serve` for {base}; the sandbox token is read from {TOKEN_ENV}.\n"
              "Regenerated on every start: edit data/province.toml instead.")
    write_registry(path, province.name, province.code, served, header)
    return dataclasses.replace(province, units=served)
