"""The province registry: one TOML file listing every unit and its system endpoints, validated strictly on load.

Every error is a `RegistryError` whose message names the file, the unit (or the table) and the fix.
Credentials are references (`{env = "NAME"}` or `{file = "path"}`); the secret is read only by
`CredentialRef.resolve()`, at the moment it is used.
"""

from __future__ import annotations

import hashlib
import os
import re
import tomllib
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

SYSTEMS: tuple[str, ...] = ("eoffice", "onestop", "mail", "portal")
LEVELS: tuple[str, ...] = ("province", "department", "commune", "district_legacy")
UNIT_CODE_PATTERN = re.compile(r"^\d{3}\.\d{2}\.\d{2}\.[A-Z]\d{2}$")
DVCQG_CODE_PATTERN = re.compile(r"^[A-Z]\d{2}(\.\d{2,3}){0,2}$")
ADAPTER_PATTERN = re.compile(r"^[a-z][a-z0-9_-]*$")
ENV_NAME_PATTERN = re.compile(r"^[A-Z_][A-Z0-9_]*$")

TOP_KEYS = {"schema_version", "province", "units"}
PROVINCE_KEYS = {"name", "code"}
UNIT_REQUIRED = {"code", "name", "level", "valid_from"}
UNIT_OPTIONAL = {"dvcqg_code", "parent", "headcount", "is_ranked", "valid_to", "predecessors", "endpoints"}
ENDPOINT_REQUIRED = {"adapter", "base_url"}
ENDPOINT_OPTIONAL = {"credentials"}
SCHEMA_VERSION = 1


class RegistryError(ValueError):
    """The registry is invalid; the message names the file, the unit and the fix."""


@dataclass(frozen=True)
class CredentialRef:
    """Where a secret lives: an environment variable or a file. Never the secret itself."""

    env: str | None = None
    file: Path | None = None

    def resolve(self) -> str:
        """Read the secret now; raise `RegistryError` naming the reference when it is missing."""
        if self.env is not None:
            value = os.environ.get(self.env)
            if not value:
                raise RegistryError(
                    f"credential reference {{env = \"{self.env}\"}}: the environment variable {self.env} is not set; "
                    f"export it before starting the collectors")
            return value
        if self.file is not None:
            try:
                value = self.file.read_text(encoding="utf-8").strip()
            except OSError as exc:
                raise RegistryError(
                    f"credential reference {{file = \"{self.file}\"}}: cannot read the file ({exc.strerror}); "
                    f"create it with the token on one line") from None
            if not value:
                raise RegistryError(f"credential reference {{file = \"{self.file}\"}}: the file is empty; "
                                    f"write the token on one line")
            return value
        raise RegistryError("credential reference is empty; use {env = \"NAME\"} or {file = \"path\"}")

    def describe(self) -> str:
        """The reference as text, safe for logs (never the secret)."""
        return f"env:{self.env}" if self.env is not None else f"file:{self.file}"


@dataclass(frozen=True)
class Endpoint:
    system: str
    adapter: str
    base_url: str
    credentials: CredentialRef | None = None


