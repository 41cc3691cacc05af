"""The one extraction definition: NDJSON lines -> each patient's lines, as an Ibis expression.

Input, a table `lines` that each engine provides from the export's files:

    file     string  the file the line came from (a path or URI)
    ordinal  int64   increases with the line's position in its file
    line     string  the raw NDJSON line

Two stages, `classify` (per line) then `group` (per patient), composed into one query
(`extraction`). The engines run them as two statements: `classify` into a table (DuckDB: a
temporary table whose row order is the file order, which numbers the lines; Spark: a persisted
DataFrame), then `group` over it, which reads it twice (carried lines per patient, the other lines
only counted) without reading the files twice.

Output, one row per patient, sorted by patient id, plus one row with a null patient for the lines
that belong to nobody:

    patient  string  the Patient id (null: lines of no patient)
    parts    array<struct<file, rtype, status, n, resources: array<struct<ordinal, line>>>>

`status` sorts every line: `blank`; `bad` (not a JSON object with a resourceType); `patient` (a
Patient with an id); `other` (a resource type `assess` does not read); `skipped` (nothing in it
can matter, see `relevance.py`); `unassigned` (relevant, but its subject/patient reference names
no Patient); `kept`. Only `patient` and `kept` lines are carried (`resources`); every status is
counted (`n`) per file and resource type, so one pass over the data gives both the patients and
the counts of the summary.

The expressions are compiled to SQL for DuckDB or Spark (`classify_sql`, `group_sql`; `to_sql` for
the two as one query). They need functions that Ibis does not translate; each engine defines
them in its own SQL: `hs_resource_head(line)`, the line parsed once into the strings at
`HEAD_PATHS` (null when the line is not JSON; DuckDB `json_extract_string`, Spark `from_json`);
`hs_resource_references(line)`, the same for `REFERENCE_PATHS`, asked only of the lines that need
them; and `hs_valid_text(line)`, false for a line that is not UTF-8 (Spark reads such a line with
replacement characters; DuckDB's reader rejects it before the query, see `duckdb_engine.py`).

One more function, `hs_memo(coded)`, may spare the relevance pattern: it gives the pattern's answer
for the coded texts it was given beforehand (true or false), null for any other. The pattern
costs about half a microsecond a line, and most lines of an export carry one of a few hundred
coded texts (the same vital signs, the same labs), so DuckDB's engine gives `hs_memo` the answers
for the texts most frequent at the head of each file (`memo_sql`, `duckdb_engine.py`). Only the
speed depends on the sample: a text is looked up by equality, and any text not given is matched
by the pattern. Spark defines `hs_memo` as null.
"""

from __future__ import annotations

from functools import cache
from typing import Any, Literal

import ibis  # type: ignore[import-untyped]

from hosentinel.fhir.builders import BUILDERS

Dialect = Literal["duckdb", "pyspark"]

LINES_SCHEMA = {"file": "string", "ordinal": "int64", "line": "string"}
CLASSIFIED_SCHEMA = {
    "file": "string",
    "ordinal": "int64",
    "rtype": "string",
    "status": "string",
    "patient": "string",
    "line": "string",
}
CARRIED = ("patient", "kept")
READ_TYPES = tuple(sorted(BUILDERS))
# "Patient/<id>", an absolute URL ending so, or a version-specific reference (".../_history/2").
PATIENT_REFERENCE = r"^(?:.*/)?Patient/([^/]+)(?:/_history/[^/]*)?$"
URN_REFERENCE = r"^urn:uuid:([A-Za-z0-9\-.]{1,64})$"
# A backslash or a character outside ASCII: JSON escapes or Unicode case folding could hide a
# match from the raw text (see `relevance.py`), so such a resource is kept and read exactly. It
# is one more branch of the relevance pattern, matched on the lower-cased text: a second pattern
# would cost a second pass over the text, a branch costs nothing. Lower-casing turns only two
# characters outside ASCII into ASCII (KELVIN SIGN into k; CAPITAL I WITH DOT ABOVE into i, in
# DuckDB's simple mapping), and the knowledge base's case-insensitive matching reads them as those
# very letters, so a resource it could match is still kept.
ESCAPED = r"[\\]|[^\x00-\x7f]"


