"""What every server process must agree on about CDS Hooks calls, kept in the database.

With several server processes (`hosentinel serve --workers N`), a replayed JWT may reach another
process than the first use, and feedback about a card may reach another process than the one that
issued it. So each call, before it is answered, claims its `(iss, jti)` in `cds_token_uses` (a
primary key: the second claim of a pair finds it taken, whichever process makes it) and records its
cards in `cds_issued_cards`, in the same transaction as its audit entry.

`CallLedger` commits the entries of concurrent calls together, from one thread per process: a
call waits until its own entry is committed (nothing is answered before its audit is durable), but
calls arriving together share one transaction instead of each paying for a commit. Expired token
claims and week-old cards are purged now and then by the same thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, Table, delete, insert, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from hosentinel.cdshooks.cards import IssuedCard
from hosentinel.store import models as m

log = logging.getLogger("hosentinel.cdshooks")

CARD_LIFETIME = timedelta(days=7)
PURGE_EVERY_SECONDS = 60.0


@dataclass(frozen=True, slots=True)
class CardRecord:
    service_id: str
    patient_id: str
    alert_key: str
    suggestions: frozenset[str]
    issuer: str | None = None


def claim_token(session: Session, issuer: str, jti: str, expires: float) -> bool:
    """True when this `(iss, jti)` was not claimed before (by any process): it is claimed now,
    in the session's transaction; False on a replay."""
    return _claim(session, session.get_bind().dialect.name, _token_row(issuer, jti, expires))


def _token_row(issuer: str, jti: str, expires: float) -> dict[str, Any]:
    return {
        "issuer": issuer[:300],
        "jti": jti[:200],
        "expires_at": datetime.fromtimestamp(expires, UTC),
    }


def _claim(db: Session | Connection, dialect: str, row: dict[str, Any]) -> bool:
    """Insert the pair, or nothing when it is taken; True when it was new."""
    if dialect in ("sqlite", "postgresql"):
        return db.execute(_claim_statement(dialect), row).first() is not None
    try:  # any other database: a savepoint, and the primary key's refusal
        with db.begin_nested():
            db.execute(insert(_TOKENS), row)
    except IntegrityError:
        return False
    return True


_TOKENS: Table = m.CdsTokenUse.__table__  # type: ignore[assignment]
_CARDS: Table = m.CdsIssuedCard.__table__  # type: ignore[assignment]
_AUDIT: Table = m.AuditEntry.__table__  # type: ignore[assignment]


@cache
def _claim_statement(dialect: str) -> Any:
    """SQLite's and PostgreSQL's claim: a row comes back only when the pair was new. Built once
    per dialect, so that its compiled form is reused."""
    upsert = sqlite_insert if dialect == "sqlite" else postgresql_insert
    return upsert(_TOKENS).on_conflict_do_nothing().returning(_TOKENS.c.jti)


def card_row(
    service_id: str, patient_id: str, card: IssuedCard, at: datetime, issuer: str
) -> dict[str, Any]:
    return {
        "uuid": card.uuid,
        "issuer": issuer[:300],
        "service_id": service_id,
        "patient_id": patient_id[:64],
        "alert_key": card.alert_key[:120],
        "suggestions": list(card.suggestions),
        "issued_at": at,
    }


def find_card(session: Session, card_id: str) -> CardRecord | None:
    """A card issued by this service (any process) in the last week."""
    row = session.scalar(
        select(m.CdsIssuedCard).where(
            m.CdsIssuedCard.uuid == card_id[:64],
            m.CdsIssuedCard.issued_at > datetime.now(UTC) - CARD_LIFETIME,
        )
    )
    if row is None:
        return None
    return CardRecord(
        row.service_id, row.patient_id, row.alert_key, frozenset(row.suggestions), row.issuer
    )


@dataclass(frozen=True, slots=True)
class CallEntry:
    """One answered call: its audit line, its token, its cards."""

    what: str
    patient_id: str
    issuer: str
    jti: str
    expires: float  # the token's exp (+ leeway), epoch seconds
    service_id: str
    cards: tuple[IssuedCard, ...]


@dataclass(frozen=True, slots=True)
class _Pending:
    entry: CallEntry
    loop: asyncio.AbstractEventLoop
    done: asyncio.Future[bool]


