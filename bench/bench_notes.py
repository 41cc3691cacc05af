"""Reading clinical notes: accuracy on the annotated corpus, and cost. Run by `make bench`.

1. Precision and recall per category on the development corpus (tests/notes/corpus, the one the
   reader was tuned on) and on the held-out set (tests/notes/heldout, written after tuning; see
   docs/clinical-notes.md for its first-run figures). For the categories whose mentions are not
   findings of the patient now (negated, hypothetical, historical, other-person), the share of
   items read as a finding anyway (target <= 2%).
2. Cost, for one patient with five typical notes of about 2 kB each (therapy, nursing, physician,
   radiology, duplex), median of --runs timed runs, a warm-up first:
   - read + evaluate: `read_bundle` (JSON to record, the notes read cold: the reader's sentence
     cache is cleared before each run) then `evaluate`;
   - the same Bundle without its notes;
   - `evaluate` alone on the record with the notes' findings (what the app does on a page view).
   The one-time import of spaCy and medspaCy is shown on its own.
"""

from __future__ import annotations

import argparse
import base64
import statistics
import time
from datetime import date
from pathlib import Path
from typing import Any

import orjson

from hosentinel.core.engine import evaluate
from hosentinel.fhir.importer import read_bundle
from hosentinel.knowledge.loader import Knowledge, load_knowledge
from hosentinel.testing import notes_corpus as nc

ROOT = Path(__file__).resolve().parents[1]

