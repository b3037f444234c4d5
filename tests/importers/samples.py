"""Real-format sample files for the importer tests: xlsx written by openpyxl with merged header cells as vendors
export them, edXML packages per QCVN 102:2016 §7.1, and Postfix log lines exactly as Postfix writes them."""

from __future__ import annotations

import unicodedata
from datetime import datetime
from pathlib import Path
from xml.sax.saxutils import escape

import openpyxl

SENDER = "000.02.27.H27"  # Sở Nội vụ of the sandbox province
RECEIVER = "000.03.27.H27"  # Sở Tài chính
OUTSIDER = "000.00.00.G22"  # Văn phòng Chính phủ, not a unit of the province

DOCUMENT_MAPPING = """
table = "documents"
header_row = 3
header_rows = 2
skip_rows_matching = "^Tổng cộng"

[constants]
unit_code = "000.02.27.H27"

[columns]
"Mã văn bản" = "doc_id"
"Số, ký hiệu" = "so_ky_hieu"
"Loại văn bản" = "loai_van_ban"
"Sổ" = "direction"
"Ngày văn bản" = "ngay_van_ban"
"Thời hạn / Hạn xử lý" = "han_xu_ly"
"Thời hạn / Ngày hoàn thành" = "ngay_hoan_thanh"
"Chữ ký số" = "ky_so"
"Độ khẩn" = "do_khan"

[values.direction]
"Văn bản đến" = "in"
"Văn bản đi" = "out"

[values.do_khan]
"Thường" = 0
"Khẩn" = 1
"Thượng khẩn" = 2
"Hỏa tốc" = 3
"""

DOCUMENT_ROWS: list[list[object]] = [
    [1, "VB-001", "12/SNV-VP", "Công văn", "Văn bản đi", "02/03/2026", None, None, "Có", "Thường"],
    [2, "VB-002", "45/QĐ-UBND", "Quyết định", "Văn bản đến", datetime(2026, 3, 3), "17/03/2026",
     "16/03/2026 15:30", None, "Khẩn"],
    [3, "VB-003", "7/TTr-SNV", "Tờ trình", "Văn bản đi", "05/03/2026", None, None, "Không", "Hỏa tốc"],
]


def write_document_xlsx(path: Path, rows: list[list[object]] | None = None) -> Path:
    """An e-office "chi tiết văn bản" export: a title row, a two-row header with merged cells, a total row."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Văn bản"
    sheet["A1"] = "BÁO CÁO CHI TIẾT VĂN BẢN THÁNG 03/2026"
    sheet.merge_cells("A1:J1")
    single = ["STT", "Mã văn bản", "Số, ký hiệu", "Loại văn bản", "Sổ",
              unicodedata.normalize("NFD", "Ngày văn bản")]  # a vendor on macOS writes decomposed accents
    for col, text in enumerate(single, start=1):
        sheet.cell(3, col, text)
        sheet.merge_cells(start_row=3, start_column=col, end_row=4, end_column=col)
    sheet["G3"] = "Thời hạn"
    sheet.merge_cells("G3:H3")
    sheet["G4"] = "Hạn xử lý"
    sheet["H4"] = "Ngày\nhoàn thành"
    for col, text in ((9, "Chữ ký số"), (10, "Độ khẩn")):
        sheet.cell(3, col, text)
        sheet.merge_cells(start_row=3, start_column=col, end_row=4, end_column=col)
    data = DOCUMENT_ROWS if rows is None else rows
    for offset, row in enumerate(data):
        for col, value in enumerate(row, start=1):
            sheet.cell(5 + offset, col, value)
    sheet.cell(5 + len(data), 1, "Tổng cộng")
    sheet.cell(5 + len(data), 2, len(data))
    book.save(path)
    return path


STATS_MAPPING = """
table = "onestop_stats"
header_row = 1
header_rows = 2

