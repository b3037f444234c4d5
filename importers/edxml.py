"""edXML packages (QCVN 102:2016/BTTTT §7.1, scoring-spec §7.1) → `documents` rows.

One package is one document exchanged over the interconnection axis. It yields an outgoing row for the sender
and an incoming row for every receiver, for those that are units of this province; other organisations are
outside the monitor. The document id is the package's MessageHeader/DocumentId ("sender,date,number"), so the
same package imported again, or seen by sender and receiver, lands on the same natural key.
"""

from __future__ import annotations

import unicodedata
from datetime import UTC, date, datetime
from pathlib import Path
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import parse

from importers.coerce import VIETNAM
from importers.errors import ImportFileError
from importers.rows import SourceRow

NS = "http://www.mic.gov.vn/TBT/QCVN_102_2016"
HEADER_PATH = ("edXMLEnvelope", "edXMLHeader")
MESSAGE_PATH = (*HEADER_PATH, "MessageHeader")
CHANNEL = "truc_lien_thong"
DATE_FORMATS = ("%Y/%m/%d", "%Y-%m-%d", "%d/%m/%Y")
TIMESTAMP_FORMATS = ("%Y/%m/%d %H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M:%S")


class _Problem(ValueError):
    """A problem inside one package; the message names the element."""


def _q(name: str) -> str:
    return f"{{{NS}}}{name}"


def _name(path: tuple[str, ...]) -> str:
    return "/".join(path)


def _find(parent: Element, path: tuple[str, ...], *, base: tuple[str, ...] = ()) -> Element:
    node: Element | None = parent
    for index, step in enumerate(path):
        node = node.find(_q(step)) if node is not None else None
        if node is None:
            raise _Problem(f"element {_name(base + path[: index + 1])} is missing")
    assert node is not None
    return node


def _text(parent: Element, path: tuple[str, ...], *, base: tuple[str, ...] = (), required: bool = False) -> str | None:
    try:
        node = _find(parent, path, base=base)
    except _Problem:
        if required:
            raise
        return None
    text = unicodedata.normalize("NFC", (node.text or "").strip())
    if not text and required:
        raise _Problem(f"element {_name(base + path)} is empty")
    return text or None


def _parse_time(text: str | None, formats: tuple[str, ...], element: str, form: str) -> datetime | None:
    if text is None:
        return None
    for fmt in formats:
        try:
            return datetime.strptime(text, fmt)
        except ValueError:
            continue
    raise _Problem(f"element {element}: '{text}' is not {form}")


def _date(parent: Element, path: tuple[str, ...]) -> date | None:
    text = _text(parent, path, base=MESSAGE_PATH)
    parsed = _parse_time(text, DATE_FORMATS, _name(MESSAGE_PATH + path), "a date yyyy/mm/dd")
    return parsed.date() if parsed else None


def _utc(moment: datetime) -> datetime:
    return (moment if moment.tzinfo else moment.replace(tzinfo=VIETNAM)).astimezone(UTC)


def _priority(message: Element) -> int | None:
    path = ("OtherInfo", "Priority")
    text = _text(message, path, base=MESSAGE_PATH)
    if text is None:
        return None
    if text not in {"0", "1", "2", "3", "4"}:
        raise _Problem(f"element {_name(MESSAGE_PATH + path)}: '{text}' is not a priority 0–4")
    return int(text)


def _trace(header: Element) -> tuple[dict[str, datetime], bool | None]:
    """First timestamp per organisation on the trace, and the Paper flag of the business block."""
    times: dict[str, datetime] = {}
    trace_list = header.find(_q("TraceHeaderList"))
    if trace_list is None:
        return times, None
    base = (*HEADER_PATH, "TraceHeaderList", "TraceHeader")
    for trace in trace_list.findall(_q("TraceHeader")):
        organ = _text(trace, ("OrganId",), base=base, required=True)
        stamp = _parse_time(
            _text(trace, ("Timestamp",), base=base, required=True),
            TIMESTAMP_FORMATS,
            _name((*base, "Timestamp")),
            "a time yyyy/mm/dd hh:mm:ss",
        )
        assert organ is not None and stamp is not None
        times.setdefault(organ, _utc(stamp))
    paper = _text(trace_list, ("Bussiness", "Paper"), base=(*HEADER_PATH, "TraceHeaderList"))
    if paper is not None and paper not in {"0", "1"}:
        raise _Problem(f"element {_name((*HEADER_PATH, 'TraceHeaderList', 'Bussiness', 'Paper'))}: '{paper}' is not 0 or 1")
    return times, None if paper is None else paper == "1"