PT = """PHYSICAL THERAPY DAILY NOTE
Subjective: Pt is a 34 yo M s/p T6 complete SCI 6 weeks ago. Pt c/o pain in R hip with transfers.
Wife at bedside. Denies fever or chills.
Objective:
Vitals stable. Skin intact over sacrum.
R hip: warmth and swelling noted over anterior thigh, TTP over greater trochanter.
L hip: no swelling, no warmth.
PROM R hip flexion 80 deg, previously 110 deg. PROM L hip flexion 110 deg.
Knees: B/L knee flexion WFL. Elbows WFL.
Spasticity: MAS 2 in B/L LE, increased tone in hip adductors.
Assessment: Decreased R hip ROM with warmth and swelling, concerning for HO vs DVT. MD notified.
Plan: Continue gentle PROM, positioning, transfer training. Will monitor for redness or increased
swelling. Consider duplex US of RLE per MD.
Pt education provided on signs to watch for: warmth, swelling, loss of motion. Pt verbalized
understanding.
Family history: mother had DVT. No h/o HO.
Time in: 0900 Time out: 0945. Treatment 45 min: therex 15, neuro re-ed 15, transfers 15.
Treatment: supine PROM B/L hips and knees within pain-free range, 2x10 each, gentle end range
holds of 10 sec at the R hip, no forceful stretching. Bed mobility training with log roll, rolling
L and R with mod A using bed rail. Supine to sit with max A x1, sitting balance EOB 5 min with
close SBA and B/L UE support. Slide board transfer bed to w/c with mod A x2, cues for head-hips
relationship. W/c positioning reviewed: hips at 90 deg, cushion inflated, pressure relief every
15 min. Pt tolerated session fair, limited by R hip pain with flexion past 80 deg.
Goals: 1. Pt will transfer bed to w/c with min A in 2 weeks. 2. Pt will maintain hip flexion >= 90
deg. 3. Pt will be independent with pressure relief.
"""
NURSING = """NURSING SHIFT NOTE 0700-1900
Neuro: A&O x4. Sensation absent below T6. Pain 4/10 R hip, medicated with acetaminophen 650 mg PO.
Cardiac: HR 88 regular, BP 112/70. Extremities warm, cap refill < 3 sec. Pedal pulses palpable.
Resp: lungs clear bilaterally, RA sat 97%, IS x10 q1h while awake.
GI: abd soft, BS active. Bowel program completed with good result.
GU: intermittent cath q6h, urine clear yellow. No s/s UTI.
Skin: sacrum and heels intact, Braden 14, turned q2h, pressure relief in w/c q15 min.
MSK: R thigh circumference 2 cm larger than L, R hip warm to touch. L leg without edema.
Calves soft and nontender bilaterally. No redness noted.
Psychosocial: wife visited, pt in good spirits, watching TV.
Safety: bed low and locked, call light within reach, fall precautions maintained.
Education: reviewed signs of DVT and HO with pt and wife, watch for swelling, warmth, redness
of legs and joints. Pt and wife verbalized understanding.
Intake/output: PO intake 1800 mL, cath output 1650 mL. Weight stable.
Lines: PIV L forearm, site clean, dry and intact, flushed, no phlebitis.
Activity: OOB to w/c x2 with PT/OT, tolerated 2 hours each. Repositioned q2h in bed with pillows
between knees; heels floated. ROM to all extremities per therapy handout, R hip limited by pain.
Med admin: enoxaparin 40 mg SQ given at 0900 in abdomen, baclofen 10 mg PO at 0800, 1400.
Bowel: program with suppository at 2000 per routine, large soft BM. Skin check done with wife.
Plan: continue to monitor R hip, notify MD of any increase in swelling. Duplex RLE ordered by MD.
"""
PHYSICIAN = """PM&R PROGRESS NOTE
Interval history: 34M with T6 AIS A SCI 6 weeks ago after MVC. Therapy reports new R hip warmth,
swelling and loss of flexion over the past week. No fever. No new falls.
Meds: enoxaparin 40 mg daily (DVT prophylaxis), baclofen 10 mg TID, acetaminophen PRN.
Exam: T 37.6. R hip with warmth and fullness of the anterior thigh. R hip flexion limited to
85 degrees with a firm end feel. L hip full ROM. Knees and ankles without effusion.
Labs: ALP 145 (H), CRP 22 (H). CK normal.
A/P: Suspected early neurogenic HO of the R hip. DVT must be excluded first: venous duplex RLE
today. Triple-phase bone scan to confirm. If duplex negative and bone scan positive, start
indomethacin 25 mg TID unless contraindicated; discuss with team. Continue gentle PROM.
Family meeting planned. Spasticity controlled on baclofen.
Past history: appendectomy 2010. No prior HO. Father with hypertension.
ROS: denies chest pain, shortness of breath, abdominal pain, headache. Sleeps poorly due to hip
pain at night. Mood fair, engaged in therapy. Bladder via IC q6h, bowel program effective.
Functional status: mod A for transfers, max A for LB dressing, independent w/c propulsion on level
surfaces. Sitting tolerance 2 hours.
Social: lives with wife in a one-level home with 3 steps to enter, planning ramp. Works as a
mechanic. Non-smoker.
Discussed with attending, who agrees with plan. Time spent 35 minutes, more than half counseling.
"""
BONE_SCAN = """EXAM: NM BONE SCAN THREE PHASE, PELVIS AND RIGHT HIP
CLINICAL INDICATION: 34 year old male with spinal cord injury, right hip swelling and decreased
range of motion. Evaluate for heterotopic ossification.
TECHNIQUE: 25 mCi Tc-99m MDP IV. Dynamic flow images of the pelvis, blood pool images, and
delayed whole body and spot images at 3 hours.
COMPARISON: Radiographs of the right hip from 2 weeks prior, which showed no heterotopic
ossification.
FINDINGS: Flow and blood pool phases show increased radiotracer activity in the soft tissues
anterior and lateral to the right hip. Delayed images show increased uptake in the same region.
The left hip is normal. Expected physiologic activity in the kidneys and bladder. No abnormal
uptake in the spine to suggest fracture.
IMPRESSION: Increased activity in all three phases in the soft tissues about the right hip,
consistent with early heterotopic ossification. No evidence of heterotopic ossification at the
left hip.
Note: Bone scintigraphy is more sensitive than radiographs in the first weeks of HO; follow-up
radiographs in 3 to 6 weeks may show early mineralization. Correlate with ALP and clinical course.
Dose: 25.1 mCi Tc-99m MDP administered in the L antecubital vein at 0810, no extravasation.
Images reviewed on PACS workstation. Preliminary result called to the ordering team at 1130.
Report finalized after review of comparison radiographs and the referring physician's question.
Electronically signed by radiologist.
"""
DUPLEX = """EXAM: US DUPLEX VENOUS RIGHT LOWER EXTREMITY
INDICATION: right thigh swelling, evaluate for deep venous thrombosis.
TECHNIQUE: Grayscale, color and spectral Doppler imaging of the deep veins of the right lower
extremity from the common femoral vein to the calf veins, with compression.
FINDINGS: The right common femoral, femoral and popliteal veins are fully compressible with normal
color flow and phasicity. The posterior tibial and peroneal veins are patent. No intraluminal
thrombus. Soft tissue edema is noted in the anterior thigh. A heterogeneous soft tissue
collection is not seen. The contralateral common femoral vein shows normal phasic flow.
IMPRESSION: No evidence of deep venous thrombosis in the right lower extremity. Soft tissue edema
of the right thigh.
Technologist note: patient examined supine with reverse Trendelenburg, limited by spinal cord
injury; the calf veins were imaged with the knee slightly flexed. Exam quality adequate.
Measurements: right thigh circumference not measured. No Baker cyst. Inguinal lymph nodes normal.
Right great saphenous vein compressible. Left common femoral vein compressible with normal flow.
Preliminary results given to the nurse at 1045; final report to follow in PACS.
Results discussed with the ordering provider.
"""
NOTES = (PT, NURSING, PHYSICIAN, BONE_SCAN, DUPLEX)


