"""Postfix mail logs (syslog) → `mail_activity` rows: per mailbox and day, messages sent and received.

A message is sent by its envelope sender (qmgr `from=<…>`) on the day of its first delivery with
`status=sent`; it is received by every local recipient with a `status=sent` delivery that day. Bounces
(`from=<>`) have no sender. Addresses are hashed on the way in (SHA-256 of the lower-cased address, as
`mailbox_id` in docs/integration.md §4) and never stored. Logins are not in Postfix's log, so `dang_nhap`
stays NULL (unknown), never false.

The mailbox-to-unit map is a TOML file:

    [domains]                       # every address of a domain belongs to one unit
    "soyte.phutho.gov.vn" = "000.01.31.H10"

    [addresses]                     # shared domains: one address at a time (overrides [domains])
    "vanthu.sotc@phutho.gov.vn" = "000.02.31.H10"
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from importers.coerce import VIETNAM, clean_text
from importers.errors import ImportFileError
from importers.rows import SourceRow

BSD_LINE = re.compile(
    r"^(?P<ts>[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d) (?P<host>\S+) (?P<prog>[^\s\[:]+)(?:\[\d+\])?: (?P<msg>.*)$"
)
ISO_LINE = re.compile(
    r"^(?P<ts>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d)) (?P<host>\S+) "
    r"(?P<prog>[^\s\[:]+)(?:\[\d+\])?: (?P<msg>.*)$"
)
POSTFIX_PROGRAM = re.compile(r"^postfix(?:-[\w.-]+)?/(?P<daemon>[\w.-]+)$")
QUEUED = re.compile(r"^(?P<qid>[0-9A-F]{6,}|[0-9B-DF-HJ-NP-TV-Zb-df-hj-np-tv-z]{10,}): (?P<rest>.*)$")
FROM = re.compile(r"^from=<(?P<addr>[^>]*)>, size=\d+, nrcpt=\d+")
DELIVERY = re.compile(r"^to=<(?P<addr>[^>]*)>, (?:orig_to=<[^>]*>, )?relay=.*\bstatus=(?P<status>\w+)")
BSD_TIME = "%Y %b %d %H:%M:%S"


def mailbox_id(address: str) -> str:
    """The pseudonymous mailbox id of docs/integration.md §4: SHA-256 hex of the lower-cased address."""
    return hashlib.sha256(address.strip().lower().encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class MailboxMap:
    """Which unit a local address belongs to; addresses of no mapped domain are outside the province."""

    domains: dict[str, str]
    addresses: dict[str, str]

    def unit_of(self, address: str) -> str | None:
        address = address.lower()
        if address in self.addresses:
            return self.addresses[address]
        return self.domains.get(address.rpartition("@")[2])


def load_mailbox_map(path: Path, known_units: frozenset[str]) -> MailboxMap:
    """Read the domain/address → unit file; an unknown unit or key is named with its line's key."""
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ImportFileError(path, ["the mailbox map does not exist"]) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ImportFileError(path, [f"not a valid UTF-8 TOML file: {exc}"]) from None
    problems = [f"unknown key '{key}' (valid keys: addresses, domains)" for key in raw if key not in {"domains", "addresses"}]
    tables: dict[str, dict[str, str]] = {"domains": {}, "addresses": {}}
    for section in tables:
        for key, unit in raw.get(section, {}).items():
            if unit not in known_units:
                problems.append(f"[{section}] \"{key}\" = \"{unit}\": '{unit}' is not a unit of the registry")
            tables[section][clean_text(key).lower()] = unit
    if not tables["domains"] and not tables["addresses"]:
        problems.append("no [domains] and no [addresses]: map at least one domain to a unit")
    if problems:
        raise ImportFileError(path, problems)
    return MailboxMap(tables["domains"], tables["addresses"])


