"""edXML packages per QCVN 102:2016 §7.1: sender, receivers, priority, paper flag, signature, due date."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from importers.edxml import read_package
from importers.errors import ImportFileError
from tests.importers.samples import OUTSIDER, RECEIVER, SENDER, edxml_package


def test_package_gives_outgoing_row_for_sender_and_incoming_row_for_province_receivers(write, known_units) -> None:
    rows = read_package(write("goi-tin.edxml", edxml_package()), known_units)

    assert [(r.record["unit_code"], r.record["direction"]) for r in rows] == [(SENDER, "out"), (RECEIVER, "in")]
    out, incoming = (r.record for r in rows)
    assert out["doc_id"] == incoming["doc_id"] == f"{SENDER},2026/03/02,125/SNV-VP"
    assert out["so_ky_hieu"] == "125/SNV-VP" and out["loai_van_ban"] == "Công văn"
    assert out["do_khan"] == 1 and out["kem_ban_giay"] is False and out["kenh"] == "truc_lien_thong"
    assert out["ky_so"] is True
    assert out["noi_nhan"] == f"{RECEIVER};{OUTSIDER}"
    assert out["ngay_phat_hanh"] == datetime(2026, 3, 2, 2, 15, tzinfo=UTC)  # 09:15 in Vietnam
    assert incoming["co_quan_gui"] == SENDER and incoming["han_xu_ly"] == date(2026, 3, 20)
    assert incoming["ngay_den"] == datetime(2026, 3, 2, 2, 16, 30, tzinfo=UTC)
    assert incoming["ngay_van_ban"] == date(2026, 3, 2)


def test_unsigned_paper_package_without_due_date(write, known_units) -> None:
    rows = read_package(write("p.edxml", edxml_package(signed=False, paper="1", due_date=None)), known_units)
    out, incoming = (r.record for r in rows)
    assert out["ky_so"] is False and out["kem_ban_giay"] is True
    assert incoming.get("han_xu_ly") is None  # no DueDate: no deadline, not "due today"


def refusal(excinfo: pytest.ExceptionInfo[ImportFileError]) -> str:
    return str(excinfo.value)


def test_not_well_formed_xml(write, known_units) -> None:
    with pytest.raises(ImportFileError) as excinfo:
        read_package(write("p.edxml", edxml_package().replace("</edXML:Subject>", "")), known_units)
    assert refusal(excinfo) == (
        "p.edxml: refused whole, nothing was imported.\n  not well-formed XML at line 16, column 9"
    )


def test_wrong_namespace(write, known_units) -> None:
    with pytest.raises(ImportFileError) as excinfo:
        read_package(write("p.edxml", edxml_package().replace("QCVN_102_2016", "QCVN_999")), known_units)
    assert refusal(excinfo) == (
        "p.edxml: refused whole, nothing was imported.\n"
        "  root element is {http://www.mic.gov.vn/TBT/QCVN_999}edXML, expected edXML in namespace "
        "http://www.mic.gov.vn/TBT/QCVN_102_2016"
    )


def test_missing_sender_element(write, known_units) -> None:
    text = edxml_package().replace(f"<edXML:OrganId>{SENDER}</edXML:OrganId><edXML:OrganName>", "<edXML:OrganName>")
    with pytest.raises(ImportFileError) as excinfo:
        read_package(write("p.edxml", text), known_units)
    assert refusal(excinfo) == (
        "p.edxml: refused whole, nothing was imported.\n"
        "  element edXMLEnvelope/edXMLHeader/MessageHeader/From/OrganId is missing"
    )


def test_priority_out_of_range(write, known_units) -> None:
    with pytest.raises(ImportFileError) as excinfo:
        read_package(write("p.edxml", edxml_package(priority="7")), known_units)
    assert refusal(excinfo) == (
        "p.edxml: refused whole, nothing was imported.\n"
        "  element edXMLEnvelope/edXMLHeader/MessageHeader/OtherInfo/Priority: '7' is not a priority 0–4"
    )


def test_bad_due_date(write, known_units) -> None:
    with pytest.raises(ImportFileError) as excinfo:
        read_package(write("p.edxml", edxml_package(due_date="20/3/2026x")), known_units)
    assert refusal(excinfo) == (
        "p.edxml: refused whole, nothing was imported.\n"
        "  element edXMLEnvelope/edXMLHeader/MessageHeader/DueDate: '20/3/2026x' is not a date yyyy/mm/dd"
    )


def test_package_between_outsiders(write, known_units) -> None:
    with pytest.raises(ImportFileError) as excinfo:
        read_package(write("p.edxml", edxml_package(sender=OUTSIDER, receivers=("000.00.00.G03",))), known_units)
    assert refusal(excinfo) == (
        "p.edxml: refused whole, nothing was imported.\n"
        "  neither the sender 000.00.00.G22 nor any receiver (000.00.00.G03) is a unit of this province"
    )


def test_entity_expansion_is_refused(write, known_units) -> None:
    bomb = '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;">]><x>&b;</x>'
    with pytest.raises(ImportFileError) as excinfo:
        read_package(write("p.edxml", bomb), known_units)
    assert refusal(excinfo) == "p.edxml: refused whole, nothing was imported.\n  refused unsafe XML (EntitiesForbidden)"
