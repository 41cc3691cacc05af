"""Load, validate and index the knowledge base.

`load_knowledge()` reads every YAML file under `knowledge/data/`, validates it against the schema,
checks that every cross-reference resolves, and returns an immutable `Knowledge` with the lookup
tables the engine needs (code -> concepts, citation by id, ...). The release digest is a SHA-256
over the files' paths and bytes, so any content change changes it.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from importlib.abc import Traversable
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, TypeAdapter, ValidationError

from hosentinel.knowledge import schema as s

# libyaml's C parser when present (about 6x faster); both are safe loaders.
_CACHE_LIMIT = 50_000
_YAML_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class KnowledgeError(Exception):
    """The knowledge base is invalid. The message lists every problem found."""


_FILE_ADAPTER: TypeAdapter[s.KnowledgeFile] = TypeAdapter(s.KnowledgeFile)


@dataclass(frozen=True, eq=False)
class Knowledge:
    release: str
    digest: str
    citations: dict[str, s.Citation]
    unconfirmed: tuple[s.Unconfirmed, ...]
    settings: dict[str, s.LocalSetting]
    entries: dict[str, s.Entry]
    concepts: dict[str, s.Concept]
    index_events: s.IndexEventsFile
    risk_factors: tuple[s.RiskFactor, ...]
    risk_factor_entry: dict[str, str]
    risk_models: tuple[s.RiskModel, ...]
    signs: dict[str, s.Sign]
    tests: dict[str, s.DiagnosticTest]
    drugs: tuple[s.DrugOption, ...]
    recommendations: dict[str, s.Recommendation]
    classifications: dict[str, s.Classification]
    maturity: s.MaturityFile
    education: tuple[s.EducationModule, ...]
    # (system, code) -> concept ids for exact codes; prefix codes are looked up by trimming.
    exact_codes: dict[tuple[str, str], tuple[str, ...]] = field(repr=False)
    prefix_codes: dict[tuple[str, str], tuple[str, ...]] = field(repr=False)
    excluded_codes: dict[tuple[str, str], frozenset[str]] = field(repr=False)
    text_patterns: tuple[tuple[re.Pattern[str], str], ...] = field(repr=False)
    text_exclusions: dict[str, tuple[re.Pattern[str], ...]] = field(repr=False)
    max_prefix: int = 8
    # Lookups are pure functions of the code or text; remembered per knowledge release.
    _code_cache: dict[tuple[str, str], frozenset[str]] = field(
        default_factory=dict, repr=False, compare=False
    )
    _text_cache: dict[str, frozenset[str]] = field(default_factory=dict, repr=False, compare=False)

    def setting(self, setting_id: str) -> float:
        return self.settings[setting_id].value

    def concepts_for_code(self, system: str, code: str) -> frozenset[str]:
        """Concept ids a code belongs to: exact matches plus the prefix matches."""
        key = (system, code)
        cached = self._code_cache.get(key)
        if cached is None:
            if len(self._code_cache) >= _CACHE_LIMIT:
                self._code_cache.clear()
            cached = self._code_cache[key] = self._concepts_for_code(system, code)
        return cached

    def _concepts_for_code(self, system: str, code: str) -> frozenset[str]:
        found: set[str] = set(self.exact_codes.get((system, code), ()))
        key = code.upper() if system == "icd10cm" else code
        for length in range(min(len(key), self.max_prefix), 0, -1):
            hit = self.prefix_codes.get((system, key[:length]))
            if hit:
                found.update(hit)
        excluded = self.excluded_codes.get((system, key))
        if excluded is None and system == "icd10cm":
            for length in range(len(key) - 1, 2, -1):
                excluded = self.excluded_codes.get((system, key[:length]))
                if excluded:
                    break
        if excluded:
            found -= excluded
        return frozenset(found)

    def concepts_for_text(self, text: str) -> frozenset[str]:
        cached = self._text_cache.get(text)
        if cached is None:
            if len(self._text_cache) >= _CACHE_LIMIT:
                self._text_cache.clear()  # free text is unbounded across a population
            found = frozenset(
                cid
                for pattern, cid in self.text_patterns
                if pattern.search(text)
                and not any(x.search(text) for x in self.text_exclusions.get(cid, ()))
            )
            cached = self._text_cache[text] = found
        return cached

    def is_known_code(self, system: str, code: str) -> bool:
        return bool(self.concepts_for_code(system, code))


def _data_root() -> Traversable:
    return resources.files("hosentinel.knowledge").joinpath("data")


def _walk(root: Traversable, prefix: str = "") -> Iterator[tuple[str, Traversable]]:
    for child in sorted(root.iterdir(), key=lambda item: item.name):
        path = f"{prefix}{child.name}"
        if child.is_dir():
            yield from _walk(child, f"{path}/")
        elif child.name.endswith(".yaml"):
            yield path, child


def read_files(root: Traversable | Path | None = None) -> list[tuple[str, bytes]]:
    """Every knowledge YAML file as (relative path, bytes), sorted by path."""
    base: Traversable = root if root is not None else _data_root()
    return [(path, item.read_bytes()) for path, item in _walk(base)]


def digest_of(files: Iterable[tuple[str, bytes]]) -> str:
    hasher = hashlib.sha256()
    for path, content in files:
        hasher.update(path.encode())
        hasher.update(b"\0")
        hasher.update(content)
        hasher.update(b"\0")
    return f"sha256:{hasher.hexdigest()}"


def _parse(files: list[tuple[str, bytes]]) -> tuple[dict[str, Any], list[str]]:
    parsed: dict[str, Any] = {}
    problems: list[str] = []
    for path, content in files:
        try:
            parsed[path] = yaml.load(content, Loader=_YAML_LOADER)
        except yaml.YAMLError as exc:
            problems.append(f"{path}: not valid YAML ({exc})")
    return parsed, problems


def _validation_problems(path: str, exc: ValidationError) -> list[str]:
    return [f"{path}: {'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()]


def load_knowledge(root: Traversable | Path | None = None) -> Knowledge:
    """Load and check the knowledge base. Raises KnowledgeError listing every problem."""
    files = read_files(root)
    parsed, problems = _parse(files)

    release: s.Release | None = None
    citations: dict[str, s.Citation] = {}
    unconfirmed: list[s.Unconfirmed] = []
    settings: dict[str, s.LocalSetting] = {}
    entries: dict[str, s.Entry] = {}
    entry_paths: dict[str, str] = {}

    special = {
        "release.yaml",
        "citations.yaml",
        "unconfirmed.yaml",
        "settings.yaml",
    }
    try:
        if "release.yaml" in parsed:
            release = s.Release.model_validate(parsed["release.yaml"])
        for raw in parsed.get("citations.yaml") or []:
            citation = s.Citation.model_validate(raw)
            if citation.id in citations:
                problems.append(f"citations.yaml: duplicate citation id {citation.id}")
            citations[citation.id] = citation
        unconfirmed = [
            s.Unconfirmed.model_validate(r) for r in parsed.get("unconfirmed.yaml") or []
        ]
        for raw in parsed.get("settings.yaml") or []:
            setting = s.LocalSetting.model_validate(raw)
            if setting.id in settings:
                problems.append(f"settings.yaml: duplicate setting id {setting.id}")
            settings[setting.id] = setting
    except ValidationError as exc:
        problems.extend(_validation_problems("registry", exc))

    for path, raw in parsed.items():
        if path in special:
            continue
        try:
            entry = _FILE_ADAPTER.validate_python(raw)
        except ValidationError as exc:
            problems.extend(_validation_problems(path, exc))
            continue
        if entry.id in entries:
            problems.append(f"{path}: duplicate entry id {entry.id} (also {entry_paths[entry.id]})")
        entries[entry.id] = entry
        entry_paths[entry.id] = path

    if release is None:
        problems.append("release.yaml: missing")
    if problems:
        raise KnowledgeError("invalid knowledge base:\n  " + "\n  ".join(problems))
    assert release is not None

    knowledge = _index(release, files, citations, unconfirmed, settings, entries)
    reference_problems = check_references(knowledge)
    if reference_problems:
        raise KnowledgeError("invalid knowledge base:\n  " + "\n  ".join(reference_problems))
    return knowledge


def _one(entries: dict[str, s.Entry], cls: type[Any]) -> Any:
    found = [e for e in entries.values() if isinstance(e, cls) and e.status == "active"]
    if len(found) != 1:
        raise KnowledgeError(f"expected exactly one active {cls.__name__}, found {len(found)}")
    return found[0]


def _of(entries: dict[str, s.Entry], cls: type[Any]) -> list[Any]:
    return [e for e in entries.values() if isinstance(e, cls) and e.status == "active"]


def _index(
    release: s.Release,
    files: list[tuple[str, bytes]],
    citations: dict[str, s.Citation],
    unconfirmed: list[s.Unconfirmed],
    settings: dict[str, s.LocalSetting],
    entries: dict[str, s.Entry],
) -> Knowledge:
    concepts: dict[str, s.Concept] = {}
    exact: dict[tuple[str, str], set[str]] = {}
    prefix: dict[tuple[str, str], set[str]] = {}
    excluded: dict[tuple[str, str], set[str]] = {}
    patterns: list[tuple[re.Pattern[str], str]] = []
    exclusions: dict[str, tuple[re.Pattern[str], ...]] = {}
    duplicates: list[str] = []
    for vs in _of(entries, s.ValueSetFile):
        for concept in vs.concepts:
            if concept.id in concepts:
                duplicates.append(f"{vs.id}: duplicate concept id {concept.id}")
            concepts[concept.id] = concept
            for code in concept.codes:
                key_code = code.code.upper() if code.system == "icd10cm" else code.code
                key = (code.system, key_code)
                if code.exclude:
                    excluded.setdefault(key, set()).add(concept.id)
                elif code.match == "prefix":
                    prefix.setdefault(key, set()).add(concept.id)
                else:
                    exact.setdefault(key, set()).add(concept.id)
            patterns.extend((re.compile(p, re.IGNORECASE), concept.id) for p in concept.text)
            if concept.text_exclude:
                exclusions[concept.id] = tuple(
                    re.compile(p, re.IGNORECASE) for p in concept.text_exclude
                )
    if duplicates:
        raise KnowledgeError("invalid knowledge base:\n  " + "\n  ".join(duplicates))
    _add_products(exact, _of(entries, s.ProductsFile))

    factors: list[s.RiskFactor] = []
    factor_entry: dict[str, str] = {}
    for rf in _of(entries, s.RiskFactorFile):
        for factor in rf.factors:
            factors.append(factor)
            factor_entry[factor.id] = rf.id
    models = [m for f in _of(entries, s.RiskModelsFile) for m in f.models]
    signs = {sign.id: sign for f in _of(entries, s.SignsFile) for sign in f.signs}
    tests = {t.id: t for f in _of(entries, s.TestsFile) for t in f.tests}
    drugs = [d for f in _of(entries, s.DrugsFile) for d in f.options]
    recs = {r.id: r for f in _of(entries, s.RecommendationsFile) for r in f.recommendations}
    classes = {c.id: c for f in _of(entries, s.ClassificationsFile) for c in f.classifications}
    education = [m for f in _of(entries, s.EducationFile) for m in f.modules]
    max_prefix = max((len(code) for _, code in prefix), default=1)

    return Knowledge(
        release=release.release,
        digest=digest_of(files),
        citations=citations,
        unconfirmed=tuple(unconfirmed),
        settings=settings,
        entries=entries,
        concepts=concepts,
        index_events=_one(entries, s.IndexEventsFile),
        risk_factors=tuple(factors),
        risk_factor_entry=factor_entry,
        risk_models=tuple(models),
        signs=signs,
        tests=tests,
        drugs=tuple(drugs),
        recommendations=recs,
        classifications=classes,
        maturity=_one(entries, s.MaturityFile),
        education=tuple(education),
        exact_codes={k: tuple(sorted(v)) for k, v in exact.items()},
        prefix_codes={k: tuple(sorted(v)) for k, v in prefix.items()},
        excluded_codes={k: frozenset(v) for k, v in excluded.items()},
        text_patterns=tuple(patterns),
        text_exclusions=exclusions,
        max_prefix=max_prefix,
    )


def _add_products(exact: dict[tuple[str, str], set[str]], files: list[s.ProductsFile]) -> None:
    """An RxNorm product code joins the concepts of its ingredients' codes."""
    for products in files:
        for product in products.products:
            for ingredient in product.ingredients:
                concepts = exact.get(("rxnorm", ingredient))
                if concepts:
                    exact.setdefault(("rxnorm", product.code), set()).update(concepts)