def _signed(header: Element) -> bool:
    """An XML-DSig Signature (in either namespace vendors use) with a non-empty SignatureValue."""
    for node in header.iter():
        if node.tag.rsplit("}", 1)[-1] == "Signature":
            for child in node.iter():
                if child.tag.rsplit("}", 1)[-1] == "SignatureValue" and (child.text or "").strip():
                    return True
    return False


def _package_rows(path: Path, root: Element, known_units: frozenset[str]) -> list[SourceRow]:
    if root.tag != _q("edXML"):
        raise _Problem(f"root element is {root.tag}, expected edXML in namespace {NS}")
    header = _find(root, HEADER_PATH)
    message = _find(root, MESSAGE_PATH)
    sender = _text(message, ("From", "OrganId"), base=MESSAGE_PATH, required=True)
    receivers = [
        _text(to, ("OrganId",), base=(*MESSAGE_PATH, "To"), required=True) for to in message.findall(_q("To"))
    ]
    if not receivers:
        raise _Problem(f"element {_name((*MESSAGE_PATH, 'To'))} is missing: a package needs at least one receiver")
    doc_id = _text(message, ("DocumentId",), base=MESSAGE_PATH, required=True)
    number = _text(message, ("Code", "CodeNumber"), base=MESSAGE_PATH)
    notation = _text(message, ("Code", "CodeNotation"), base=MESSAGE_PATH)
    times, paper = _trace(header)
    promulgated = _date(message, ("PromulgationInfo", "PromulgationDate"))
    updated = max(times.values(), default=None) or (
        _utc(datetime.combine(promulgated, datetime.min.time())) if promulgated else None
    )
    if updated is None:
        raise _Problem("no TraceHeader/Timestamp and no PromulgationInfo/PromulgationDate: the package has no date")
    common: dict[str, object] = {
        "doc_id": doc_id,
        "so_ky_hieu": "/".join(part for part in (number, notation) if part) or None,
        "loai_van_ban": _text(message, ("DocumentType", "TypeName"), base=MESSAGE_PATH),
        "do_khan": _priority(message),
        # Classified documents may not travel over the interconnection axis, so a package is never secret.
        "do_mat": 0,
        "ngay_van_ban": promulgated,
        "kem_ban_giay": paper,
        "kenh": CHANNEL,
        "updated_at": updated,
    }
    rows = []
    if sender in known_units:
        outgoing = {
            **common,
            "unit_code": sender,
            "direction": "out",
            "ngay_phat_hanh": times.get(str(sender)),
            "ky_so": _signed(header),
            "noi_nhan": ";".join(str(r) for r in receivers),
        }
        rows.append(SourceRow("documents", outgoing, path.name))
    due = _date(message, ("DueDate",))
    for receiver in dict.fromkeys(receivers):
        if receiver in known_units:
            incoming = {
                **common,
                "unit_code": receiver,
                "direction": "in",
                "ngay_den": times.get(str(receiver)),
                "han_xu_ly": due,
                "co_quan_gui": sender,
            }
            rows.append(SourceRow("documents", incoming, path.name))
    if not rows:
        raise _Problem(
            f"neither the sender {sender} nor any receiver ({', '.join(map(str, receivers))}) is a unit of this province"
        )
    return rows


def read_package(path: Path, known_units: frozenset[str]) -> list[SourceRow]:
    """The `documents` rows of one edXML package; a malformed package raises ImportFileError naming the element."""
    path = Path(path)
    try:
        root = parse(path).getroot()
    except ParseError as exc:
        line, column = exc.position
        raise ImportFileError(path, [f"not well-formed XML at line {line}, column {column + 1}"]) from None
    except DefusedXmlException as exc:
        raise ImportFileError(path, [f"refused unsafe XML ({type(exc).__name__})"]) from None
    except OSError as exc:
        raise ImportFileError(path, [f"cannot be read ({exc.strerror})"]) from None
    try:
        return _package_rows(path, root, known_units)
    except _Problem as exc:
        raise ImportFileError(path, [str(exc)]) from None
