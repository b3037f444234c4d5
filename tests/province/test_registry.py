"""Registry validation: one test per error, each paired with its exact message; and what a valid file gives."""

from __future__ import annotations

import unicodedata
from datetime import date
from pathlib import Path

import pytest

from province.registry import CredentialRef, RegistryError, load_registry

HEAD = """schema_version = 1
[province]
name = "Tỉnh Bắc Ninh"
code = "000.00.00.H27"
"""
ROOT = """
[[units]]
code = "000.00.00.H27"
name = "Ủy ban nhân dân tỉnh Bắc Ninh"
level = "province"
valid_from = 2025-07-01
"""
HEALTH = """
[[units]]
code = "000.09.27.H27"
dvcqg_code = "H27.09"
name = "Sở Y tế"
level = "department"
parent = "000.00.00.H27"
headcount = 90
valid_from = 2020-01-01
[units.endpoints.eoffice]
adapter = "itmon-v1"
base_url = "https://qlvb.bacninh.gov.vn/api/syt"
credentials = {env = "ITMON_SANDBOX_TOKEN"}
[units.endpoints.mail]
adapter = "itmon-v1"
base_url = "https://mail.bacninh.gov.vn/api"
credentials = {file = "secrets/mail.token"}
[units.endpoints.portal]
adapter = "web"
base_url = "https://syt.bacninh.gov.vn"
"""
PREDECESSORS = """
[[units]]
code = "001.41.27.H27"
name = "Xã Hoàn Sơn"
level = "commune"
valid_from = 2020-01-01
valid_to = 2025-06-30

[[units]]
code = "037.50.27.H27"
name = "Xã Đại Đồng"
level = "commune"
parent = "000.00.00.H27"
valid_from = 2025-07-01
predecessors = ["001.41.27.H27"]
"""
VALID = HEAD + ROOT + HEALTH + PREDECESSORS


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "province.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_valid_registry_loads_with_references_not_secrets(tmp_path: Path) -> None:
    path = write(tmp_path, VALID)
    province = load_registry(path)
    assert province.name == "Tỉnh Bắc Ninh"
    assert [u.code for u in province.units] == ["000.00.00.H27", "000.09.27.H27", "001.41.27.H27", "037.50.27.H27"]
    health = province.unit("000.09.27.H27")
    assert (health.dvcqg_code, health.level, health.parent, health.headcount, health.is_ranked) == (
        "H27.09", "department", "000.00.00.H27", 90, True)
    assert province.unit("000.00.00.H27").is_ranked is False
    assert health.endpoints["eoffice"].credentials == CredentialRef(env="ITMON_SANDBOX_TOKEN")
    assert health.endpoints["mail"].credentials == CredentialRef(file=tmp_path / "secrets" / "mail.token")
    assert health.endpoints["portal"].credentials is None
    assert province.successors_of("001.41.27.H27") == (province.unit("037.50.27.H27"),)
    assert [u.code for u in province.active_units(date(2025, 6, 1))] == ["000.09.27.H27", "001.41.27.H27"]
    assert len(province.registry_hash) == 64


