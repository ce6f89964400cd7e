"""The organiser page: queue, failures and challenges for organisers; "not allowed" for others."""

from __future__ import annotations


def test_organiser_sees_queue_failures_and_challenges(open_app, seeded) -> None:
    seeded.queue_submission()

    app = open_app("olga", page="organiser")

    assert not app.exception
    metrics = {metric.label: metric.value for metric in app.metric}
    assert metrics["queued"] == "1" and metrics["failed"] == "1" and metrics["scored"] == "1"
    assert metrics["oldest queued"].endswith("s")
    assert list(app.dataframe[0].value["error"]) == [seeded.failure]
    challenges = app.dataframe[1].value
    assert list(challenges["state"]) == ["published"] and list(challenges["version"]) == [1]


def test_judge_and_competitor_are_not_allowed_on_the_organiser_page(open_app) -> None:
    for user in ("judy", "alice"):
        app = open_app(user, page="organiser")

        assert [title.value for title in app.title] == ["Not allowed"]
        assert not app.dataframe and not app.metric