@dataclass(frozen=True)
class Unit:
    code: str
    dvcqg_code: str | None
    name: str
    level: str
    parent: str | None
    headcount: int | None
    is_ranked: bool
    valid_from: date
    valid_to: date | None
    predecessors: tuple[str, ...]
    endpoints: dict[str, Endpoint] = field(default_factory=dict, hash=False)

    def is_valid_on(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


@dataclass(frozen=True)
class Province:
    name: str
    code: str
    units: tuple[Unit, ...]
    path: Path
    registry_hash: str

    def unit(self, code: str, on: date | None = None) -> Unit:
        """The unit with this code (valid on `on` when the code has several validity ranges)."""
        matches = [u for u in self.units if u.code == code and (on is None or u.is_valid_on(on))]
        if not matches:
            raise KeyError(code)
        return matches[-1]

    def codes(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(u.code for u in self.units))

    def active_units(self, on: date) -> tuple[Unit, ...]:
        return tuple(u for u in self.units if u.is_valid_on(on))

    def successors_of(self, code: str) -> tuple[Unit, ...]:
        return tuple(u for u in self.units if code in u.predecessors)


def load_registry(path: Path | str) -> Province:
    """Read and validate a registry file; raise `RegistryError` on the first problem found."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise RegistryError(f"{path}: cannot read the registry ({exc.strerror}); check the path") from None
    try:
        doc = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise RegistryError(f"{path}: not UTF-8 text; save the registry as UTF-8") from None
    except tomllib.TOMLDecodeError as exc:
        raise RegistryError(f"{path}: not valid TOML ({exc}); fix the syntax at that line") from None
    return parse_registry(doc, path, hashlib.sha256(raw).hexdigest())


def parse_registry(doc: Mapping[str, Any], path: Path, registry_hash: str = "") -> Province:
    """Validate an already-parsed registry document."""
    _check_keys(doc, TOP_KEYS, {"units"}, f"{path}", "top level")
    version = doc.get("schema_version", SCHEMA_VERSION)
    if version != SCHEMA_VERSION:
        raise RegistryError(f"{path}: schema_version {version!r} is not supported; this version reads "
                            f"schema_version = {SCHEMA_VERSION}")
    province = doc.get("province", {})
    if not isinstance(province, Mapping):
        raise RegistryError(f"{path}: [province] must be a table with 'name' and 'code'")
    _check_keys(province, PROVINCE_KEYS, set(), f"{path} [province]", "[province]")
    raw_units = doc["units"]
    if not isinstance(raw_units, list) or not raw_units:
        raise RegistryError(f"{path}: 'units' must be a non-empty array of tables; write each unit as [[units]]")
    units = tuple(_parse_unit(entry, path, index) for index, entry in enumerate(raw_units, start=1))
    _check_relations(units, path)
    return Province(name=_nfc(str(province.get("name", ""))), code=str(province.get("code", "")),
                    units=units, path=path, registry_hash=registry_hash)


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def _check_keys(table: Mapping[str, Any], allowed: set[str], required: set[str], where: str, what: str) -> None:
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise RegistryError(f"{where}: unknown key(s) {unknown} in {what}; allowed keys are {sorted(allowed)}")
    missing = sorted(required - set(table))
    if missing:
        raise RegistryError(f"{where}: missing required key(s) {missing} in {what}; add them")


def _parse_unit(entry: Any, path: Path, index: int) -> Unit:
    if not isinstance(entry, Mapping):
        raise RegistryError(f"{path} unit #{index}: each unit must be a table; write it as [[units]]")
    code = entry.get("code")
    where = f"{path} unit {code}" if isinstance(code, str) else f"{path} unit #{index}"
    _check_keys(entry, UNIT_REQUIRED | UNIT_OPTIONAL, UNIT_REQUIRED, where, "the unit")
    if not isinstance(code, str) or not UNIT_CODE_PATTERN.match(code):
        raise RegistryError(f"{where}: code {code!r} is not a QCVN 102:2016 organisation identifier; "
                            f"write it as LLL.CC.BB.Xnn, e.g. 000.31.27.H27")
    dvcqg = entry.get("dvcqg_code")
    if dvcqg is not None and (not isinstance(dvcqg, str) or not DVCQG_CODE_PATTERN.match(dvcqg)):
        raise RegistryError(f"{where}: dvcqg_code {dvcqg!r} is not a DVCQG code; write it like H27.31 or omit it")
    name = entry.get("name")
    if not isinstance(name, str) or not name.strip():
        raise RegistryError(f"{where}: name must be a non-empty string, e.g. name = \"Sở Y tế\"")
    level = entry.get("level")
    if level not in LEVELS:
        raise RegistryError(f"{where}: level {level!r} is not one of {list(LEVELS)}; pick one of them")
    parent = entry.get("parent")
    if parent is not None and (not isinstance(parent, str) or not UNIT_CODE_PATTERN.match(parent)):
        raise RegistryError(f"{where}: parent {parent!r} is not a unit code; write the parent's code or omit it")
    headcount = entry.get("headcount")
    if headcount is not None and (isinstance(headcount, bool) or not isinstance(headcount, int) or headcount < 0):
        raise RegistryError(f"{where}: headcount {headcount!r} must be a whole number ≥ 0 or omitted")
    is_ranked = entry.get("is_ranked", level in ("department", "commune"))
    if not isinstance(is_ranked, bool):
        raise RegistryError(f"{where}: is_ranked must be true or false, not {is_ranked!r}")
    valid_from = _date(entry["valid_from"], where, "valid_from")
    valid_to = _date(entry["valid_to"], where, "valid_to") if "valid_to" in entry else None
    if valid_to is not None and valid_to < valid_from:
        raise RegistryError(f"{where}: valid_to {valid_to} is before valid_from {valid_from}; swap or correct them")
    predecessors = entry.get("predecessors", [])
    if not isinstance(predecessors, list) or not all(isinstance(p, str) for p in predecessors):
        raise RegistryError(f"{where}: predecessors must be a list of unit codes, e.g. [\"001.41.27.H27\"]")
    endpoints_raw = entry.get("endpoints", {})
    if not isinstance(endpoints_raw, Mapping):
        raise RegistryError(f"{where}: endpoints must be a table keyed by system ({', '.join(SYSTEMS)})")
    endpoints = {system: _parse_endpoint(system, spec, where, path) for system, spec in endpoints_raw.items()}
    return Unit(code=code, dvcqg_code=dvcqg, name=_nfc(name.strip()), level=level, parent=parent,
                headcount=headcount, is_ranked=is_ranked, valid_from=valid_from, valid_to=valid_to,
                predecessors=tuple(predecessors), endpoints=endpoints)


def _date(raw: Any, where: str, key: str) -> date:
    if isinstance(raw, date) and not hasattr(raw, "hour"):
        return raw
    if isinstance(raw, str):
        try:
            return date.fromisoformat(raw)
        except ValueError:
            pass
    raise RegistryError(f"{where}: {key} {raw!r} is not a date; write it as a bare TOML date, e.g. {key} = 2025-07-01")


def _parse_endpoint(system: str, spec: Any, where: str, path: Path) -> Endpoint:
    here = f"{where} endpoints.{system}"
    if system not in SYSTEMS:
        raise RegistryError(f"{where}: unknown system {system!r} under endpoints; use one of {list(SYSTEMS)}")
    if not isinstance(spec, Mapping):
        raise RegistryError(f"{here}: must be a table with adapter, base_url and credentials")
    _check_keys(spec, ENDPOINT_REQUIRED | ENDPOINT_OPTIONAL, ENDPOINT_REQUIRED, here, "the endpoint")
    adapter = spec["adapter"]
    if not isinstance(adapter, str) or not ADAPTER_PATTERN.match(adapter):
        raise RegistryError(f"{here}: adapter {adapter!r} must be a lower-case name, e.g. adapter = \"itmon-v1\"")
    base_url = spec["base_url"]
    parts = urlsplit(base_url) if isinstance(base_url, str) else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise RegistryError(f"{here}: base_url {base_url!r} is not an http(s) URL with a host and no query; "
                            f"write it like https://qlvb.bacninh.gov.vn/api")
    if parts.username or parts.password:
        raise RegistryError(f"{here}: base_url must not carry a user or password; put the secret in "
                            f"credentials = {{env = \"NAME\"}}")
    credentials = _parse_credentials(spec["credentials"], here, path) if "credentials" in spec else None
    return Endpoint(system=system, adapter=adapter, base_url=base_url.rstrip("/"), credentials=credentials)


def _parse_credentials(raw: Any, here: str, path: Path) -> CredentialRef:
    if not isinstance(raw, Mapping) or len(raw) != 1 or not set(raw) <= {"env", "file"}:
        keys = sorted(raw) if isinstance(raw, Mapping) else type(raw).__name__
        raise RegistryError(f"{here}: credentials {keys} must be a reference, exactly one of "
                            f"{{env = \"NAME\"}} or {{file = \"path\"}}; never write the secret itself")
    if "env" in raw:
        name = raw["env"]
        if not isinstance(name, str) or not ENV_NAME_PATTERN.match(name):
            raise RegistryError(f"{here}: credentials env {name!r} is not an environment variable name; "
                                f"use upper case, digits and _, e.g. ITMON_SANDBOX_TOKEN")
        return CredentialRef(env=name)
    file_name = raw["file"]
    if not isinstance(file_name, str) or not file_name:
        raise RegistryError(f"{here}: credentials file must be a path string")
    file_path = Path(file_name)
    return CredentialRef(file=file_path if file_path.is_absolute() else path.parent / file_path)


def _check_relations(units: tuple[Unit, ...], path: Path) -> None:
    by_code: dict[str, list[Unit]] = {}
    for unit in units:
        for other in by_code.get(unit.code, []):
            where = f"{path} unit {unit.code}"
            if other.valid_from == unit.valid_from:
                raise RegistryError(f"{where}: duplicate code (two entries valid from {unit.valid_from}); "
                                    f"remove one or give each its own validity range")
            if _overlaps(other, unit):
                raise RegistryError(f"{where}: validity {_span(unit)} overlaps {_span(other)} of the same code; "
                                    f"end the earlier range (valid_to) before the later one starts")
        by_code.setdefault(unit.code, []).append(unit)
    for unit in units:
        where = f"{path} unit {unit.code}"
        if unit.parent is not None and unit.parent not in by_code:
            raise RegistryError(f"{where}: parent {unit.parent} is not in the registry; add that unit or fix the code")
        if unit.parent == unit.code:
            raise RegistryError(f"{where}: a unit cannot be its own parent; fix parent")
        for pred in unit.predecessors:
            if pred not in by_code:
                raise RegistryError(f"{where}: predecessor {pred} is not in the registry; add it as a unit "
                                    f"with valid_to before {unit.valid_from}, or remove it from predecessors")
            if pred == unit.code:
                raise RegistryError(f"{where}: a unit cannot be its own predecessor; fix predecessors")
            for earlier in by_code[pred]:
                if earlier.valid_to is None or earlier.valid_to >= unit.valid_from:
                    raise RegistryError(f"{where}: predecessor {pred} is still valid on {unit.valid_from}; "
                                        f"set its valid_to before the successor's valid_from")


def _overlaps(a: Unit, b: Unit) -> bool:
    a_end = a.valid_to or date.max
    b_end = b.valid_to or date.max
    return a.valid_from <= b_end and b.valid_from <= a_end


def _span(unit: Unit) -> str:
    return f"{unit.valid_from}..{unit.valid_to or 'open'}"
