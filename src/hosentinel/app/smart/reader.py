"""The launched patient's record from the EHR over FHIR REST, with the access token: the Patient
read, then Condition, Procedure, Observation, MedicationRequest, MedicationStatement,
AllergyIntolerance and DiagnosticReport searched by `patient`, following `next` links.

Only searches the EHR's CapabilityStatement offers are made (when it lists its resources at all).
Observation follows Epic's rule (a category or code on every search): per category when the
issuer is configured so, or when the EHR refuses the search by patient alone. What cannot be read
is not fatal: it is named in `gaps` and the rest is assessed; only the Patient read is required.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx

from hosentinel.app.smart.ehr import EhrError, NotAJsonObject, fetch_object, get_json
from hosentinel.app.smart.settings import DEFAULT_OBSERVATION_CATEGORIES, SmartClient, origin

SEARCH_TYPES = (
    "Condition",
    "Procedure",
    "Observation",
    "MedicationRequest",
    "MedicationStatement",
    "AllergyIntolerance",
    "DiagnosticReport",
)
PAGE_SIZE = 200
MAX_PAGES = 200  # a search that never ends is cut off and named as a gap
PARALLEL_SEARCHES = 4


@dataclass
class FetchedRecord:
    patient: dict[str, Any]
    resources: list[dict[str, Any]] = field(default_factory=list)
    gaps: list[str] = field(default_factory=list)

    def display_name(self) -> str | None:
        """The patient's name as the EHR gives it (official first), for the app's pages."""
        names = [n for n in self.patient.get("name") or [] if isinstance(n, dict)]
        names.sort(key=lambda n: n.get("use") != "official")
        for n in names:
            given = [g for g in n.get("given") or [] if isinstance(g, str)]
            family = str(n.get("family") or "")
            shown = n.get("text") or " ".join([*given, family]).strip()
            if isinstance(shown, str) and shown:
                return shown[:200]
        return None

    def bundle(self) -> dict[str, Any]:
        """A collection Bundle, the form `POST /fhir` takes."""
        seen: set[tuple[str, str]] = set()
        entries = [{"resource": self.patient}]
        for r in self.resources:
            key = (str(r.get("resourceType")), str(r.get("id")))
            if key not in seen:  # a resource found by two category searches is sent once
                seen.add(key)
                entries.append({"resource": r})
        return {"resourceType": "Bundle", "type": "collection", "entry": entries}


class _Gap(Exception):
    pass


def supported_searches(capability: dict[str, Any] | None) -> set[str] | None:
    """Resource types the server says it can search; None when it does not list its resources."""
    if not capability:
        return None
    listed: set[str] = set()
    any_listed = False
    for rest in capability.get("rest") or []:
        if not isinstance(rest, dict) or rest.get("mode", "server") != "server":
            continue
        for res in rest.get("resource") or []:
            if not isinstance(res, dict) or not isinstance(res.get("type"), str):
                continue
            any_listed = True
            codes = {i.get("code") for i in res.get("interaction") or [] if isinstance(i, dict)}
            if "search-type" in codes:
                listed.add(res["type"])
    return listed if any_listed else None


class Reader:
    def __init__(self, http: httpx.Client, client: SmartClient, token: str) -> None:
        self.http, self.client, self.iss = http, client, client.iss
        self.headers = {"Authorization": f"Bearer {token}", "Accept": "application/fhir+json"}
        self.partial: list[str] = []

    def read_patient(self, patient_id: str) -> dict[str, Any]:
        body = get_json(
            self.http,
            f"{self.iss}/Patient/{patient_id}",
            "the patient's record (Patient)",
            headers=self.headers,
        )
        if body.get("resourceType") != "Patient" or body.get("id") != patient_id:
            raise EhrError(
                "The EHR answered the patient read with another patient's record; nothing was "
                "stored."
            )
        return body

    def capability(self) -> dict[str, Any] | None:
        try:
            return get_json(
                self.http,
                f"{self.iss}/metadata",
                "its CapabilityStatement",
                headers={"Accept": "application/fhir+json"},
            )
        except EhrError:
            return None  # unknown: every search is tried and a refusal is named as a gap

    def search(self, rtype: str, params: dict[str, str]) -> list[dict[str, Any]]:
        """Every page of one search; a refused or broken page raises `_Gap` naming it."""
        found: list[dict[str, Any]] = []
        url: str | None = f"{self.iss}/{rtype}"
        query: dict[str, str] | None = {**params, "_count": str(PAGE_SIZE)}
        for _ in range(MAX_PAGES):
            if url is None:
                return found
            try:
                page = fetch_object(self.http, url, params=query, headers=self.headers)
            except NotAJsonObject as failed:
                why = {
                    "timeout": f"the EHR did not answer ({type(failed.error).__name__})",
                    "unreachable": f"the EHR did not answer ({type(failed.error).__name__})",
                    "status": f"the EHR answered {failed.status}",
                    "not-json": "the EHR's answer was not JSON",
                    "not-object": "the EHR's answer was not a search Bundle",
                }[failed.reason]
                raise _Gap(f"{rtype}: {why}") from failed.error
            if page.get("resourceType") != "Bundle":
                raise _Gap(f"{rtype}: the EHR's answer was not a search Bundle")
            for entry in page.get("entry") or []:
                resource = entry.get("resource") if isinstance(entry, dict) else None
                mode = (entry.get("search") or {}).get("mode", "match")
                # `include`d and OperationOutcome entries are not the patient's data.
                if isinstance(resource, dict) and resource.get("resourceType") == rtype:
                    found += [resource] if mode == "match" else []
            url, query = self._next(page), None
        raise _Gap(f"{rtype}: more than {MAX_PAGES} pages; the rest was not read")

    def _next(self, page: dict[str, Any]) -> str | None:
        for link in page.get("link") or []:
            if isinstance(link, dict) and link.get("relation") == "next":
                url = link.get("url")
                if not isinstance(url, str) or not url:
                    return None
                # The bearer token goes only back to the EHR it was issued for.
                if origin(url) != origin(self.iss) or not urlsplit(url).scheme:
                    raise _Gap("a next link pointed away from the EHR; it was not followed")
                return url
        return None

    def observations(self, patient_id: str) -> list[dict[str, Any]]:
        categories = self.client.observation_categories
        if categories is None:
            try:
                return self.search("Observation", {"patient": patient_id})
            except _Gap as gap:
                if "answered 400" not in str(gap):
                    raise
            categories = DEFAULT_OBSERVATION_CATEGORIES
        found: list[dict[str, Any]] = []
        refused: list[str] = []
        for category in categories:
            try:
                found += self.search("Observation", {"patient": patient_id, "category": category})
            except _Gap as gap:
                refused.append(f"{category} ({str(gap).split(': ', 1)[-1]})")
        if refused and not found:
            raise _Gap(f"Observation: no category could be read: {', '.join(refused)}")
        if refused:
            # Partial: the categories that did answer are kept; the others are named.
            self.partial.append(f"Observation categories {', '.join(refused)}")
        return found

    def read(self, patient_id: str) -> FetchedRecord:
        patient = self.read_patient(patient_id)
        record = FetchedRecord(patient)
        offered = supported_searches(self.capability())
        wanted = [t for t in SEARCH_TYPES if offered is None or t in offered]
        record.gaps += [
            f"{t}: the EHR does not offer this search" for t in SEARCH_TYPES if t not in wanted
        ]

        def one(rtype: str) -> tuple[str, list[dict[str, Any]] | str]:
            try:
                if rtype == "Observation":
                    return rtype, self.observations(patient_id)
                return rtype, self.search(rtype, {"patient": patient_id})
            except _Gap as gap:
                return rtype, str(gap)

        with ThreadPoolExecutor(PARALLEL_SEARCHES) as pool:
            for _rtype, result in pool.map(one, wanted):
                if isinstance(result, str):
                    record.gaps.append(result)
                else:
                    record.resources += result
        record.gaps += self.partial
        return record
