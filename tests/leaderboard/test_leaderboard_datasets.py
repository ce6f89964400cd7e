"""Dataset cards: the dataset queries and the card's tables (gates, table scores, column quality)."""

from __future__ import annotations

from leaderboard.cards import column_quality, gates_frame, read_card_markdown, table_scores
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
