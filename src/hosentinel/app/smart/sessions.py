"""Launches waiting for the EHR's answer, launched sessions, and the EHR user as a local account
(so exams, audit entries and alert decisions name them as any other user)."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from hosentinel.app.security import now
from hosentinel.app.smart.settings import SmartClient
from hosentinel.store import models as m

LAUNCH_TTL = timedelta(minutes=10)
# An account made for an EHR user has no password: this is no Argon2 hash, so none matches.
NO_PASSWORD = "!smart-launch: signs in through the EHR only"


def digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def aware(at: datetime) -> datetime:
    from datetime import UTC

    return at if at.tzinfo else at.replace(tzinfo=UTC)


def save_launch(
    db: Session, state: str, browser: str, iss: str, launch: str | None, verifier: str
) -> None:
    # Launches never completed are cleared as new ones start.
    db.execute(delete(m.SmartLaunch).where(m.SmartLaunch.created_at < now() - LAUNCH_TTL))
    db.add(
        m.SmartLaunch(
            state_hash=digest(state),
            browser_hash=digest(browser),
            iss=iss,
            launch=launch,
            code_verifier=verifier,
            created_at=now(),
        )
    )


def find_launch(db: Session, state: str | None) -> m.SmartLaunch | None:
    return db.get(m.SmartLaunch, digest(state)) if state else None


def launch_expired(launch: m.SmartLaunch) -> bool:
    return aware(launch.created_at) < now() - LAUNCH_TTL


def ehr_user(db: Session, client: SmartClient, fhir_user: str, name: str | None) -> m.User:
    """The local account of this EHR user (made on their first launch): username from a hash
    of issuer and fhirUser, the display name saying who they are in the EHR."""
    username = "ehr-" + digest(f"{client.iss}|{fhir_user}")[:20]
    shown = f"{name} ({fhir_user})" if name else fhir_user
    user = db.scalar(select(m.User).where(m.User.username == username))
    if user is None:
        user = m.User(
            username=username,
            display_name=shown[:200],
            role=client.role,
            password_hash=NO_PASSWORD,
            active=True,
            created_at=now(),
        )
        db.add(user)
        db.flush()
    elif user.role != client.role or user.display_name != shown[:200]:
        user.role, user.display_name = client.role, shown[:200]
    return user


def smart_session_for(db: Session, web_session: m.WebSession) -> m.SmartSession | None:
    return db.get(m.SmartSession, web_session.token_hash)
