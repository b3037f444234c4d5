"""Evidence files: type checked by content, size-limited, stored outside any served path.

Files are kept as ``<data_dir>/evidence/<random id>`` with no user-chosen part in the path; the original name
is only data. A file is read back through :func:`read_evidence`, which checks the reader may see its unit.
"""

from __future__ import annotations

import hashlib
import os
import unicodedata
import uuid
from dataclasses import dataclass
from pathlib import PurePath

import filetype

from workflows import audit
from workflows.accounts import Identity, validate_session
from workflows.store import WorkflowStore, to_text
from workflows.texts import WorkflowError

MAX_EVIDENCE_BYTES = 10 * 1024 * 1024

# media type detected from the content -> the extensions a file of that type may carry
ALLOWED_TYPES: dict[str, frozenset[str]] = {
    "application/pdf": frozenset({"pdf"}),
    "image/png": frozenset({"png"}),
    "image/jpeg": frozenset({"jpg", "jpeg"}),
    "application/msword": frozenset({"doc"}),
    "application/vnd.ms-excel": frozenset({"xls"}),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": frozenset({"docx"}),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": frozenset({"xlsx"}),
    "application/vnd.oasis.opendocument.text": frozenset({"odt"}),
    "application/vnd.oasis.opendocument.spreadsheet": frozenset({"ods"}),
}


class EvidenceError(WorkflowError):
    """An upload refused, or evidence not available to this reader."""


@dataclass(frozen=True)
class Evidence:
    """Metadata of a stored evidence file."""

    id: str
    unit_code: str
    original_name: str
    media_type: str
    size_bytes: int
    sha256: str


def _human_size(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB" if size >= 1024 * 1024 else f"{size / 1024:.0f} KB"


def _detect(name: str, data: bytes, max_bytes: int) -> str:
    if not data:
        raise EvidenceError("evidence.empty", name=name)
    if len(data) > max_bytes:
        raise EvidenceError("evidence.too_large", name=name, size=_human_size(len(data)),
                            limit=_human_size(max_bytes))
    kind = filetype.guess(data)
    detected = kind.mime if kind else "không xác định / unknown"
    if kind is None or kind.mime not in ALLOWED_TYPES:
        raise EvidenceError("evidence.bad_type", name=name, detected=detected)
    extension = PurePath(name).suffix.lower().lstrip(".")
    if extension not in ALLOWED_TYPES[kind.mime]:
        raise EvidenceError("evidence.extension_mismatch", name=name, extension=extension or "—", detected=detected)
    return kind.mime


INSERT_EVIDENCE_SQL = """
INSERT INTO evidence (id, unit_code, original_name, media_type, size_bytes, sha256, uploaded_by, uploaded_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?)
"""


def store_evidence(
    store: WorkflowStore, identity: Identity, name: str, data: bytes, *, max_bytes: int = MAX_EVIDENCE_BYTES
) -> Evidence:
    """Check and keep an uploaded file for the uploader's own unit."""
    user = validate_session(store, identity)
    if user.role != "unit" or not user.unit_code:
        raise EvidenceError("auth.forbidden")
    name = unicodedata.normalize("NFC", PurePath(name.replace("\\", "/")).name)[:200]
    media_type = _detect(name, data, max_bytes)
    evidence = Evidence(uuid.uuid4().hex, user.unit_code, name, media_type, len(data),
                        hashlib.sha256(data).hexdigest())
    target = store.evidence_dir / evidence.id
    partial = target.with_suffix(".part")
    with open(partial, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(partial, target)
    now = store.clock()
    with store.write() as con:
        con.execute(INSERT_EVIDENCE_SQL, (evidence.id, evidence.unit_code, evidence.original_name,
                                          evidence.media_type, evidence.size_bytes, evidence.sha256,
                                          user.username, to_text(now)))
        audit.record(con, at=now, actor=user.username, action=audit.EVIDENCE_UPLOAD, target=evidence.id,
                     unit_code=user.unit_code,
                     after={"name": name, "media_type": media_type, "size_bytes": len(data),
                            "sha256": evidence.sha256})
    return evidence


EVIDENCE_SQL = "SELECT id, unit_code, original_name, media_type, size_bytes, sha256 FROM evidence WHERE id = ?"


def evidence_info(store: WorkflowStore, identity: Identity, evidence_id: str) -> Evidence:
    """Metadata, if the reader may see the evidence's unit; otherwise 'not found' (no existence leak)."""
    user = validate_session(store, identity)
    with store.read() as con:
        row = con.execute(EVIDENCE_SQL, (evidence_id,)).fetchone()
    if row is None or not user.can_see_unit(row["unit_code"]):
        raise EvidenceError("evidence.not_found")
    return Evidence(row["id"], row["unit_code"], row["original_name"], row["media_type"], row["size_bytes"],
                    row["sha256"])


def read_evidence(store: WorkflowStore, identity: Identity, evidence_id: str) -> tuple[Evidence, bytes]:
    """The file's bytes, for a reader allowed to see its unit."""
    info = evidence_info(store, identity, evidence_id)
    return info, (store.evidence_dir / info.id).read_bytes()
