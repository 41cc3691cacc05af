"""Requests with the retries the Bulk Data specification expects of a client.

429 and 5xx answers and dropped connections are retried with exponential backoff, waiting at
least what `Retry-After` asks (seconds or an HTTP date); a 401 with a token buys a new token once
(tokens expire during long exports). Everything else is the caller's to judge.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx

from hosentinel.bulk.auth import Tokens
from hosentinel.bulk.errors import BulkError

ATTEMPTS = 6
FIRST_BACKOFF_S = 0.5
MAX_WAIT_S = 120.0
TIMEOUT = httpx.Timeout(60.0, connect=15.0)

Sleep = Callable[[float], None]
Notice = Callable[[str], None]


def retry_after(response: httpx.Response, default: float) -> float:
    """Seconds the server asks the client to wait (`Retry-After`), else `default`."""
    value = response.headers.get("Retry-After", "").strip()
    if not value:
        return default
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return default
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def backoff(attempt: int) -> float:
    """0.5, 1, 2, 4 ... s (capped), with a little jitter so parallel downloads do not align."""
    wait: float = min(FIRST_BACKOFF_S * 2**attempt, MAX_WAIT_S)
    return wait * (1 + random.random() / 4)


def transient(status: int) -> bool:
    return status == 429 or status >= 500


def outcome_text(response: httpx.Response) -> str:
    """The diagnostics of an OperationOutcome body (or the start of any other body), one line."""
    try:
        body = response.json()
    except ValueError:
        return " ".join(response.text[:200].split())
    if isinstance(body, dict):
        issues = body.get("issue")
        if isinstance(issues, list):
            texts = [
                str(i.get("diagnostics") or (i.get("details") or {}).get("text") or i.get("code"))
                for i in issues
                if isinstance(i, dict)
            ]
            return "; ".join(t for t in texts if t)[:300]
        if "error" in body:
            return " ".join(str(body.get(k, "")) for k in ("error", "error_description"))[:300]
    return ""


class Transport:
    """One httpx client, the tokens (if any), and the retry policy."""

    def __init__(
        self,
        http: httpx.Client,
        tokens: Tokens | None,
        notice: Notice,
        sleep: Sleep = time.sleep,
    ) -> None:
        self.http = http
        self.tokens = tokens
        self.notice = notice
        self.sleep = sleep

    def auth(self, renew: bool = False) -> dict[str, str]:
        return self.tokens.header(renew) if self.tokens is not None else {}

    @contextmanager
    def request(
        self,
        method: str,
        url: str,
        what: str,
        headers: dict[str, str],
        *,
        authorised: bool = True,
        params: dict[str, str] | None = None,
        stream: bool = False,
    ) -> Iterator[httpx.Response]:
        """The first answer that is not transient (429, 5xx, a dropped connection), after
        retries; raises BulkError when the retries run out."""
        renewed = False
        for attempt in range(ATTEMPTS):
            sent = headers | (self.auth() if authorised else {})
            try:
                request = self.http.build_request(method, url, headers=sent, params=params)
                response = self.http.send(request, stream=stream)
            except httpx.TimeoutException:
                why = "timed out"
            except httpx.TransportError as exc:
                why = f"{type(exc).__name__}: {exc}"
            else:
                status = response.status_code
                if status == 401 and authorised and self.tokens is not None and not renewed:
                    response.close()
                    renewed = True
                    self.auth(renew=True)
                    continue
                if not transient(status) or attempt == ATTEMPTS - 1:
                    try:
                        yield response
                    finally:
                        response.close()
                    return
                wait = min(max(retry_after(response, backoff(attempt)), 0.0), MAX_WAIT_S)
                why = f"{status} {outcome_text(response) if not stream else ''}".strip()
                response.close()
                self.notice(f"{what}: {why}; retrying in {wait:.1f} s")
                self.sleep(wait)
                continue
            if attempt == ATTEMPTS - 1:
                raise BulkError(f"{what} {url}: {why} ({ATTEMPTS} attempts)")
            wait = backoff(attempt)
            self.notice(f"{what}: {why}; retrying in {wait:.1f} s")
            self.sleep(wait)
        raise BulkError(f"{what} {url}: no answer after {ATTEMPTS} attempts")