[columns]
"Mã đơn vị" = "unit_code"
"Kỳ báo cáo" = "month"
"Tiếp nhận / Tổng số" = "tong_tiep_nhan"
"Tiếp nhận / Trực tuyến" = "truc_tuyen"
"Tiếp nhận / Trực tiếp, BCCI" = "truc_tiep_bcci"
"Tiếp nhận / Kỳ trước chuyển sang" = "ky_truoc_chuyen_sang"
"Đã giải quyết / Tổng số" = "da_giai_quyet"
"Đã giải quyết / Trước hạn" = "truoc_han"
"Đã giải quyết / Đúng hạn" = "dung_han"
"Đã giải quyết / Quá hạn" = "qua_han"
"Đang giải quyết / Tổng số" = "dang_giai_quyet"
"Đang giải quyết / Trong hạn" = "dang_trong_han"
"Đang giải quyết / Quá hạn" = "dang_qua_han"
"""

STATS_GROUPS = (
    ("Tiếp nhận", ("Tổng số", "Trực tuyến", "Trực tiếp, BCCI", "Kỳ trước chuyển sang")),
    ("Đã giải quyết", ("Tổng số", "Trước hạn", "Đúng hạn", "Quá hạn")),
    ("Đang giải quyết", ("Tổng số", "Trong hạn", "Quá hạn")),
)


def write_stats_csv(path: Path, rows: list[list[object]]) -> Path:
    """The TT 01/2018 monthly report as Excel saves it to CSV: a merged group keeps its text in the first cell."""
    top = ["Mã đơn vị", "Kỳ báo cáo"]
    bottom = ["", ""]
    for group, columns in STATS_GROUPS:
        top += [group] + [""] * (len(columns) - 1)
        bottom += list(columns)
    lines = [top, bottom, *rows]
    path.write_text("\n".join(",".join(f'"{cell}"' for cell in line) for line in lines) + "\n", encoding="utf-8-sig")
    return path


EDXML_NS = "http://www.mic.gov.vn/TBT/QCVN_102_2016"


def edxml_package(
    *,
    sender: str = SENDER,
    receivers: tuple[str, ...] = (RECEIVER, OUTSIDER),
    priority: str = "1",
    paper: str = "0",
    signed: bool = True,
    due_date: str | None = "2026/03/20",
    document_id: str = f"{SENDER},2026/03/02,125/SNV-VP",
) -> str:
    """An edXML envelope as the QCVN 102:2016 SDK writes it (namespace prefix edXML, XML-DSig signature)."""
    to = "".join(
        f"<edXML:To><edXML:OrganId>{r}</edXML:OrganId><edXML:OrganName>Cơ quan {r}</edXML:OrganName></edXML:To>"
        for r in receivers
    )
    due = f"<edXML:DueDate>{due_date}</edXML:DueDate>" if due_date else ""
    signature = (
        '<Signature xmlns="http://www.w3.org/2000/09/xmldsig#"><SignedInfo/>'
        "<SignatureValue>GbVb8n9+qFxz466Ag0sbpVdLPs2R0+9JBekp12Uy</SignatureValue></Signature>"
        if signed
        else ""
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<edXML:edXML xmlns:edXML="{EDXML_NS}">
  <edXML:edXMLEnvelope>
    <edXML:edXMLHeader>
      <edXML:MessageHeader>
        <edXML:From><edXML:OrganId>{sender}</edXML:OrganId><edXML:OrganName>Sở Nội vụ</edXML:OrganName></edXML:From>
        {to}
        <edXML:DocumentId>{escape(document_id)}</edXML:DocumentId>
        <edXML:Code><edXML:CodeNumber>125</edXML:CodeNumber><edXML:CodeNotation>SNV-VP</edXML:CodeNotation></edXML:Code>
        <edXML:PromulgationInfo><edXML:Place>Bắc Ninh</edXML:Place>
          <edXML:PromulgationDate>2026/03/02</edXML:PromulgationDate></edXML:PromulgationInfo>
        <edXML:DocumentType><edXML:Type>1</edXML:Type><edXML:TypeName>Công văn</edXML:TypeName></edXML:DocumentType>
        <edXML:Subject>V/v báo cáo tình hình ứng dụng CNTT</edXML:Subject>
        {due}
        <edXML:OtherInfo><edXML:Priority>{priority}</edXML:Priority><edXML:PageAmount>2</edXML:PageAmount></edXML:OtherInfo>
      </edXML:MessageHeader>
      <edXML:TraceHeaderList>
        <edXML:TraceHeader><edXML:OrganId>{sender}</edXML:OrganId>
          <edXML:Timestamp>2026/03/02 09:15:00</edXML:Timestamp></edXML:TraceHeader>
        <edXML:TraceHeader><edXML:OrganId>{RECEIVER}</edXML:OrganId>
          <edXML:Timestamp>2026/03/02 09:16:30</edXML:Timestamp></edXML:TraceHeader>
        <edXML:Bussiness><edXML:BussinessDocType>0</edXML:BussinessDocType>
          <edXML:BussinessDocReason>Văn bản điện tử mới</edXML:BussinessDocReason>
          <edXML:Paper>{paper}</edXML:Paper></edXML:Bussiness>
      </edXML:TraceHeaderList>
      {signature}
    </edXML:edXMLHeader>
    <edXML:edXMLBody><edXML:edXMLManifest version="1.0"/></edXML:edXMLBody>
  </edXML:edXMLEnvelope>
</edXML:edXML>
"""


