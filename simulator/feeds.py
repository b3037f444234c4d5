"""The feeds of docs/integration.md over generated chunks: versions as of the simulated clock, keyset pages."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

import numpy as np

from province.registry import Province, Unit
from simulator.generate import (
    CENTRAL_SENDERS,
    DOC_CHANNELS,
    DOC_DIRECTIONS,
    DOC_STATUSES,
    DOC_TYPE_ABBR,
    DOC_TYPES,
    DOSSIER_STATUSES,
    FEEDBACK_STATUSES,
    MAX_LAG_DAYS,
    PROCEDURE_NAMES,
    SERVICE_LEVELS,
    Chunk,
    ChunkStore,
    World,
    month_key,
    month_last,
    stable_hash,
)
from simulator.timegrid import (
    NEVER,
    NULL,
    day_seconds,
    format_day,
    format_day_list,
    format_ts,
    format_ts_list,
    to_date,
)

Record = dict[str, object]
INCREMENTAL_FEEDS = {"eoffice": ("documents",), "onestop": ("dossiers", "procedures", "feedback"),
                     "mail": ("mailboxes",)}
MONTHLY_FEEDS = frozenset({"documents", "dossiers", "feedback"})
MAX_PAGE_SIZE = 1000
DEFAULT_PAGE_SIZE = 100
END_STATUSES = frozenset({3, 4, 5, 6, 7})
STATS_FIELDS = ("tong_tiep_nhan", "truc_tuyen", "truc_tiep_bcci", "ky_truoc_chuyen_sang", "da_giai_quyet",
                "truoc_han", "dung_han", "qua_han", "dang_giai_quyet", "dang_trong_han", "dang_qua_han")


class FeedError(ValueError):
    """A bad request parameter; `code` goes on the wire as the JSON error code."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


@dataclass
class Page:
    items: list[Record]
    next_token: str | None
    last_keys: list[int] = field(default_factory=list)


def encode_token(*numbers: int) -> str:
    return base64.urlsafe_b64encode(":".join(str(int(n)) for n in numbers).encode()).decode().rstrip("=")


def decode_token(token: str, parts: int) -> tuple[int, ...]:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        numbers = tuple(int(x) for x in raw.split(":"))
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise FeedError(400, "bad_page_token", f"page_token {token!r} was not issued by this server; "
                                               f"pass back next_page_token unchanged") from None
    if len(numbers) != parts:
        raise FeedError(400, "bad_page_token", f"page_token {token!r} belongs to another feed")
    return numbers


class Columns:
    """The columns of a page's rows (row `rows[i]` of chunk `which[i]`), in page order, gathered per chunk."""

    def __init__(self, chunks: list[Chunk], which: np.ndarray, rows: np.ndarray) -> None:
        self.chunks = chunks
        self.rows = rows
        self.groups = [(int(k), np.flatnonzero(which == k)) for k in np.unique(which)]

    def __call__(self, name: str) -> np.ndarray:
        if len(self.groups) == 1:
            return self.chunks[self.groups[0][0]][name][self.rows]
        out = np.empty(len(self.rows), dtype=self.chunks[self.groups[0][0]][name].dtype)
        for k, at in self.groups:
            out[at] = self.chunks[k][name][self.rows[at]]
        return out


def _initials(name: str) -> str:
    if name.startswith(("Xã ", "Phường ")):
        return "UBND"
    return "".join(word[0].upper() for word in name.replace(",", "").split() if word[0].isalpha())[:8]