# The head of a resource: what the engine reads of every line, in one parse, as strings (an
# object's value comes back as its JSON text). The relevance pattern is matched against the
# object-valued ones: the builders read codes and texts only there (`relevance.py`).
HEAD_PATHS: tuple[str, ...] = (
    "$.resourceType",
    "$.code",
    "$.medicationCodeableConcept",
    "$.medicationReference",
    "$.contained",
    "$.conclusionCode",
    "$.conclusion",
    "$.presentedForm",
)
CODED = HEAD_PATHS[1:6]
# Notes (`hosentinel.notes`): a DocumentReference, or a DiagnosticReport with text, is read for
# its text, which no pattern over coded elements can judge: such a line is always kept.
NOTE_TEXTS = (HEAD_PATHS.index("$.conclusion"), HEAD_PATHS.index("$.presentedForm"))
_RTYPE = 0
# Who a resource is: read (a second parse) only for the lines that need it, a Patient or a
# relevant resource, one line in sixty or so: copying an id and a reference out of every line
# cost a sixth of the head's time.
REFERENCE_PATHS: tuple[str, ...] = ("$.id", "$.subject.reference", "$.patient.reference")
_ID, _SUBJECT, _PATIENT = range(3)


def _resource_head(line: str) -> list[str]:  # Ibis reads the signature; the engines define it
    raise NotImplementedError  # pragma: no cover - a SQL function, never called in Python


def _resource_references(line: str) -> list[str]:
    raise NotImplementedError  # pragma: no cover - a SQL function, never called in Python


def _valid_text(line: str) -> bool:
    raise NotImplementedError  # pragma: no cover - a SQL function, never called in Python


def _memo(coded: str) -> bool:
    raise NotImplementedError  # pragma: no cover - a SQL function, never called in Python


resource_head: Any = ibis.udf.scalar.builtin(_resource_head, name="hs_resource_head")
resource_references: Any = ibis.udf.scalar.builtin(
    _resource_references, name="hs_resource_references"
)
valid_text: Any = ibis.udf.scalar.builtin(_valid_text, name="hs_valid_text")
memo: Any = ibis.udf.scalar.builtin(_memo, name="hs_memo")


def lines_table(*, numbered: bool = True) -> Any:
    schema = LINES_SCHEMA if numbered else {k: v for k, v in LINES_SCHEMA.items() if k != "ordinal"}
    return ibis.table(schema, name="lines")


def classified_table() -> Any:
    return ibis.table(CLASSIFIED_SCHEMA, name="classified")


def _typed(lines: Any) -> Any:
    """`lines` with the parsed head, the resource type and the coded elements' text."""
    parsed = lines.mutate(parsed=resource_head(lines.line))
    head = parsed.parsed
    first, *others = (head[HEAD_PATHS.index(p)] for p in CODED)
    # Most resources have one coded element (`code`): then the text is that element's, taken
    # as it is, without building a new string (a tenth of a second at 10k patients).
    joined = ibis.literal("").concat(*(e.fill_null("") for e in (first, *others)))
    alone = ibis.and_(*(e.isnull() for e in others))
    return parsed.mutate(
        rtype=head[_RTYPE].strip(), coded=ibis.ifelse(alone, first.fill_null(""), joined)
    )


def _matches(coded: Any, relevance: str) -> Any:
    """The relevance pattern's answer for a coded text (what `hs_memo` is given)."""
    return coded.lower().re_search(f"{ESCAPED}|{relevance}")


def classify(lines: Any, relevance: str) -> Any:
    """Every line with its resource type, status and patient; the line itself only when it is
    carried. Other columns of `lines` (the ordinal) pass through. The costly parts (the pattern,
    the reference) are computed only for the lines that need them."""
    line = lines.line
    typed = _typed(lines)
    head = typed.parsed
    read = typed.rtype.isin(READ_TYPES)
    noted = (typed.rtype == "DocumentReference") | ibis.or_(
        *(head[i].notnull() for i in NOTE_TEXTS)
    )
    # COALESCE evaluates the pattern only where the memo has no answer (both engines).
    matched = ibis.coalesce(memo(typed.coded), _matches(typed.coded, relevance))
    relevant = ibis.ifelse(read, noted | matched, False)
    classified = _computed_once(typed, relevant=relevant)
    rtype = classified.rtype
    needed = (rtype == "Patient") | classified.relevant
    classified = classified.mutate(
        refs=ibis.ifelse(needed, resource_references(line), ibis.null("array<string>"))
    )
    refs = classified.refs
    reference = ibis.ifelse(rtype == "AllergyIntolerance", refs[_PATIENT], refs[_SUBJECT]).strip()
    referenced = ibis.coalesce(
        reference.re_extract(PATIENT_REFERENCE, 1).nullif(""),
        reference.re_extract(URN_REFERENCE, 1).nullif(""),
    )
    classified = classified.mutate(
        patient=ibis.cases(
            (rtype == "Patient", refs[_ID].strip().nullif("")),
            (classified.relevant, referenced),
            else_=ibis.null("string"),
        )
    )
    known = classified.rtype.notnull() & (classified.rtype != "") & valid_text(line)
    status = ibis.cases(
        (known & (classified.rtype == "Patient") & classified.patient.notnull(), "patient"),
        (known & (classified.rtype == "Patient"), "unassigned"),
        (known & ~read, "other"),
        (known & ~classified.relevant, "skipped"),
        (known & classified.patient.isnull(), "unassigned"),
        (known, "kept"),
        # Only lines that are not resources get here: the trim is not paid for every line.
        (line.isnull() | (line.strip() == ""), "blank"),
        else_="bad",
    )
    classified = classified.mutate(status=status)
    keep = [c for c in lines.columns if c != "line"]
    return classified.select(
        *keep,
        "rtype",
        "status",
        "patient",
        line=ibis.ifelse(classified.status.isin(CARRIED), line, ibis.null("string")),
    )


