"""The reference generator: realism rules, foreign keys and byte-for-byte determinism."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from synthetic import InputDataError, generate_reference
from synthetic.reference import PAID_OCCUPATIONS
from synthetic.vietnam import CARRIER_PREFIXES, FAMILY_NAMES, PROVINCES, RARE_FAMILY_NAMES

PAID_JOBS = PAID_OCCUPATIONS


def _people_with_places(reference: dict[str, pd.DataFrame]) -> pd.DataFrame:
    people = reference["people"].merge(reference["communes"], on="commune_code", suffixes=("", "_commune"))
    people = people.merge(reference["provinces"], left_on="province_code", right_on="code", suffixes=("", "_province"))
    people["age"] = (pd.Timestamp("2025-07-01") - people["birth_date"]).dt.days // 365
    return people


def test_provinces_are_the_34_units_owning_the_63_old_codes(reference):
    provinces = reference["provinces"]
    codes = [code for row in provinces["cccd_codes"] for code in row]

    assert len(provinces) == 34 and provinces["code"].is_unique
    assert len(codes) == 63 and len(set(codes)) == 63
    assert provinces.set_index("name").loc["Hồ Chí Minh", "cccd_codes"].tolist() == ["079", "074", "077"]
    assert provinces["region"].nunique() == 6


def test_communes_have_kinds_and_the_13_special_zones(reference):
    communes = reference["communes"]

    assert set(communes["kind"]) == {"xã", "phường", "đặc khu"}
    assert (communes["kind"] == "đặc khu").sum() == 13
    assert (communes["urban"] == (communes["kind"] == "phường")).all()
    assert not communes.duplicated(["province_code", "name"]).any()


def test_every_foreign_key_resolves(reference):
    people, households, communes = reference["people"], reference["households"], reference["communes"]
    enterprises, products, sales = reference["enterprises"], reference["products"], reference["sales"]

    assert communes["province_code"].isin(reference["provinces"]["code"]).all()
    assert households["commune_code"].isin(communes["commune_code"]).all()
    assert people["household_id"].isin(households["household_id"]).all()
    assert people["employer_id"].dropna().isin(enterprises["enterprise_id"]).all()
    assert enterprises["commune_code"].isin(communes["commune_code"]).all()
    assert products["enterprise_id"].isin(enterprises["enterprise_id"]).all()
    assert sales["product_id"].isin(products["product_id"]).all()
    assert sales["commune_code"].isin(communes["commune_code"]).all()
    owner = sales.merge(products, on="product_id", suffixes=("", "_product"))
    assert (owner["enterprise_id"] == owner["enterprise_id_product"]).all()
    members = people.groupby("household_id").size()
    assert (households.set_index("household_id")["size"] == members.reindex(households["household_id"])).all()
    home = people.merge(households, on="household_id", suffixes=("", "_household"))
    assert (home["commune_code"] == home["commune_code_household"]).all()
    assert people["person_id"].is_unique and enterprises["enterprise_id"].is_unique
    province = communes.set_index("commune_code")["province_code"]
    employed = people.dropna(subset=["employer_id"]).merge(enterprises, left_on="employer_id", right_on="enterprise_id")
    assert len(employed) > 0.2 * len(people)
    assert (province[employed["commune_code_x"]].to_numpy() == province[employed["commune_code_y"]].to_numpy()).all()
    assert not employed["occupation"].isin(["agriculture", "child", "student", "retired", "unemployed"]).any()


def test_names_are_family_middle_given_with_reference_shares(reference):
    people = _people_with_places(reference)
    parts = people["full_name"].str.split()
    family = parts.str[0]
    known = {f[0] for f in FAMILY_NAMES} | {f[1] for f in FAMILY_NAMES} | set(RARE_FAMILY_NAMES)

    assert (parts.str.len() >= 3).all()
    assert family.isin(known).all()
    assert abs((family == "Nguyễn").mean() - 0.38) < 0.06
    assert abs((family == "Trần").mean() - 0.12) < 0.04
    southern = people["region"].isin(["Southeast", "Mekong Delta"])
    assert (family[southern] == "Hoàng").sum() == 0 and (family[~southern] == "Huỳnh").sum() == 0
    middle = parts.str[1]
    assert (middle[people["sex"] == "M"] == "Thị").sum() == 0
    assert (middle[people["sex"] == "F"] == "Thị").mean() > 0.3


def test_cccd_encodes_birth_province_sex_century_and_year(reference):
    people = _people_with_places(reference)
    cccd = people["cccd"]
    year = people["birth_date"].dt.year
    expected_digit = (year // 100 - 19) * 2 + (people["sex"] == "F").astype(int)

    assert cccd.str.fullmatch(r"\d{12}").all() and cccd.is_unique
    assert all(code in codes for code, codes in zip(cccd.str[:3], people["cccd_codes"], strict=True))
    assert (cccd.str[3].astype(int) == expected_digit).all()
    assert (cccd.str[4:6].astype(int) == year % 100).all()


def test_phones_are_ten_digits_with_a_carrier_prefix(reference):
    people = _people_with_places(reference)
    phones = people["phone"].dropna()
    prefixes = {prefix for _, prefix, _ in CARRIER_PREFIXES}

    assert phones.str.fullmatch(r"0\d{9}").all()
    assert phones.str[:3].isin(prefixes).all()
    assert people.loc[people["age"] < 15, "phone"].isna().all()
    viettel = {prefix for carrier, prefix, _ in CARRIER_PREFIXES if carrier == "Viettel"}
    assert 0.4 < phones.str[:3].isin(viettel).mean() < 0.6


def test_income_follows_age_education_place_and_region(reference):
    people = _people_with_places(reference)
    employed = people[people["occupation"].isin(PAID_JOBS)]
    by_region = employed.groupby("region")["monthly_income_vnd"].mean()
    by_education = employed.groupby("education")["monthly_income_vnd"].mean()

    assert 6.9e6 < employed["monthly_income_vnd"].mean() < 8.5e6
    assert by_region.idxmin() == "Northern Midlands & Mountains"
    assert by_region["Southeast"] > by_region["North Central & Central Coast"]
    assert by_region["Red River Delta"] > by_region["Mekong Delta"]
    assert by_education["university"] > by_education["upper_secondary"] > by_education["primary"]
    urban = employed.groupby("urban")["monthly_income_vnd"].mean()
    assert urban[True] > 1.3 * urban[False]
    mid_career = employed[employed["age"].between(35, 50)]["monthly_income_vnd"].mean()
    young = employed[employed["age"].between(18, 25)]["monthly_income_vnd"].mean()
    assert mid_career > young
    assert (people.loc[people["occupation"].isin(["child", "student"]), "monthly_income_vnd"] == 0).all()


def test_households_and_age_pyramid_are_plausible(reference):
    people = _people_with_places(reference)
    households = reference["households"]
    heads = people.groupby("household_id").head(1)

    assert 3.0 < households["size"].mean() < 3.8
    assert households["size"].between(1, 8).all()
    assert (heads["age"] >= 18).all()
    assert 0.15 < (people["age"] < 15).mean() < 0.3
    assert 0.08 < (people["age"] >= 60).mean() < 0.25
    assert 0.25 < people["urban"].mean() < 0.5  # ≈ 38 % nationally; 200 communes here
    assert (people.loc[people["age"] < 15, "occupation"] == "child").all()


def test_enterprises_products_and_sales_are_well_formed(reference):
    enterprises, products, sales = reference["enterprises"], reference["products"], reference["sales"]

    assert enterprises["tax_code"].str.fullmatch(r"\d{10}").all() and enterprises["tax_code"].is_unique
    assert enterprises["vsic_section"].str.fullmatch(r"[A-U]").all()
    assert (enterprises["employees"] >= 1).all() and (enterprises["revenue_vnd"] > 0).all()
    assert products["hs_code"].str.fullmatch(r"\d{6}").all()
    assert (products["unit_price_vnd"] > 0).all()
    assert sales["month"].dt.year.eq(2024).all() and (sales["month"].dt.day == 1).all()
    assert not sales.duplicated(["product_id", "commune_code", "month"]).any()
    priced = sales.merge(products[["product_id", "unit_price_vnd"]], on="product_id")
    assert (priced["revenue_vnd"] == priced["quantity"] * priced["unit_price_vnd"]).all()


def _bytes(paths: dict[str, Path]) -> dict[str, bytes]:
    return {name: path.read_bytes() for name, path in paths.items()}


def test_same_seed_gives_byte_identical_files_whatever_the_workers(tmp_path):
    first = generate_reference(1500, 3, tmp_path / "a", chunk_size=400)
    again = generate_reference(1500, 3, tmp_path / "b", chunk_size=400, workers=2)
    other = generate_reference(1500, 4, tmp_path / "c", chunk_size=400)

    assert _bytes(first) == _bytes(again)
    assert first["people"].read_bytes() != other["people"].read_bytes()
    assert len(pd.read_parquet(first["people"])) == 1500


def test_a_choice_of_tables_writes_those_with_the_same_bytes(tmp_path):
    everything = generate_reference(1500, 3, tmp_path / "all", chunk_size=400)
    some = generate_reference(1500, 3, tmp_path / "some", chunk_size=400, tables=("people", "sales"))

    assert sorted(some) == ["people", "sales"] and sorted(p.name for p in (tmp_path / "some").iterdir()) == [
        "people.parquet",
        "sales.parquet",
    ]
    assert _bytes(some) == {name: everything[name].read_bytes() for name in some}
    with pytest.raises(InputDataError, match=r"tables must be a non-empty choice of provinces, .* \(got persons\)"):
        generate_reference(10, 1, tmp_path / "bad", tables=("persons",))


def test_chunks_are_independent(tmp_path):
    one = pd.read_parquet(generate_reference(900, 3, tmp_path / "a", chunk_size=300)["people"])
    two = pd.read_parquet(generate_reference(1200, 3, tmp_path / "b", chunk_size=300)["people"])

    pd.testing.assert_frame_equal(one, two.head(900))


@pytest.mark.parametrize(
    "kwargs", [{"people": 0}, {"people": 10, "chunk_size": 0}, {"people": 10, "workers": 0}, {"people": 2 * 10**8}]
)
def test_bad_sizes_are_refused_with_the_value(tmp_path, kwargs):
    args = {"seed": 1, "out_dir": tmp_path, **kwargs}

    with pytest.raises(InputDataError, match=r"must be (at least|within|at most)"):
        generate_reference(**args)


def test_region_income_factors_rank_as_documented():
    regions = {p.region for p in PROVINCES}
    from synthetic.vietnam import REGION_INCOME_FACTOR

    assert set(REGION_INCOME_FACTOR) == regions
    assert max(REGION_INCOME_FACTOR, key=REGION_INCOME_FACTOR.get) == "Southeast"
    assert np.argmin(list(REGION_INCOME_FACTOR.values())) == list(REGION_INCOME_FACTOR).index(
        "Northern Midlands & Mountains"
    )
