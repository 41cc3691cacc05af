"""Put back the clinical bugs of issue 20, one at a time, and check a test fails on each.

Each bug is a one-line edit of core/ or of the knowledge data, applied to a private copy of src/
(the worktree is never touched); the tests named by `--tests` run against that copy. A bug that no
test catches is listed as MISSED and the script exits 1. A bug whose text is no longer in the
source (the code was rewritten) is listed as STALE: re-plant it by hand in the new code.

    python scripts/planted_bugs.py [--tests "tests/core/test_boundaries.py ..."] [--only TEXT]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORE = "src/hosentinel/core/"
DATA = "src/hosentinel/knowledge/data/"
NEW_TESTS = (
    "tests/core/test_boundaries.py tests/knowledge/test_condition_examples.py "
    "tests/knowledge/test_rule_examples.py tests/knowledge/test_loader_checks.py "
    "tests/core/test_basis_details.py tests/core/test_clinical_safety.py "
    "tests/core/test_pathway_edges.py tests/core/test_reading_edges.py"
)

# (theme, file, the correct text, the bug)
BUGS: list[tuple[str, str, str, str]] = [
    ("window closes a day early (day 365)", CORE + "surveillance.py",
     "open_now = [w for w in windows if w[1] <= as_of <= w[2]]",
     "open_now = [w for w in windows if w[1] <= as_of < w[2]]"),
    ("window opens a day late (day 14)", CORE + "surveillance.py",
     "open_now = [w for w in windows if w[1] <= as_of <= w[2]]",
     "open_now = [w for w in windows if w[1] < as_of <= w[2]]"),
    ("window start moved in the data (day 14)", DATA + "index_events.yaml",
     "window_start_days: 14", "window_start_days: 15"),
    ("window end moved in the data (12 months)", DATA + "index_events.yaml",
     "window_end_months: 12", "window_end_months: 11"),
    ("joint due today shown as overdue", CORE + "surveillance.py",
     "overdue=due_day < as_of,", "overdue=due_day <= as_of,"),
    ("ROM loss exactly at the threshold not counted", CORE + "suspicion.py",
     "if loss >= threshold:", "if loss > threshold:"),
    ("ALP equal to the upper reference limit counted as raised", CORE + "lesions.py",
     "return obs.value_quantity <= obs.reference_high,",
     "return obs.value_quantity < obs.reference_high,"),
    ("CKD stage 3 eGFR bound moved (N18.30 renal cautions lost)", CORE + "clauses.py",
     '"3": 59,', '"3": 60,'),
    ("fever dropped from the infection signs", CORE + "workup.py",
     'if f.id in ("fever", "redness", "warmth")]', 'if f.id in ("redness", "warmth")]'),
    # The policy changed in issue 12: the at-risk handout needs a raised risk AND an open or
    # coming window; each half of the condition dropped alone is a bug.
    ("at-risk education for a low-risk patient in the window", CORE + "education.py",
     'if surveillance.phase in ("before-window", "in-window") and risk_level != "low":',
     'if surveillance.phase in ("before-window", "in-window"):'),
    ("at-risk education after the window at moderate risk", CORE + "education.py",
     'if surveillance.phase in ("before-window", "in-window") and risk_level != "low":',
     'if risk_level != "low":'),
    ("etidronate caution loses its GI-bleed branch", DATA + "drugs.yaml",
     "when: {any_of: [{active_concept: peptic-ulcer}, {active_concept: gi-bleed}]}",
     "when: {any_of: [{active_concept: peptic-ulcer}]}"),
    ("etidronate caution loses its peptic-ulcer branch", DATA + "drugs.yaml",
     "when: {any_of: [{active_concept: peptic-ulcer}, {active_concept: gi-bleed}]}",
     "when: {any_of: [{active_concept: gi-bleed}]}"),
    ("NSAID fracture caution loses its acetabulum branch", DATA + "drugs.yaml",
     "            - {recent_concept: {concept: fracture-acetabulum, within_days_setting: "
     "fracture_healing_days}}\n", ""),
    ("alendronate hypocalcaemia loses its lab branch", DATA + "drugs.yaml",
     "{any_of: [{active_concept: hypocalcaemia}, {lab_flag_low: calcium}]}",
     "{any_of: [{active_concept: hypocalcaemia}]}"),
    ("THA osteoporosis factor loses its hip-arthroplasty condition", DATA
     + "risk_factors/arthroplasty.yaml",
     "when: {all_of: [{concept: arthroplasty-hip}, {concept: osteoporosis}]}",
     "when: {all_of: [{concept: osteoporosis}]}"),
    ("terrible triad loses its dislocation condition", DATA + "risk_factors/fracture.yaml",
     "{all_of: [{concept: elbow-dislocation}, {concept: radial-head-fracture}, "
     "{concept: coronoid-fracture}]}",
     "{all_of: [{concept: radial-head-fracture}, {concept: coronoid-fracture}]}"),
    ("a sign on the last look-back day dropped", CORE + "suspicion.py",
     "if latest.value_bool and (latest.effective is None or latest.effective >= since):",
     "if latest.value_bool and (latest.effective is None or latest.effective > since):"),
    ("38.0 °C not a fever", CORE + "suspicion.py", "if celsius >= limit:", "if celsius > limit:"),
    ("eGFR equal to the cut-off cautioned", CORE + "clauses.py",
     "if latest.observation.value_quantity < limit:",
     "if latest.observation.value_quantity <= limit:"),
    ("recent fracture / CABG: last day of the period dropped", CORE + "clauses.py",
     "if f.start is not None and f.start >= since]", "if f.start is not None and f.start > since]"),
    ("coma of exactly 15 days not counted", CORE + "clauses.py",
     "if days >= min_days:", "if days > min_days:"),
    ("pregnancy of exactly 20 weeks not counted", CORE + "clauses.py",
     "elif weeks >= min_weeks:", "elif weeks > min_weeks:"),
    ("three findings not probable", CORE + "suspicion.py",
     "or len(kinds) >= probable_min:", "or len(kinds) > probable_min:"),
    ("radiograph offered for HO a day late", CORE + "workup.py",
     "if days is not None and days < informative:", "if days is not None and days <= informative:"),
    ("radiation prophylaxis window a day short", CORE + "drug_options.py",
     "if need.days_since is None or need.days_since > limit:",
     "if need.days_since is None or need.days_since >= limit:"),
    ("post-excision follow-up a day short", CORE + "management.py",
     "if fact.start is None or (ctx.as_of - fact.start).days > follow_up:",
     "if fact.start is None or (ctx.as_of - fact.start).days >= follow_up:"),
    ("post-excision drug options a day short", CORE + "drug_options.py",
     "if fact.start is None or (ctx.as_of - fact.start).days > follow_up:",
     "if fact.start is None or (ctx.as_of - fact.start).days >= follow_up:"),
    ("two risk factors not high", CORE + "risk.py",
     "len(hits) >= min_factors", "len(hits) > min_factors"),
    ("gestational age not counted on from its date", CORE + "clauses.py",
     "return weeks_then + (as_of - fact.start).days // 7", "return weeks_then"),
    ("a recent_concept's concept no longer checked by the loader",
     "src/hosentinel/knowledge/loader.py",
     'yield "concept", clause.recent_concept.concept', "pass"),
    ("baseline radiograph of a confirmed lesion a day late", CORE + "workup.py",
     "if not radiographs and (days is None or days >= informative):",
     "if not radiographs and (days is None or days > informative):"),
    ("the first examination, not the latest, taken as the last", CORE + "surveillance.py",
     "if current is None or (obs.effective or date.min) >= (current.effective or date.min):",
     "if current is None or (obs.effective and date.min) >= (current.effective or date.min):"),
    ("due joints sorted by name", CORE + "surveillance.py",
     "sorted(sources.items(), key=_joint_order)", "sorted(sources.items())"),
    ("a lesion's citations lose its maturity criteria", CORE + "lesions.py",
     "citations += [e.citation for e in maturity_spec.newer_evidence]",
     "citations = [e.citation for e in maturity_spec.newer_evidence]"),
    ("a burn without TBSA band not named missing", CORE + "engine.py",
     'if "burn" in populations and not any(', 'if "burn" in populations and any('),
    ("limb swelling code loses its side", CORE + "sites.py",
     "return BodySite(side=_SIDES.get(compact[4]))", "return BodySite()"),
    ("°F conversion inverted (98.6 °F a fever, 100.9 °F none)",
     DATA + "valuesets/labs-and-medications.yaml",
     "factor: 0.5555555555555556, offset: -17.77777777777778}", "factor: 1.8, offset: 32}"),
    ("evidence graded strong on the point estimate, not the lower bound", CORE + "risk.py",
     "if effect.ci is not None and effect.ci[0] >= ratio_threshold:",
     "if effect.value >= ratio_threshold:"),
    ("a refuted condition kept by the engine", CORE + "facts.py",
     "    if cond.refuted:\n        return\n", ""),
]  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tests", default=NEW_TESTS, help="space-separated test paths")
    parser.add_argument("--only", default="", help="keep bugs whose theme contains this text")
    args = parser.parse_args(argv)
    sandbox = Path(tempfile.mkdtemp(prefix="hos-plant-"))
    missed = 0
    try:
        shutil.copytree(ROOT / "src", sandbox / "src", ignore=shutil.ignore_patterns("__pycache__"))
        env = {**os.environ, "PYTHONPATH": str(sandbox / "src"), "PYTHONDONTWRITEBYTECODE": "1"}
        for theme, file, good, bad in BUGS:
            if args.only not in theme:
                continue
            target = sandbox / file
            original = target.read_text()
            if original.count(good) != 1:
                print(f"STALE   {theme}: {good!r} is not (once) in {file}")
                continue
            target.write_text(original.replace(good, bad))
            try:
                cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
                done = subprocess.run(
                    cmd + args.tests.split(), cwd=ROOT, env=env, capture_output=True, text=True
                )
            finally:
                target.write_text(original)
            failed = [
                ln.split(" - ")[0] for ln in done.stdout.splitlines() if ln.startswith("FAILED")
            ]
            if done.returncode == 0:
                missed += 1
                print(f"MISSED  {theme}")
            else:
                first = failed[0].removeprefix("FAILED ") if failed else done.stdout[-200:]
                print(f"caught  {theme}: {len(failed)} test(s) fail, e.g. {first}", flush=True)
    finally:
        shutil.rmtree(sandbox, ignore_errors=True)
    return 1 if missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
