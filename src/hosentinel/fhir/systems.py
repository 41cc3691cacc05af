"""FHIR code-system URIs, defined once for every module that writes FHIR (the synthetic
patients, the synthetic Bulk Data export, exports and referral letters).

The five systems the knowledge base matches on are the core's own (`core.record.SYSTEMS`); the
others are HL7 terminology systems used in the resources written here.
"""

from __future__ import annotations

from hosentinel.core.record import SYSTEMS

ICD10CM = SYSTEMS["icd10cm"]
SNOMED = SYSTEMS["snomed"]
LOINC = SYSTEMS["loinc"]
RXNORM = SYSTEMS["rxnorm"]
FINDING = SYSTEMS["finding"]
UCUM = "http://unitsofmeasure.org"
INTERPRETATION = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
OBS_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
CONDITION_CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
CONDITION_VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
CONDITION_CATEGORY = "http://terminology.hl7.org/CodeSystem/condition-category"
ALLERGY_CLINICAL = "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical"
ALLERGY_VERIFICATION = "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
ACT_REASON = "http://terminology.hl7.org/CodeSystem/v3-ActReason"
DIAGNOSTIC_SERVICE = "http://terminology.hl7.org/CodeSystem/v2-0074"
IDENTIFIER_TYPE = "http://terminology.hl7.org/CodeSystem/v2-0203"
