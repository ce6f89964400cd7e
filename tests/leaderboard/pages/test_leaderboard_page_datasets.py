"""The "Datasets" page for every role, and no page at all without a hub identity."""

from __future__ import annotations


def test_competitor_reads_the_card_of_a_published_dataset(open_app, seeded) -> None:
    seeded.publish_dataset()

    app = open_app("alice", page="datasets")

    assert not app.exception
    assert app.subheader[0].value == "people@1"
    gates = app.dataframe[0].value
    assert list(gates["Gate"]) == ["quality", "pii_overlap"] and list(gates["Passed"]) == [True, False]
    assert list(app.dataframe[2].value["Quality"]) == [0.95, 0.87]
    assert "overlap is chance" in app.warning[0].value
    assert any("Gates: FAILED" in markdown.value for markdown in app.markdown)


def test_no_dataset_yet_is_said(open_app) -> None:
    app = open_app("judy", page="datasets")

    assert [info.value for info in app.info] == ["No dataset is published yet."]


def test_no_user_sees_no_page(open_app, seeded) -> None:
    seeded.publish_dataset()
    for page in ("datasets", "judges", "organiser", "my-submissions", "plots"):
        app = open_app(None, page=page)

        assert [title.value for title in app.title] == ["Not signed in"]
        assert not app.dataframe


def test_a_dp_dataset_shows_epsilon_utility_and_risks_in_plain_words(open_app, seeded) -> None:
    from arena.models import Dataset
    from tests.leaderboard.test_leaderboard_datasets import DP_CARD

    with seeded.database.session() as session:
        session.add(
            Dataset(name="people-dp", version=1, checksum="d" * 64, rows=2000, card=DP_CARD, gates=DP_CARD["gates"])
        )

    app = open_app("alice", page="datasets")

    assert not app.exception
    words = " ".join(markdown.value for markdown in app.markdown)
    assert "Differentially private (MST): ε = 1" in words and "62% as useful" in words
    assert "singling out: an attacker holding the replica does 2.0% better" in words
