"""Tables. Clinical rows mirror the core's record value objects one to one, so the app and
`hosentinel assess` feed the engine the same record (see `records.py`)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

ROLES = ("physiatrist", "therapist", "nurse", "unit-lead", "admin", "family")
ALERT_STATUSES = ("acknowledged", "overridden")


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {dict[str, Any]: JSON, list[Any]: JSON}


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str] = mapped_column(String(200))
    # A family member is linked to exactly one patient and sees only that patient.
    patient_id: Mapped[str | None] = mapped_column(ForeignKey("patients.id"), default=None)
    # Clinicians and unit leads see the patients of their unit only (None: no patients).
    unit: Mapped[str | None] = mapped_column(String(80), default=None)
    # A clinician's National Provider Identifier (10 digits, check digit verified), printed on
    # the referral letters they sign.
    npi: Mapped[str | None] = mapped_column(String(10), default=None)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # Optimistic locking: every UPDATE checks the version it read and bumps it, so an admin
    # saving a user another admin changed meanwhile gets a conflict instead of undoing it.
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 (read once by the mapper)


class WebSession(Base):
    """Server-side session: the cookie holds a random token; only its SHA-256 is stored."""

    __tablename__ = "web_sessions"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class LoginAttempt(Base):
    __tablename__ = "login_attempts"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), index=True)
    client: Mapped[str] = mapped_column(String(80))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    success: Mapped[bool] = mapped_column(Boolean)


class Patient(Base):
    __tablename__ = "patients"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    display_name: Mapped[str] = mapped_column(String(200))
    sex: Mapped[str] = mapped_column(String(10), default="unknown")
    birth_date: Mapped[date | None] = mapped_column(Date, default=None)
    deceased: Mapped[bool] = mapped_column(Boolean, default=False)
    deceased_on: Mapped[date | None] = mapped_column(Date, default=None)
    unit: Mapped[str] = mapped_column(String(80), default="Rehab unit")
    # What the ward knows the patient by (fhir/identifiers.py reads them from an import): the
    # medical record number, the bed, and the attending physician's name. None: not given.
    mrn: Mapped[str | None] = mapped_column(String(64), default=None)
    bed: Mapped[str | None] = mapped_column(String(80), default=None)
    attending: Mapped[str | None] = mapped_column(String(200), default=None)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # Bumped on every change to the patient's clinical rows: assessments are cached per version.
    # It is also the record's optimistic lock. Appends (exams) move it on in SQL with
    # `records.bump_version` (version = version + 1, optionally only WHERE version = the one
    # the clinician saw); ORM updates of the row (imports) set the next number themselves (the
    # generator is off) and their UPDATE matches only the version they read. Either way, two
    # writers based on one version cannot both commit, and no bump is lost.
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {  # noqa: RUF012 (read once by the mapper)
        "version_id_col": version,
        "version_id_generator": False,
    }


class _Clinical:
    """Columns every clinical row has: its patient, its source reference, codes and text."""

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ref: Mapped[str] = mapped_column(String(200))
    # [{"system": "icd10cm", "code": "S14.111A", "display": "..."}]
    codings: Mapped[list[Any]] = mapped_column(JSON, default=list)
    text: Mapped[str | None] = mapped_column(Text, default=None)
    site_joint: Mapped[str | None] = mapped_column(String(10), default=None)
    site_side: Mapped[str | None] = mapped_column(String(5), default=None)


class Condition(_Clinical, Base):
    __tablename__ = "conditions"
    patient_id: Mapped[str] = mapped_column(
        ForeignKey("patients.id", ondelete="CASCADE"), index=True
    )
    onset: Mapped[date | None] = mapped_column(Date, default=None)
    abatement: Mapped[date | None] = mapped_column(Date, default=None)
    recorded: Mapped[date | None] = mapped_column(Date, default=None)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    unconfirmed: Mapped[bool] = mapped_column(Boolean, default=False)


class Procedure(_Clinical, Base):
    __tablename__ = "procedures"
    patient_id: Mapped[str] = mapped_column(
        ForeignKey("patients.id", ondelete="CASCADE"), index=True
    )
    performed: Mapped[date | None] = mapped_column(Date, default=None)
    completed: Mapped[bool] = mapped_column(Boolean, default=True)


class Observation(_Clinical, Base):
    """Bedside findings (the project's finding codes), labs and imaging conclusions."""

    __tablename__ = "observations"
    patient_id: Mapped[str] = mapped_column(
        ForeignKey("patients.id", ondelete="CASCADE"), index=True
    )
    effective: Mapped[date | None] = mapped_column(Date, default=None)
    value_quantity: Mapped[float | None] = mapped_column(Float, default=None)
    unit: Mapped[str | None] = mapped_column(String(40), default=None)
    value_bool: Mapped[bool | None] = mapped_column(Boolean, default=None)
    value_code: Mapped[str | None] = mapped_column(String(80), default=None)
    interpretation: Mapped[str | None] = mapped_column(String(10), default=None)
    reference_low: Mapped[float | None] = mapped_column(Float, default=None)
    reference_high: Mapped[float | None] = mapped_column(Float, default=None)
    entered_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    # A finding read from a note: the sentence it was read from (hosentinel.notes).
    evidence: Mapped[str | None] = mapped_column(Text, default=None)

    __table_args__ = (Index("ix_observations_patient_effective", "patient_id", "effective"),)


class Medication(_Clinical, Base):
    __tablename__ = "medications"
    patient_id: Mapped[str] = mapped_column(
        ForeignKey("patients.id", ondelete="CASCADE"), index=True
    )
    start: Mapped[date | None] = mapped_column(Date, default=None)
    end: Mapped[date | None] = mapped_column(Date, default=None)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Allergy(_Clinical, Base):
    __tablename__ = "allergies"
    patient_id: Mapped[str] = mapped_column(
        ForeignKey("patients.id", ondelete="CASCADE"), index=True
    )
    recorded: Mapped[date | None] = mapped_column(Date, default=None)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class AlertState(Base):
    """What a clinician did with an alert (a recommendation or caution) for a patient."""

    __tablename__ = "alert_states"
    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[str] = mapped_column(
        ForeignKey("patients.id", ondelete="CASCADE"), index=True
    )
    alert_key: Mapped[str] = mapped_column(
        String(120)
    )  # e.g. "caution:nsaid-indomethacin:pregnancy"
    status: Mapped[str] = mapped_column(String(20))
    reason_code: Mapped[str | None] = mapped_column(String(80), default=None)
    comment: Mapped[str | None] = mapped_column(Text, default=None)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    source: Mapped[str] = mapped_column(String(20), default="app")  # app | cds-hooks
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # The app's decisions on one alert of one patient are numbered 1, 2, ...: a decision is
    # based on the number the clinician saw, and the unique constraint lets only one of two
    # concurrent decisions on the same number commit. EHR feedback (CDS Hooks) is a report of
    # what happened in another system, appended unnumbered (NULL).
    version: Mapped[int | None] = mapped_column(Integer, default=None)

    __table_args__ = (
        UniqueConstraint("patient_id", "alert_key", "version", name="uq_alert_states_version"),
    )


class AuditEntry(Base):
    """Append-only: who did what to which patient, when. Never updated or deleted."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    username: Mapped[str] = mapped_column(String(80))
    action: Mapped[str] = mapped_column(String(40))  # read | write | login | ...
    patient_id: Mapped[str | None] = mapped_column(String(64), index=True, default=None)
    what: Mapped[str] = mapped_column(String(200))


class BreakGlass(Base):
    """A clinician's audited access to a patient outside their unit, until `expires_at`."""

    __tablename__ = "break_glass"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    patient_id: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(String(500))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ReplacedResource(Base):
    """A clinical row an import replaced (same reference): its old and new values, who and when.
    Kept so a later import can never silently rewrite what the record said."""

    __tablename__ = "replaced_resources"
    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[str] = mapped_column(String(64), index=True)
    ref: Mapped[str] = mapped_column(String(200))
    old_value: Mapped[dict[str, Any]] = mapped_column(JSON)
    new_value: Mapped[dict[str, Any]] = mapped_column(JSON)
    replaced_by: Mapped[str] = mapped_column(String(80))
    replaced_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class CdsTokenUse(Base):
    """A CDS Hooks JWT's `jti`, claimed once per issuer until the token expires: the replay check
    every server process shares (the per-process cache only answers first)."""

    __tablename__ = "cds_token_uses"
    issuer: Mapped[str] = mapped_column(String(300), primary_key=True)
    jti: Mapped[str] = mapped_column(String(200), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


class CdsIssuedCard(Base):
    """A card this service issued, by its uuid, so feedback about it can be stored whichever
    server process receives it. Kept a week."""

    __tablename__ = "cds_issued_cards"
    uuid: Mapped[str] = mapped_column(String(64), primary_key=True)
    service_id: Mapped[str] = mapped_column(String(80))
    patient_id: Mapped[str] = mapped_column(String(64))
    alert_key: Mapped[str] = mapped_column(String(120))
    suggestions: Mapped[list[Any]] = mapped_column(JSON, default=list)
    # The `iss` the card went to: only that issuer's feedback about it counts (None: before
    # migration c4e1f7a9b2d3).
    issuer: Mapped[str | None] = mapped_column(String(300), default=None)
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


class SystemToken(Base):
    """A short-lived bearer token issued to a system client (SMART Backend Services,
    `app/system_clients.py`). Only its SHA-256 is stored."""

    __tablename__ = "system_tokens"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    client_id: Mapped[str] = mapped_column(String(200))
    scope: Mapped[str] = mapped_column(String(500))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


class CdsFeedback(Base):
    """A feedback item about an issued card, as received: whether or not the patient is in the
    app's database (a CDS-only deployment still has its override statistics), with the override
    reason's system and the caller's outcome time. Ordered by `received_at` (the server's
    clock), never by the caller's."""

    __tablename__ = "cds_feedback"
    id: Mapped[int] = mapped_column(primary_key=True)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    service_id: Mapped[str] = mapped_column(String(80))
    issuer: Mapped[str] = mapped_column(String(300))
    card: Mapped[str] = mapped_column(String(64), index=True)
    patient_id: Mapped[str] = mapped_column(String(64), index=True)
    alert_key: Mapped[str] = mapped_column(String(120))
    outcome: Mapped[str] = mapped_column(String(20))  # accepted | overridden
    outcome_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    reason_system: Mapped[str | None] = mapped_column(String(300), default=None)
    reason_code: Mapped[str | None] = mapped_column(String(80), default=None)
    comment: Mapped[str | None] = mapped_column(Text, default=None)


class Clinician(Base):
    """A clinician of the directory (NPPES file or FHIR directory Bundle), placed at the centre of
    their practice ZIP code. Re-loading the same NPI updates the row."""

    __tablename__ = "clinicians"
    npi: Mapped[str] = mapped_column(String(10), primary_key=True)
    last_name: Mapped[str] = mapped_column(String(100))
    first_name: Mapped[str] = mapped_column(String(100))
    credential: Mapped[str | None] = mapped_column(String(60), default=None)
    address1: Mapped[str] = mapped_column(String(200))
    address2: Mapped[str | None] = mapped_column(String(200), default=None)
    city: Mapped[str] = mapped_column(String(100))
    state: Mapped[str] = mapped_column(String(40))
    zip5: Mapped[str] = mapped_column(String(5))
    phone: Mapped[str | None] = mapped_column(String(40), default=None)
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    # Lower-case "last first", for the name filter.
    name_key: Mapped[str] = mapped_column(String(210))
    source: Mapped[str] = mapped_column(String(10))  # nppes | fhir
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ClinicianTaxonomy(Base):
    """A clinician's supported NUCC taxonomy codes (directory/taxonomy.yaml)."""

    __tablename__ = "clinician_taxonomies"
    npi: Mapped[str] = mapped_column(
        ForeignKey("clinicians.npi", ondelete="CASCADE"), primary_key=True
    )
    code: Mapped[str] = mapped_column(String(10), primary_key=True)
    is_primary: Mapped[bool] = mapped_column(Boolean, default=False)


class ClinicianSearch(Base):
    """One row per clinician and specialty group: the grid cell of the practice and its position
    as a point on the unit sphere (x, y, z), so that the straight-line (chord) distance, which
    orders exactly as the great-circle distance does, is plain arithmetic in SQL. The covering
    index answers "group G in these cells" without touching the clinicians table."""

    __tablename__ = "clinician_search"
    npi: Mapped[str] = mapped_column(
        ForeignKey("clinicians.npi", ondelete="CASCADE"), primary_key=True
    )
    specialty_group: Mapped[str] = mapped_column(String(30), primary_key=True)
    lat_cell: Mapped[int] = mapped_column(Integer)
    lon_cell: Mapped[int] = mapped_column(Integer)
    x: Mapped[float] = mapped_column(Float)
    y: Mapped[float] = mapped_column(Float)
    z: Mapped[float] = mapped_column(Float)

    __table_args__ = (
        Index(
            "ix_clinician_search_cells",
            "specialty_group",
            "lat_cell",
            "lon_cell",
            "x",
            "y",
            "z",
            "npi",
        ),
    )


class Referral(Base):
    """A referral of a patient to a surgeon. The surgeon's details are copied at the time of
    referral, so the letter stays the same when the directory is re-loaded."""

    __tablename__ = "referrals"
    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[str] = mapped_column(
        ForeignKey("patients.id", ondelete="CASCADE"), index=True
    )
    npi: Mapped[str] = mapped_column(String(10))
    surgeon_name: Mapped[str] = mapped_column(String(220))
    surgeon_specialty: Mapped[str] = mapped_column(String(200))
    surgeon_address: Mapped[str] = mapped_column(Text)
    surgeon_phone: Mapped[str | None] = mapped_column(String(40), default=None)
    # The lesions referred, e.g. [{"joint": "hip", "side": "right", "surgical_referral": "now"}]
    lesions: Mapped[list[Any]] = mapped_column(JSON, default=list)
    as_of: Mapped[date] = mapped_column(Date)
    knowledge_release: Mapped[str] = mapped_column(String(40))
    patient_version: Mapped[int] = mapped_column(Integer)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    referred_by: Mapped[str] = mapped_column(String(200))
    # What the letter says, taken from the assessment at the time of referral (app/referral.py),
    # and that assessment's contract JSON: the PDF and the ServiceRequest are made from these.
    letter: Mapped[dict[str, Any]] = mapped_column(JSON)
    assessment: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class SmartLaunch(Base):
    """A SMART launch waiting for the EHR's answer (app/smart): found by the hash of its `state`,
    bound to the browser that started it (hash of a cookie), used once."""

    __tablename__ = "smart_launches"
    state_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    browser_hash: Mapped[str] = mapped_column(String(64))
    iss: Mapped[str] = mapped_column(String(300))
    launch: Mapped[str | None] = mapped_column(Text, default=None)
    code_verifier: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


class SmartSession(Base):
    """What makes a web session a SMART session: the one patient it reaches, the EHR user, and
    the EHR's tokens (the session ends when the access token does, unless refreshed)."""

    __tablename__ = "smart_sessions"
    token_hash: Mapped[str] = mapped_column(
        ForeignKey("web_sessions.token_hash", ondelete="CASCADE"), primary_key=True
    )
    iss: Mapped[str] = mapped_column(String(300))
    patient_id: Mapped[str] = mapped_column(String(64))
    fhir_user: Mapped[str] = mapped_column(String(300))
    access_token: Mapped[str] = mapped_column(Text)
    refresh_token: Mapped[str | None] = mapped_column(Text, default=None)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # What could not be read from the EHR at launch, in words (shown on the patient's pages).
    gaps: Mapped[list[Any]] = mapped_column(JSON, default=list)
