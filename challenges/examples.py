"""The worked example challenges, built end to end from the synthetic room's reference data.

Each example is an :class:`~challenges.example_kit.ExampleRecipe`: which reference rows, which
features, which target. :func:`make_example` builds one (see :mod:`challenges.example_kit` for
the replica / held-out / answers flow every example shares).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from arena.db import Database
from arena.parquet import read_parquet
from arena.settings import Settings
from challenges.errors import ChallengeError
from challenges.example_kit import ExampleContext, ExampleRecipe, build_example

__all__ = [
    "EXAMPLES",
    "INCOME_BANDS",
    "PRICE_BANDS",
    "enterprise_features",
    "make_example",
    "people_features",
    "sales_features",
]

INCOME_BANDS = ("none", "low", "middle", "high")
"""Income bands: no income, then tertiles of the monthly income of earners."""
PRICE_BANDS = ("q1", "q2", "q3", "q4")
"""Unit-price quartiles of the products, cheapest first."""
_AGE_AT = pd.Timestamp("2025-07-01")  # the reference data's "today"
_MIN_AGE = 15


def _places(tables: dict[str, Path]) -> pd.DataFrame:
    """commune_code → province_code, region, urban."""
    communes = read_parquet(tables["communes"], columns=["commune_code", "province_code", "urban"])
    provinces = read_parquet(tables["provinces"], columns=["code", "region"])
    return communes.merge(provinces.rename(columns={"code": "province_code"}), on="province_code", how="left")


def _income_bands(income: pd.Series) -> pd.Series:
    bands = pd.Series(INCOME_BANDS[0], index=income.index, dtype=object)
    earning = income > 0
    if earning.sum() >= len(INCOME_BANDS) - 1:
        ranks = income[earning].rank(method="first")
        bands[earning] = pd.qcut(ranks, len(INCOME_BANDS) - 1, labels=list(INCOME_BANDS[1:])).astype(object)
    return bands


def people_features(tables: dict[str, Path]) -> pd.DataFrame:
    """Person-level features of the working-age reference people, with the income band target.

    Direct identifiers (name, CCCD, phone) and the raw income are dropped; age comes from the
    birth date, province, region and urban from the commune, household size from the household.

    Args:
        tables: Reference table name → Parquet path (``people``, ``communes``, ``provinces``).

    Returns:
        Columns person_id, sex, age, province_code, region, urban, education, occupation,
        has_employer, household_size, income_band.
    """
    frame = read_parquet(tables["people"]).merge(_places(tables), on="commune_code", how="left")
    frame["age"] = ((_AGE_AT - frame["birth_date"]).dt.days // 365.25).astype(int)
    frame["household_size"] = frame.groupby("household_id")["person_id"].transform("size").astype(int)
    frame["has_employer"] = frame["employer_id"].notna()
    frame = frame[frame["age"] >= _MIN_AGE].reset_index(drop=True)
    frame["income_band"] = _income_bands(frame["monthly_income_vnd"])
    columns = ["person_id", "sex", "age", "province_code", "region", "urban", "education", "occupation",
               "has_employer", "household_size", "income_band"]
    return frame[columns]


def sales_features(tables: dict[str, Path]) -> pd.DataFrame:
    """Monthly sales of a product in a commune, with the product's and the place's features.

    Places are kept at region level (six values) and unit prices as quartile bands over the
    products: with 34 province codes or the raw prices a Gaussian-copula replica of a few
    thousand rows fails its quality gate.

    Args:
        tables: Reference table name → Parquet path (``sales``, ``products``, ``communes``, ``provinces``).

    Returns:
        Columns record_id, category, price_band (q1 cheapest … q4), month_of_year, region, urban, quantity.
    """
    products = read_parquet(tables["products"], columns=["product_id", "category", "unit_price_vnd"])
    price_rank = products["unit_price_vnd"].rank(method="first")
    products["price_band"] = pd.qcut(price_rank, len(PRICE_BANDS), labels=list(PRICE_BANDS)).astype(str)
    frame = read_parquet(tables["sales"]).merge(products, on="product_id", how="left")
    frame = frame.merge(_places(tables), on="commune_code", how="left")
    frame["record_id"] = [f"R{index + 1:08d}" for index in range(len(frame))]
    frame["month_of_year"] = frame["month"].dt.month.astype(int)
    frame["quantity"] = frame["quantity"].astype(int)
    columns = ["record_id", "category", "price_band", "month_of_year", "region", "urban", "quantity"]
    return frame[columns]


def enterprise_features(tables: dict[str, Path]) -> pd.DataFrame:
    """Enterprise-level features (activities pillar), with the yearly revenue target.

    The tax code, name and commune are dropped; place is kept as region and urban, the
    founding date as the firm's age in whole years. Revenue is given in billion VND.

    Args:
        tables: Reference table name → Parquet path (``enterprises``, ``communes``, ``provinces``).

    Returns:
        Columns firm_id, vsic_section, region, urban, firm_age, employees, revenue_billion_vnd.
    """
    frame = read_parquet(tables["enterprises"]).merge(_places(tables), on="commune_code", how="left")
    frame["firm_id"] = frame["enterprise_id"]
    frame["firm_age"] = ((_AGE_AT - frame["founded"]).dt.days // 365.25).astype(int)
    frame["employees"] = frame["employees"].astype(int)
    frame["revenue_billion_vnd"] = (frame["revenue_vnd"] / 1e9).round(3)
    columns = ["firm_id", "vsic_section", "region", "urban", "firm_age", "employees", "revenue_billion_vnd"]
    return frame[columns]


_INCOME_SUMMARY = """
Predict the **monthly income band** of working-age people (15 and over) in Vietnam.

