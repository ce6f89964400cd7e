"""Differentially private replicas (MST), train-on-synthetic / test-on-real utility, attack risks, edge cases."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import opendp.prelude as dp
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from typer.testing import CliRunner

from cli.synth import app
from synthetic import (
    GateThresholds,
    evaluate_replica,
    InputDataError,
    MetadataSpec,
    Replica,
    attack_risks,
    detect_metadata,
    generate_reference,
    render_card_markdown,
    replicate,
    train_synthetic_test_real,
    write_metadata_yaml,
)
from synthetic.discretize import column_domains
from synthetic.dp_accounting import epsilon_of_rho
from synthetic.mst import MstModel
from synthetic.public_domains import REFERENCE_PEOPLE_DOMAINS, with_public_domains

PEOPLE = 10_000
LEARNED = ["sex", "birth_date", "commune_code", "education", "occupation", "monthly_income_vnd"]


def _people_metadata(people: pd.DataFrame) -> MetadataSpec:
    """Reviewed metadata of the people table with the public domains an organiser would write."""
    return with_public_domains(detect_metadata({"people": people}), "people", REFERENCE_PEOPLE_DOMAINS)


@pytest.fixture(scope="module")
def people(tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    """10,000 reference people (the DP replica needs enough rows for ε = 1 to leave signal)."""
    paths = generate_reference(PEOPLE, 11, tmp_path_factory.mktemp("people"), progress=False)
    return pd.read_parquet(paths["people"])


def test_mst_privacy_accounting_equals_opendp(people):
    frame = people[LEARNED].head(800)
    spec = _people_metadata(people).tables["people"]
    epsilon, delta = 1.0, 1e-9

    model = MstModel.fit(frame, column_domains(frame, spec, LEARNED), epsilon, delta, iters=50)

    charges = model.accountant.charges
    d = len(LEARNED)
    rho = model.accountant.rho
    # MST's own accounting: a third of ρ to each step, closed forms per mechanism.
    sigma_one, sigma_two = math.sqrt(3 * d / (2 * rho)), math.sqrt(3 * (d - 1) / (2 * rho))
    epsilon_edge = math.sqrt(8 * (rho / 3) / (d - 1))
    assert [c.step for c in charges].count("one-way marginals") == d
    assert [c.step for c in charges].count("spanning tree") == d - 1
    assert [c.step for c in charges].count("two-way marginals") == d - 1
    for charge in charges:
        expected = {"one-way marginals": 1 / (2 * sigma_one**2), "two-way marginals": 1 / (2 * sigma_two**2)}.get(
            charge.step, epsilon_edge**2 / 8
        )
        assert charge.rho == pytest.approx(expected, rel=1e-12)
    # OpenDP's accounting of the same mechanisms, composed.
    counts = dp.vector_domain(dp.atom_domain(T=float, nan=False))
    gaussians = dp.c.make_composition(
        [
            dp.m.make_gaussian(counts, dp.l2_distance(T=float), scale=c.scale)
            for c in charges
            if c.mechanism == "gaussian"
        ]
    )
    noisy_maxes = dp.c.make_composition(
        [
            dp.m.make_noisy_max(counts, dp.linf_distance(T=float), dp.zero_concentrated_divergence(), scale=c.scale)
            for c in charges
            if c.mechanism != "gaussian"
        ]
    )
    opendp_rho = gaussians.map(1.0) + noisy_maxes.map(1.0)
    assert model.accountant.spent == pytest.approx(opendp_rho, rel=1e-12)
    assert model.accountant.spent == pytest.approx(rho, rel=1e-9)
    equivalent = dp.m.make_gaussian(counts, dp.l2_distance(T=float), scale=1.0)
    opendp_epsilon, opendp_delta = dp.c.make_fix_delta(dp.c.make_zCDP_to_approxDP(equivalent), delta).map(
        math.sqrt(2 * opendp_rho)
    )
    assert opendp_delta == delta and opendp_epsilon == pytest.approx(epsilon, rel=1e-6)
    assert epsilon_of_rho(rho, delta) <= epsilon * (1 + 1e-9)
    assert epsilon <= rho + 2 * math.sqrt(rho * math.log(1 / delta))  # OpenDP's conversion is at least as tight


def test_dp_people_replica_at_epsilon_1_passes_the_readme_gates(people):
    metadata = _people_metadata(people)

    synthetic, card = replicate(
        {"people": people}, metadata, 2000, 3, holdout_fraction=0.2, synthesizer="mst", epsilon=1.0, target="occupation"
    )

    assert card["passed"], {name: gate for name, gate in card["gates"].items() if not gate["passed"]}
    assert {"tstr_ratio", "singling_out_risk", "linkability_risk", "inference_risk", "edge_cases_kept"} <= set(
        card["gates"]
    )
    assert card["gates"]["tstr_ratio"]["threshold"] == 0.4  # the DP floor (README "The new gates")
    assert "decided_on" not in card["gates"]["linkability_risk"]  # 1,000 targets: precise, judged on the estimate
    privacy = card["generator"]["mst"]["privacy"]
    assert privacy["epsilon"] == 1.0 and privacy["delta"] == 1e-9
    assert privacy["epsilon_spent"] == pytest.approx(1.0, rel=1e-6)
    assert card["generator"]["mst"]["domains"]["monthly_income_vnd"] == {
        "kind": "numerical",
        "bounds": [0.0, 60_000_000.0],
        "bins": 20,
    }
    assert card["generator"]["mst"]["data_derived_domains"] == ["commune_code"]
    replica = synthetic["people"]
    assert list(replica.columns) == list(people.columns)
    assert not replica["cccd"].isin(people["cccd"]).any()
    assert replica["monthly_income_vnd"].between(0, 60_000_000).all()
    page = render_card_markdown(card)
    assert "(ε = 1, δ = 1e-09)-differentially private" in page and "singling out" in page


def test_mst_needs_public_bounds_and_a_budget(people, tmp_path):
    metadata = detect_metadata({"people": people.head(200)})
    write_metadata_yaml(metadata, tmp_path / "meta.yaml")
    people.head(200).to_parquet(tmp_path / "people.parquet")

    with pytest.raises(InputDataError, match="column 'birth_date' .* has no public bounds"):
        Replica.fit({"people": people.head(200)}, metadata, synthesizer="mst", epsilon=1.0)
    with pytest.raises(InputDataError, match="needs a privacy budget"):
        Replica.fit({"people": people.head(200)}, metadata, synthesizer="mst")
    with pytest.raises(InputDataError, match="needs real rows held out"):
        replicate({"people": people.head(200)}, metadata, 50, 1, target="occupation")
    result = CliRunner().invoke(
        app,
        [
            "replicate",
            str(tmp_path / "people.parquet"),
            "--metadata",
            str(tmp_path / "meta.yaml"),
            "--rows",
            "50",
            "--out",
            str(tmp_path / "rep"),
            "--synthesizer",
            "mst",
            "--epsilon",
            "1",
        ],
    )
    assert isinstance(result.exception, InputDataError) and "has no public bounds" in str(result.exception)


def _learned(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame[LEARNED].copy()
    out["birth_date"] = (out["birth_date"] - pd.Timestamp("1970-01-01")).dt.days.astype(float)
    return out.reset_index(drop=True)


def test_attacks_find_a_copy_of_20_percent_and_not_an_independent_sample(people):
    rows = _learned(people)
    train, control, independent = rows.iloc[:2000], rows.iloc[2000:3000], rows.iloc[3000:5000]
    copy = pd.concat([train.iloc[:400], independent.iloc[:1600]], ignore_index=True)
    numeric = ["birth_date", "monthly_income_vnd"]

    leaky = attack_risks(train, copy, control, numeric, seed=1)
    safe = attack_risks(train, independent, control, numeric, seed=1)

    thresholds = GateThresholds()
    for attack in ("singling_out", "linkability", "inference"):
        assert leaky[attack]["ci"][0] > safe[attack]["risk"], (attack, leaky[attack], safe[attack])
        assert safe[attack]["risk"] <= getattr(thresholds, f"{attack}_risk_max"), (attack, safe[attack])
    assert leaky["linkability"]["risk"] > thresholds.linkability_risk_max
    assert leaky["inference"]["risk"] > thresholds.inference_risk_max
    assert leaky["singling_out"]["risk"] > safe["singling_out"]["risk"] + 0.04
    assert 0 <= leaky["linkability"]["ci"][0] <= leaky["linkability"]["risk"] <= leaky["linkability"]["ci"][1] <= 1


def test_tstr_equals_a_plain_scikit_learn_script(people):
    spec = _people_metadata(people).tables["people"]
    train, replica, test = people.iloc[:1500], people.iloc[1500:3000], people.iloc[3000:3600]

    result = train_synthetic_test_real(train, replica, test, spec, "occupation")

    categorical, numerical = ["sex", "commune_code", "education"], ["birth_date", "monthly_income_vnd"]

    def features(frame: pd.DataFrame) -> pd.DataFrame:
        out = frame[categorical + numerical].copy()
        out["birth_date"] = (out["birth_date"] - pd.Timestamp("1970-01-01")) / pd.Timedelta(days=1)
        out["monthly_income_vnd"] = out["monthly_income_vnd"].astype(float)
        return out

    def score(rows: pd.DataFrame) -> float:
        model = Pipeline(
            [
                (
                    "features",
                    ColumnTransformer(
                        [
                            ("categorical", OneHotEncoder(handle_unknown="ignore"), categorical),
                            (
                                "numerical",
                                make_pipeline(SimpleImputer(strategy="median", add_indicator=True), StandardScaler()),
                                numerical,
                            ),
                        ]
                    ),
                ),
                ("model", LogisticRegression(max_iter=1000)),
            ]
        ).fit(features(rows), rows["occupation"])
        return f1_score(test["occupation"], model.predict(features(test)), average="macro")

    assert result["score_replica"] == round(score(replica), 6)
    assert result["score_real"] == round(score(train), 6)
    assert result["ratio"] == round(score(replica) / score(train), 6)
    assert (result["task"], result["metric"], result["test_rows"]) == ("classification", "f1_macro", 600)


def test_copula_replica_keeps_edge_cases_at_real_rates(people):
    source = people.head(1500).reset_index(drop=True)
    metadata = detect_metadata({"people": source})

    _, card = replicate({"people": source}, metadata, 1500, 2)

    rates = card["tables"]["people"]["edge_cases"]
    real, replica = rates["occupation"]["uncommon"]
    assert real > 0.05 and replica == pytest.approx(real, abs=0.002)
    assert card["gates"]["edge_cases_kept"]["passed"], rates
    smoothed = source.copy()
    common = smoothed["occupation"].value_counts(normalize=True)
    smoothed.loc[smoothed["occupation"].isin(common[common < 0.05].index), "occupation"] = common.index[0]
    from synthetic import evaluate_replica

    assert not evaluate_replica({"people": source}, {"people": smoothed}, metadata)["gates"]["edge_cases_kept"][
        "passed"
    ]


def test_metadata_yaml_round_trips_bounds(tmp_path: Path, people):
    metadata = _people_metadata(people.head(100))
    from synthetic import read_metadata_yaml

    again = read_metadata_yaml(write_metadata_yaml(metadata, tmp_path / "meta.yaml"))

    assert again.tables["people"].columns["monthly_income_vnd"].bounds == (0.0, 60_000_000.0)
    assert again.tables["people"].columns["birth_date"].bounds == ("1920-01-01", "2025-07-01")
    assert again.tables["people"].columns["birth_date"].bins == 30
    assert np.isfinite(again.tables["people"].columns["monthly_income_vnd"].bounds[1])


def test_cli_replicates_with_mst_and_the_replica_saves_and_loads(people, tmp_path):
    source = people.head(1000)
    write_metadata_yaml(_people_metadata(source), tmp_path / "meta.yaml")
    source.to_parquet(tmp_path / "people.parquet")

    result = CliRunner().invoke(
        app,
        ["replicate", str(tmp_path / "people.parquet"), "--metadata", str(tmp_path / "meta.yaml"), "--rows", "300",
         "--out", str(tmp_path / "rep"), "--synthesizer", "mst", "--epsilon", "2", "--delta", "1e-7"],
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    card = (tmp_path / "rep" / "card.md").read_text(encoding="utf-8")
    assert (
        "(ε = 2, δ = 1e-07)-differentially private" in card
        and "`monthly_income_vnd` [0.0, 60000000.0] in 20 bins" in card
    )
    replica = Replica.fit({"people": source}, _people_metadata(source), synthesizer="mst", epsilon=2.0, delta=1e-7)
    loaded = Replica.load(replica.save(tmp_path / "mst.pkl"))
    pd.testing.assert_frame_equal(loaded.sample(50, seed=4)["people"], replica.sample(50, seed=4)["people"])


def test_with_few_targets_the_risk_gates_fail_an_established_leak_and_not_chance(people):
    """70 control rows: an honest sample's riskiest estimate exceeds a limit by chance; a copy still fails.

    The interval of a risk measured on 70 targets is wider than the limits, so the gate judges its
    lower bound (a leak established at 95 %).
    """
    metadata = _people_metadata(people)
    train, control, independent = people.iloc[:300], people.iloc[300:370], people.iloc[400:700]
    limit = GateThresholds().inference_risk_max
    by_seed = [
        attack_risks(_learned(train), _learned(independent), _learned(control), ["birth_date", "monthly_income_vnd"],
                     seed=seed)["inference"]
        for seed in range(10)
    ]
    assert max(r["risk"] for r in by_seed) > limit and all(r["ci"][0] <= limit for r in by_seed), by_seed

    def risk_gates(replica: pd.DataFrame) -> dict:
        card = evaluate_replica({"people": train}, {"people": replica}, metadata, holdout={"people": control}, seed=0)
        assert card["tables"]["people"]["privacy_risks"]["targets"] == 70
        return {name: gate for name, gate in card["gates"].items() if name.endswith("_risk")}

    honest, copied = risk_gates(independent), risk_gates(train.sample(frac=1.0, random_state=0))

    decided_on = honest["inference_risk"]["decided_on"]
    assert decided_on.startswith("95 % interval lower bound: the interval reaches ") and "(70 targets)" in decided_on
    assert all(gate["passed"] for gate in honest.values()), honest
    assert not copied["inference_risk"]["passed"] and not copied["linkability_risk"]["passed"], copied
    page = render_card_markdown({"gates": honest, "passed": True})
    assert f"(on the {decided_on})" in page
