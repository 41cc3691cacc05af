"""One patient's kept lines -> record -> `evaluate` -> one screening row; and the counts.

Both engines hand over the same thing per patient (`extraction.py`): the lines that can matter,
with the file and position they came from. `Screener.screen` puts them in export order (file name,
then line), decodes them, and builds the record with the very builders `assess` uses
(`hosentinel.fhir.builders`), following `read_bundle` step by step: the first Patient line gives
the patient; a resource about another patient is left out; a resource whose id repeats is read
once; entered-in-error, refuted, cancelled and not-done entries are skipped; a malformed date
skips its resource (as `read_bundle(..., strict_dates=False)`: one bad resource never costs the
patient's row). What `read_bundle` does beyond that is the structural check against the
fhir.resources R4B models: with `validate=True` the screener hands the patient's lines to
`read_bundle` itself (slower: the models are the expensive part).

A patient with no clinical entry at all is assessed once per administrative sex and the row is
reused: `evaluate` reads nothing else from such a record (not the birth date, not the id, which
it only echoes; `tests/screening/test_patients.py` holds it to that).
"""

from __future__ import annotations

import traceback
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

import orjson

from hosentinel.core.assessment import Assessment
from hosentinel.core.engine import evaluate
from hosentinel.core.record import (
    Observation,
    Patient,
    PatientRecord,
    Sex,
)
from hosentinel.fhir.access import as_object
from hosentinel.fhir.access import string as text_of
from hosentinel.fhir.assemble import assemble, unknown_codes
from hosentinel.fhir.builders import BadDate, Context, Record, Skip, build, date_field, deceased_of
from hosentinel.knowledge.loader import Knowledge
from hosentinel.notes.reader import NoteReader
from hosentinel.notes.settle import settle

ROW_COLUMNS = ("patient", "risk_level", "phase", "suspicion", "due", "recommendations")
_SEXES: dict[str, Sex] = {"male": "male", "female": "female", "other": "other"}
_MAX_MESSAGES = 5


@dataclass(frozen=True, slots=True)
class Row:
    """One patient's screening result (the `screen` contract's columns)."""

    patient: str
    risk_level: str
    phase: str
    suspicion: str
    due: (
        str  # "hip-left:2025-03-08 knee-left:2025-03-08": joint-side:date, as the engine lists them
    )
    recommendations: str  # recommendation ids, space-separated, in the engine's order
    # The resources the row was judged on, as a collection Bundle (JSON), when the screen keeps
    # them (`Screener(keep_sources=True)`, for `--into-app`) and the row needs the team.
    source: str | None = None

    def values(self) -> tuple[str, ...]:
        return (
            self.patient,
            self.risk_level,
            self.phase,
            self.suspicion,
            self.due,
            self.recommendations,
        )


def needs_the_team(row: Row) -> bool:
    """The rows the morning worklist shows (`screen --into-app`): patients at moderate or high
    risk, with signs, with exams due, or with any recommendation. The others are the background
    census, whom the team need not see."""
    return (
        row.risk_level in ("moderate", "high")
        or row.suspicion != "none"
        or bool(row.due)
        or bool(row.recommendations)
    )


def row_of(assessment: Assessment) -> Row:
    return Row(
        patient=assessment.patient,
        risk_level=assessment.risk.level,
        phase=assessment.surveillance.phase,
        suspicion=assessment.suspicion.level,
        due=" ".join(
            f"{d.joint}-{d.side}:{d.due.isoformat()}" for d in assessment.surveillance.due
        ),
        recommendations=" ".join(r.id for r in assessment.recommendations),
    )