class CallLedger:
    """Commits call entries in groups from one thread; `record` says whether the call's token
    was still unclaimed (False: a replay that another process saw first)."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._engine: Engine = sessions.kw["bind"]
        self._turns = _writer_turns(sessions)
        self._dialect = self._engine.dialect.name
        self._queue: queue.SimpleQueue[_Pending] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._next_purge = 0.0

    async def record(self, entry: CallEntry) -> bool:
        loop = asyncio.get_running_loop()
        done: asyncio.Future[bool] = loop.create_future()
        self._queue.put(_Pending(entry, loop, done))
        self._start()
        return await done

    def _start(self) -> None:
        if self._thread is None:
            with self._lock:
                if self._thread is None:
                    self._thread = threading.Thread(
                        target=self._run, name="cds-hooks-ledger", daemon=True
                    )
                    self._thread.start()

    def _run(self) -> None:
        while True:
            batch = [self._queue.get()]
            while True:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            outcomes: list[bool] = []
            error: BaseException | None = None
            try:
                with self._turns(), self._engine.begin() as connection:
                    outcomes = self._write(connection, [item.entry for item in batch])
                    self._purge(connection)
            except Exception as exc:
                log.exception("CDS Hooks call entries could not be written")
                error = exc
            for index, item in enumerate(batch):
                claimed = outcomes[index] if error is None else False
                try:
                    item.loop.call_soon_threadsafe(_settle, item.done, claimed, error)
                except RuntimeError:  # the caller's event loop is gone (process shutting down)
                    continue

    def _write(self, connection: Connection, entries: list[CallEntry]) -> list[bool]:
        """The batch on one connection with Core statements of a fixed shape (compiled once):
        each call's claim (an insert that skips a taken pair and returns a new one), then the
        audit rows and the cards of the calls whose claim held, each as one executemany. The
        ORM's per-object bookkeeping cost more than the writes themselves."""
        held = [
            _claim(connection, self._dialect, _token_row(e.issuer, e.jti, e.expires))
            for e in entries
        ]
        kept = [entry for entry, ok in zip(entries, held, strict=True) if ok]
        if kept:
            at = datetime.now(UTC)
            audit_rows = [
                {
                    "at": at,
                    "user_id": None,
                    "username": "anonymous",
                    "action": "cds-hooks",
                    "patient_id": entry.patient_id,
                    "what": entry.what,
                }
                for entry in kept
            ]
            connection.execute(insert(_AUDIT), audit_rows)
            cards = [
                card_row(e.service_id, e.patient_id, c, at, e.issuer) for e in kept for c in e.cards
            ]
            if cards:
                connection.execute(insert(_CARDS), cards)
        return held

    def _purge(self, connection: Connection) -> None:
        now = time.monotonic()
        if now < self._next_purge:
            return
        self._next_purge = now + PURGE_EVERY_SECONDS
        wall = datetime.now(UTC)
        connection.execute(delete(_TOKENS).where(_TOKENS.c.expires_at < wall))
        connection.execute(delete(_CARDS).where(_CARDS.c.issued_at < wall - CARD_LIFETIME))


def _writer_turns(sessions: sessionmaker[Session]) -> Callable[[], AbstractContextManager[Any]]:
    """How the ledgers of several server processes take turns on an SQLite file: an exclusive
    `flock` on a file beside the database, held for the transaction. SQLite's own busy handler
    polls with growing sleeps (up to 100 ms at a time) while another process holds the write
    lock, which showed as a long tail under load; the kernel wakes the next flock waiter as soon
    as the lock is released. Other databases lock rows and need nothing here."""
    bind = sessions.kw.get("bind")
    url = getattr(bind, "url", None)
    database = url.database if url is not None and url.get_backend_name() == "sqlite" else None
    if not database or database == ":memory:" or sys.platform == "win32":
        return contextlib.nullcontext
    lock_path = Path(f"{database}.cds-ledger.lock")

    @contextlib.contextmanager
    def turn() -> Iterator[None]:
        import fcntl

        try:
            handle = lock_path.open("a")
        except OSError:  # e.g. a read-only directory: SQLite's own locking still holds
            yield
            return
        with handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    return turn


def _settle(done: asyncio.Future[bool], claimed: bool, error: BaseException | None) -> None:
    if done.done():
        return
    if error is None:
        done.set_result(claimed)
    else:
        done.set_exception(error)
