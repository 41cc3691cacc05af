"""The engine's own rules (the knowledge base's rules are its risk factors and drug cautions).

Every `basis.rule` the engine writes is either a knowledge rule (`risk-factor:<id>`,
`caution:<id>`, `finding:<sign>`) or one of these. The test suite holds a must-fire and a
must-not-fire case for each, and checks that the engine writes no rule missing from this list.
"""

from __future__ import annotations

ENGINE_RULES: dict[str, str] = {
    "index-event": "An injury or operation that starts HO surveillance.",
    "joint-due": "A joint of the population is due for examination in the window.",
    "suspicion-site": "A joint (or limb) shows findings of HO.",
    "finding:rom-loss": "Range of motion fell by the local threshold from the joint's best value.",
    "finding:pain": "Joint pain recorded within the look-back.",
    "finding:swelling": "Joint swelling (bedside finding or coded effusion) within the look-back.",
    "finding:warmth": "Warmth over the joint within the look-back.",
    "finding:redness": "Redness over the joint within the look-back.",
    "finding:stiffness": "Joint stiffness coded on the problem list within the look-back.",
    "finding:leg-swelling": "Localised swelling of a leg coded within the look-back.",
    "finding:limb-swelling": "Localised swelling of a limb (not a leg) coded within the look-back.",
    "finding:fever": "Fever, adding to a site that has another finding.",
    "finding:coded-ho": "HO coded on the problem list.",
    "finding:bone-scan-ho": "Bone scan positive for HO.",
    "finding:radiograph-ho": "Radiograph shows HO.",
    "risk-model": "A published model for the population, listed with its status.",
    "lesion-maturity": "Maturity and referral of a confirmed lesion.",
    "education-stage": "Education modules for the patient's stage.",
    "recommend:joints-due": "Serial joint examination through the window.",
    "recommend:swollen-lower-limb": "A swollen leg: rule out DVT first.",
    "dvt-answered": "A swollen leg whose DVT question a coded, confirmed DVT on that side or a "
    "duplex (`dvt` finding) on that side, on or after the swelling, has answered.",
    "recommend:fever-or-inflamed-joint": "Fever, warmth or redness: consider infection.",
    "recommend:suspected-no-scan": "Suspected HO without a bone scan: order one.",
    "recommend:negative-scan-signs-persist": "Negative scan, signs since: repeat the scan.",
    "recommend:radiograph-too-early-for-ho": "Before the radiograph can show HO (tests entry "
    "informative_from_days, from the episode's start) it only rules out a fracture.",
    "recommend:radiograph-informative": "Once a radiograph can show HO it is offered.",
    "recommend:suspected-hip": "Suspected hip HO: ultrasound can support it.",
    "recommend:baseline-radiograph-for-maturity": "Confirmed HO without a radiograph: baseline.",
    "recommend:supportive-lab": "ALP, CRP (and CK when suspected) not measured recently.",
    "recommend:suspected-or-confirmed": "Probable or confirmed HO: gentle ROM therapy.",
    "recommend:joint-pain": "Joint pain: pain management.",
    "recommend:spasticity": "Spasticity during the window or with HO: manage it.",
    "recommend:function-limited-mature": "Mature HO that limits function: refer now.",
    "recommend:referral-now": "Referral now: CT to plan surgery.",
    "recommend:function-limited-not-mature": "HO limits function but is not mature: plan referral.",
    "recommend:after-excision": "After excision: examine for recurrence, keep the joint moving.",
    "recommend:drug-early-ho": "Early HO (scan positive, radiograph not yet): drug options whose "
    "evidence covers the population.",
    "recommend:drug-active-ho": "Active HO: drug options whose evidence covers the population.",
    "recommend:drug-prophylaxis-hip-surgery": "High-risk hip surgery: NSAID or radiation "
    "prophylaxis within its time limit.",
    "recommend:drug-post-excision": "Soon after HO excision: prophylaxis options whose evidence "
    "covers the population.",
}

# Rules that describe the whole patient and are written on every assessment.
STRUCTURAL_RULES: dict[str, str] = {
    "risk-level": "The risk level from the counted factors.",
    "surveillance-window": "The surveillance phase and window.",
}

KNOWLEDGE_RULE_PREFIXES = ("risk-factor:", "caution:")