def _computed_once(table: Any, **columns: Any) -> Any:
    """`table` with the columns added, each computed once per row. The statuses below refer to
    `relevant` several times, and engines inline a subquery's columns into every reference
    (DuckDB re-ran the relevance pattern up to three times a line); unnesting a one-element
    array is a boundary neither DuckDB nor Spark inlines across."""
    wrapped = table.mutate(**{name: ibis.array([value]) for name, value in columns.items()})
    for name in columns:
        wrapped = wrapped.unnest(name)
    return wrapped


RESOURCES_TYPE = "array<struct<ordinal: int64, line: string>>"


def group(classified: Any) -> Any:
    """Counts per file, type and status, and the carried lines, per patient, sorted by patient.
    The lines carried nothing are only counted (no patient key): most lines, cheaply."""
    carried = classified.filter(classified.status.isin(CARRIED))
    per_patient = carried.group_by(["patient", "file", "rtype", "status"]).aggregate(
        n=carried.count(),
        resources=ibis.struct({"ordinal": carried.ordinal, "line": carried.line}).collect(),
    )
    others = classified.filter(~classified.status.isin(CARRIED))
    counted = (
        others.group_by(["file", "rtype", "status"])
        .aggregate(n=others.count())
        .mutate(patient=ibis.null("string"), resources=ibis.null(RESOURCES_TYPE))
    )
    columns = ["patient", "file", "rtype", "status", "n", "resources"]
    per_file = per_patient.select(*columns).union(counted.select(*columns))
    part = ibis.struct(
        {
            "file": per_file.file,
            "rtype": per_file.rtype,
            "status": per_file.status,
            "n": per_file.n,
            "resources": per_file.resources,
        }
    )
    return (
        per_file.group_by("patient").aggregate(parts=part.collect()).order_by(ibis.asc("patient"))
    )


def memo_sample(lines: Any, relevance: str) -> Any:
    """The coded texts of the read types in `lines`, most frequent first, with the pattern's
    answer for each: what `hs_memo` is given."""
    typed = _typed(lines)
    read = typed.filter(typed.rtype.isin(READ_TYPES))
    counted = read.group_by("coded").aggregate(n=read.count())
    return counted.select("coded", "n", relevant=_matches(counted.coded, relevance)).order_by(
        [ibis.desc("n"), ibis.asc("coded")]
    )


def extraction(lines: Any, relevance: str) -> Any:
    """The whole definition, as one query over `lines`."""
    return group(classify(lines, relevance))


@cache
def to_sql(relevance: str, dialect: Dialect) -> str:
    """The extraction over the table `lines`, as SQL for the engine."""
    return str(ibis.to_sql(extraction(lines_table(), relevance), dialect=dialect))


@cache
def classify_sql(relevance: str, dialect: Dialect, *, numbered: bool = False) -> str:
    """`classify` over a table `lines`: (file, line), or (file, ordinal, line) when numbered."""
    return str(ibis.to_sql(classify(lines_table(numbered=numbered), relevance), dialect=dialect))


@cache
def memo_sql(relevance: str, dialect: Dialect) -> str:
    """`memo_sample` over a table `lines` (file, line)."""
    return str(ibis.to_sql(memo_sample(lines_table(numbered=False), relevance), dialect=dialect))


@cache
def group_sql(dialect: Dialect) -> str:
    """`group` over a table `classified` (file, ordinal, rtype, status, patient, line)."""
    return str(ibis.to_sql(group(classified_table()), dialect=dialect))
