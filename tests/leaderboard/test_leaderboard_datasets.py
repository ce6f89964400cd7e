"""Dataset cards: the dataset queries and the card's tables (gates, table scores, column quality)."""

from __future__ import annotations

from leaderboard.cards import column_quality, gates_frame, privacy_in_plain_words, read_card_markdown, table_scores
from leaderboard.queries.datasets import dataset_card, list_datasets


def test_dataset_queries_and_card_page(seeded) -> None:
    seeded.publish_dataset()
    with seeded.database.session() as session:
        datasets = list_datasets(session)
        card = dataset_card(session, "people", 1)
        missing = dataset_card(session, "people", 2)

    assert datasets[["name", "version", "rows"]].to_dict("records") == [{"name": "people", "version": 1, "rows": 500}]
    assert card == {"card": seeded.card, "gates": seeded.card["gates"]}
    assert missing is None
    assert "Gates: FAILED" in read_card_markdown(seeded.settings, "people", 1)
    assert read_card_markdown(seeded.settings, "people", 2) is None


def test_card_tables(seeded) -> None:
    gates = gates_frame(seeded.card["gates"])

    assert gates.to_dict("records") == [
        {"Gate": "quality", "Value": 0.91, "Needs": ">= 0.8", "Passed": True},
        {"Gate": "pii_overlap", "Value": 2, "Needs": "<= 0", "Passed": False},
    ]
    assert column_quality(seeded.card, "people").to_dict("records") == [
        {"Column": "age", "Quality": 0.95}, {"Column": "province", "Quality": 0.87},
    ]  # fmt: skip
    assert table_scores(seeded.card).loc[0, "Quality"] == 0.91
    assert column_quality({}, "people").empty and gates_frame({}).empty
    few = {"value": 0.0, "threshold": 0.15, "op": "<=", "passed": True,
           "decided_on": "95 % interval lower bound (70 targets < 200)"}
    assert gates_frame({"inference_risk": few}).loc[0, "Needs"] == (
        "<= 0.15 (on the 95 % interval lower bound (70 targets < 200))"
    )


DP_CARD = {
    "gates": {"tstr_ratio": {"value": 0.62, "threshold": 0.5, "op": ">=", "passed": True}},
    "thresholds": {"singling_out_risk_max": 0.08, "linkability_risk_max": 0.05, "inference_risk_max": 0.15},
    "generator": {"mst": {"privacy": {"epsilon": 1.0, "delta": 1e-9}}},
    "tables": {
        "people": {
            "utility": {
                "target": "occupation",
                "metric": "f1_macro",
                "score_replica": 0.3,
                "score_real": 0.48,
                "ratio": 0.62,
            },
            "privacy_risks": {
                "singling_out": {"risk": 0.02, "ci": [0.0, 0.05]},
                "linkability": {"risk": 0.0, "ci": [0.0, 0.003]},
                "inference": {"risk": 0.03, "ci": [0.0, 0.09]},
                "targets": 1000,
            },
        }
    },
}


def test_privacy_in_plain_words() -> None:
    sentences, risks = privacy_in_plain_words(DP_CARD)
    plain, _ = privacy_in_plain_words({"gates": {}})

    assert (
        sentences[0].startswith("Differentially private (MST): ε = 1, δ = 1e-09.") and "factor of 2.7" in sentences[0]
    )
    assert any("62% as useful" in sentence for sentence in sentences)
    assert any("inference: an attacker holding the replica does 3.0% better" in sentence for sentence in sentences)
    assert risks.to_dict("records")[2] == {
        "Attack": "people: inference",
        "Risk": 0.03,
        "Lowest": 0.0,
        "Highest": 0.09,
        "Limit": 0.15,
    }
    assert plain[0].startswith("Not differentially private") and len(plain) == 1
