"""Passwords (Argon2), server-side sessions, CSRF tokens and login rate limiting."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import UTC, datetime, timedelta

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


def check_rate_limit(session: Session, config: AppConfig, username: str, client: str) -> None:
    since = now() - timedelta(minutes=config.login_window_minutes)
    failures = session.scalar(
        select(func.count())
        .select_from(m.LoginAttempt)
        .where(
            m.LoginAttempt.at >= since,
            m.LoginAttempt.success.is_(False),
            (m.LoginAttempt.username == username) | (m.LoginAttempt.client == client),
        )
    )
    if (failures or 0) >= config.login_max_failures:
        raise TooManyAttempts("Too many failed sign-ins. Wait a few minutes and try again.")


def authenticate(
    session: Session, config: AppConfig, username: str, password: str, client: str
) -> m.User | None:
    check_rate_limit(session, config, username, client)
    user = session.scalar(select(m.User).where(m.User.username == username, m.User.active))
    ok = verify_password(user.password_hash if user else _DUMMY_HASH, password) and user is not None
    session.add(m.LoginAttempt(username=username, client=client, at=now(), success=ok))
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
