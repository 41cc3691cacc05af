"""The patient's data for one call: prefetched by the client, else read from its FHIR server.

For each prefetch key (`discovery.PREFETCH`):
- a resource or a searchset Bundle in `prefetch` is used as given; `null` means "no data";
- a key left out, or holding an OperationOutcome (the client's prefetch failed) or anything
  that is not a FHIR resource, is read from `fhirServer` (`outbound.py` decides whether and how:
  with the `fhirAuthorization` bearer token, or without one where the issuer marks the server
  open);
- a searchset with a `next` link is completed from `fhirServer` the same way (incomplete data could
  hide a caution). A `next` link must stay under the server's base URL.
What cannot be read (no usable `fhirServer`, an error, a timeout) is named in `Gathered.unread`:
the cards are made from what is there, plus one card naming what could not be read. Only the
Patient is indispensable: without it, `PreconditionFailed` (412).

The access token lives only in the local variables of `gather` and in the request headers handed
to httpx: it is never stored, logged, put in an error message or cached.

`collection_bundle` assembles one collection Bundle (the patient and their resources, duplicates
removed) for `hosentinel.fhir.importer.read_bundle`.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

import httpx
import orjson

from hosentinel.cdshooks import pinning
from hosentinel.cdshooks.discovery import OPTIONAL_PREFETCH, PATIENT_TOKEN, PREFETCH
from hosentinel.cdshooks.errors import PreconditionFailed

log = logging.getLogger("hosentinel.cdshooks")

FETCH_TIMEOUT = httpx.Timeout(2.0, connect=1.0)
MAX_PAGES = 20
MAX_FETCH_BYTES = 20 * 1024 * 1024
FHIR_JSON = "application/fhir+json"


@dataclass(frozen=True, slots=True)
class FhirAccess:
    """Where and how to read the client's FHIR server for this one call (`outbound.fhir_access`
    has checked the server; `token` None: an open server, read without Authorization)."""

    base: str
    token: str | None
    # The addresses `base`'s host was resolved to and checked at (None: resolve when
    # connecting), and whether private addresses may be reached (`pinning.py`).
    addresses: tuple[str, ...] | None = None
    private_ok: bool = False


@dataclass(frozen=True, slots=True)
class Gathered:
    resources: list[dict[str, Any]]
    unread: tuple[str, ...] = ()  # prefetch keys that could not be read


def under(url: str, base: str) -> bool:
    """True when `url` is the base or below it (same scheme, host, port and path prefix)."""
    target, root = urlsplit(url), urlsplit(base)
    if (target.scheme.lower(), (target.netloc or "").lower()) != (
        root.scheme.lower(),
        (root.netloc or "").lower(),
    ):
        return False
    # A dot segment ("Binary/../../x", also percent-encoded) would leave the base once the URL
    # is normalised: refused outright.
    if any(seg.lower().replace("%2e", ".") in (".", "..") for seg in target.path.split("/")):
        return False
    prefix = root.path.rstrip("/")
    return target.path == prefix or target.path.startswith(prefix + "/")


def query_for(key: str, patient_id: str) -> str:
    template = PREFETCH.get(key) or OPTIONAL_PREFETCH[key]
    return template.replace(PATIENT_TOKEN, quote(patient_id, safe=""))


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
        self.extensions = pinning.extensions(access.addresses, access.private_ok)
        # Only here, for the duration of the call.
        self.headers = {"Accept": FHIR_JSON}
        if access.token is not None:
            self.headers["Authorization"] = f"Bearer {access.token}"

    async def get(self, url: str) -> object:
        if not under(url, self.base):
            raise _Unavailable("a link points away from fhirServer's base")
        try:
            response = await self.client.get(
                url, headers=self.headers, timeout=FETCH_TIMEOUT, extensions=self.extensions
            )
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


def incomplete(prefetch: Mapping[str, object] | None) -> bool:
    """True when some key must be read from fhirServer (left out, unusable, or a page with a
    `next` link): only then is the server checked (its name resolved) and read."""
    prefetch = prefetch or {}
    for key in PREFETCH:
        value = prefetch.get(key)
        if key not in prefetch or not _usable(value):
            return True
        if isinstance(value, Mapping) and _next_link(value) is not None:
            return True
    return False


async def gather(
    prefetch: Mapping[str, object] | None,
    patient_id: str,
    access: FhirAccess | None,
    client: httpx.AsyncClient | None,
) -> Gathered:
    """Every resource the services need for this patient that can be had, and the keys that
    could not be read (see the module docstring)."""
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
    unread: list[str] = []
    # Optional keys (notes): used as given; left out, read only when the server is searched
    # anyway; failed, simply not there.
    optional = [k for k in OPTIONAL_PREFETCH if k in prefetch and _usable(prefetch.get(k))]
    for key in optional:
        given[key] = _resources(prefetch.get(key))
    if to_fetch or to_complete:
        keys = [*to_fetch, *to_complete]
        if access is None or client is None:
            unread = keys
        else:
            fetcher = _Fetcher(client, access)
            # Searching the server anyway: the notes the EHR did not prefetch are searched too.
            extra = [k for k in OPTIONAL_PREFETCH if k not in prefetch] if to_fetch else []
            jobs = [fetcher.read(k, patient_id) for k in [*to_fetch, *extra]]
            jobs += [fetcher.complete(v) for v in to_complete.values()]
            results = await asyncio.gather(*jobs, return_exceptions=True)
            order = [*to_fetch, *extra, *to_complete]
            for key, result in zip(order, results, strict=True):
                if isinstance(result, _Unavailable):
                    log.warning("fhirServer: %s not read (%s)", key, result)
                    if key in keys:
                        unread.append(key)
                elif isinstance(result, BaseException):
                    raise result
                else:
                    given[key] = result
    if "patient" in unread:
        raise PreconditionFailed(
            "The Patient could not be had: neither prefetched nor readable from fhirServer."
        )
    return Gathered(
        [resource for key in (*PREFETCH, *OPTIONAL_PREFETCH) for resource in given.get(key, [])],
        tuple(sorted(unread)),
    )


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