def test_credentials_are_read_only_when_resolved(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    province = load_registry(write(tmp_path, VALID))
    ref = province.unit("000.09.27.H27").endpoints["mail"].credentials
    assert ref is not None
    with pytest.raises(RegistryError) as missing:
        ref.resolve()
    assert str(missing.value) == (f"credential reference {{file = \"{tmp_path}/secrets/mail.token\"}}: cannot read "
                                  "the file (No such file or directory); create it with the token on one line")
    (tmp_path / "secrets").mkdir()
    (tmp_path / "secrets" / "mail.token").write_text("s3cret\n")
    assert ref.resolve() == "s3cret"
    env_ref = province.unit("000.09.27.H27").endpoints["eoffice"].credentials
    assert env_ref is not None
    monkeypatch.delenv("ITMON_SANDBOX_TOKEN", raising=False)
    with pytest.raises(RegistryError) as unset:
        env_ref.resolve()
    assert str(unset.value) == ("credential reference {env = \"ITMON_SANDBOX_TOKEN\"}: the environment variable "
                                "ITMON_SANDBOX_TOKEN is not set; export it before starting the collectors")
    monkeypatch.setenv("ITMON_SANDBOX_TOKEN", "t0ken")
    assert env_ref.resolve() == "t0ken"
    assert env_ref.describe() == "env:ITMON_SANDBOX_TOKEN"


def test_names_are_normalised_to_nfc(tmp_path: Path) -> None:
    decomposed = unicodedata.normalize("NFD", "Sở Y tế")
    province = load_registry(write(tmp_path, VALID.replace('"Sở Y tế"', f'"{decomposed}"')))
    assert province.unit("000.09.27.H27").name == "Sở Y tế"
    assert unicodedata.is_normalized("NFC", province.unit("000.09.27.H27").name)


U = "unit 000.09.27.H27"
INVALID = [
    pytest.param(VALID.replace("schema_version = 1", "schema_version = 1\nowner = \"x\""),
                 "{f}: unknown key(s) ['owner'] in top level; allowed keys are ['province', 'schema_version', 'units']",
                 id="unknown-top-key"),
    pytest.param(VALID.replace("headcount = 90", "headcount = 90\nhead_count = 91"),
                 "{f} " + U + ": unknown key(s) ['head_count'] in the unit; allowed keys are ['code', 'dvcqg_code', "
                 "'endpoints', 'headcount', 'is_ranked', 'level', 'name', 'parent', 'predecessors', 'valid_from', "
                 "'valid_to']", id="unknown-unit-key"),
    pytest.param(VALID.replace('adapter = "web"', 'adapter = "web"\ntimeout = 5'),
                 "{f} " + U + " endpoints.portal: unknown key(s) ['timeout'] in the endpoint; allowed keys are "
                 "['adapter', 'base_url', 'credentials']", id="unknown-endpoint-key"),
    pytest.param(VALID.replace('level = "department"\n', ""),
                 "{f} " + U + ": missing required key(s) ['level'] in the unit; add them", id="missing-key"),
    pytest.param(VALID + HEALTH.replace("[units.endpoints", "[units.x_endpoints").split("[units.x_")[0],
                 "{f} " + U + ": duplicate code (two entries valid from 2020-01-01); remove one or give each its own "
                 "validity range", id="duplicate-code"),
    pytest.param(VALID + '\n[[units]]\ncode = "000.09.27.H27"\nname = "Sở Y tế"\nlevel = "department"\n'
                 "valid_from = 2024-01-01\n",
                 "{f} " + U + ": validity 2024-01-01..open overlaps 2020-01-01..open of the same code; end the earlier "
                 "range (valid_to) before the later one starts", id="overlapping-validity"),
    pytest.param(VALID.replace("valid_to = 2025-06-30", "valid_to = 2019-06-30"),
                 "{f} unit 001.41.27.H27: valid_to 2019-06-30 is before valid_from 2020-01-01; swap or correct them",
                 id="reversed-validity"),
    pytest.param(VALID.replace("https://syt.bacninh.gov.vn", "syt.bacninh.gov.vn"),
                 "{f} " + U + " endpoints.portal: base_url 'syt.bacninh.gov.vn' is not an http(s) URL with a host and "
                 "no query; write it like https://qlvb.bacninh.gov.vn/api", id="bad-url"),
    pytest.param(VALID.replace("https://syt.bacninh.gov.vn", "ftp://syt.bacninh.gov.vn"),
                 "{f} " + U + " endpoints.portal: base_url 'ftp://syt.bacninh.gov.vn' is not an http(s) URL with a "
                 "host and no query; write it like https://qlvb.bacninh.gov.vn/api", id="bad-url-scheme"),
    pytest.param(VALID.replace("https://syt.bacninh.gov.vn", "https://admin:pw@syt.bacninh.gov.vn"),
                 "{f} " + U + " endpoints.portal: base_url must not carry a user or password; put the secret in "
                 "credentials = {{env = \"NAME\"}}", id="secret-in-url"),
    pytest.param(VALID.replace('predecessors = ["001.41.27.H27"]', 'predecessors = ["003.41.27.H27"]'),
                 "{f} unit 037.50.27.H27: predecessor 003.41.27.H27 is not in the registry; add it as a unit with "
                 "valid_to before 2025-07-01, or remove it from predecessors", id="missing-predecessor"),
    pytest.param(VALID.replace("valid_to = 2025-06-30", "valid_to = 2025-07-31"),
                 "{f} unit 037.50.27.H27: predecessor 001.41.27.H27 is still valid on 2025-07-01; set its valid_to "
                 "before the successor's valid_from", id="predecessor-still-valid"),
    pytest.param(VALID.replace('parent = "000.00.00.H27"\nheadcount', 'parent = "000.99.27.H27"\nheadcount'),
                 "{f} " + U + ": parent 000.99.27.H27 is not in the registry; add that unit or fix the code",
                 id="missing-parent"),
    pytest.param(VALID.replace('code = "000.09.27.H27"', 'code = "SYT"'),
                 "{f} unit SYT: code 'SYT' is not a QCVN 102:2016 organisation identifier; write it as "
                 "LLL.CC.BB.Xnn, e.g. 000.31.27.H27", id="bad-code"),
    pytest.param(VALID.replace('dvcqg_code = "H27.09"', 'dvcqg_code = "27-09"'),
                 "{f} " + U + ": dvcqg_code '27-09' is not a DVCQG code; write it like H27.31 or omit it",
                 id="bad-dvcqg"),
    pytest.param(VALID.replace('level = "department"', 'level = "district"'),
                 "{f} " + U + ": level 'district' is not one of ['province', 'department', 'commune', "
                 "'district_legacy']; pick one of them", id="bad-level"),
    pytest.param(VALID.replace("headcount = 90", "headcount = -3"),
                 "{f} " + U + ": headcount -3 must be a whole number ≥ 0 or omitted", id="bad-headcount"),
    pytest.param(VALID.replace("valid_from = 2020-01-01\n[units.endpoints.eoffice]",
                               "valid_from = \"01/01/2020\"\n[units.endpoints.eoffice]"),
                 "{f} " + U + ": valid_from '01/01/2020' is not a date; write it as a bare TOML date, e.g. "
                 "valid_from = 2025-07-01", id="bad-date"),
    pytest.param(VALID.replace("[units.endpoints.portal]", "[units.endpoints.webmail]"),
                 "{f} " + U + ": unknown system 'webmail' under endpoints; use one of ['eoffice', 'onestop', 'mail', "
                 "'portal']", id="unknown-system"),
    pytest.param(VALID.replace('credentials = {env = "ITMON_SANDBOX_TOKEN"}', 'credentials = {token = "abc123"}'),
                 "{f} " + U + " endpoints.eoffice: credentials ['token'] must be a reference, exactly one of "
                 "{{env = \"NAME\"}} or {{file = \"path\"}}; never write the secret itself", id="secret-value"),
    pytest.param(VALID.replace('credentials = {env = "ITMON_SANDBOX_TOKEN"}', 'credentials = "abc123"'),
                 "{f} " + U + " endpoints.eoffice: credentials str must be a reference, exactly one of "
                 "{{env = \"NAME\"}} or {{file = \"path\"}}; never write the secret itself", id="secret-string"),
    pytest.param(VALID.replace('{env = "ITMON_SANDBOX_TOKEN"}', '{env = "my token"}'),
                 "{f} " + U + " endpoints.eoffice: credentials env 'my token' is not an environment variable name; "
                 "use upper case, digits and _, e.g. ITMON_SANDBOX_TOKEN", id="bad-env-name"),
    pytest.param(VALID.replace('adapter = "web"', 'adapter = "Web Scraper"'),
                 "{f} " + U + " endpoints.portal: adapter 'Web Scraper' must be a lower-case name, e.g. adapter = "
                 "\"itmon-v1\"", id="bad-adapter"),
    pytest.param(VALID.replace("schema_version = 1", "schema_version = 2"),
                 "{f}: schema_version 2 is not supported; this version reads schema_version = 1", id="schema-version"),
    pytest.param(HEAD, "{f}: missing required key(s) ['units'] in top level; add them", id="no-units"),
    pytest.param(VALID.replace("[[units]]\ncode = \"000.09.27.H27\"", "[[units]]\ncode = \"000.09.27.H27\"\n["),
                 "{f}: not valid TOML (Invalid initial character for a key part (at line 14, column 2)); fix the syntax at "
                 "that line",
                 id="bad-toml"),
]


@pytest.mark.parametrize(("text", "message"), INVALID)
def test_each_error_names_file_unit_and_fix(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(RegistryError) as caught:
        load_registry(path)
    assert str(caught.value) == message.format(f=path)


def test_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(RegistryError) as caught:
        load_registry(tmp_path / "absent.toml")
    assert str(caught.value) == f"{tmp_path}/absent.toml: cannot read the registry (No such file or directory); " \
                                "check the path"