def citation_ids(value: Any) -> Iterator[str]:
    """Every citation id used anywhere inside a model (CitationRef.id, Effect.citation, ...)."""
    if isinstance(value, s.CitationRef):
        yield value.id
    elif isinstance(value, s.Effect | s.EvidenceStatement):
        yield value.citation
    elif isinstance(value, s.SourceAttributes):
        yield from value.bibliographic_citation
    if isinstance(value, BaseModel):
        for name in type(value).model_fields:
            yield from citation_ids(getattr(value, name))
    elif isinstance(value, list | tuple):
        for item in value:
            yield from citation_ids(item)


def _clause_refs(when: s.When) -> Iterator[tuple[str, str]]:
    """(kind, id) pairs a rule condition refers to: concepts and settings."""
    for clause in when.clauses():
        for name in (
            "concept",
            "active_concept",
            "active_medication",
            "allergy",
            "lab_flag_low",
            "prior_to_index",
        ):
            value = getattr(clause, name)
            if value is not None:
                yield "concept", value
        if clause.with_procedure is not None:
            yield "concept", clause.with_procedure[0]
            yield "concept", clause.with_procedure[1]
        if clause.recent_concept is not None:
            yield "concept", clause.recent_concept.concept
            yield "setting", clause.recent_concept.within_days_setting
        if clause.egfr_below_setting is not None:
            yield "setting", clause.egfr_below_setting


