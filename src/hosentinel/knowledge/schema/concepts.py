"""Clinical concepts and the codes that mean them (value sets, units of measured concepts), and
the RxNorm products that mean their ingredients."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from hosentinel.knowledge.schema.entry import Entry
from hosentinel.knowledge.schema.vocabulary import FactKindName, Strict, System


class Code(Strict):
    system: System
    code: str
    match: Literal["exact", "prefix"] = "exact"
    display: str | None = None
    exclude: bool = False


class UnitConversion(Strict):
    """Spellings of one unit (UCUM code first) and how to reach the canonical unit:
    canonical = value * factor + offset."""

    units: list[str] = Field(min_length=1)
    factor: float = 1.0
    offset: float = 0.0


class QuantitySpec(Strict):
    """How a measured concept's values are read: the canonical unit, the units converted to it,
    and the named local settings that bound a plausible value (outside them a value is set aside
    and named in the warnings, never used)."""

    canonical: str
    conversions: list[UnitConversion] = Field(min_length=1)
    plausible_min_setting: str
    plausible_max_setting: str


class Concept(Strict):
    """A clinical concept and the codes that mean it. `text` patterns (case-insensitive regular
    expressions) catch entries that carry only free text, as real EHR data often does."""

    id: str
    title: str
    codes: list[Code] = []
    text: list[str] = []
    # A text that matches `text` but also one of these is not the concept ("Glasgow coma scale"
    # is not coma; "hydrocortisone cream" is not a systemic corticosteroid).
    text_exclude: list[str] = []
    # Which record entries may belong to the concept. Default: conditions, procedures and
    # observations; a drug concept says [medication], an allergy concept [allergy], so that the
    # text of an order ("enoxaparin for DVT prophylaxis") never reads as a diagnosis.
    kinds: list[FactKindName] | None = None
    quantity: QuantitySpec | None = None


class ValueSetFile(Entry):
    kind: Literal["valueset"]
    concepts: list[Concept] = Field(min_length=1)


class Product(Strict):
    """An RxNorm product (SCD, SBD, GPCK, BPCK) and the RxNorm ingredients (IN) it contains."""

    code: str
    # None where the source names the product's RxCUI but not its term type (openFDA's NDC data
    # gives the RxCUIs RxNorm links to a product's NDCs, which are SCD, SBD, GPCK or BPCK).
    tty: Literal["SCD", "SBD", "GPCK", "BPCK"] | None = None
    ingredients: list[str] = Field(min_length=1)


class ProductsFile(Entry):
    """RxNorm product codes that mean their ingredients: a product code belongs to every concept
    one of its ingredient codes belongs to (orders and exports carry product codes)."""

    kind: Literal["rxnorm-products"]
    products: list[Product] = Field(min_length=1)
