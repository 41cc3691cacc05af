"""Passwords (Argon2), server-side sessions, CSRF tokens and login rate limiting."""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from hosentinel.app.config import AppConfig
from hosentinel.app.errors import TooManyAttempts
from hosentinel.store import models as m

SESSION_COOKIE = "hosentinel_session"
# Argon2id with OWASP's recommended minimum (19 MiB, 2 passes, 1 lane): strong, and about 50 ms
# per sign-in on a small server rather than the library default's ~0.4 s at 64 MiB and 4 lanes.
_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
# Verifying against a dummy hash when the user does not exist keeps timing uniform.
_DUMMY_HASH = _hasher.hash("not-a-real-password")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class Backoff:
    """After `free` failed sign-ins within the window, each further attempt waits `base` seconds
    after the last failure, doubling per failure, up to `cap`."""

    free: int
    base: float
    cap: float

    def wait(self, failures: int) -> float:
        if failures < self.free:
            return 0.0
        return min(self.cap, self.base * 2.0 ** min(failures - self.free, 30))


def backoffs(config: AppConfig) -> tuple[Backoff, Backoff, Backoff]:
    """(one account from one client, one client for any account, one account from anywhere).
    The last is capped low: anyone can slow an account down, nobody can lock its owner out."""
    free, window = config.login_max_failures, config.login_window_minutes * 60.0
    return (
        Backoff(free, 5.0, window),
        Backoff(free * 4, 5.0, window),
        Backoff(free * 2, 5.0, config.login_account_cap_seconds),
    )


def _failures(session: Session, since: datetime, *where: Any) -> tuple[int, datetime | None]:
    count, last = session.execute(
        select(func.count(), func.max(m.LoginAttempt.at)).where(
            m.LoginAttempt.at >= since, m.LoginAttempt.success.is_(False), *where
        )
    ).one()
    if last is not None and last.tzinfo is None:
        last = last.replace(tzinfo=UTC)
    return int(count or 0), last


def check_rate_limit(session: Session, config: AppConfig, username: str, client: str) -> None:
    """Refuses (429, saying how long to wait) while a backoff after failed sign-ins runs."""
    at = now()
    since = at - timedelta(minutes=config.login_window_minutes)
    pair, per_client, per_account = backoffs(config)
    keys = (
        (pair, (m.LoginAttempt.username == username, m.LoginAttempt.client == client)),
        (per_client, (m.LoginAttempt.client == client,)),
        (per_account, (m.LoginAttempt.username == username,)),
    )
    wait = 0.0
    for backoff, where in keys:
        failures, last = _failures(session, since, *where)
        if last is not None and failures >= backoff.free:
            wait = max(wait, backoff.wait(failures) - (at - last).total_seconds())
    if wait > 0:
        raise TooManyAttempts(f"Too many failed sign-ins. Try again in {math.ceil(wait)} seconds.")


def authenticate(
    session: Session, config: AppConfig, username: str, password: str, client: str
) -> m.User | None:
    check_rate_limit(session, config, username, client)
    user = session.scalar(select(m.User).where(m.User.username == username, m.User.active))
    ok = verify_password(user.password_hash if user else _DUMMY_HASH, password) and user is not None
    session.add(m.LoginAttempt(username=username[:80], client=client[:80], at=now(), success=ok))
    return user if ok else None


def start_session(session: Session, config: AppConfig, user: m.User) -> str:
    """A new random session token (the cookie value); only its hash is stored."""
    token = secrets.token_urlsafe(32)
    session.add(
        m.WebSession(
            token_hash=_digest(token),
            user_id=user.id,
            csrf_token=secrets.token_urlsafe(32),
            created_at=now(),
            expires_at=now() + timedelta(hours=config.session_hours),
        )
    )
    return token


def find_session(session: Session, token: str | None) -> m.WebSession | None:
    if not token:
        return None
    found = session.get(m.WebSession, _digest(token))
    if found is None:
        return None
    expires = found.expires_at if found.expires_at.tzinfo else found.expires_at.replace(tzinfo=UTC)
    if expires < now():
        session.delete(found)
        return None
    return found


def end_session(session: Session, token: str | None) -> None:
    if token:
        session.execute(delete(m.WebSession).where(m.WebSession.token_hash == _digest(token)))


def csrf_matches(expected: str, given: str | None) -> bool:
    return given is not None and hmac.compare_digest(expected, given)