| band | meaning |
|---|---|
| `none` | no monthly income |
| `low` / `middle` / `high` | lower / middle / upper third of the income of people who earn |
"""
_DEMAND_SUMMARY = """
Predict the **quantity sold** in a month of a product in a commune, from the product's category
and price band (unit-price quartile `q1` cheapest … `q4`), the month of the year, and the
commune's region and urban status.
"""
_DEMAND_TEST_OVERRIDE = (
    "new_row_synthesis cannot pass on these test features: five low-cardinality columns (category, price band, "
    "month, region, urban) whose every combination is shared by many real records, so a synthetic row equal to a "
    "real one singles out no record; the other gates pass"
)
_REVENUE_SUMMARY = """
Predict the **yearly revenue** of an enterprise, in billion VND, from its economic activity
(VSIC 2018 section letter), its region and urban status, its age in years and its number of
employees.
"""

EXAMPLES: dict[str, ExampleRecipe] = {
    "household-income-band": ExampleRecipe(
        slug="household-income-band", title="Household income band", task="classification",
        id_column="person_id", target_column="income_band", metric={"primary": "f1_macro", "secondary": ["accuracy"]},
        train_dataset="people_train", test_dataset="people_test", features=people_features, summary=_INCOME_SUMMARY,
        removed=("full_name", "cccd", "phone", "birth_date (coarsened to age)", "household_id", "employer_id",
                 "monthly_income_vnd"),
    ),
    "product-demand": ExampleRecipe(
        slug="product-demand", title="Product demand by region", task="regression",
        id_column="record_id", target_column="quantity", metric={"primary": "rmse", "secondary": ["mae", "r2"]},
        train_dataset="sales_train", test_dataset="sales_test", features=sales_features, summary=_DEMAND_SUMMARY,
        removed=("product_id", "enterprise_id", "commune_code (coarsened to region)", "hs_code",
                 "unit_price_vnd (coarsened to price_band)", "revenue_vnd"),
        test_replica_override_reason=_DEMAND_TEST_OVERRIDE,
    ),
    "enterprise-revenue": ExampleRecipe(
        slug="enterprise-revenue", title="Enterprise revenue", task="regression",
        id_column="firm_id", target_column="revenue_billion_vnd", metric={"primary": "rmse", "secondary": ["mae", "r2"]},
        train_dataset="enterprises_train", test_dataset="enterprises_test", features=enterprise_features,
        summary=_REVENUE_SUMMARY,
        removed=("enterprise_id", "tax_code", "name", "commune_code (coarsened to region)",
                 "founded (coarsened to firm_age)", "revenue_vnd (as revenue_billion_vnd)"),
        people_factor=20,
    ),
}
"""Example name → recipe."""


def make_example(
    name: str, seed: int, out_dir: Path, db: Database, settings: Settings, *, people: int | None = None
) -> Path:
    """Build an example challenge bundle, publishing the synthetic datasets it uses.

    Args:
        name: An example name (see :data:`EXAMPLES`).
        seed: Seed of the reference data, the train/test split, the replica and the answer split.
        out_dir: Folder the bundle folder (named like the slug) is written under.
        db: The platform database (datasets are published into it).
        settings: Where the reference data and the datasets store live.
        people: Reference population size (default ``settings.demo_people``), times the
            recipe's ``people_factor`` (20 for ``enterprise-revenue``: one enterprise per 40 people).

    Returns:
        The bundle folder, ready for :func:`challenges.load_bundle` and publishing.

    Raises:
        ChallengeError: unknown example name.
        SyntheticError: the replica fails its gates or the reference cannot be generated.
    """
    recipe = EXAMPLES.get(name)
    if recipe is None:
        raise ChallengeError(f"unknown example {name!r} (known: {', '.join(EXAMPLES)})")
    context = ExampleContext(seed, Path(out_dir), db, settings, settings.demo_people if people is None else people)
    return build_example(context, recipe)
