"""The everyday record of a synthetic patient: codes that say nothing about HO.

Background patients carry only these; scenario patients carry them beside their HO story. Codes
and displays are the ones real systems send (Synthea's SNOMED CT and RxNorm, EHR problem lists in
ICD-10-CM, LOINC vital signs and labs). None of them belongs to a concept of the knowledge base,
by code or by text: a test checks that, so the background can never change an assessment.
"""

from __future__ import annotations

from typing import NamedTuple


class Problem(NamedTuple):
    """A problem-list entry, codable in ICD-10-CM and/or SNOMED CT."""

    icd10: str | None
    snomed: str | None
    display: str
    chronic: bool


class Measure(NamedTuple):
    """A LOINC observation with a plausible range (uniform) and its UCUM unit."""

    loinc: str
    display: str
    low: float
    high: float
    unit: str
    decimals: int


class Drug(NamedTuple):
    rxnorm: str
    display: str


class Code(NamedTuple):
    system: str
    code: str
    display: str


PROBLEMS: tuple[Problem, ...] = (
    Problem("I10", "59621000", "Essential hypertension (disorder)", True),
    Problem("R73.03", "15777000", "Prediabetes", True),
    Problem("E11.9", "44054006", "Diabetes mellitus type 2 (disorder)", True),
    Problem("E78.5", "55822004", "Hyperlipidemia", True),
    Problem("E66.9", "162864005", "Body mass index 30+ - obesity (finding)", True),
    Problem("D64.9", "271737000", "Anemia (disorder)", True),
    Problem("M54.50", "278860009", "Chronic low back pain (finding)", True),
    Problem("M54.2", "1121000119107", "Chronic neck pain (finding)", True),
    Problem("J45.909", "195967001", "Asthma (disorder)", True),
    Problem("K21.9", "235595009", "Gastroesophageal reflux disease (disorder)", True),
    Problem("M17.11", "239873007", "Osteoarthritis of knee (disorder)", True),
    Problem("F32.A", "35489007", "Depressive disorder (disorder)", True),
    Problem("I25.10", "414545008", "Ischemic heart disease (disorder)", True),
    Problem("J32.9", "40055000", "Chronic sinusitis (disorder)", True),
    Problem("Z73.3", "73595000", "Stress (finding)", False),
    Problem("J01.90", "444814009", "Viral sinusitis (disorder)", False),
    Problem("J20.9", "10509002", "Acute bronchitis (disorder)", False),
    Problem("J02.9", "195662009", "Acute viral pharyngitis (disorder)", False),
    Problem("S93.401A", "44465007", "Sprain of ankle", False),
    Problem("S51.811A", "283371005", "Laceration of forearm", False),
    Problem(None, "160903007", "Full-time employment (finding)", False),
    Problem(None, "423315002", "Limited social contact (finding)", False),
)

# Drugs that go with the chronic problems above (index into PROBLEMS -> candidates).
DRUGS: tuple[Drug, ...] = (
    Drug("314076", "lisinopril 10 MG Oral Tablet"),
    Drug("860975", "24 HR Metformin hydrochloride 500 MG Extended Release Oral Tablet"),
    Drug("314231", "Simvastatin 10 MG Oral Tablet"),
    Drug("310798", "Hydrochlorothiazide 25 MG Oral Tablet"),
    Drug("351137", "albuterol 0.21 MG/ML Inhalation Solution"),
    Drug("313782", "Acetaminophen 325 MG Oral Tablet"),
    Drug("308192", "Amoxicillin 500 MG Oral Tablet"),
    Drug("866412", "24 HR metoprolol succinate 100 MG Extended Release Oral Tablet"),
    Drug("310325", "ferrous sulfate 325 MG Oral Tablet"),
    Drug("997488", "Fexofenadine hydrochloride 30 MG Oral Tablet"),
    Drug("562251", "Amoxicillin 250 MG / Clavulanate 125 MG Oral Tablet"),
)

VITALS: tuple[Measure, ...] = (
    Measure("8867-4", "Heart rate", 58, 98, "/min", 0),
    Measure("9279-1", "Respiratory rate", 12, 19, "/min", 0),
    Measure("29463-7", "Body Weight", 52, 118, "kg", 1),
    Measure("8302-2", "Body Height", 150, 192, "cm", 1),
    Measure("39156-5", "Body mass index (BMI) [Ratio]", 19, 36, "kg/m2", 2),
    Measure(
        "72514-3",
        "Pain severity - 0-10 verbal numeric rating [Score] - Reported",
        0,
        4,
        "{score}",
        0,
    ),
)
BLOOD_PRESSURE = Code(
    "http://loinc.org", "85354-9", "Blood pressure panel with all children optional"
)
SYSTOLIC = Measure("8480-6", "Systolic Blood Pressure", 104, 150, "mm[Hg]", 0)
DIASTOLIC = Measure("8462-4", "Diastolic Blood Pressure", 62, 94, "mm[Hg]", 0)