class Feeds:
    """Answers feed queries for one province and world; pure apart from the overrides it is given."""

    def __init__(self, province: Province, world: World, store: ChunkStore | None = None) -> None:
        self.province = province
        self.world = world
        self.store = store or ChunkStore(world)
        self.codes = [u.code for u in province.units if u.level in ("department", "commune")]
        self._abbr = {u.code: _initials(u.name) for u in province.units}
        self.builders: dict[str, Callable[[Unit, Chunk, int, bool, int], Record]] = {
            "documents": self._document, "dossiers": self._dossier, "procedures": self._procedure,
            "feedback": self._feedback, "mailboxes": self._mailbox}
        # The bulk feeds build a whole page at once from its columns (same records as the builders above).
        self.page_builders: dict[str, Callable[[Unit, Columns, np.ndarray, np.ndarray], list[Record]]] = {
            "documents": self._documents, "dossiers": self._dossiers}

    # ---- incremental feeds -------------------------------------------------------------------------------
    def chunks(self, unit: Unit, feed: str, now: int, since: int | None) -> list[Chunk]:
        if feed not in MONTHLY_FEEDS:
            return [self.store.get(unit, feed)]
        months = self.world.months_of(unit, to_date(now))
        if since is not None:
            floor = month_key(to_date(max(since - MAX_LAG_DAYS * 86400, 0)))
            months = range(max(months.start, floor), months.stop)
        return [self.store.get(unit, feed, m) for m in months]

    def page(self, unit: Unit, feed: str, now: int, since: int | None, token: str | None, size: int,
             overrides: dict[int, int] | None = None, skew: int = 0, overlap: int = 0) -> Page:
        """One page of `feed` as of `now`, ordered by (updated_at, natural key), after the keyset `token`."""
        chunks = self.chunks(unit, feed, now, None if since is None else since - skew)
        lengths = [len(c["sortkey"]) for c in chunks]
        if not sum(lengths):
            return Page([], None)
        first = np.concatenate([c["first"] for c in chunks])
        final = np.concatenate([c["final"] for c in chunks])
        keys = np.concatenate([c["sortkey"] for c in chunks])
        which = np.repeat(np.arange(len(chunks)), lengths)
        row = np.concatenate([np.arange(n) for n in lengths])
        is_final = final <= now
        updated = np.where(is_final, final, first)
        if overrides:
            for key, moment in overrides.items():
                hit = np.flatnonzero(keys == key)
                updated[hit] = np.maximum(updated[hit], moment)
        mask = first <= now
        if since is not None:
            mask &= updated + skew >= since
        if token is not None:
            after_updated, after_key = decode_token(token, 2)
            mask &= (updated > after_updated) | ((updated == after_updated) & (keys > after_key))
        idx = np.flatnonzero(mask)
        order = idx[np.lexsort((keys[idx], updated[idx]))]
        chosen = order[:size]
        if feed in self.page_builders and len(chosen):
            columns = Columns(chunks, which[chosen], row[chosen])
            items = self.page_builders[feed](unit, columns, is_final[chosen], updated[chosen] + skew)
        else:
            build = self.builders[feed]
            items = [build(unit, chunks[which[i]], int(row[i]), bool(is_final[i]), int(updated[i]) + skew)
                     for i in chosen]
        next_token = None
        if len(order) > size:
            back = min(overlap, len(chosen) - 1)
            anchor = chosen[len(chosen) - 1 - back]
            next_token = encode_token(int(updated[anchor]), int(keys[anchor]))
        return Page(items, next_token, [int(keys[i]) for i in chosen])

    def _document(self, unit: Unit, c: Chunk, i: int, final: bool, updated: int) -> Record:
        direction = int(c["direction"][i])
        doc_type = int(c["doc_type"][i])
        abbr = DOC_TYPE_ABBR[doc_type]
        incoming = direction == 0
        sender = self._other(unit, int(c["sender"][i])) if incoming else None
        author = self._abbr.get(sender or "", "UBND") if incoming else self._abbr[unit.code]
        number = f"{int(c['number'][i])}/{abbr}-{author}" if abbr else f"{int(c['number'][i])}/{author}-VP"
        t0 = int(c["t0"][i])
        if incoming:
            status = ("da_huy" if bool(c["cancelled"][i]) else "hoan_thanh") if final else (
                "dang_xu_ly" if bool(c["forwarded"][i]) else "cho_xu_ly")
            done = int(c["ngay_hoan_thanh"][i]) if final and not bool(c["cancelled"][i]) else NULL
        else:
            status, done = "hoan_thanh", t0
        receivers = int(c["receivers"][i])
        return {
            "doc_id": f"VB{int(c['sortkey'][i]):09d}", "unit_code": unit.code, "direction": DOC_DIRECTIONS[direction],
            "so_ky_hieu": number, "loai_van_ban": DOC_TYPES[doc_type], "do_khan": int(c["do_khan"][i]),
            "do_mat": int(c["do_mat"][i]), "ngay_van_ban": format_day(int(c["ngay_van_ban"][i])),
            "ngay_ky": None if incoming else format_ts(t0), "ngay_phat_hanh": None if incoming else format_ts(t0),
            "ngay_den": format_ts(t0) if incoming else None, "ngay_dang_ky": format_ts(int(c["ngay_dang_ky"][i])),
            "ngay_chuyen_xu_ly": format_ts(int(c["ngay_chuyen"][i])), "han_xu_ly": format_day(int(c["han_xu_ly"][i])),
            "ngay_hoan_thanh": format_ts(done), "trang_thai": status, "ky_so": bool(c["ky_so"][i]),
            "kem_ban_giay": bool(c["paper"][i]), "kenh": DOC_CHANNELS[int(c["channel"][i])],
            "xu_ly_tren_mang": bool(c["on_network"][i]) if incoming else None, "co_quan_gui": sender,
            "noi_nhan": None if incoming else (unit.code if direction == 2 else ";".join(
                self._other(unit, int(c["sender"][i]) + k * 7919) for k in range(receivers))),
            "updated_at": format_ts(updated),
        }

    def _documents(self, unit: Unit, col: Columns, final: np.ndarray, updated: np.ndarray) -> list[Record]:
        """`_document` for every row of a page, from the page's columns."""
        direction = col("direction")
        incoming = direction == 0
        cancelled = col("cancelled")
        t0 = col("t0")
        done = np.where(incoming, np.where(final & ~cancelled, col("ngay_hoan_thanh"), NULL), t0)
        t0_text = format_ts_list(t0)
        status = np.where(incoming, np.where(final, np.where(cancelled, 4, 2), np.where(col("forwarded"), 1, 0)), 2)
        own = self._abbr[unit.code]
        records = []
        for (i, d, typ, num, sk, khan, mat, vb, dk, cx, han, ht, st, ky, paper, ch, net, sender, rec, up) in zip(
                range(len(final)), direction.tolist(), col("doc_type").tolist(), col("number").tolist(),
                col("sortkey").tolist(), col("do_khan").tolist(), col("do_mat").tolist(),
                format_day_list(col("ngay_van_ban")), format_ts_list(col("ngay_dang_ky")),
                format_ts_list(col("ngay_chuyen")), format_day_list(col("han_xu_ly")), format_ts_list(done),
                status.tolist(), col("ky_so").tolist(), col("paper").tolist(), col("channel").tolist(),
                col("on_network").tolist(), col("sender").tolist(), col("receivers").tolist(),
                format_ts_list(updated), strict=True):
            is_in = d == 0
            abbr = DOC_TYPE_ABBR[typ]
            from_code = self._other(unit, sender) if is_in else None
            author = self._abbr.get(from_code or "", "UBND") if is_in else own
            records.append({
                "doc_id": f"VB{sk:09d}", "unit_code": unit.code, "direction": DOC_DIRECTIONS[d],
                "so_ky_hieu": f"{num}/{abbr}-{author}" if abbr else f"{num}/{author}-VP",
                "loai_van_ban": DOC_TYPES[typ], "do_khan": khan, "do_mat": mat, "ngay_van_ban": vb,
                "ngay_ky": None if is_in else t0_text[i], "ngay_phat_hanh": None if is_in else t0_text[i],
                "ngay_den": t0_text[i] if is_in else None, "ngay_dang_ky": dk, "ngay_chuyen_xu_ly": cx,
                "han_xu_ly": han, "ngay_hoan_thanh": ht, "trang_thai": DOC_STATUSES[st], "ky_so": ky,
                "kem_ban_giay": paper, "kenh": DOC_CHANNELS[ch], "xu_ly_tren_mang": None if not is_in else net,
                "co_quan_gui": from_code,
                "noi_nhan": None if is_in else (unit.code if d == 2 else ";".join(
                    self._other(unit, sender + k * 7919) for k in range(rec))),
                "updated_at": up,
            })
        return records

    def _dossiers(self, unit: Unit, col: Columns, final: np.ndarray, updated: np.ndarray) -> list[Record]:
        """`_dossier` for every row of a page, from the page's columns."""
        status = col("status")
        resolved = final & np.isin(status, list(END_STATUSES))
        shown_status = np.where(final | ~np.isin(status, list(END_STATUSES)), status, 0)
        procs = self.store.get(unit, "procedures")["sortkey"]
        proc_keys = procs[col("proc")].tolist()
        fee = col("fee")
        rating = col("rating")
        code = unit.code
        return [
            {
                "ma_ho_so": f"{code}-{key // 10000:06d}-{key % 10000:04d}",
                "ma_tthc": f"{pk // 1_000_000}.{pk % 1_000_000:06d}", "unit_code": code, "kenh": kenh,
                "ngay_tiep_nhan": received, "ngay_hen_tra": due, "ngay_ket_thuc_xu_ly": ended,
                "ngay_tra_ket_qua": returned, "trang_thai": DOSSIER_STATUSES[st], "so_lan_bo_sung": supplements,
                "tong_ngay_tam_dung": paused, "co_phieu_xin_loi": apology, "co_nghia_vu_tai_chinh": has_fee,
                "thanh_toan_truc_tuyen": paid if has_fee else None, "da_dong_bo_dvcqg": synced,
                "so_hoa_ho_so": digitised, "ket_qua_dien_tu": e_result, "danh_gia_hai_long": rate,
                "updated_at": up,
            }
            for (key, pk, kenh, received, due, ended, returned, st, supplements, paused, apology, has_fee, paid,
                 synced, digitised, e_result, rate, up) in zip(
                col("sortkey").tolist(), proc_keys, col("kenh").tolist(), format_ts_list(col("first")),
                format_ts_list(col("hen_tra")), format_ts_list(np.where(resolved, col("ket_thuc"), NULL)),
                format_ts_list(np.where(resolved, col("tra"), NULL)), shown_status.tolist(),
                np.where(final, col("supplements"), 0).tolist(), np.where(final, col("paused"), 0).tolist(),
                (resolved & col("apology")).tolist(), fee.tolist(), col("paid_online").tolist(),
                col("synced").tolist(), col("digitised").tolist(),
                np.where(resolved, col("e_result"), None).tolist(),  # type: ignore[call-overload]
                np.where(resolved & (rating != 0), rating, None).tolist(),  # type: ignore[call-overload]
                format_ts_list(updated), strict=True)
        ]

    def _other(self, unit: Unit, pick: int) -> str:
        if pick % 5 == 0 or len(self.codes) < 2:
            return CENTRAL_SENDERS[pick // 5 % len(CENTRAL_SENDERS)]
        code = self.codes[pick % len(self.codes)]
        return code if code != unit.code else self.codes[(pick + 1) % len(self.codes)]

    def _procedure_code(self, unit: Unit, index: int) -> str:
        procs = self.store.get(unit, "procedures")
        key = int(procs["sortkey"][index])
        return f"{key // 1_000_000}.{key % 1_000_000:06d}"

    def _dossier(self, unit: Unit, c: Chunk, i: int, final: bool, updated: int) -> Record:
        key = int(c["sortkey"][i])
        status = int(c["status"][i])
        resolved = final and status in END_STATUSES
        fee = bool(c["fee"][i])
        rating = int(c["rating"][i])
        return {
            "ma_ho_so": f"{unit.code}-{key // 10000:06d}-{key % 10000:04d}",
            "ma_tthc": self._procedure_code(unit, int(c["proc"][i])), "unit_code": unit.code,
            "kenh": int(c["kenh"][i]), "ngay_tiep_nhan": format_ts(int(c["first"][i])),
            "ngay_hen_tra": format_ts(int(c["hen_tra"][i])),
            "ngay_ket_thuc_xu_ly": format_ts(int(c["ket_thuc"][i])) if resolved else None,
            "ngay_tra_ket_qua": format_ts(int(c["tra"][i])) if resolved else None,
            "trang_thai": DOSSIER_STATUSES[status] if final or status not in END_STATUSES else "dang_xu_ly",
            "so_lan_bo_sung": int(c["supplements"][i]) if final else 0,
            "tong_ngay_tam_dung": int(c["paused"][i]) if final else 0,
            "co_phieu_xin_loi": bool(c["apology"][i]) if resolved else False,
            "co_nghia_vu_tai_chinh": fee, "thanh_toan_truc_tuyen": bool(c["paid_online"][i]) if fee else None,
            "da_dong_bo_dvcqg": bool(c["synced"][i]), "so_hoa_ho_so": bool(c["digitised"][i]),
            "ket_qua_dien_tu": bool(c["e_result"][i]) if resolved else None,
            "danh_gia_hai_long": rating if resolved and rating else None,
            "updated_at": format_ts(updated),
        }

    def _procedure(self, unit: Unit, c: Chunk, i: int, final: bool, updated: int) -> Record:
        level = int(c["level"][i])
        if final:
            level = max(level - 1, 0)
        name = PROCEDURE_NAMES[int(c["name"][i])] + ("", " (cấp lại)", " (điều chỉnh)")[int(c["variant"][i])]
        return {"ma_tthc": self._procedure_code(unit, i), "unit_code": unit.code, "ten_tthc": name,
                "muc_do": SERVICE_LEVELS[level], "co_phi": bool(c["co_phi"][i]), "updated_at": format_ts(updated)}

    def _feedback(self, unit: Unit, c: Chunk, i: int, final: bool, updated: int) -> Record:
        return {"ma_pakn": f"PAKN-{int(c['sortkey'][i]):08d}", "unit_code": unit.code,
                "ngay_tiep_nhan": format_ts(int(c["first"][i])), "han_xu_ly": format_day(int(c["han"][i])),
                "ngay_xu_ly": format_ts(int(c["final"][i])) if final else None,
                "trang_thai": FEEDBACK_STATUSES[int(c["status"][i])] if final else "dang_xu_ly",
                "updated_at": format_ts(updated)}

    def _mailbox(self, unit: Unit, c: Chunk, i: int, final: bool, updated: int) -> Record:
        return {"mailbox_id": str(c["id"][i]), "unit_code": unit.code, "ca_nhan": bool(c["personal"][i]),
                "active": not final, "created_at": format_ts(int(c["created"][i])), "updated_at": format_ts(updated)}

    # ---- mail activity -----------------------------------------------------------------------------------
    def activity(self, unit: Unit, now: int, date_from: date, date_to: date, token: str | None,
                 size: int) -> Page:
        """Daily rows for complete days (before the simulated today), ordered by (ngay, mailbox_id)."""
        last = min(date_to, date.fromordinal(to_date(now).toordinal() - 1))
        after_day, after_box = decode_token(token, 2) if token else (-1, -1)
        boxes = self.store.get(unit, "mailboxes")
        items: list[Record] = []
        last_key = (0, 0)
        box_ids = boxes["id"].tolist()
        for month in self.world.months_of(unit, last):
            if month_last(month) < date_from:
                continue
            c = self.store.get(unit, "activity", month)
            day = c["day"]
            mask = (day >= day_seconds(date_from)) & (day <= day_seconds(last))
            mask &= (day > after_day) | ((day == after_day) & (c["box"] > after_box))
            rows = np.flatnonzero(mask)
            room = size - len(items)
            taken = rows[:room]
            if len(taken):
                box = c["box"][taken]
                items.extend(
                    {"mailbox_id": box_ids[b], "unit_code": unit.code, "ngay": d, "dang_nhap": login,
                     "so_thu_gui": sent, "so_thu_nhan": received}
                    for b, d, login, sent, received in zip(
                        box.tolist(), format_day_list(day[taken]), c["login"][taken].tolist(),
                        c["sent"][taken].tolist(), c["received"][taken].tolist(), strict=True))
                last_key = (int(day[taken[-1]]), int(box[-1]))
            if len(rows) > room:
                return Page(items, encode_token(*last_key))
        return Page(items, None)

    # ---- one-stop monthly statistics -----------------------------------------------------------------------
    def stats(self, unit: Unit, now: int, month: int) -> Record:
        """The §5.7 report columns for one month, computed from the dossiers as of the month's end (or now)."""
        start = day_seconds(date(month // 12, month % 12 + 1, 1))
        end = min(day_seconds(month_last(month)) + 86400 - 1, now)
        chunks = [self.store.get(unit, "dossiers", m) for m in self.world.months_of(unit, to_date(end))
                  if m <= month]
        valid_months = self.world.months_of(unit, date.max)
        if not chunks or month not in valid_months:
            raise FeedError(404, "no_data", f"unit {unit.code} has no one-stop data for that month")
        first = np.concatenate([c["first"] for c in chunks])
        final = np.concatenate([c["final"] for c in chunks])
        status = np.concatenate([c["status"] for c in chunks])
        kenh = np.concatenate([c["kenh"] for c in chunks])
        hen = np.concatenate([c["hen_tra"] for c in chunks])
        ket = np.concatenate([c["ket_thuc"] for c in chunks])
        resolved_at = np.where(np.isin(status, list(END_STATUSES)) & (final != NEVER), final, NEVER)
        carried = (first < start) & (resolved_at >= start)
        received = (first >= start) & (first <= end)
        considered = carried | received
        done = considered & (resolved_at <= end)
        end_day = ket // 86400
        hen_day = hen // 86400
        open_ = considered & ~done
        return {
            "unit_code": unit.code, "month": f"{month // 12:04d}-{month % 12 + 1:02d}-01",
            "tong_tiep_nhan": int(considered.sum()), "truc_tuyen": int((received & (kenh == 2)).sum()),
            "truc_tiep_bcci": int((received & (kenh != 2)).sum()), "ky_truoc_chuyen_sang": int(carried.sum()),
            "da_giai_quyet": int(done.sum()), "truoc_han": int((done & (end_day < hen_day)).sum()),
            "dung_han": int((done & (end_day == hen_day)).sum()), "qua_han": int((done & (end_day > hen_day)).sum()),
            "dang_giai_quyet": int(open_.sum()), "dang_trong_han": int((open_ & (hen >= end)).sum()),
            "dang_qua_han": int((open_ & (hen < end)).sum()),
        }


def portal_profile(world: World, unit: Unit) -> tuple[bool, frozenset[int]]:
    """(has a mobile viewport, indexes of the mandatory sections missing from the navigation)."""
    roll = stable_hash(world.seed, unit.code, "portal")
    viewport = roll % 13 != 0
    kind = world.profile(unit.code)
    missing_count = {"leader": 0, "average": 1, "improver": 1, "laggard": 3, "collapsing": 2}[kind]
    rng = np.random.default_rng([world.seed, stable_hash(unit.code), 77])
    missing = frozenset(int(x) for x in rng.choice(8, missing_count, replace=False))
    return viewport, missing