@dataclass
class Tally:
    """What a screen saw: mergeable across batches and processes (`to_json` / `from_json`)."""

    lines: Counter[tuple[str, str]] = field(default_factory=Counter)  # (file, status) -> lines
    types: Counter[tuple[str, str]] = field(default_factory=Counter)  # (type, status) -> lines
    unreadable: Counter[str] = field(default_factory=Counter)  # file -> lines that did not decode
    results: Counter[tuple[str, str]] = field(default_factory=Counter)  # (column, value) -> rows
    rows: int = 0
    reused_rows: int = 0  # rows of patients without clinical entries, from the per-sex result
    orphan_patients: int = 0  # ids referenced by resources, with no Patient line
    orphan_resources: int = 0
    duplicate_patients: int = 0  # Patient ids on more than one line
    duplicate_resources: int = 0  # resource ids repeated for one patient (read once)
    ignored_resources: int = 0  # skipped as assess skips them, or about another patient
    bad_dates: int = 0  # resources skipped for a malformed date
    invalid_patients: int = 0  # validate=True: the Patient failed the R4B check (no row)
    unknown_codes: int = 0  # codings in a known system that the knowledge base does not know
    failures: int = 0
    messages: list[str] = field(default_factory=list)

    def merge(self, other: Tally) -> None:
        self.lines.update(other.lines)
        self.types.update(other.types)
        self.unreadable.update(other.unreadable)
        self.results.update(other.results)
        for name in _COUNTS:
            setattr(self, name, getattr(self, name) + getattr(other, name))
        room = _MAX_MESSAGES - len(self.messages)
        self.messages.extend(other.messages[: max(room, 0)])

    def bad_lines(self) -> Counter[str]:
        """Lines per file that are not resources (not JSON, or no resourceType), or unreadable."""
        bad: Counter[str] = Counter(self.unreadable)
        for (file, status), n in self.lines.items():
            if status == "bad":
                bad[file] += n
        return bad

    def to_json(self) -> bytes:
        return orjson.dumps(
            {
                "lines": [[f, s, n] for (f, s), n in self.lines.items()],
                "types": [[t, s, n] for (t, s), n in self.types.items()],
                "unreadable": dict(self.unreadable),
                "results": [[c, v, n] for (c, v), n in self.results.items()],
                "counts": {name: getattr(self, name) for name in _COUNTS},
                "messages": self.messages,
            }
        )

    @classmethod
    def from_json(cls, raw: bytes | str) -> Tally:
        data: dict[str, Any] = orjson.loads(raw)
        tally = cls(
            lines=Counter({(f, s): n for f, s, n in data["lines"]}),
            types=Counter({(t, s): n for t, s, n in data["types"]}),
            unreadable=Counter(data["unreadable"]),
            results=Counter({(c, v): n for c, v, n in data["results"]}),
            messages=list(data["messages"]),
        )
        for name, value in data["counts"].items():
            setattr(tally, name, value)
        return tally


_COUNTS = (
    "rows",
    "reused_rows",
    "orphan_patients",
    "orphan_resources",
    "duplicate_patients",
    "duplicate_resources",
    "ignored_resources",
    "bad_dates",
    "invalid_patients",
    "unknown_codes",
    "failures",
)


@dataclass(frozen=True, slots=True)
class _Line:
    rank: int
    ordinal: int
    file: str
    rtype: str
    text: str