class _LogClock:
    """Turns syslog timestamps into Vietnamese local dates; BSD lines carry no year, so it is given and rolled."""

    def __init__(self, year: int | None) -> None:
        self.year = year
        self.last_month = 0

    def day(self, stamp: str, is_bsd: bool, line: int) -> date:
        if not is_bsd:
            return datetime.fromisoformat(stamp).astimezone(VIETNAM).date()
        if self.year is None:
            raise ValueError(f"line {line}: the syslog time '{stamp}' has no year; give it with --year YYYY")
        moment = datetime.strptime(f"{self.year} {stamp}", BSD_TIME)
        if moment.month < self.last_month:  # December → January
            self.year += 1
            moment = moment.replace(year=self.year)
        self.last_month = moment.month
        return moment.date()


def _lines(path: Path) -> list[str]:
    data = path.read_bytes()
    try:
        return data.decode("utf-8").splitlines()
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ImportFileError(path, [f"line {line}: not UTF-8 text"]) from None


def read_logs(paths: list[Path], mailboxes: MailboxMap, *, year: int | None = None) -> list[SourceRow]:
    """Daily sent/received counts per local mailbox from Postfix log files, oldest first.

    Rotated files of one period go in one call: a day split across two files is then counted whole, where two
    separate imports would each store a partial count under the same key.
    """
    clock = _LogClock(year)
    senders: dict[str, str] = {}
    counted_sent: set[str] = set()
    counted_received: set[tuple[str, str]] = set()
    sent: Counter[tuple[str, date]] = Counter()
    received: Counter[tuple[str, date]] = Counter()
    first_line: dict[tuple[str, date], str] = {}
    deliveries = 0
    numbered = [(Path(path), number, line) for path in paths for number, line in enumerate(_lines(Path(path)), 1)]
    for path, number, line in numbered:
        if not line.strip():
            continue
        bsd = BSD_LINE.match(line)
        match = bsd or ISO_LINE.match(line)
        if match is None:
            raise ImportFileError(
                path, [f"line {number}: not a syslog line (expected 'Mmm dd hh:mm:ss host program[pid]: message')"]
            )
        program = POSTFIX_PROGRAM.match(match["prog"])
        queued = QUEUED.match(match["msg"]) if program else None
        if queued is None:
            continue
        qid, rest = queued["qid"], queued["rest"]
        if rest == "removed":
            senders.pop(qid, None)
            counted_sent.discard(qid)
            counted_received -= {key for key in counted_received if key[0] == qid}
            continue
        if (found := FROM.match(rest)) is not None:
            senders[qid] = found["addr"]
            continue
        delivery = DELIVERY.match(rest)
        if delivery is None or delivery["status"] != "sent":
            continue
        deliveries += 1
        try:
            day = clock.day(match["ts"], bsd is not None, number)
        except ValueError as exc:
            raise ImportFileError(path, [str(exc)]) from None
        recipient = delivery["addr"].lower()
        if mailboxes.unit_of(recipient) and (qid, recipient) not in counted_received:
            counted_received.add((qid, recipient))
            received[(recipient, day)] += 1
            first_line.setdefault((recipient, day), f"{path.name} line {number}")
        sender = senders.get(qid, "").lower()
        if sender and mailboxes.unit_of(sender) and qid not in counted_sent:
            counted_sent.add(qid)
            sent[(sender, day)] += 1
            first_line.setdefault((sender, day), f"{path.name} line {number}")
    if deliveries == 0:
        raise ImportFileError(paths[-1], ["no Postfix delivery lines (to=<…>, status=sent) found: is this the mail log?"])
    rows = []
    for address, day in sorted(set(sent) | set(received), key=lambda key: (key[1], key[0])):
        record: dict[str, object] = {
            "unit_code": mailboxes.unit_of(address),
            "mailbox_id": mailbox_id(address),
            "ngay": day,
            "dang_nhap": None,
            "so_thu_gui": sent[(address, day)],
            "so_thu_nhan": received[(address, day)],
        }
        rows.append(SourceRow("mail_activity", record, first_line[(address, day)]))
    return rows


