"""The patient's data for one call: prefetched by the client, else read from its FHIR server.

For each prefetch key (`discovery.PREFETCH`):
- a resource or a searchset Bundle in `prefetch` is used as given; `null` means "no data";
- a key left out, or holding an OperationOutcome (the client's prefetch failed) or anything
  that is not a FHIR resource, is read from `fhirServer` with the `fhirAuthorization` bearer
  token;
- a searchset with a `next` link is completed from `fhirServer` the same way (incomplete data could
  hide a caution).
When something is needed and cannot be read (no `fhirServer`/token, an error, a timeout),
`PreconditionFailed` (412) names the keys.

The access token lives only in the local variables of `gather` and in the request headers handed
to httpx: it is never stored, logged, put in an error message or cached. It is only ever sent to
the origin of `fhirServer` (a `next` link to another origin is not followed), and only over https
(plain http is accepted for loopback addresses, for local testing).

`collection_bundle` assembles one collection Bundle (the patient and their resources, duplicates
removed) for `hosentinel.fhir.importer.read_bundle`.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

import httpx
import orjson

from hosentinel.cdshooks.discovery import OPTIONAL_PREFETCH, PATIENT_TOKEN, PREFETCH
from hosentinel.cdshooks.errors import PreconditionFailed

FETCH_TIMEOUT = httpx.Timeout(2.0, connect=1.0)
MAX_PAGES = 20
MAX_FETCH_BYTES = 20 * 1024 * 1024
FHIR_JSON = "application/fhir+json"


@dataclass(frozen=True, slots=True)
class FhirAccess:
    """Where and how to read the client's FHIR server for this one call."""

    base: str
    token: str | None

    @property
    def usable(self) -> bool:
        return self.token is not None and _safe_base(self.base)


def _safe_base(base: str) -> bool:
    parts = urlsplit(base)
    if parts.scheme == "https" and parts.hostname:
        return True
    if parts.scheme != "http" or not parts.hostname:
        return False
    if parts.hostname == "localhost":
        return True
    try:
        return ipaddress.ip_address(parts.hostname).is_loopback
    except ValueError:
        return False


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    return parts.scheme, (parts.hostname or "").lower(), parts.port


def query_for(key: str, patient_id: str) -> str:
    return PREFETCH[key].replace(PATIENT_TOKEN, quote(patient_id, safe=""))


def _is_outcome(value: object) -> bool:
    return isinstance(value, Mapping) and value.get("resourceType") == "OperationOutcome"


def _usable(value: object) -> bool:
    """A prefetch value we can use: null ("no data") or a resource other than an
    OperationOutcome. Anything else (a failed prefetch, a malformed value) must be fetched."""
    if value is None:
        return True
    return (
        isinstance(value, Mapping)
        and isinstance(value.get("resourceType"), str)
        and not _is_outcome(value)
    )


def _next_link(bundle: Mapping[str, Any]) -> str | None:
    links = bundle.get("link")
    if not isinstance(links, list):
        return None
    for link in links:
        if isinstance(link, Mapping) and link.get("relation") == "next":
            url = link.get("url")
            return url if isinstance(url, str) and url else None
    return None


def _resources(value: object) -> list[dict[str, Any]]:
    """The resources a prefetch value holds: a Bundle's entries (search outcomes and
    OperationOutcomes dropped) or the single resource itself."""
    if not isinstance(value, Mapping):
        return []
    if value.get("resourceType") != "Bundle":
        return [dict(value)] if isinstance(value.get("resourceType"), str) else []
    found: list[dict[str, Any]] = []
    entries = value.get("entry")
    for entry in entries if isinstance(entries, list) else []:
        if not isinstance(entry, Mapping):
            continue
        search = entry.get("search")
        if isinstance(search, Mapping) and search.get("mode") == "outcome":
            continue
        resource = entry.get("resource")
        if isinstance(resource, Mapping) and not _is_outcome(resource):
            found.append(dict(resource))
    return found


