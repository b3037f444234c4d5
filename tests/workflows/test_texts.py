"""Workflow texts: both languages complete, NFC, every self-assessment count labelled."""

from __future__ import annotations

import unicodedata

from workflows.selfreport import ITEMS
from workflows.texts import TEXTS, WorkflowError, t


def test_both_languages_have_the_same_keys_in_nfc() -> None:
    assert set(TEXTS["vi"]) == set(TEXTS["en"])
    for table in TEXTS.values():
        for text in table.values():
            assert unicodedata.normalize("NFC", text) == text


def test_every_count_has_a_label() -> None:
    for item in ITEMS.values():
        for name in item.counts:
            assert f"wf.count.{name}" in TEXTS["vi"]


def test_error_message_in_both_languages() -> None:
    error = WorkflowError("evidence.too_large", name="a.pdf", size="12.0 MB", limit="10.0 MB")
    assert str(error) == "Tệp “a.pdf” có dung lượng 12.0 MB vượt giới hạn 10.0 MB."
    assert error.message("en") == "File “a.pdf” is 12.0 MB, over the 10.0 MB limit."
    assert t("unknown.key") == "unknown.key"
