"""A4 PDF exports with the DejaVu fonts embedded, so Vietnamese diacritics print correctly."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fpdf import FPDF
from fpdf.fonts import FontFace

from exports.tables import ExportTable
from ui import formatting as fmt
from ui.i18n import text

FONT_DIR = Path(__file__).resolve().parent.parent / "assets" / "fonts"
FONT_FAMILY = "DejaVu"


def _cell_text(value: Any, kind: str, lang: str) -> str:
    if value is None:
        return "—"
    if kind == "int":
        return fmt.number(value, lang, 0)
    if kind in ("number", "pct"):
        return fmt.fixed(value, lang, 2)
    if kind == "percent":
        return fmt.percent(value, lang, 1)
    return str(value)


class _Report(FPDF):
    footer_text = ""

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FONT_FAMILY, size=7)
        self.cell(0, 8, f"{self.footer_text} — {self.page_no()}/{{nb}}", align="C")


def pdf_bytes(table: ExportTable, lang: str, *, landscape: bool = True) -> bytes:
    """An A4 report: title, subtitle, then the table with a repeated header row on every page."""
    pdf = _Report(orientation="L" if landscape else "P", unit="mm", format="A4")
    pdf.footer_text = text("export.generated", lang, date=fmt.today_label(lang))
    pdf.add_font(FONT_FAMILY, "", str(FONT_DIR / "DejaVuSans.ttf"))
    pdf.add_font(FONT_FAMILY, "B", str(FONT_DIR / "DejaVuSans-Bold.ttf"))
    pdf.set_title(table.title)
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    pdf.set_font(FONT_FAMILY, "B", 13)
    pdf.multi_cell(0, 7, table.title, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT_FAMILY, "", 9)
    pdf.multi_cell(0, 5, table.subtitle, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    pdf.set_font(FONT_FAMILY, "", 7)
    aligns = ["LEFT" if column.kind == "text" else "RIGHT" for column in table.columns]
    with pdf.table(
        col_widths=[column.width for column in table.columns],
        headings_style=FontFace(emphasis="BOLD", fill_color=(220, 230, 241)),
        line_height=4,
        text_align=aligns,
        repeat_headings=1,
    ) as grid:
        heading = grid.row()
        for column in table.columns:
            heading.cell(column.header)
        for values in table.rows:
            row = grid.row()
            for column, value in zip(table.columns, values, strict=True):
                row.cell(_cell_text(value, column.kind, lang))
    return bytes(pdf.output())
