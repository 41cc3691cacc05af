"""Codes of the orders and documents HO Sentinel writes (ServiceRequest, CarePlan activity,
DocumentReference), with their sources.

The order codes are knowledge data (`knowledge/data/valuesets/orders.yaml` and the laboratory
concepts), each cited there; the first code of a concept is the one written. The structural codes
below come from the FHIR and US Core value sets named beside them. An order no citable code was
found for (the venous duplex ultrasound of the DVT work-up) is written as text only.
"""

from __future__ import annotations

from hosentinel.core.record import SYSTEMS
from hosentinel.fhir.systems import LOINC, SNOMED
from hosentinel.knowledge.loader import Knowledge

US_CORE = "http://hl7.org/fhir/us/core/StructureDefinition"
US_CORE_SERVICEREQUEST = f"{US_CORE}/us-core-servicerequest"
US_CORE_DOCUMENTREFERENCE = f"{US_CORE}/us-core-documentreference"

# FHIR R4 value set servicerequest-category (SNOMED CT), which US Core's ServiceRequest category
# value set includes; the US Core example ServiceRequest "chest-xray" uses this coding.
IMAGING_CATEGORY = {"system": SNOMED, "code": "363679005", "display": "Imaging (procedure)"}

# US Core DocumentReference: category from the US Core DocumentReference Category code system
# (its one code), type from the US Core DocumentReference Type value set (every LOINC code of
# scale "Doc", or the v3 NullFlavor "UNK").
DOCUMENT_CATEGORY = {
    "system": "http://hl7.org/fhir/us/core/CodeSystem/us-core-documentreference-category",
    "code": "clinical-note",
    "display": "Clinical Note",
}
# LOINC 34895-3 is a document type for information given to the patient (listed as such in the
# French ANS XDS typeCode value set JDV_J07_XdsTypeCode_CISIS, OID 1.2.250.1.213.1.1.5.471;
# "Education note" in a Da Vinci CDex demo client's list of DocumentReference type codes).
EDUCATION_DOCUMENT_TYPE = {"system": LOINC, "code": "34895-3", "display": "Education note"}
# No LOINC document type for a decision-support assessment could be confirmed: "unknown", as US
# Core allows, with the text saying what it is.
UNKNOWN_DOCUMENT_TYPE = {
    "system": "http://terminology.hl7.org/CodeSystem/v3-NullFlavor",
    "code": "UNK",
    "display": "unknown",
}

# The knowledge concept whose first code names what a recommendation orders.
RECOMMENDATION_ORDERS: dict[str, str] = {
    "triple-phase-bone-scan": "bone-scan-order",
    "repeat-bone-scan": "bone-scan-order",
    "plain-radiograph": "radiograph-order",
    "serum-alp": "alp",
    "serum-crp": "crp",
    "serum-ck": "ck",
    "surgical-referral": "surgeon-referral-order",
}


def concept_coding(knowledge: Knowledge, concept_id: str) -> dict[str, str] | None:
    """The FHIR coding of a concept's first code (None for an unknown or code-less concept)."""
    concept = knowledge.concepts.get(concept_id)
    if concept is None or not concept.codes:
        return None
    code = concept.codes[0]
    coding = {"system": SYSTEMS.get(code.system, code.system), "code": code.code}
    if code.display:
        coding["display"] = code.display
    return coding


def recommendation_coding(knowledge: Knowledge, recommendation: str) -> dict[str, str] | None:
    """The standard code of what a recommendation orders, when one is known."""
    concept = RECOMMENDATION_ORDERS.get(recommendation)
    return concept_coding(knowledge, concept) if concept else None
