"""Deterministic record generation, one chunk per (unit, feed, month), each from its own seeded Generator.

A record has at most two versions: the first one, visible from `first` (seconds of local time), and the final
one from `final` (NEVER when the record is never finished). What a client sees depends only on the seed, the
unit, the simulated clock and the faults, so units are generated lazily and identically on every run.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

import numpy as np

from province.registry import Unit
from simulator.timegrid import EPOCH_ORDINAL, NEVER, NULL, WORK_MINUTES, TimeGrid

Chunk = dict[str, np.ndarray]
FEED_IDS = {"documents": 1, "dossiers": 2, "feedback": 3, "procedures": 4, "mailboxes": 5, "activity": 6,
            "portal": 7, "profile": 8}
MAX_LAG_DAYS = 56  # a final version comes at most 30 working days after the first one: 6 weeks + Tết

DOC_TYPES = ("Công văn", "Quyết định", "Tờ trình", "Báo cáo", "Kế hoạch", "Thông báo", "Giấy mời")
DOC_TYPE_ABBR = ("", "QĐ", "TTr", "BC", "KH", "TB", "GM")
DOC_TYPE_P = (0.46, 0.12, 0.06, 0.14, 0.08, 0.08, 0.06)
DOC_DIRECTIONS = ("in", "out", "internal")
DOC_CHANNELS = ("truc_lien_thong", "lgsp", "noi_bo", "giay")
DOC_STATUSES = ("cho_xu_ly", "dang_xu_ly", "hoan_thanh", "tam_dung", "da_huy")
DOSSIER_STATUSES = ("dang_xu_ly", "cho_bo_sung", "tam_dung", "da_xu_ly_xong", "da_tra_ket_qua", "tu_choi",
                    "dung_xu_ly", "cong_dan_rut")
DOSSIER_END_P = (0.0, 0.0, 0.0, 0.08, 0.84, 0.04, 0.02, 0.02)
FEEDBACK_STATUSES = ("dang_xu_ly", "da_xu_ly", "tu_choi")
SERVICE_LEVELS = ("toan_trinh", "mot_phan", "khong")
CENTRAL_SENDERS = ("000.00.00.G22", "000.00.00.G09", "000.00.00.G12", "000.00.00.G13")
PROCEDURE_NAMES = (
    "Đăng ký khai sinh", "Đăng ký kết hôn", "Đăng ký khai tử", "Chứng thực bản sao từ bản chính",
    "Chứng thực chữ ký", "Đăng ký thường trú", "Cấp giấy phép xây dựng nhà ở riêng lẻ",
    "Cấp giấy chứng nhận đăng ký hộ kinh doanh", "Cấp phiếu lý lịch tư pháp", "Cấp giấy phép lái xe",
    "Cấp giấy chứng nhận quyền sử dụng đất", "Đăng ký biến động đất đai", "Cấp giấy phép kinh doanh rượu",
    "Cấp chứng chỉ hành nghề khám bệnh, chữa bệnh", "Cấp giấy phép hoạt động cơ sở khám bệnh",
    "Thẩm định hồ sơ thiết kế xây dựng", "Cấp giấy chứng nhận đủ điều kiện an toàn thực phẩm",
    "Trợ cấp xã hội hằng tháng", "Xác nhận tình trạng hôn nhân", "Cấp giấy phép tổ chức lễ hội",
    "Công nhận trường đạt chuẩn quốc gia", "Cấp giấy phép lao động cho người nước ngoài",
    "Đăng ký doanh nghiệp", "Cấp giấy phép môi trường", "Giải quyết khiếu nại lần đầu",
)
NEWS_TITLES = (
    "Hội nghị triển khai nhiệm vụ chuyển đổi số", "Kiểm tra công tác cải cách hành chính",
    "Tập huấn sử dụng phần mềm quản lý văn bản", "Tuyên truyền phổ biến giáo dục pháp luật",
    "Kết quả giải quyết thủ tục hành chính tháng", "Đối thoại với người dân và doanh nghiệp",
    "Hướng dẫn nộp hồ sơ trực tuyến toàn trình", "Thông báo lịch tiếp công dân",
    "Sơ kết công tác quý", "Phát động phong trào thi đua",
)


@lru_cache(maxsize=65536)
def stable_hash(*parts: object) -> int:
    digest = hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).digest()
    return int.from_bytes(digest[:8], "big") >> 1


def month_key(day: date) -> int:
    return day.year * 12 + day.month - 1


def month_first(key: int) -> date:
    return date(key // 12, key % 12 + 1, 1)


def month_last(key: int) -> date:
    nxt = month_first(key + 1)
    return date.fromordinal(nxt.toordinal() - 1)


@dataclass(frozen=True)
class World:
    """Everything generation depends on: the seed, the history window and the designated special units."""

    seed: int
    grid: TimeGrid
    history_start: date
    end: date
    collapsing: frozenset[str] = frozenset()
    volume_scale: float = 1.0

    @property
    def history_months(self) -> int:
        return month_key(self.end) - month_key(self.history_start) + 1

    def rng(self, unit: str, feed: str, month: int = 0) -> np.random.Generator:
        # A Philox key skips SeedSequence hashing, which would cost more than generating a small chunk.
        return np.random.Generator(np.random.Philox(key=stable_hash(self.seed, unit, FEED_IDS[feed], month)))

    def traits(self, unit: str) -> tuple[float, float]:
        """(profile roll, level offset) of a unit: fixed for a seed."""
        return _traits(self.seed, unit)

    def profile(self, unit: str) -> str:
        if unit in self.collapsing:
            return "collapsing"
        roll = self.traits(unit)[0]
        return ("leader" if roll < 0.2 else "average" if roll < 0.6 else "laggard" if roll < 0.8 else "improver")

    def adoption(self, unit: str, month: int) -> float:
        """Share of the work a unit does electronically in a month, by its profile and trend."""
        span = max(self.history_months - 1, 1)
        t = (month - month_key(self.history_start)) / span
        offset = self.traits(unit)[1]
        kind = self.profile(unit)
        if kind == "collapsing":
            months_left = month_key(self.end) - month
            level = 0.85 if months_left >= 6 else 0.85 - 0.13 * (6 - months_left)
        else:
            base, slope = {"leader": (0.86, 0.08), "average": (0.55, 0.15), "laggard": (0.25, 0.06),
                           "improver": (0.25, 0.6)}[kind]
            level = base + slope * t
        return float(np.clip(level + offset, 0.05, 0.98))

    def day_range(self, unit: Unit, month: int) -> tuple[int, int]:
        """Working-day indexes of `month` within the unit's validity and the history window."""
        first = max(month_first(month), unit.valid_from, self.history_start)
        last = min(month_last(month), unit.valid_to or date.max, self.grid.end)
        if last < first:
            return 0, 0
        return self.grid.index_range(first, last)

    def months_of(self, unit: Unit, until: date) -> range:
        first = month_key(max(unit.valid_from, self.history_start))
        last = month_key(min(unit.valid_to or date.max, until, self.grid.end))
        return range(first, last + 1)