LABS: tuple[Measure, ...] = (
    Measure("2339-0", "Glucose [Mass/volume] in Blood", 68, 140, "mg/dL", 1),
    Measure("6299-2", "Urea nitrogen [Mass/volume] in Blood", 7, 21, "mg/dL", 1),
    Measure("38483-4", "Creatinine [Mass/volume] in Blood", 0.6, 1.3, "mg/dL", 2),
    Measure("2947-0", "Sodium [Moles/volume] in Blood", 136, 145, "mmol/L", 1),
    Measure("6298-4", "Potassium [Moles/volume] in Blood", 3.6, 5.1, "mmol/L", 1),
    Measure("2069-3", "Chloride [Moles/volume] in Blood", 98, 107, "mmol/L", 1),
    Measure("20565-8", "Carbon dioxide, total [Moles/volume] in Blood", 21, 30, "mmol/L", 1),
    Measure("718-7", "Hemoglobin [Mass/volume] in Blood", 11.5, 17, "g/dL", 1),
)

ROUTINE_PROCEDURES: tuple[Code, ...] = (
    Code("http://snomed.info/sct", "430193006", "Medication Reconciliation (procedure)"),
    Code("http://snomed.info/sct", "171207006", "Depression screening (procedure)"),
    Code(
        "http://snomed.info/sct",
        "710824005",
        "Assessment of health and social care needs (procedure)",
    ),
    Code("http://snomed.info/sct", "428211000124100", "Assessment of substance use (procedure)"),
    Code("http://snomed.info/sct", "710841007", "Assessment of anxiety (procedure)"),
    Code("http://snomed.info/sct", "5880005", "Physical examination procedure (procedure)"),
    Code("http://snomed.info/sct", "398171003", "Hearing examination (procedure)"),
    Code("http://snomed.info/sct", "73761001", "Colonoscopy"),
    Code("http://snomed.info/sct", "117015009", "Throat culture (procedure)"),
)

ALLERGENS: tuple[Code, ...] = (
    Code("http://snomed.info/sct", "84489001", "Mold (organism)"),
    Code("http://snomed.info/sct", "442571000124108", "Tree nut (substance)"),
    Code("http://snomed.info/sct", "111088007", "Latex (substance)"),
    Code("http://snomed.info/sct", "264287008", "Animal dander (substance)"),
    Code("http://snomed.info/sct", "260147004", "House dust mite (organism)"),
    Code("http://snomed.info/sct", "288328004", "Bee venom (substance)"),
    Code("http://snomed.info/sct", "102263004", "Eggs (edible) (substance)"),
    Code("http://www.nlm.nih.gov/research/umls/rxnorm", "10831", "Sulfamethoxazole / Trimethoprim"),
)

VISIT_TYPES: tuple[Code, ...] = (
    Code("http://snomed.info/sct", "185349003", "Encounter for check up (procedure)"),
    Code("http://snomed.info/sct", "162673000", "General examination of patient (procedure)"),
    Code("http://snomed.info/sct", "185345009", "Encounter for symptom (procedure)"),
)

GIVEN_FEMALE = (
    "Amelia", "Sofia", "Grace", "Ines", "Hana", "Lucia", "Maya", "Nora", "Olivia", "Priya",
    "Rosa", "Selma", "Talia", "Vera", "Yara", "Zoe", "Aiko", "Bea", "Chloe", "Dalia",
)  # fmt: skip
GIVEN_MALE = (
    "Aaron", "Bruno", "Caleb", "Dmitri", "Elias", "Felix", "Goran", "Henrik", "Idris", "Jonah",
    "Kofi", "Luis", "Mateo", "Nikhil", "Omar", "Pavel", "Quinn", "Rafael", "Samuel", "Tomas",
)  # fmt: skip
FAMILY = (
    "Abara", "Bergstrom", "Castillo", "Dimitrov", "Eriksen", "Fontaine", "Gallagher", "Haddad",
    "Ivanova", "Jensen", "Kowalski", "Lindqvist", "Moreau", "Nakamura", "Okafor", "Petrov",
    "Quintero", "Rahman", "Silva", "Tanaka", "Ueda", "Valdez", "Weber", "Xu", "Yilmaz", "Zeller",
)  # fmt: skip
CITIES = (
    ("Boston", "MA", "02118"), ("Worcester", "MA", "01608"), ("Springfield", "MA", "01103"),
    ("Lowell", "MA", "01852"), ("Cambridge", "MA", "02139"), ("Quincy", "MA", "02169"),
)  # fmt: skip
