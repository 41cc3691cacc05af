"""The assessment's output JSON: one set of typed models (the contract of DESIGN.md) that the CLI
prints and the JSON API returns, and the one function that builds them from an assessment."""

from hosentinel.core.output.build import assessment_json, assessment_out, basis_out
from hosentinel.core.output.models import AssessmentOut, BasisOut

__all__ = ["AssessmentOut", "BasisOut", "assessment_json", "assessment_out", "basis_out"]