@lru_cache(maxsize=65536)
def _traits(seed: int, unit: str) -> tuple[float, float]:
    roll, shift = np.random.default_rng([seed, stable_hash(unit), FEED_IDS["profile"]]).random(2)
    return float(roll), float((shift - 0.5) * 0.1)


def _ints(rng: np.random.Generator, low: int | np.ndarray, high: int | np.ndarray, n: int) -> np.ndarray:
    """n integers in [low, high) (element-wise when arrays); rng.integers costs ten times more for small n."""
    return low + (rng.random(n) * (high - low)).astype(np.int64)


@lru_cache(maxsize=1024)
def _cumulative(probabilities: tuple[float, ...]) -> np.ndarray:
    cumulative = np.cumsum(probabilities)
    return cumulative / cumulative[-1]


def _pick(rng: np.random.Generator, probabilities: tuple[float, ...], n: int) -> np.ndarray:
    """n draws of an index with the given probabilities (what rng.choice(p=...) does, without its overhead)."""
    return np.minimum(np.searchsorted(_cumulative(probabilities), rng.random(n), side="right"),
                      len(probabilities) - 1)


def _when(world: World, rng: np.random.Generator, a: int, b: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    """n random (working-day index, working minute) pairs in [a, b), sorted by time."""
    day = _ints(rng, a, b, n)
    minute = _ints(rng, 0, WORK_MINUTES - 30, n)
    order = np.lexsort((minute, day))
    return day[order], minute[order]


def _later(rng: np.random.Generator, day: np.ndarray, minute: np.ndarray, lag: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A moment `lag` working days after (day, minute); on the same day, later in the day."""
    later_minute = _ints(rng, 0, WORK_MINUTES, len(day))
    same = lag == 0
    later_minute = np.where(same, minute + 1 + ((WORK_MINUTES - 1 - minute) * rng.random(len(day))).astype(np.int64),
                            later_minute)
    return day + lag, np.minimum(later_minute, WORK_MINUTES - 1)


def _volume(world: World, unit: Unit, per_head: float, floor: float) -> float:
    return max(floor, per_head * (unit.headcount or 25)) * world.volume_scale


def documents(world: World, unit: Unit, month: int) -> Chunk:
    rng = world.rng(unit.code, "documents", month)
    a, b = world.day_range(unit, month)
    n = int(rng.poisson(_volume(world, unit, 0.28, 4.0) * (b - a))) if b > a else 0
    adopt = world.adoption(unit.code, month)
    grid = world.grid
    day, minute = _when(world, rng, a, max(b, a + 1), n)
    direction = _pick(rng, (0.55, 0.3, 0.15), n)
    incoming = direction == 0
    t0 = grid.ts(day, minute, _ints(rng, 0, 60, n))
    reg_gap = _ints(rng, 1, 20, n)
    registered = incoming & (rng.random(n) < 0.55 + 0.45 * adopt)
    fwd_gap = reg_gap + _ints(rng, 1, 10, n)
    forwarded = incoming & registered & (rng.random(n) < 0.6 + 0.4 * adopt)
    ngay_dang_ky = np.where(registered, grid.ts(day, np.minimum(minute + reg_gap, WORK_MINUTES - 1)), NULL)
    ngay_chuyen = np.where(forwarded, grid.ts(day, np.minimum(minute + fwd_gap, WORK_MINUTES - 1)), NULL)
    first = np.maximum(t0, np.maximum(ngay_dang_ky, ngay_chuyen))
    has_deadline = incoming & (rng.random(n) < 0.5)
    limit = rng.choice(np.array([3, 5, 7, 10, 15]), n)
    late = rng.random(n) < 0.03 + 0.35 * (1 - adopt)
    lag = np.where(has_deadline, np.where(late, limit + _ints(rng, 1, 12, n), _ints(rng, 0, limit + 1, n)),
                   _ints(rng, 0, 20, n))
    done_day, done_minute = _later(rng, day, np.minimum(minute + fwd_gap, WORK_MINUTES - 2), lag)
    ngay_hoan_thanh = grid.ts(done_day, done_minute)
    fate = rng.random(n)
    never = incoming & (fate < 0.01)
    cancelled = incoming & (fate >= 0.01) & (fate < 0.02)
    final = np.where(incoming & ~never, np.maximum(ngay_hoan_thanh, first + 60), NEVER)
    electronic = rng.random(n) < 0.45 + 0.55 * adopt
    channel = np.where(direction == 2, 2, np.where(electronic, _pick(rng, (0.4, 0.6), n), 3))
    seq = np.arange(1, n + 1)
    yymm = (month // 12 % 100) * 100 + month % 12 + 1
    return {
        "sortkey": yymm * 100000 + seq, "first": first, "final": final,
        "direction": direction, "doc_type": _pick(rng, DOC_TYPE_P, n),
        "number": _ints(rng, 1, 3000, n),
        "do_khan": _pick(rng, (0.85, 0.1, 0.03, 0.015, 0.005), n),
        "do_mat": _pick(rng, (0.97, 0.02, 0.008, 0.002), n),
        "ngay_van_ban": np.where(incoming, grid.day(day - _ints(rng, 0, 4, n)), grid.day(day)),
        "t0": t0, "ngay_dang_ky": ngay_dang_ky, "ngay_chuyen": ngay_chuyen,
        "han_xu_ly": np.where(has_deadline, grid.day(day + limit), NULL),
        "ngay_hoan_thanh": ngay_hoan_thanh, "cancelled": cancelled, "forwarded": forwarded,
        "ky_so": rng.random(n) < 0.2 + 0.8 * adopt, "paper": (~electronic) | (rng.random(n) < 0.6 * (1 - adopt)),
        "channel": channel, "on_network": rng.random(n) < adopt,
        "sender": _ints(rng, 0, 1 << 30, n), "receivers": _ints(rng, 1, 5, n),
    }


def procedures(world: World, unit: Unit) -> Chunk:
    rng = world.rng(unit.code, "procedures")
    n = int(rng.integers(30, 70)) if unit.level == "department" else int(rng.integers(25, 40))
    start_month = month_key(max(unit.valid_from, world.history_start))
    adopt = world.adoption(unit.code, start_month)
    a, b = world.day_range(unit, start_month)
    first = np.full(n, world.grid.ts(np.array([a]), np.array([30]))[0], dtype=np.int64)
    upgraded = rng.random(n) < 0.25
    end_index = world.grid.index_range(world.history_start, world.end)[1]
    up_day = _ints(rng, a, max(end_index, a + 1), n)
    final = np.where(upgraded, world.grid.ts(up_day, _ints(rng, 0, WORK_MINUTES, n)), NEVER)
    level = _pick(rng, (0.25 + 0.5 * adopt, 0.6 - 0.45 * adopt, 0.15 - 0.05 * adopt), n)
    codes = np.sort((_pick(rng, (0.8, 0.2), n) + 1) * 1_000_000 + rng.choice(13000, n, replace=False) + 1000)
    return {"sortkey": codes, "first": first, "final": final,
            "name": _ints(rng, 0, len(PROCEDURE_NAMES), n), "variant": _ints(rng, 0, 3, n),
            "level": level, "co_phi": rng.random(n) < 0.4, "limit": _ints(rng, 1, 21, n)}


def dossiers(world: World, unit: Unit, month: int, procs: Chunk | None = None) -> Chunk:
    rng = world.rng(unit.code, "dossiers", month)
    a, b = world.day_range(unit, month)
    per_day = _volume(world, unit, 0.45, 8.0) if unit.level == "commune" else _volume(world, unit, 0.35, 5.0)
    n = int(rng.poisson(per_day * (b - a))) if b > a else 0
    adopt = world.adoption(unit.code, month)
    grid = world.grid
    procs = procs if procs is not None else procedures(world, unit)
    proc = _ints(rng, 0, len(procs["sortkey"]), n)
    limit = procs["limit"][proc]
    fee = procs["co_phi"][proc]
    day, minute = _when(world, rng, a, max(b, a + 1), n)
    first = grid.ts(day, minute, _ints(rng, 0, 60, n))
    u = rng.random(n)
    p_late = 0.02 + 0.3 * (1 - adopt)
    p_early = 0.3 + 0.5 * adopt
    lag = np.where(u < p_late, limit + _ints(rng, 1, 10, n),
                   np.where(u < p_late + p_early, (rng.random(n) * limit).astype(np.int64), limit))
    end_day, end_minute = _later(rng, day, minute, lag)
    ended = rng.random(n) >= 0.01
    ket_thuc = np.where(ended, grid.ts(end_day, end_minute), NULL)
    status = np.where(ended, _pick(rng, DOSSIER_END_P, n),
                      _pick(rng, (0.6, 0.3, 0.1), n))
    returned = status == 4
    ret_day, ret_minute = _later(rng, end_day, end_minute, _ints(rng, 0, 2, n))
    tra = np.where(returned, grid.ts(ret_day, ret_minute), NULL)
    final = np.where(ended, np.maximum(ket_thuc, tra), NEVER)
    supplements = np.where(lag > 0, np.minimum(rng.poisson(0.15, n), 3), 0)
    order = np.lexsort((first,))
    ymd = ((grid.ordinals[np.clip(day, 0, len(grid.ordinals) - 1)]) if n else np.zeros(0, np.int64))
    seq = _seq_within(ymd[order]) if n else np.zeros(0, np.int64)
    late = end_day > day + limit
    rated = rng.random(n) < 0.25 + 0.3 * adopt
    return {
        "sortkey": np.zeros(n, np.int64) if not n else _dossier_keys(ymd[order], seq),
        "first": first[order], "final": final[order],
        "proc": proc[order], "kenh": np.where(rng.random(n) < 0.1 + 0.85 * adopt, 2,
                                              np.where(rng.random(n) < 0.05, 3, 1))[order],
        "hen_tra": grid.ts(day + limit, np.full(n, 450))[order], "ket_thuc": ket_thuc[order], "tra": tra[order],
        "status": status[order], "supplements": supplements[order],
        "paused": np.where(supplements > 0, np.minimum(_ints(rng, 1, 12, n), lag), 0)[order],
        "apology": (late & (rng.random(n) < 0.4 + 0.5 * adopt))[order], "fee": fee[order],
        "paid_online": (rng.random(n) < 0.1 + 0.8 * adopt)[order],
        "synced": (rng.random(n) < 0.7 + 0.3 * adopt)[order], "digitised": (rng.random(n) < adopt)[order],
        "e_result": (rng.random(n) < 0.1 + 0.85 * adopt)[order],
        "rating": np.where(rated, rng.choice(np.arange(1, 6), n, p=(0.03, 0.04, 0.13, 0.35, 0.45)), 0)[order],
    }


def _seq_within(ordinals: np.ndarray) -> np.ndarray:
    """1-based position of each element within its run of equal (sorted) ordinals."""
    starts = np.r_[0, np.flatnonzero(np.diff(ordinals)) + 1]
    run_start = np.repeat(starts, np.diff(np.r_[starts, len(ordinals)]))
    return np.arange(len(ordinals)) - run_start + 1


def _dossier_keys(ordinals: np.ndarray, seq: np.ndarray) -> np.ndarray:
    days = (ordinals - EPOCH_ORDINAL).astype("datetime64[D]")
    year = days.astype("datetime64[Y]").astype(np.int64) + 1970
    month = days.astype("datetime64[M]").astype(np.int64) % 12 + 1
    day = (days - days.astype("datetime64[M]")).astype(np.int64) + 1
    return ((year % 100) * 10000 + month * 100 + day) * 10000 + seq


def feedback(world: World, unit: Unit, month: int) -> Chunk:
    rng = world.rng(unit.code, "feedback", month)
    a, b = world.day_range(unit, month)
    n = int(rng.poisson((0.2 if unit.level == "department" else 0.1) * (b - a) * world.volume_scale)) if b > a else 0
    adopt = world.adoption(unit.code, month)
    day, minute = _when(world, rng, a, max(b, a + 1), n)
    first = world.grid.ts(day, minute)
    late = rng.random(n) < 0.05 + 0.3 * (1 - adopt)
    lag = np.where(late, 15 + _ints(rng, 1, 15, n), _ints(rng, 0, 16, n))
    done_day, done_minute = _later(rng, day, minute, lag)
    pending = rng.random(n) < 0.03
    final = np.where(pending, NEVER, world.grid.ts(done_day, done_minute))
    yymm = (month // 12 % 100) * 100 + month % 12 + 1
    return {"sortkey": yymm * 10000 + np.arange(1, n + 1), "first": first, "final": final,
            "han": world.grid.day(day + 15), "status": np.where(rng.random(n) < 0.94, 1, 2)}


def mailboxes(world: World, unit: Unit) -> Chunk:
    rng = world.rng(unit.code, "mailboxes")
    n = (unit.headcount or 25) + 3
    a, b = world.grid.index_range(world.history_start, world.end)
    unit_a, _ = world.grid.index_range(max(unit.valid_from, world.history_start), world.end)
    pre = rng.random(n) < 0.85
    created_day = np.where(pre, unit_a, _ints(rng, unit_a, max(b, unit_a + 1), n))
    created = world.grid.ts(created_day, _ints(rng, 0, 120, n))
    closed = rng.random(n) < 0.06
    close_day = np.minimum(created_day + _ints(rng, 20, 400, n), b - 1)
    final = np.where(closed & (close_day > created_day), world.grid.ts(close_day, _ints(rng, 0, 480, n)), NEVER)
    ids = [hashlib.sha256(f"cb{j:04d}@{unit.code.lower()}.bacninh.gov.vn".encode()).hexdigest() for j in range(n)]
    order = np.argsort(np.array(ids))
    return {"sortkey": np.arange(n), "id": np.array(ids)[order], "first": created[order],
            "final": final[order], "created": created[order],
            "personal": (np.arange(n) < n - 3)[order], "propensity": rng.beta(5, 2, n)[order]}


def activity(world: World, unit: Unit, month: int) -> Chunk:
    """One row per (working day, mailbox) while the mailbox exists and is active."""
    rng = world.rng(unit.code, "activity", month)
    boxes = mailboxes(world, unit)
    a, b = world.day_range(unit, month)
    days = world.grid.day_starts[a:b]
    m = len(boxes["id"])
    adopt = world.adoption(unit.code, month)
    exists = (boxes["created"][None, :] < days[:, None] + 86400) & (boxes["final"][None, :] > days[:, None] + 86400)
    login = rng.random((len(days), m)) < np.clip(boxes["propensity"][None, :] * (0.3 + 0.8 * adopt), 0, 0.99)
    sent = np.where(login, rng.poisson(1.5 + 3 * adopt, (len(days), m)), 0)
    received = rng.poisson(2 + 6 * adopt, (len(days), m))
    row, col = np.nonzero(exists)
    return {"day": days[row], "box": col, "login": login[row, col], "sent": sent[row, col],
            "received": received[row, col]}


def news(world: World, unit: Unit, month: int) -> Chunk:
    rng = world.rng(unit.code, "portal", month)
    a, b = world.day_range(unit, month)
    adopt = world.adoption(unit.code, month)
    rate = 0.0 if adopt < 0.3 else (0.2 + 1.2 * adopt) * (1.0 if unit.level == "department" else 0.5)
    n = int(rng.poisson(rate * (b - a))) if b > a else 0
    day, minute = _when(world, rng, a, max(b, a + 1), n)
    yymm = (month // 12 % 100) * 100 + month % 12 + 1
    return {"sortkey": yymm * 1000 + np.arange(1, n + 1), "first": world.grid.ts(day, minute),
            "title": _ints(rng, 0, len(NEWS_TITLES), n)}


GENERATORS = {"documents": documents, "dossiers": dossiers, "feedback": feedback, "activity": activity,
              "portal": news}


class ChunkStore:
    """Generated chunks, kept in a bounded LRU: a chunk is a pure function of its key, so eviction is safe."""

    def __init__(self, world: World, maxsize: int = 4096) -> None:
        self.world = world
        self.maxsize = maxsize
        self._chunks: OrderedDict[tuple[str, str, int], Chunk] = OrderedDict()

    def get(self, unit: Unit, feed: str, month: int = 0) -> Chunk:
        key = (unit.code, feed, month)
        chunk = self._chunks.get(key)
        if chunk is not None:
            self._chunks.move_to_end(key)
            return chunk
        if feed == "procedures":
            chunk = procedures(self.world, unit)
        elif feed == "mailboxes":
            chunk = mailboxes(self.world, unit)
        elif feed == "dossiers":
            chunk = dossiers(self.world, unit, month, self.get(unit, "procedures"))
        else:
            chunk = GENERATORS[feed](self.world, unit, month)
        self._chunks[key] = chunk
        if len(self._chunks) > self.maxsize:
            self._chunks.popitem(last=False)
        return chunk