TYPES = (
    "Physical therapy note",
    "Nursing note",
    "Physical medicine and rehabilitation progress note",
    "NM bone scan three phase",
    "US duplex venous right lower extremity",
)


def _resource(index: int, text: str) -> dict[str, Any]:
    return {
        "resourceType": "DocumentReference",
        "id": f"note{index}",
        "status": "current",
        "type": {"text": TYPES[index]},
        "subject": {"reference": "Patient/p1"},
        "date": f"2026-11-{24 + index:02d}T09:00:00Z",
        "content": [
            {
                "attachment": {
                    "contentType": "text/plain; charset=utf-8",
                    "data": base64.b64encode(text.encode()).decode(),
                }
            }
        ],
    }


def _bundle(with_notes: bool) -> bytes:
    entries: list[dict[str, Any]] = [
        {"resource": {"resourceType": "Patient", "id": "p1", "gender": "male"}},
        {
            "resource": {
                "resourceType": "Condition",
                "id": "sci",
                "subject": {"reference": "Patient/p1"},
                "code": {
                    "coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "S24.111A"}]
                },
                "onsetDateTime": "2026-10-20",
            }
        },
    ]
    if with_notes:
        entries += [{"resource": _resource(i, t)} for i, t in enumerate(NOTES)]
    return orjson.dumps({"resourceType": "Bundle", "type": "collection", "entry": entries})


# `--clock cpu`: this process's CPU time instead of the wall clock, steadier on a loaded machine.
CLOCK = {"wall": time.perf_counter_ns, "cpu": time.process_time_ns}
_clock = CLOCK["wall"]


def _median_ms(runs: int, call: Any, before: Any = None) -> float:
    times: list[float] = []
    call()
    for _ in range(runs):
        if before is not None:
            before()
        start = _clock()
        call()
        times.append((_clock() - start) / 1e6)
    return statistics.median(times)


def accuracy(knowledge: Knowledge) -> None:
    for label, folder in (("development corpus", "corpus"), ("held-out set", "heldout")):
        nc.CORPUS = ROOT / "tests" / "notes" / folder
        items = nc.load()
        scores = nc.score(items, knowledge)
        print(f"\n{label} ({len(items)} items, tests/notes/{folder})")
        print(
            f"  {'category':15} {'items':>5} {'precision':>9} {'recall':>6} {'read as finding':>15}"
        )
        for category, s in sorted(scores.items(), key=lambda kv: (kv[0] == "all", kv[0])):
            rate = f"{s.false_finding_rate:.1%}" if category in nc.NOT_NOW else ""
            print(f"  {category:15} {s.items:5} {s.precision:9.2f} {s.recall:6.2f} {rate:>15}")


def cost(knowledge: Knowledge, runs: int) -> None:
    from hosentinel.notes.context import context_for
    from hosentinel.notes.extract import clear_cache
    from hosentinel.notes.vocab import vocabulary

    start = time.perf_counter()
    context = context_for(vocabulary(knowledge).context)
    context.load()  # (the pipeline is otherwise built on the first sentence that needs it)
    print(
        f"\nfirst use of spaCy + medspaCy (import, pipeline): {time.perf_counter() - start:.2f} s"
    )
    with_notes, without = _bundle(True), _bundle(False)
    print(f"five notes: {', '.join(str(len(t.encode())) for t in NOTES)} bytes")
    as_of = date(2026, 12, 2)

    def clear() -> None:
        context.assert_spans.cache_clear()
        clear_cache()

    def full(raw: bytes) -> Any:
        return lambda: evaluate(read_bundle(raw, knowledge), knowledge, as_of)

    record = read_bundle(with_notes, knowledge)
    read = sum(o.evidence is not None for o in record.observations)
    print(f"findings read from the five notes: {read}")
    figures = {
        "read + evaluate, five notes (cold)": _median_ms(runs, full(with_notes), clear),
        "read + evaluate, five notes (sentences cached)": _median_ms(runs, full(with_notes)),
        "read + evaluate, same Bundle without notes": _median_ms(runs, full(without)),
        "evaluate alone, record with the notes' findings": _median_ms(
            runs, lambda: evaluate(record, knowledge, as_of)
        ),
    }
    for label, ms in figures.items():
        print(f"  {label:50} median {ms:7.2f} ms")
    print("  target: evaluate with five 2 kB notes < 20 ms median")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--clock", choices=sorted(CLOCK), default="wall")
    parser.add_argument("--only", choices=["cost", "accuracy"])
    args = parser.parse_args()
    global _clock
    _clock = CLOCK[args.clock]
    knowledge = load_knowledge()
    if args.only != "accuracy":
        cost(knowledge, args.runs)
    if args.only != "cost":
        accuracy(knowledge)


if __name__ == "__main__":
    main()