MAILBOX_MAP = """
[domains]
"snv.bacninh.gov.vn" = "000.02.27.H27"
"stc.bacninh.gov.vn" = "000.03.27.H27"

[addresses]
"vanthu@bacninh.gov.vn" = "000.01.27.H27"
"""

# One day of a relay host, exactly as Postfix 3.x logs it: an outgoing message to an external and a local
# recipient, an incoming message delivered by lmtp, a deferred delivery, and a bounce (from=<>).
POSTFIX_LOG = """\
Mar  2 08:00:01 mx1 postfix/smtpd[2101]: connect from mail.snv.bacninh.gov.vn[10.10.0.5]
Mar  2 08:00:01 mx1 postfix/smtpd[2101]: 4Q1Bx2Dfz9Ks: client=mail.snv.bacninh.gov.vn[10.10.0.5], sasl_method=PLAIN, sasl_username=nguyenvan.a@snv.bacninh.gov.vn
Mar  2 08:00:01 mx1 postfix/cleanup[2104]: 4Q1Bx2Dfz9Ks: message-id=<20260302080001.1@snv.bacninh.gov.vn>
Mar  2 08:00:01 mx1 postfix/qmgr[1950]: 4Q1Bx2Dfz9Ks: from=<NguyenVan.A@snv.bacninh.gov.vn>, size=48213, nrcpt=2 (queue active)
Mar  2 08:00:02 mx1 postfix/smtp[2110]: 4Q1Bx2Dfz9Ks: to=<ketoan@stc.bacninh.gov.vn>, relay=mail.stc.bacninh.gov.vn[10.10.0.6]:25, delay=1.1, delays=0.1/0/0.5/0.5, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as 4Q1ABD0XYZ)
Mar  2 08:00:03 mx1 postfix/smtp[2111]: 4Q1Bx2Dfz9Ks: to=<contact@example.com>, relay=mx.example.com[203.0.113.9]:25, delay=2.3, delays=0.1/0/1.2/1, dsn=2.0.0, status=sent (250 2.0.0 OK 1709366403 qp 1)
Mar  2 08:00:03 mx1 postfix/qmgr[1950]: 4Q1Bx2Dfz9Ks: removed
Mar  2 09:30:10 mx1 postfix/smtpd[2201]: 4Q1B0C3GHJ: client=mx.example.com[203.0.113.9]
Mar  2 09:30:10 mx1 postfix/cleanup[2204]: 4Q1B0C3GHJ: message-id=<abc@example.com>
Mar  2 09:30:10 mx1 postfix/qmgr[1950]: 4Q1B0C3GHJ: from=<news@example.com>, size=9120, nrcpt=2 (queue active)
Mar  2 09:30:11 mx1 postfix/lmtp[2210]: 4Q1B0C3GHJ: to=<nguyenvan.a@snv.bacninh.gov.vn>, relay=imap.bacninh.gov.vn[private/dovecot-lmtp], delay=0.4, delays=0.1/0/0/0.3, dsn=2.0.0, status=sent (250 2.0.0 <nguyenvan.a@snv.bacninh.gov.vn> Saved)
Mar  2 09:30:11 mx1 postfix/lmtp[2210]: 4Q1B0C3GHJ: to=<vanthu@bacninh.gov.vn>, relay=imap.bacninh.gov.vn[private/dovecot-lmtp], delay=0.4, delays=0.1/0/0/0.3, dsn=2.0.0, status=sent (250 2.0.0 <vanthu@bacninh.gov.vn> Saved)
Mar  2 09:30:11 mx1 postfix/qmgr[1950]: 4Q1B0C3GHJ: removed
Mar  2 10:05:00 mx1 postfix/qmgr[1950]: 4Q1C1D4KLM: from=<ketoan@stc.bacninh.gov.vn>, size=1200, nrcpt=1 (queue active)
Mar  2 10:05:30 mx1 postfix/smtp[2310]: 4Q1C1D4KLM: to=<someone@example.org>, relay=none, delay=30, delays=0/0/30/0, dsn=4.4.1, status=deferred (connect to example.org[198.51.100.7]:25: Connection timed out)
Mar  2 11:00:00 mx1 postfix/qmgr[1950]: A1B2C3D4E5: from=<>, size=3100, nrcpt=1 (queue active)
Mar  2 11:00:00 mx1 postfix/local[2410]: A1B2C3D4E5: to=<ketoan@stc.bacninh.gov.vn>, relay=local, delay=0.01, delays=0/0/0/0, dsn=2.0.0, status=sent (delivered to mailbox)
Mar  2 11:00:00 mx1 postfix/qmgr[1950]: A1B2C3D4E5: removed
Mar  2 23:59:59 mx1 dovecot: imap-login: Login: user=<nguyenvan.a@snv.bacninh.gov.vn>, method=PLAIN
"""