def check_references(k: Knowledge) -> list[str]:
    """Every citation, concept, setting and recommendation reference resolves."""
    problems: list[str] = []
    for entry in k.entries.values():
        for cid in citation_ids(entry):
            if cid not in k.citations:
                problems.append(f"{entry.id}: unknown citation {cid}")
    for kind in k.index_events.kinds:
        for concept in kind.concepts + [c for rule in kind.sites for c in rule.concepts]:
            if concept not in k.concepts:
                problems.append(f"index event {kind.id}: unknown concept {concept}")
    rules: list[tuple[str, s.When]] = [(f.id, f.when) for f in k.risk_factors]
    rules += [(c.id, c.when) for d in k.drugs for c in d.cautions]
    for rule_id, when in rules:
        for ref_kind, ref in _clause_refs(when):
            if ref_kind == "concept" and ref not in k.concepts:
                problems.append(f"rule {rule_id}: unknown concept {ref}")
            if ref_kind == "setting" and ref not in k.settings:
                problems.append(f"rule {rule_id}: unknown local setting {ref}")
    for value_concept in k.concepts.values():
        spec = value_concept.quantity
        for setting in (spec.plausible_min_setting, spec.plausible_max_setting) if spec else ():
            if setting not in k.settings:
                problems.append(f"concept {value_concept.id}: unknown local setting {setting}")
    for drug in k.drugs:
        for use in drug.uses:
            if use.within_days_setting and use.within_days_setting not in k.settings:
                problems.append(f"drug {drug.id}: unknown local setting {use.within_days_setting}")
        if drug.recommendation not in k.recommendations:
            problems.append(f"drug {drug.id}: unknown recommendation {drug.recommendation}")
    seen: dict[str, str] = {}
    for item_id in [f.id for f in k.risk_factors] + [c.id for d in k.drugs for c in d.cautions]:
        if item_id in seen:
            problems.append(f"duplicate rule id {item_id}")
        seen[item_id] = item_id
    return problems


@cache
def default_knowledge() -> Knowledge:
    """The bundled knowledge base, loaded once per process."""
    return load_knowledge()
