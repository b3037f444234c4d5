"""The DuckDB schema, as recorded migrations.

Raw tables mirror the feeds of docs/integration.md field for field, keyed on their natural keys, plus
`collected_at` (when the monitor stored that version). Every later change to the schema is a new entry at the
end of MIGRATIONS; an applied migration is never edited.
"""

from __future__ import annotations

import re

MIGRATION_0001_RAW = """
CREATE TABLE units (
    unit_code     VARCHAR NOT NULL,
    dvcqg_code    VARCHAR,
    name          VARCHAR NOT NULL,
    level         VARCHAR NOT NULL CHECK (level IN ('province', 'department', 'commune', 'district_legacy')),
    parent_code   VARCHAR,
    headcount     INTEGER,
    is_ranked     BOOLEAN NOT NULL DEFAULT TRUE,
    valid_from    DATE NOT NULL,
    valid_to      DATE,
    predecessors  VARCHAR[] NOT NULL DEFAULT [],
    systems       VARCHAR[] NOT NULL DEFAULT [],
    registry_hash VARCHAR NOT NULL,
    loaded_at     TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (unit_code, valid_from)
);

CREATE TABLE documents (
    unit_code         VARCHAR NOT NULL,
    doc_id            VARCHAR NOT NULL,
    direction         VARCHAR NOT NULL,
    so_ky_hieu        VARCHAR,
    loai_van_ban      VARCHAR,
    do_khan           TINYINT,
    do_mat            TINYINT,
    ngay_van_ban      DATE,
    ngay_ky           TIMESTAMPTZ,
    ngay_phat_hanh    TIMESTAMPTZ,
    ngay_den          TIMESTAMPTZ,
    ngay_dang_ky      TIMESTAMPTZ,
    ngay_chuyen_xu_ly TIMESTAMPTZ,
    han_xu_ly         DATE,
    ngay_hoan_thanh   TIMESTAMPTZ,
    trang_thai        VARCHAR,
    ky_so             BOOLEAN,
    kem_ban_giay      BOOLEAN,
    kenh              VARCHAR,
    xu_ly_tren_mang   BOOLEAN,
    co_quan_gui       VARCHAR,
    noi_nhan          VARCHAR,
    updated_at        TIMESTAMPTZ NOT NULL,
    collected_at      TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (unit_code, doc_id)
);

CREATE TABLE dossiers (
    unit_code             VARCHAR NOT NULL,
    ma_ho_so              VARCHAR NOT NULL,
    ma_tthc               VARCHAR,
    kenh                  TINYINT,
    ngay_tiep_nhan        TIMESTAMPTZ NOT NULL,
    ngay_hen_tra          TIMESTAMPTZ,
    ngay_ket_thuc_xu_ly   TIMESTAMPTZ,
    ngay_tra_ket_qua      TIMESTAMPTZ,
    trang_thai            VARCHAR,
    so_lan_bo_sung        INTEGER,
    tong_ngay_tam_dung    INTEGER,
    co_phieu_xin_loi      BOOLEAN,
    co_nghia_vu_tai_chinh BOOLEAN,
    thanh_toan_truc_tuyen BOOLEAN,
    da_dong_bo_dvcqg      BOOLEAN,
    so_hoa_ho_so          BOOLEAN,
    ket_qua_dien_tu       BOOLEAN,
    danh_gia_hai_long     TINYINT,
    updated_at            TIMESTAMPTZ NOT NULL,
    collected_at          TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (unit_code, ma_ho_so)
);

CREATE TABLE procedures (
    unit_code    VARCHAR NOT NULL,
    ma_tthc      VARCHAR NOT NULL,
    ten_tthc     VARCHAR,
    muc_do       VARCHAR,
    co_phi       BOOLEAN,
    updated_at   TIMESTAMPTZ NOT NULL,
    collected_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (unit_code, ma_tthc)
);

CREATE TABLE feedback (
    unit_code      VARCHAR NOT NULL,
    ma_pakn        VARCHAR NOT NULL,
    ngay_tiep_nhan TIMESTAMPTZ NOT NULL,
    han_xu_ly      DATE,
    ngay_xu_ly     TIMESTAMPTZ,
    trang_thai     VARCHAR,
    updated_at     TIMESTAMPTZ NOT NULL,
    collected_at   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (unit_code, ma_pakn)
);

CREATE TABLE onestop_stats (
    unit_code            VARCHAR NOT NULL,
    month                DATE NOT NULL,
    tong_tiep_nhan       INTEGER,
    truc_tuyen           INTEGER,
    truc_tiep_bcci       INTEGER,
    ky_truoc_chuyen_sang INTEGER,
    da_giai_quyet        INTEGER,
    truoc_han            INTEGER,
    dung_han             INTEGER,
    qua_han              INTEGER,
    dang_giai_quyet      INTEGER,
    dang_trong_han       INTEGER,
    dang_qua_han         INTEGER,
    collected_at         TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (unit_code, month)
);

CREATE TABLE mailboxes (
    unit_code    VARCHAR NOT NULL,
    mailbox_id   VARCHAR NOT NULL,
    ca_nhan      BOOLEAN,
    active       BOOLEAN,
    created_at   TIMESTAMPTZ,
    updated_at   TIMESTAMPTZ NOT NULL,
    collected_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (unit_code, mailbox_id)
);

CREATE TABLE mail_activity (
    unit_code    VARCHAR NOT NULL,
    mailbox_id   VARCHAR NOT NULL,
    ngay         DATE NOT NULL,
    dang_nhap    BOOLEAN,
    so_thu_gui   INTEGER,
    so_thu_nhan  INTEGER,
    collected_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (unit_code, mailbox_id, ngay)
);

CREATE TABLE portal_probes (
    unit_code     VARCHAR NOT NULL,
    probed_at     TIMESTAMPTZ NOT NULL,
    url           VARCHAR NOT NULL,
    ok            BOOLEAN NOT NULL,
    http_status   INTEGER,
    latency_ms    DOUBLE,
    https         BOOLEAN,
    mobile_viewport BOOLEAN,
    sections      VARCHAR[],
    last_item_at  TIMESTAMPTZ,
    error         VARCHAR,
    collected_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (unit_code, probed_at)
);

CREATE TABLE portal_items (
    unit_code    VARCHAR NOT NULL,
    url          VARCHAR NOT NULL,
    title        VARCHAR,
    published_at TIMESTAMPTZ,
    source       VARCHAR,
    collected_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (unit_code, url)
);

CREATE TABLE attempts (
    attempt_id   VARCHAR PRIMARY KEY,
    cycle_id     VARCHAR,
    unit_code    VARCHAR NOT NULL,
    system       VARCHAR NOT NULL,
    started_at   TIMESTAMPTZ NOT NULL,
    duration_s   DOUBLE NOT NULL,
    outcome      VARCHAR NOT NULL,
    http_status  INTEGER,
    error        VARCHAR,
    records_read INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE cursors (
    unit_code  VARCHAR NOT NULL,
    system     VARCHAR NOT NULL,
    feed       VARCHAR NOT NULL,
    cursor     VARCHAR NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (unit_code, system, feed)
);

CREATE TABLE quarantine (
    quarantined_at TIMESTAMPTZ NOT NULL,
    source         VARCHAR NOT NULL,
    unit_code      VARCHAR,
    feed           VARCHAR NOT NULL,
    natural_key    VARCHAR,
    reason         VARCHAR NOT NULL,
    payload        VARCHAR NOT NULL
);

CREATE TABLE cycles (
    cycle_id      VARCHAR PRIMARY KEY,
    started_at    TIMESTAMPTZ NOT NULL,
    finished_at   TIMESTAMPTZ NOT NULL,
    kind          VARCHAR NOT NULL,
    records       BIGINT NOT NULL,
    quarantined   BIGINT NOT NULL
);

CREATE TABLE ingested_files (
    file_name   VARCHAR PRIMARY KEY,
    sha256      VARCHAR NOT NULL,
    kind        VARCHAR NOT NULL,
    rows        BIGINT NOT NULL,
    ingested_at TIMESTAMPTZ NOT NULL
);
"""

