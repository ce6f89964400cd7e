"""Public domains of the reference people table, as an organiser would write them in the review.

A differentially private replica needs bounds and bins for numerical and datetime columns and,
for a guarantee that covers them, the list of values of categorical ones — all from public
knowledge. For the reference people these come from the generator's public code lists and
from common knowledge (nobody alive was born before 1920; monthly incomes above 60 million VND
are clipped). Commune codes are left to the data (the card says so).
"""

from __future__ import annotations

from typing import Any

from synthetic.metadata import MetadataSpec
from synthetic.reference import EDUCATION_LEVELS, OCCUPATIONS

__all__ = ["REFERENCE_PEOPLE_DOMAINS", "with_public_domains"]

REFERENCE_PEOPLE_DOMAINS: dict[str, dict[str, Any]] = {
    "birth_date": {"bounds": ("1920-01-01", "2025-07-01"), "bins": 30},
    "monthly_income_vnd": {"bounds": (0, 60_000_000), "bins": 20},
    "sex": {"categories": ["F", "M"]},
    "education": {"categories": list(EDUCATION_LEVELS)},
    "occupation": {"categories": list(OCCUPATIONS)},
}
"""Column → the review fields (``bounds``, ``bins``, ``categories``) of the reference people table."""


def with_public_domains(metadata: MetadataSpec, table: str, domains: dict[str, dict[str, Any]]) -> MetadataSpec:
    """A copy of ``metadata`` whose ``table`` columns carry the given review fields."""
    reviewed = metadata.model_copy(deep=True)
    for column, fields in domains.items():
        spec = reviewed.tables[table].columns[column]
        reviewed.tables[table].columns[column] = spec.model_copy(update=fields)
    return reviewed
