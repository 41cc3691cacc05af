"""Draft orders (`context.draftOrders`) read for what the HO checks need.

- MedicationRequest: the drug options the knowledge base cautions against. The order's codes
  (RxNorm ingredient codes) and names (the concept's text, each coding's display, a referenced
  Medication in the Bundle or contained) are looked up in the knowledge value sets: concept
  `nsaid` -> option `nsaid-indomethacin`, `alendronate` -> `alendronate`, `etidronate` ->
  `etidronate`.
- ServiceRequest: a radiation course (option `radiation-prophylaxis`) or a plain radiograph, by
  SNOMED CT code or by words in the order's name: the knowledge concepts `radiotherapy-order` and
  `radiograph-order` (`valuesets/orders.yaml`, each code cited).
- For a radiograph: the joints it images (bodySite, or words in its name) and whether its reason
  names HO (`reasonCode` in the knowledge's `ho` value set, or the words).

`draft_medications` gives the draft medication orders (every one in `draftOrders`, selected or
not) to the assessment as the patient's medications: what is being signed together counts for
every check (draft warfarin + draft indomethacin is the anticoagulant caution). Draft
ServiceRequests are not added as procedures: a procedure counts only once it is done.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from hosentinel.fhir.access import JSONObject, as_object, child, children
from hosentinel.fhir.access import string as text_of
from hosentinel.fhir.codes import codings, concept_text, site_from_concepts
from hosentinel.knowledge.loader import Knowledge

# Knowledge concept -> the drug option (recommendation id) its cautions are filed under.
DRUG_OPTIONS: dict[str, str] = {
    "nsaid": "nsaid-indomethacin",
    "indomethacin": "nsaid-indomethacin",
    "alendronate": "alendronate",
    "etidronate": "etidronate",
}
RADIATION_OPTION = "radiation-prophylaxis"

RADIATION_CONCEPT = "radiotherapy-order"
RADIOGRAPH_CONCEPT = "radiograph-order"
HO_WORDS = re.compile(r"\b(heterotopic|ossification|myositis ossificans|HO)\b", re.IGNORECASE)
HO_CONCEPT = "ho"


@dataclass(frozen=True, slots=True)
class DraftOrder:
    resource_type: str
    resource_id: str | None
    name: str
    options: tuple[str, ...] = ()
    radiograph: bool = False
    joints: frozenset[str] = frozenset()
    for_ho: bool = False
    side: str | None = None  # left | right, when the order names one (kept on the suggestion)

    @property
    def reference(self) -> str | None:
        return f"{self.resource_type}/{self.resource_id}" if self.resource_id else None


def _names(concept: JSONObject) -> list[str]:
    found = [c.display for c in codings(concept) if c.display]
    text = concept_text(concept)
    return [text, *found] if text else found


def _concepts(concept: JSONObject, knowledge: Knowledge) -> set[str]:
    found: set[str] = set()
    for coding in codings(concept):
        found |= knowledge.concepts_for_code(coding.system, coding.code)
    for name in _names(concept):
        found |= knowledge.concepts_for_text(name)
    return found


def _medication_concept(
    res: JSONObject, medications: dict[str, JSONObject]
) -> tuple[JSONObject, str | None]:
    """The medication's concept (inline, contained or in the Bundle) and the reference's
    display."""
    inline = child(res, "medicationCodeableConcept")
    if inline:
        return inline, None
    reference = child(res, "medicationReference")
    target = text_of(reference, "reference") or ""
    display = text_of(reference, "display")
    if target.startswith("#"):
        for item in children(res, "contained"):
            if item.get("resourceType") == "Medication" and text_of(item, "id") == target[1:]:
                return child(item, "code"), display
    elif target in medications:
        return child(medications[target], "code"), display
    return {}, display


def _medication_order(
    res: JSONObject, medications: dict[str, JSONObject], knowledge: Knowledge
) -> DraftOrder:
    concept, display = _medication_concept(res, medications)
    names = _names(concept) + ([display] if display else [])
    found = _concepts(concept, knowledge)
    for name in names:
        found |= knowledge.concepts_for_text(name)
    options = tuple(sorted({DRUG_OPTIONS[c] for c in found if c in DRUG_OPTIONS}))
    titles = [d.title for o in options for d in knowledge.drugs if d.id == o]
    name = names[0] if names else titles[0] if titles else "medication order"
    return DraftOrder("MedicationRequest", text_of(res, "id"), name, options)


def _service_order(res: JSONObject, knowledge: Knowledge) -> DraftOrder:
    code = child(res, "code")
    names = _names(code)
    kinds = _concepts(code, knowledge)
    name = names[0] if names else "service request"
    rid = text_of(res, "id")
    if RADIATION_CONCEPT in kinds:
        return DraftOrder("ServiceRequest", rid, name, (RADIATION_OPTION,))
    if RADIOGRAPH_CONCEPT not in kinds:
        return DraftOrder("ServiceRequest", rid, name)
    body_sites = children(res, "bodySite")
    site = site_from_concepts([*body_sites, code])
    joints = frozenset({site.joint} if site.joint else set())
    reasons = children(res, "reasonCode")
    for_ho = any(HO_CONCEPT in _concepts(r, knowledge) for r in reasons) or any(
        HO_WORDS.search(n) for r in reasons for n in _names(r)
    )
    notes = " ".join(text_of(n, "text") or "" for n in children(res, "note"))
    for_ho = for_ho or bool(HO_WORDS.search(notes))
    return DraftOrder(
        "ServiceRequest",
        rid,
        name,
        radiograph=True,
        joints=joints,
        for_ho=for_ho,
        side=site.side if site.joint else None,
    )


def _selected(ref: str, selections: Iterable[str] | None, rtype: str, rid: str | None) -> bool:
    if selections is None:
        return True
    wanted = set(selections)
    return ref in wanted or (rid is not None and f"{rtype}/{rid}" in wanted)


def read_draft_orders(
    draft_orders: object, knowledge: Knowledge, selections: Iterable[str] | None = None
) -> list[DraftOrder]:
    """The draft orders of a `draftOrders` Bundle (only the selected ones when `selections` is
    given, as at order-select)."""
    bundle = as_object(draft_orders)
    if bundle is None:
        return []
    entries: list[tuple[JSONObject, JSONObject]] = []
    for entry in children(bundle, "entry"):
        resource = as_object(entry.get("resource"))
        if resource is not None:
            entries.append((entry, resource))
    medications: dict[str, JSONObject] = {}
    for entry, res in entries:
        if res.get("resourceType") == "Medication":
            for key in (text_of(entry, "fullUrl"), f"Medication/{text_of(res, 'id')}"):
                if key:
                    medications[key] = res
    found: list[DraftOrder] = []
    chosen = list(selections) if selections is not None else None
    for entry, res in entries:
        rtype = text_of(res, "resourceType") or ""
        rid = text_of(res, "id")
        ref = text_of(entry, "fullUrl") or f"{rtype}/{rid}"
        if not _selected(ref, chosen, rtype, rid):
            continue
        if rtype == "MedicationRequest":
            found.append(_medication_order(res, medications, knowledge))
        elif rtype == "ServiceRequest":
            found.append(_service_order(res, knowledge))
    return found


DRAFT_RECORD_TYPES = frozenset({"MedicationRequest", "MedicationStatement", "Medication"})


def draft_medications(draft_orders: object) -> list[JSONObject]:
    """The MedicationRequests (and the Medications they may reference) of a `draftOrders`
    Bundle, as resources for the patient's record. A draft about another patient is dropped
    by the importer like any other such resource."""
    bundle = as_object(draft_orders)
    if bundle is None:
        return []
    found: list[JSONObject] = []
    for entry in children(bundle, "entry"):
        resource = as_object(entry.get("resource"))
        if resource is not None and resource.get("resourceType") in DRAFT_RECORD_TYPES:
            found.append(resource)
    return found
