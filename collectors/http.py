"""The one HTTP session factory and a small JSON client over it.

Every session has connect/read timeouts, bounded retries with backoff on 429/5xx and connection errors that
honour `Retry-After` (capped, so one slow unit cannot stall a worker for minutes), and a clear User-Agent.
Every error message is redacted: the bearer token never reaches a log, an attempt row or an exception.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import ReadTimeoutError
from urllib3.util.retry import Retry

VERSION = "0.1.0"
USER_AGENT = f"itmon-collector/{VERSION} (+https://github.com/itmon; so-khcn@example.gov.vn)"
RETRY_STATUSES = (429, 500, 502, 503, 504)


@dataclass(frozen=True)
class HttpSettings:
    """Timeouts and retry policy of the collector sessions."""

    connect_timeout: float = 3.05
    read_timeout: float = 10.0
    retries: int = 2
    backoff_factor: float = 0.2
    max_retry_after: float = 5.0
    pool_size: int = 4


class CappedRetry(Retry):
    """`Retry` that honours `Retry-After` but never sleeps longer than `max_retry_after` seconds."""

    max_retry_after: float = HttpSettings.max_retry_after

    def get_retry_after(self, response: Any) -> float | None:
        seconds = super().get_retry_after(response)
        return None if seconds is None else min(seconds, self.max_retry_after)

    def new(self, **kw: Any) -> CappedRetry:
        retry = super().new(**kw)
        retry.max_retry_after = self.max_retry_after
        return retry  # type: ignore[return-value]


def make_session(settings: HttpSettings = HttpSettings()) -> requests.Session:
    """A `requests.Session` for one worker thread (sessions are not shared between threads)."""
    retry = CappedRetry(
        total=settings.retries,
        connect=settings.retries,
        read=0,  # a read timeout is not retried: the unit is slow, a retry would only double the wait
        status=settings.retries,
        backoff_factor=settings.backoff_factor,
        status_forcelist=RETRY_STATUSES,
        allowed_methods=frozenset({"GET"}),
        respect_retry_after_header=True,
        raise_on_status=False,
    )
    retry.max_retry_after = settings.max_retry_after
    adapter = HTTPAdapter(max_retries=retry, pool_connections=settings.pool_size, pool_maxsize=settings.pool_size)
    session = TimeoutSession((settings.connect_timeout, settings.read_timeout))
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.headers["User-Agent"] = USER_AGENT
    session.headers["Accept"] = "application/json"
    return session


class TimeoutSession(requests.Session):
    """A session whose requests always carry (connect, read) timeouts unless the caller gives its own."""

    def __init__(self, timeout: tuple[float, float]) -> None:
        super().__init__()
        self.timeout = timeout

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", self.timeout)
        return super().request(method, url, *args, **kwargs)


def redact(text: str, secrets: tuple[str, ...]) -> str:
    """`text` with every secret masked as `a*****z` (short secrets fully)."""
    for secret in secrets:
        if secret:
            masked = f"{secret[0]}*****{secret[-1]}" if len(secret) >= 8 else "*****"
            text = text.replace(secret, masked)
    return text


class JsonClient:
    """GETs JSON from one base URL with the unit's bearer token; every failure is a redacted `CollectorError`."""

    def __init__(self, session: requests.Session, base_url: str, token: str | None) -> None:
        self.session = session
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.last_status: int | None = None

    def get(self, path: str, params: Mapping[str, Any] | None = None, *, accept_json: bool = True) -> requests.Response:
        url = f"{self.base_url}/{path.lstrip('/')}" if path else self.base_url + "/"
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        if not accept_json:
            headers["Accept"] = "*/*"
        try:
            response = self.session.get(url, params=params, headers=headers)
        except requests.RequestException as exc:
            raise self.error(f"GET {url}: {describe_transport_error(exc, self.session)}") from None
        self.last_status = response.status_code
        if response.status_code >= 400:
            raise self.error(f"GET {url}: HTTP {response.status_code}{_error_detail(response)}",
                             response.status_code)
        return response

    def get_json(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        response = self.get(path, params)
        try:
            return response.json()
        except (json.JSONDecodeError, requests.JSONDecodeError) as exc:
            raise self.error(f"GET {response.url}: malformed JSON ({exc.msg} at character {exc.pos}; "
                             f"{len(response.content)} bytes received)", response.status_code) from None

    def error(self, message: str, http_status: int | None = None) -> Exception:
        from collectors.base import CollectorError

        return CollectorError(redact(message, (self.token or "",)), http_status or self.last_status)


def describe_transport_error(exc: requests.RequestException, session: requests.Session) -> str:
    """A short reason for a failed request: timeout, refused connection, retries exhausted."""
    chain = list(_causes(exc))
    if any(isinstance(e, ReadTimeoutError | requests.ReadTimeout) for e in chain):
        return "timed out waiting for the response (read timeout)"
    if isinstance(exc, requests.exceptions.ChunkedEncodingError | requests.exceptions.ContentDecodingError):
        return f"the response was cut off before its end ({str(chain[-1])[:200]})"
    if isinstance(exc, requests.ConnectTimeout):
        return "timed out connecting"
    if isinstance(exc, requests.exceptions.RetryError):
        return f"gave up after retries ({chain[-1]})"
    if isinstance(exc, requests.ConnectionError):
        return f"cannot connect ({str(chain[-1])[:200]})"
    return f"{type(exc).__name__}: {str(chain[-1])[:200]}"


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """`exc`, then what it wraps: urllib3 hides the real reason in `args[0].reason`."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        wrapped = current.args[0] if current.args and isinstance(current.args[0], BaseException) else None
        current = getattr(current, "reason", None) or wrapped or current.__cause__
        if current is not None and not isinstance(current, BaseException):
            return


def _error_detail(response: requests.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return ""
    if isinstance(body, dict) and body.get("error"):
        detail = f" ({body.get('error')}: {body.get('message', '')})"
        retry_after = response.headers.get("Retry-After")
        return detail + (f", Retry-After {retry_after} s" if retry_after else "")
    return ""