RAW_TABLE_KEYS: dict[str, tuple[str, ...]] = {
    "documents": ("unit_code", "doc_id"),
    "dossiers": ("unit_code", "ma_ho_so"),
    "procedures": ("unit_code", "ma_tthc"),
    "feedback": ("unit_code", "ma_pakn"),
    "onestop_stats": ("unit_code", "month"),
    "mailboxes": ("unit_code", "mailbox_id"),
    "mail_activity": ("unit_code", "mailbox_id", "ngay"),
    "portal_probes": ("unit_code", "probed_at"),
    "portal_items": ("unit_code", "url"),
}


REBUILD_TABLE_TEMPLATE = """
ALTER TABLE {table} RENAME TO {table}__keyed;
{ddl}
INSERT INTO {table} SELECT * FROM {table}__keyed;
DROP TABLE {table}__keyed;
"""


def _raw_tables_without_primary_keys() -> str:
    """0002: rebuild each raw table with the same columns but no primary key.

    Maintaining a composite VARCHAR key index cost about 1.4 s per million rows inserted, more than the rest of
    the write path together; the natural key is now kept unique by the one writer's set-based upsert
    (`metrics.db.upsert_records`: delete the older stored versions, insert what no newer version blocks), and
    `metrics.db.duplicate_keys` checks it. Derived from 0001's text, which is never edited.
    """
    statements = []
    for table in RAW_TABLE_KEYS:
        start = MIGRATION_0001_RAW.index(f"CREATE TABLE {table} (")
        ddl = MIGRATION_0001_RAW[start:MIGRATION_0001_RAW.index(");", start) + 2]
        ddl = re.sub(r",\s*PRIMARY KEY \([^)]*\)\s*\);$", "\n);", ddl)
        statements.append(REBUILD_TABLE_TEMPLATE.format(table=table, ddl=ddl))
    return "\n".join(statements)


MIGRATIONS: list[tuple[str, str]] = [
    ("0001_raw_tables", MIGRATION_0001_RAW),
    ("0002_raw_tables_without_primary_keys", _raw_tables_without_primary_keys()),
]
