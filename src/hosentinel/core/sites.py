"""Where a coded entry is, read from the structure of its ICD-10-CM code.

ICD-10-CM puts the site and side inside many codes. Only the layouts the engine needs are read:
- M25.4/M25.5/M25.6 (effusion, pain, stiffness of joint): M25.5[site][side], site 1 shoulder,
  2 elbow, 5 hip, 6 knee; side 1 right, 2 left.
- M61.x (ossification of muscle): M61.x[site][side], site 1 shoulder, 2 upper arm (which in
  ICD-10-CM's musculoskeletal chapter includes the elbow joint), 5 pelvic region and thigh (hip HO
  codes here), 6 lower leg (which includes the knee joint); forearm, hand and foot name no joint
  the engine follows and are left unknown.
- I82.4 (DVT of a lower limb): side in the 6th character, 1 right, 2 left, 3 bilateral (read by
  `sides_named`, since a site holds one side).
- R22.3/R22.4 (localised swelling of upper / lower limb): side in the 6th character.
- Fractures, dislocations, burns of a limb and joint implants (S32.4, S42, S52, S53, S72, S82,
  T22, T24, Z96.6): side in the 6th character (1 right, 2 left).
Note the WHO ICD-10 layout differs (its 5th character is the site); only ICD-10-CM is read here.
"""

from __future__ import annotations

from hosentinel.core.record import BodySite, Joint, Side

_M25_SITES: dict[str, Joint] = {"1": "shoulder", "2": "elbow", "5": "hip", "6": "knee"}
_M61_SITES: dict[str, Joint] = {"1": "shoulder", "2": "elbow", "5": "hip", "6": "knee"}
_SIDES: dict[str, Side] = {"1": "right", "2": "left"}
_SIDE_IN_SIXTH = ("S32.4", "S42", "S52", "S53", "S72", "S82", "T22", "T24", "Z96.6", "I82.4")


def _compact(code: str) -> str:
    return code.upper().replace(".", "")


def icd10cm_site(code: str) -> BodySite:
    """The joint and side an ICD-10-CM code names, as far as its layout says."""
    compact = _compact(code)
    if compact[:4] in ("M254", "M255", "M256") and len(compact) >= 6:
        return BodySite(joint=_M25_SITES.get(compact[4]), side=_SIDES.get(compact[5]))
    if compact.startswith("M61") and len(compact) >= 6:
        return BodySite(joint=_M61_SITES.get(compact[4]), side=_SIDES.get(compact[5]))
    if compact[:4] in ("R223", "R224") and len(compact) >= 5:
        return BodySite(side=_SIDES.get(compact[4]))
    dotted = code.upper()
    if dotted.startswith(_SIDE_IN_SIXTH) and len(compact) >= 6:
        return BodySite(side=_SIDES.get(compact[5]))
    return BodySite()


def sides_named(code: str) -> frozenset[Side]:
    """The sides an ICD-10-CM code names, "bilateral" (6th character 3) as both."""
    compact = _compact(code)
    if code.upper().startswith(_SIDE_IN_SIXTH) and len(compact) >= 6:
        if compact[5] == "3":
            return frozenset(("left", "right"))
        side = _SIDES.get(compact[5])
        return frozenset((side,)) if side else frozenset()
    found = icd10cm_site(code).side
    return frozenset((found,)) if found else frozenset()


def merge(primary: BodySite, fallback: BodySite) -> BodySite:
    """The primary site, with any part it lacks taken from the fallback."""
    return BodySite(joint=primary.joint or fallback.joint, side=primary.side or fallback.side)
