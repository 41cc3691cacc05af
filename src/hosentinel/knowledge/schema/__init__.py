"""The schema every knowledge file is validated against.

Clinical content lives in YAML under `knowledge/data/`, one file per concept. Each file is an
`Entry` (identity, version, lifecycle, authors, review date, citations) holding the items of that
concept. Citations point into the source registry (`citations.yaml`), and each carries the
confirmation level it had in the project's clinical notes: [C] confirmed or [P] partly confirmed.
[U] items are never citable; they are listed in `unconfirmed.yaml` so tests can keep them out.

One module per concept of the knowledge base (sources, conditions, concepts, index events, risk,
work-up, drugs, recommendations, lesions, education, notes); this package is their one public
face (`from hosentinel.knowledge import schema as s`), and defines `KnowledgeFile`, the union of
every file kind the loader accepts.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from hosentinel.knowledge.schema.concepts import (
    Code,
    Concept,
    Product,
    ProductsFile,
    QuantitySpec,
    UnitConversion,
    ValueSetFile,
)
from hosentinel.knowledge.schema.conditions import (
    Clause,
    ExampleRecord,
    Examples,
    RecentConcept,
    When,
)
from hosentinel.knowledge.schema.drugs import (
    DrugCaution,
    DrugOption,
    DrugsFile,
    DrugUse,
    EvidenceStatement,
)
from hosentinel.knowledge.schema.education import (
    EducationFile,
    EducationModule,
)
from hosentinel.knowledge.schema.entry import (
    Entry,
    Release,
)
from hosentinel.knowledge.schema.index_events import (
    IndexEventKind,
    IndexEventsFile,
    SiteRule,
)
from hosentinel.knowledge.schema.lesions import (
    Classification,
    ClassificationsFile,
    GradeClass,
    MaturityCriterion,
    MaturityFile,
)
from hosentinel.knowledge.schema.notes import (
    ContextTrigger,
    NotesVocabularyFile,
)
from hosentinel.knowledge.schema.recommendations import (
    Recommendation,
    RecommendationsFile,
)
from hosentinel.knowledge.schema.risk import (
    Effect,
    HighRiskCriterion,
    RiskFactor,
    RiskFactorFile,
    RiskModel,
    RiskModelsFile,
)
from hosentinel.knowledge.schema.sources import (
    Citation,
    CitationRef,
    LocalSetting,
    SourceAttributes,
    Unconfirmed,
)
from hosentinel.knowledge.schema.vocabulary import (
    CAUTION_REASONS,
    ENTRY_ID,
    RECOMMENDATION_IDS,
    SEMVER,
    CautionLevel,
    DrugStage,
    FactKindName,
    IndexKind,
    Joint,
    Level,
    Population,
    Priority,
    ReadingLevel,
    Stage,
    Status,
    Strict,
    System,
)
from hosentinel.knowledge.schema.workup import (
    DiagnosticTest,
    Sign,
    SignsFile,
    TestsFile,
)

KnowledgeFile = Annotated[
    ValueSetFile
    | ProductsFile
    | IndexEventsFile
    | RiskFactorFile
    | RiskModelsFile
    | SignsFile
    | TestsFile
    | DrugsFile
    | RecommendationsFile
    | ClassificationsFile
    | MaturityFile
    | EducationFile
    | NotesVocabularyFile,
    Field(discriminator="kind"),
]

__all__ = [
    "CAUTION_REASONS",
    "ENTRY_ID",
    "RECOMMENDATION_IDS",
    "SEMVER",
    "CautionLevel",
    "Citation",
    "CitationRef",
    "Classification",
    "ClassificationsFile",
    "Clause",
    "Code",
    "Concept",
    "ContextTrigger",
    "DiagnosticTest",
    "DrugCaution",
    "DrugOption",
    "DrugStage",
    "DrugUse",
    "DrugsFile",
    "EducationFile",
    "EducationModule",
    "Effect",
    "Entry",
    "EvidenceStatement",
    "ExampleRecord",
    "Examples",
    "FactKindName",
    "GradeClass",
    "HighRiskCriterion",
    "IndexEventKind",
    "IndexEventsFile",
    "IndexKind",
    "Joint",
    "KnowledgeFile",
    "Level",
    "LocalSetting",
    "MaturityCriterion",
    "MaturityFile",
    "NotesVocabularyFile",
    "Population",
    "Priority",
    "Product",
    "ProductsFile",
    "QuantitySpec",
    "ReadingLevel",
    "RecentConcept",
    "Recommendation",
    "RecommendationsFile",
    "Release",
    "RiskFactor",
    "RiskFactorFile",
    "RiskModel",
    "RiskModelsFile",
    "Sign",
    "SignsFile",
    "SiteRule",
    "SourceAttributes",
    "Stage",
    "Status",
    "Strict",
    "System",
    "TestsFile",
    "Unconfirmed",
    "UnitConversion",
    "ValueSetFile",
    "When",
]