class _Fetcher:
    def __init__(self, client: httpx.AsyncClient, access: FhirAccess) -> None:
        self.client = client
        self.base = access.base.rstrip("/")
        self.origin = _origin(self.base)
        # Only here, for the duration of the call.
        self.headers = {"Authorization": f"Bearer {access.token}", "Accept": FHIR_JSON}

    async def get(self, url: str) -> object:
        if _origin(url) != self.origin:
            raise _Unavailable("a link points away from fhirServer")
        try:
            response = await self.client.get(url, headers=self.headers, timeout=FETCH_TIMEOUT)
        except httpx.HTTPError as exc:
            raise _Unavailable(type(exc).__name__) from None
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise _Unavailable(f"HTTP {response.status_code}")
        if len(response.content) > MAX_FETCH_BYTES:
            raise _Unavailable("response too large")
        try:
            return orjson.loads(response.content)
        except orjson.JSONDecodeError:
            raise _Unavailable("not JSON") from None

    async def read(self, key: str, patient_id: str) -> list[dict[str, Any]]:
        value = await self.get(f"{self.base}/{query_for(key, patient_id)}")
        if _is_outcome(value):
            raise _Unavailable("OperationOutcome")
        return await self.complete(value)

    async def complete(self, value: object) -> list[dict[str, Any]]:
        """The resources of a value and of every further page of a searchset."""
        found = _resources(value)
        pages = 0
        while isinstance(value, Mapping) and (link := _next_link(value)) is not None:
            pages += 1
            if pages > MAX_PAGES:
                raise _Unavailable("too many pages")
            value = await self.get(link)
            if _is_outcome(value):
                raise _Unavailable("OperationOutcome")
            found.extend(_resources(value))
        return found


class _Unavailable(Exception):
    pass


async def gather(
    prefetch: Mapping[str, object] | None,
    patient_id: str,
    access: FhirAccess | None,
    client: httpx.AsyncClient | None,
) -> list[dict[str, Any]]:
    """Every resource the services need for this patient (see the module docstring)."""
    prefetch = prefetch or {}
    given: dict[str, list[dict[str, Any]]] = {}
    to_fetch: list[str] = []
    to_complete: dict[str, object] = {}
    for key in PREFETCH:
        value = prefetch.get(key)
        if key not in prefetch or not _usable(value):
            to_fetch.append(key)
            continue
        given[key] = _resources(value)
        if isinstance(value, Mapping) and _next_link(value) is not None:
            to_complete[key] = value
    if to_fetch or to_complete:
        if access is None or not access.usable or client is None:
            missing = ", ".join(sorted([*to_fetch, *to_complete]))
            raise PreconditionFailed(
                f"Prefetch incomplete ({missing}) and no usable fhirServer with "
                "fhirAuthorization (https, bearer token) to read it from."
            )
        fetcher = _Fetcher(client, access)
        keys = [*to_fetch, *to_complete]
        jobs = [fetcher.read(k, patient_id) for k in to_fetch]
        jobs += [fetcher.complete(v) for v in to_complete.values()]
        results = await asyncio.gather(*jobs, return_exceptions=True)
        failed = [k for k, r in zip(keys, results, strict=True) if isinstance(r, BaseException)]
        unexpected = [
            r
            for r in results
            if isinstance(r, BaseException) and not isinstance(r, _Unavailable | PreconditionFailed)
        ]
        if unexpected:
            raise unexpected[0]
        if failed:
            raise PreconditionFailed(f"Could not read {', '.join(sorted(failed))} from fhirServer.")
        for key, result in zip(keys, results, strict=True):
            assert isinstance(result, list)
            given[key] = result
    for key in OPTIONAL_PREFETCH:  # used as given; left out or failed, it is simply not there
        if key in prefetch and _usable(prefetch.get(key)):
            given[key] = _resources(prefetch.get(key))
    return [resource for key in (*PREFETCH, *OPTIONAL_PREFETCH) for resource in given.get(key, [])]


def collection_bundle(resources: list[dict[str, Any]], patient_id: str) -> dict[str, Any]:
    """One collection Bundle for the importer: the context's Patient (others dropped) and the
    other resources, each once (by type and id)."""
    seen: set[tuple[str, str]] = set()
    entries: list[dict[str, Any]] = []
    has_patient = False
    for resource in resources:
        rtype = resource.get("resourceType")
        rid = resource.get("id")
        if not isinstance(rtype, str):
            continue
        if rtype == "Patient":
            if rid != patient_id or has_patient:
                continue
            has_patient = True
        if isinstance(rid, str):
            if (rtype, rid) in seen:
                continue
            seen.add((rtype, rid))
        entries.append({"resource": resource})
    if not has_patient:
        raise PreconditionFailed(f"No Patient resource with id {patient_id!r} in the data.")
    return {"resourceType": "Bundle", "type": "collection", "entry": entries}


def content_key(bundle: Mapping[str, Any]) -> bytes:
    """Canonical bytes of a Bundle: equal data, equal key (for the assessment cache)."""
    try:
        return orjson.dumps(bundle, option=orjson.OPT_SORT_KEYS)
    except TypeError:  # nested deeper than orjson writes (255 levels; found by fuzzing: a 500)
        return json.dumps(bundle, sort_keys=True, default=str).encode()
