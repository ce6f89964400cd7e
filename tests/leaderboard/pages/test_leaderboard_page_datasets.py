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
