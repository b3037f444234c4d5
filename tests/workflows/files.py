"""Real files of each kind, built with the libraries that write those formats."""

from __future__ import annotations

import io

from fpdf import FPDF
from openpyxl import Workbook
from PIL import Image


def pdf_bytes(text: str = "Kế hoạch chuyển đổi số năm 2026") -> bytes:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=12)
    pdf.cell(text=text.encode("ascii", "replace").decode())
    return bytes(pdf.output())


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(buffer, "PNG")
    return buffer.getvalue()


def gif_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8)).save(buffer, "GIF")
    return buffer.getvalue()


def xlsx_bytes() -> bytes:
    workbook = Workbook()
    workbook.active.append(["Hệ thống", "Cấp độ"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


HTML_BYTES = b"<html><body><script>alert('xss')</script></body></html>"
