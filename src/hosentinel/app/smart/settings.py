"""Trusted EHRs: `HOSENTINEL_SMART_CLIENTS`, a JSON object (inline, or the path of a file holding
it) mapping each EHR's FHIR base URL (`iss`) to its registration:

    {"https://ehr.example.org/fhir": {"client_id": "ho-sentinel",
                                      "scope": "launch openid fhirUser patient/*.rs",  # optional
                                      "role": "therapist",                             # optional
                                      "frame_ancestors": ["https://ehr.example.org"],  # optional
                                      "observation_categories": ["laboratory", ...]}}   # optional

`role` is the HO Sentinel role EHR users of that issuer act with (default: `therapist`, the
least clinical role that may still enter exams). `frame_ancestors` are the origins allowed to
frame the SMART pages (default: the origin of `iss`). `observation_categories`: search
Observation once per category (Epic requires a category or code on every Observation search);
without it Observation is searched by patient only, and per category only if the EHR refuses that.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from hosentinel.settings import Settings
from hosentinel.store.models import ROLES

SETTING = "HOSENTINEL_SMART_CLIENTS"
DEFAULT_ROLE = "therapist"
# Patient-level read scopes (SMART v2 `.rs` and the v1 `.read` form, which EHRs still widely
# take) for every resource type the reader asks for.
READ_TYPES = (
    "Patient",
    "Condition",
    "Procedure",
    "Observation",
    "MedicationRequest",
    "MedicationStatement",
    "AllergyIntolerance",
    "DiagnosticReport",
)
DEFAULT_SCOPE = "openid fhirUser online_access " + " ".join(f"patient/{t}.rs" for t in READ_TYPES)
# Categories searched when an EHR refuses an Observation search by patient alone (Epic's rule).
DEFAULT_OBSERVATION_CATEGORIES = (
    "laboratory",
    "vital-signs",
    "exam",
    "imaging",
    "procedure",
    "survey",
    "social-history",
    "functional-mental-status",
)


ORIGIN = re.compile(r"https?://[A-Za-z0-9.\-]+(:[0-9]{1,5})?")


class SmartSettingsError(ValueError):
    """HOSENTINEL_SMART_CLIENTS cannot be read; the message names what is wrong."""


@dataclass(frozen=True)
class SmartClient:
    iss: str
    client_id: str
    scope: str = DEFAULT_SCOPE
    role: str = DEFAULT_ROLE
    frame_ancestors: tuple[str, ...] = ()
    observation_categories: tuple[str, ...] | None = None

    def launch_scope(self, ehr_launch: bool) -> str:
        """The scope asked for: `launch` (EHR launch) or `launch/patient` (standalone) first,
        then the configured scope, with `openid fhirUser` always there (the EHR user's
        identity is audited)."""
        words = ["launch" if ehr_launch else "launch/patient"]
        for word in ("openid", "fhirUser", *self.scope.split()):
            if word not in words and word not in ("launch", "launch/patient"):
                words.append(word)
        return " ".join(words)


def normalise_iss(iss: str) -> str:
    return iss.strip().rstrip("/")


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _strings(value: Any, what: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise SmartSettingsError(f"{SETTING}: {what} must be a list of strings")
    return tuple(value)


def _client(iss: str, entry: Any) -> SmartClient:
    if not isinstance(entry, dict):
        raise SmartSettingsError(f"{SETTING}: the entry for {iss} must be an object")
    client_id = entry.get("client_id")
    if not isinstance(client_id, str) or not client_id:
        raise SmartSettingsError(f"{SETTING}: {iss} has no client_id")
    if urlsplit(iss).scheme not in ("http", "https") or not urlsplit(iss).netloc:
        raise SmartSettingsError(f"{SETTING}: {iss!r} is not an http(s) FHIR base URL")
    role = entry.get("role", DEFAULT_ROLE)
    if role not in ROLES or role in ("family", "admin"):
        raise SmartSettingsError(f"{SETTING}: {iss} has role {role!r}, not a clinical role")
    scope = entry.get("scope", DEFAULT_SCOPE)
    if not isinstance(scope, str) or not scope.strip():
        raise SmartSettingsError(f"{SETTING}: {iss} has an empty or non-text scope")
    frames = entry.get("frame_ancestors")
    if frames and not all(isinstance(f, str) and ORIGIN.fullmatch(f) for f in frames):
        raise SmartSettingsError(
            f"{SETTING}: {iss} frame_ancestors must be origins like https://ehr.example.org"
        )
    categories = entry.get("observation_categories")
    return SmartClient(
        iss=iss,
        client_id=client_id,
        scope=scope,
        role=role,
        frame_ancestors=_strings(frames, f"{iss} frame_ancestors") if frames else (origin(iss),),
        observation_categories=(
            _strings(categories, f"{iss} observation_categories") if categories else None
        ),
    )


def parse_clients(raw: str | None) -> dict[str, SmartClient]:
    """The trusted EHRs by normalised `iss` from the setting's value (JSON or a file path)."""
    if raw is None or not raw.strip():
        return {}
    text = raw.strip()
    if not text.startswith(("{", "[")):
        try:
            text = Path(text).read_text(encoding="utf-8")
        except OSError as exc:
            raise SmartSettingsError(f"{SETTING}: cannot read {raw!r}: {exc.strerror}") from exc
    try:
        parsed = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SmartSettingsError(f"{SETTING}: not valid JSON ({exc.msg})") from exc
    if not isinstance(parsed, dict):
        raise SmartSettingsError(f"{SETTING}: must be a JSON object of iss -> settings")
    clients = {}
    for iss, entry in parsed.items():
        key = normalise_iss(iss)
        clients[key] = _client(key, entry)
    return clients


def clients_from_settings(settings: Settings) -> dict[str, SmartClient]:
    return parse_clients(settings.smart_clients)