class Screener:
    """Screens patients one at a time; keeps the counts in `tally`."""

    def __init__(
        self,
        knowledge: Knowledge,
        as_of: date,
        ranks: Mapping[str, int],
        *,
        validate: bool = False,
        keep_sources: bool = False,
    ) -> None:
        self.knowledge = knowledge
        self.keep_sources = keep_sources
        self.as_of = as_of
        self.ranks = ranks  # file (as the engine names it) -> rank in export order
        self.validate = validate
        self.tally = Tally()
        self._reused: dict[Sex, Row] = {}
        self._notes = NoteReader(knowledge)  # reads DocumentReference / DiagnosticReport text

    def screen(self, patient: str | None, parts: Sequence[Mapping[str, Any]]) -> Row | None:
        """The row for one patient group of the extraction (None: no row, only counts)."""
        tally = self.tally
        lines: list[_Line] = []
        for part in parts:
            file, rtype, status, n = part["file"], part["rtype"] or "", part["status"], part["n"]
            tally.lines[(file, status)] += n
            tally.types[(rtype, status)] += n
            for item in part["resources"] or ():
                lines.append(_Line(self.ranks[file], item["ordinal"], file, rtype, item["line"]))
        if patient is None:
            return None
        lines.sort(key=lambda line: (line.rank, line.ordinal))
        resources: list[tuple[str, dict[str, Any]]] = []
        for line in lines:
            try:
                decoded = orjson.loads(line.text)
            except orjson.JSONDecodeError:
                decoded = None
            resource = as_object(decoded)
            if resource is None:
                tally.unreadable[line.file] += 1
                continue
            resources.append((line.rtype, dict(resource)))
        patients = [r for t, r in resources if t == "Patient"]
        if not patients:
            tally.orphan_patients += 1
            tally.orphan_resources += len(resources)
            return None
        if len(patients) > 1:
            tally.duplicate_patients += 1
        try:
            record = self._record(patients[0], [(t, r) for t, r in resources if t != "Patient"])
            if record is None:
                return None
            row = self._row(record)
        except Exception as exc:  # one patient must never stop the screen of the others
            tally.failures += 1
            if len(tally.messages) < _MAX_MESSAGES:
                where = traceback.extract_tb(exc.__traceback__)[-1]
                tally.messages.append(
                    f"Patient/{patient}: {type(exc).__name__}: {exc} "
                    f"({where.filename.rsplit('/', 1)[-1]}:{where.lineno})"
                )
            return None
        tally.rows += 1
        results = tally.results
        results[("risk_level", row.risk_level)] += 1
        results[("phase", row.phase)] += 1
        results[("suspicion", row.suspicion)] += 1
        if row.due:
            results[("due", "exams due")] += 1
        if self.keep_sources and needs_the_team(row):
            row = replace(row, source=_collection(resources))
        return row

    # --- the record ------------------------------------------------------------------------------

    def _record(
        self, patient: dict[str, Any], others: list[tuple[str, dict[str, Any]]]
    ) -> PatientRecord | None:
        if self.validate:
            return self._validated_record(patient, others)
        pid = text_of(patient, "id") or ""
        ref = f"Patient/{pid}"
        try:
            birth = date_field(ref, patient, "birthDate")
        except BadDate:
            birth = None
        sex = _SEXES.get((text_of(patient, "gender") or "").lower(), "unknown")
        keys = {ref, f"urn:uuid:{pid}"}
        ctx = Context(ref, keys, {}, [], notes=self._notes)
        records: list[Record] = []
        seen: set[str] = set()
        tally = self.tally
        for index, (rtype, res) in enumerate(others):
            rid = text_of(res, "id")
            entry_ref = f"{rtype}/{rid}" if rid else f"{rtype}/(line {index})"
            if entry_ref in seen:
                tally.duplicate_resources += 1
                continue
            seen.add(entry_ref)
            try:
                built = build(rtype, res, entry_ref, ctx)
            except Skip:
                tally.ignored_resources += 1
                continue
            except BadDate:
                tally.bad_dates += 1
                continue
            if not built:
                tally.ignored_resources += 1
            records.extend(built)
        tally.unknown_codes += unknown_codes(records, self.knowledge.is_known_code)
        observations = settle([r for r in records if isinstance(r, Observation)])
        deceased, deceased_on, _ = deceased_of(patient, ref)
        return assemble(
            Patient(pid, sex, birth, deceased=deceased, deceased_on=deceased_on),
            records,
            observations,
        )

    def _validated_record(
        self, patient: dict[str, Any], others: list[tuple[str, dict[str, Any]]]
    ) -> PatientRecord | None:
        # Imported here: the importer loads the fhir.resources models (a tenth of a second of
        # every screen's start-up), which only --validate uses.
        from hosentinel.fhir.importer import BundleError, read_bundle

        entries = [{"resource": patient}, *({"resource": res} for _, res in others)]
        bundle = {"resourceType": "Bundle", "type": "collection", "entry": entries}
        try:
            record = read_bundle(bundle, self.knowledge, strict_dates=False)
        except BundleError:
            self.tally.invalid_patients += 1
            return None
        self.tally.ignored_resources += record.stats.ignored_resources
        self.tally.unknown_codes += record.stats.unknown_codes
        return record

    # --- the row ---------------------------------------------------------------------------------

    def _row(self, record: PatientRecord) -> Row:
        empty = not (
            record.conditions
            or record.procedures
            or record.observations
            or record.medications
            or record.allergies
        )
        patient = f"Patient/{record.patient.id}"
        if not empty:
            return row_of(evaluate(record, self.knowledge, self.as_of))
        reused = self._reused.get(record.patient.sex)
        if reused is None:
            reused = self._reused[record.patient.sex] = row_of(
                evaluate(record, self.knowledge, self.as_of)
            )
        else:
            self.tally.reused_rows += 1
        return Row(
            patient,
            reused.risk_level,
            reused.phase,
            reused.suspicion,
            reused.due,
            reused.recommendations,
        )


def _collection(resources: list[tuple[str, dict[str, Any]]]) -> str:
    """The patient's lines as the collection Bundle `read_bundle` reads (export order kept)."""
    entries = [{"resource": resource} for _, resource in resources]
    return orjson.dumps({"resourceType": "Bundle", "type": "collection", "entry": entries}).decode()
