"""Clinical notes for `hosentinel synth`: a share of patients get therapy and nursing notes.

Each noted patient gets one to three DocumentReferences (text/plain, base64) in the 30 days
before the export date, assembled from the sentences below: about a third state HO signs or a
loss of motion at one joint and side (positives), the rest only negated, hypothetical,
historical, other-person or unmeasured mentions and ordinary therapy text (negatives), so that
screening meets both. Drawn from the patient's own stream (seed, "notes", patient number): the
rest of the export is the same bytes with or without notes.
"""

from __future__ import annotations

import base64
import random
from datetime import date, timedelta
from typing import Any

_SIDES = (("right", "R"), ("left", "L"))
_JOINTS = ("hip", "knee", "elbow", "shoulder")
_POSITIVE = (
    "{S} {joint} warm and swollen, TTP over the joint.",
    "Pt c/o pain in {side} {joint} with PROM; {S} {joint} warm to touch.",
    "New swelling of the {side} {joint} noted by nursing this AM.",
    "PROM {S} {joint} flexion {now} deg, previously {before} deg.",
    "Erythema and edema over the {side} {joint}.",
)
_NEGATIVE = (
    "No swelling, warmth or redness of either {joint}.",
    "Monitor {S} {joint} for swelling or warmth each shift.",
    "Pt educated on signs to watch for: warmth, swelling, loss of motion.",
    "Family history: mother with {side} {joint} pain.",
    "H/o {side} {joint} pain years ago, resolved.",
    "B/L {joint} flexion WFL.",
    "Denies pain in the {side} {joint}.",
    "Goal: {S} {joint} flexion {before} degrees in 4 weeks.",
)
_ORDINARY = (
    "Vitals stable. Skin intact, turned q2h.",
    "Transfers bed to w/c with mod A, slide board, cues for sequencing.",
    "Pt tolerated session fair; rest breaks as needed.",
    "Bowel and bladder program per routine. Pressure relief every 15 min in w/c.",
    "Continue PROM, positioning and transfer training per plan of care.",
    "Wife at bedside, questions answered.",
)
_KINDS = ("Physical therapy note", "Occupational therapy note", "Nursing note")


def notes_for(
    seed: int, index: int, patient_id: str, as_of: date, share: float
) -> list[dict[str, Any]]:
    """The DocumentReferences of patient `index` (none unless it falls in `share`)."""
    rng = random.Random(f"{seed}:notes:{index}")
    if rng.random() >= share:
        return []
    positive = rng.random() < 1 / 3
    joint = rng.choice(_JOINTS)
    side, short = rng.choice(_SIDES)
    before = rng.choice((100, 110, 120, 130))
    words = {"joint": joint, "side": side, "S": short, "before": before, "now": before - 30}
    out: list[dict[str, Any]] = []
    for number in range(rng.randint(1, 3)):
        lines = [rng.choice(_ORDINARY) for _ in range(rng.randint(2, 4))]
        lines += [rng.choice(_NEGATIVE).format(**words) for _ in range(rng.randint(1, 3))]
        if positive and number == 0:
            lines.insert(1, rng.choice(_POSITIVE).format(**words))
        rng.shuffle(lines)
        day = as_of - timedelta(days=rng.randint(0, 30))
        text = f"{rng.choice(_KINDS).upper()}\n" + "\n".join(lines) + "\n"
        out.append(
            {
                "resourceType": "DocumentReference",
                "id": f"{patient_id}-note-{number}",
                "status": "current",
                "type": {"text": rng.choice(_KINDS)},
                "subject": {"reference": f"Patient/{patient_id}"},
                "date": f"{day.isoformat()}T10:00:00-05:00",
                "content": [
                    {
                        "attachment": {
                            "contentType": "text/plain; charset=utf-8",
                            "data": base64.b64encode(text.encode()).decode(),
                        }
                    }
                ],
            }
        )
    return out
