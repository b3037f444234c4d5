"""Postfix syslog lines, exactly as smtpd/cleanup/qmgr/smtp/lmtp/local write them → daily counts per mailbox."""

from __future__ import annotations

from datetime import date

import pytest

from importers.errors import ImportFileError
from importers.postfix import load_mailbox_map, mailbox_id, read_logs
from tests.importers.samples import MAILBOX_MAP, POSTFIX_LOG


@pytest.fixture()
def mailboxes(write, known_units):
    return load_mailbox_map(write("mail-units.toml", MAILBOX_MAP), known_units)


def counts(rows) -> dict[tuple[str, date], tuple[int, int]]:
    return {(r.record["mailbox_id"], r.record["ngay"]): (r.record["so_thu_gui"], r.record["so_thu_nhan"]) for r in rows}


def test_daily_sent_and_received_per_local_mailbox(write, mailboxes) -> None:
    rows = read_logs([write("mail.log", POSTFIX_LOG)], mailboxes, year=2026)
    day = date(2026, 3, 2)
    assert counts(rows) == {
        # one message to two recipients is one message sent; the address is hashed lower-cased
        (mailbox_id("nguyenvan.a@snv.bacninh.gov.vn"), day): (1, 1),
        # received from a colleague and a bounce (from=<>); its own deferred message is not "sent"
        (mailbox_id("ketoan@stc.bacninh.gov.vn"), day): (0, 2),
        (mailbox_id("vanthu@bacninh.gov.vn"), day): (0, 1),
    }
    units = {r.record["mailbox_id"]: r.record["unit_code"] for r in rows}
    assert units[mailbox_id("vanthu@bacninh.gov.vn")] == "000.01.27.H27"  # [addresses] beats no domain
    assert all(r.record["dang_nhap"] is None for r in rows)  # Postfix does not log logins: unknown, not false
    assert "nguyenvan" not in repr([r.record for r in rows]).lower()  # no address is kept


def test_mailbox_id_matches_the_contract() -> None:
    assert mailbox_id(" NguyenVan.A@SNV.bacninh.gov.vn") == (
        "fbeab5095de85454c5b1d30196a972a81dda4441a95dcff0f1e49352a49208e9"
    )


def test_rfc3339_timestamps_and_rotated_files_counted_as_one_day(write, mailboxes) -> None:
    lines = POSTFIX_LOG.replace("Mar  2 ", "2026-03-02T").replace("T08:00:0", "T08:00:0")
    iso = "\n".join(
        line[:19] + "+07:00" + line[19:] if line.startswith("2026-") else line for line in lines.splitlines()
    )
    first, second = iso.splitlines()[:7], iso.splitlines()[7:]
    rows = read_logs([write("mail.log.1", "\n".join(first)), write("mail.log", "\n".join(second))], mailboxes)
    assert counts(rows)[(mailbox_id("ketoan@stc.bacninh.gov.vn"), date(2026, 3, 2))] == (0, 2)


def test_year_rolls_over_at_new_year(write, mailboxes) -> None:
    december = "\n".join(line.replace("Mar  2", "Dec 31") for line in POSTFIX_LOG.splitlines()[:7])
    january = "\n".join(line.replace("Mar  2", "Jan  1") for line in POSTFIX_LOG.splitlines()[7:])
    rows = read_logs([write("mail.log", december + "\n" + january)], mailboxes, year=2025)
    assert {r.record["ngay"] for r in rows} == {date(2025, 12, 31), date(2026, 1, 1)}


def refusal(excinfo: pytest.ExceptionInfo[ImportFileError]) -> str:
    return str(excinfo.value)


def test_a_line_that_is_not_syslog(write, mailboxes) -> None:
    text = POSTFIX_LOG.replace("Mar  2 09:30:10 mx1 postfix/cleanup", "garbage postfix/cleanup")
    with pytest.raises(ImportFileError) as excinfo:
        read_logs([write("mail.log", text)], mailboxes, year=2026)
    assert refusal(excinfo) == (
        "mail.log: refused whole, nothing was imported.\n"
        "  line 9: not a syslog line (expected 'Mmm dd hh:mm:ss host program[pid]: message')"
    )


def test_syslog_without_year_needs_year(write, mailboxes) -> None:
    with pytest.raises(ImportFileError) as excinfo:
        read_logs([write("mail.log", POSTFIX_LOG)], mailboxes)
    assert refusal(excinfo) == (
        "mail.log: refused whole, nothing was imported.\n"
        "  line 5: the syslog time 'Mar  2 08:00:02' has no year; give it with --year YYYY"
    )


def test_a_log_with_no_deliveries(write, mailboxes) -> None:
    text = "Mar  2 23:59:59 mx1 dovecot: imap-login: Login: user=<a@snv.bacninh.gov.vn>, method=PLAIN\n"
    with pytest.raises(ImportFileError) as excinfo:
        read_logs([write("auth.log", text)], mailboxes, year=2026)
    assert refusal(excinfo) == (
        "auth.log: refused whole, nothing was imported.\n"
        "  no Postfix delivery lines (to=<…>, status=sent) found: is this the mail log?"
    )


def test_not_utf8(tmp_path, mailboxes) -> None:
    path = tmp_path / "mail.log"
    path.write_bytes(POSTFIX_LOG.encode() + "Mar  2 12:00:00 mx1 postfix/smtpd[1]: Hòa\n".encode("latin-1"))
    with pytest.raises(ImportFileError) as excinfo:
        read_logs([path], mailboxes, year=2026)
    assert refusal(excinfo) == "mail.log: refused whole, nothing was imported.\n  line 20: not UTF-8 text"


def test_mailbox_map_with_a_unit_not_in_the_registry(write, known_units) -> None:
    with pytest.raises(ImportFileError) as excinfo:
        load_mailbox_map(write("m.toml", '[domains]\n"x.gov.vn" = "000.99.27.H27"\n'), known_units)
    assert refusal(excinfo) == (
        "m.toml: refused whole, nothing was imported.\n"
        "  [domains] \"x.gov.vn\" = \"000.99.27.H27\": '000.99.27.H27' is not a unit of the registry"
    )
