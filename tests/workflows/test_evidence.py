"""Evidence uploads: checked by content, size-limited, stored outside served paths, visible to own unit only."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.workflows import files
from workflows import WorkflowStore
from workflows.accounts import Identity
from workflows.evidence import EvidenceError, evidence_info, read_evidence, store_evidence

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("name", "data", "media_type"),
    [
        pytest.param("ke-hoach.pdf", files.pdf_bytes(), "application/pdf", id="pdf"),
        pytest.param("anh chụp.PNG", files.png_bytes(), "image/png", id="png"),
        pytest.param("danh-sach.xlsx", files.xlsx_bytes(), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", id="xlsx"),
    ],
)
def test_accepted_types_round_trip(seeded: WorkflowStore, unit_a: Identity, name: str, data: bytes,
                                   media_type: str) -> None:
    evidence = store_evidence(seeded, unit_a, name, data)
    assert (evidence.media_type, evidence.unit_code, evidence.original_name) == (media_type, "SO-A", name)
    info, content = read_evidence(seeded, unit_a, evidence.id)
    assert content == data and info == evidence


@pytest.mark.parametrize(
    ("name", "data", "key", "fragment"),
    [
        pytest.param("bao-cao.pdf", files.HTML_BYTES, "evidence.bad_type", "không phải PDF", id="html-named-pdf"),
        pytest.param("hinh.gif", files.gif_bytes(), "evidence.bad_type", "image/gif", id="gif"),
        pytest.param("ke-hoach.docx", files.pdf_bytes(), "evidence.extension_mismatch", "application/pdf", id="pdf-named-docx"),
        pytest.param("anh.pdf", files.png_bytes(), "evidence.extension_mismatch", "image/png", id="png-named-pdf"),
        pytest.param("ke-hoach", files.pdf_bytes(), "evidence.extension_mismatch", "“—”", id="no-extension"),
        pytest.param("rong.pdf", b"", "evidence.empty", "rong.pdf", id="empty"),
    ],
)
def test_refused_uploads_name_the_file_and_the_problem(seeded: WorkflowStore, unit_a: Identity, name: str,
                                                       data: bytes, key: str, fragment: str) -> None:
    with pytest.raises(EvidenceError) as refused:
        store_evidence(seeded, unit_a, name, data)
    assert refused.value.key == key
    assert name in str(refused.value) and fragment in str(refused.value)
    assert list(seeded.evidence_dir.iterdir()) == []


def test_oversize_is_refused_with_both_sizes(seeded: WorkflowStore, unit_a: Identity) -> None:
    data = files.pdf_bytes() + b"\0" * (2 * 1024 * 1024)
    with pytest.raises(EvidenceError) as refused:
        store_evidence(seeded, unit_a, "lon.pdf", data, max_bytes=1024 * 1024)
    assert refused.value.key == "evidence.too_large"
    assert "2.0 MB" in str(refused.value) and "1.0 MB" in str(refused.value)
    assert "is 2.0 MB, over the 1.0 MB limit" in refused.value.message("en")


def test_path_in_the_name_is_dropped_and_file_lives_outside_the_repo(seeded: WorkflowStore, unit_a: Identity) -> None:
    evidence = store_evidence(seeded, unit_a, "../../etc/<b onmouseover=alert(1)>x.pdf", files.pdf_bytes())
    assert evidence.original_name == "<b onmouseover=alert(1)>x.pdf"
    stored = list(seeded.evidence_dir.iterdir())
    assert [p.name for p in stored] == [evidence.id]
    assert REPO not in stored[0].resolve().parents


def test_other_unit_cannot_read_evidence(seeded: WorkflowStore, unit_a: Identity, unit_b: Identity,
                                         leader: Identity, admin: Identity) -> None:
    evidence = store_evidence(seeded, unit_a, "ke-hoach.pdf", files.pdf_bytes())
    with pytest.raises(EvidenceError) as refused:
        read_evidence(seeded, unit_b, evidence.id)
    assert refused.value.key == "evidence.not_found"
    with pytest.raises(EvidenceError):
        evidence_info(seeded, unit_b, "../" + evidence.id)
    assert read_evidence(seeded, admin, evidence.id)[1] == files.pdf_bytes()
    assert evidence_info(seeded, leader, evidence.id).unit_code == "SO-A"


def test_only_unit_accounts_upload(seeded: WorkflowStore, admin: Identity) -> None:
    with pytest.raises(EvidenceError):
        store_evidence(seeded, admin, "ke-hoach.pdf", files.pdf_bytes())
