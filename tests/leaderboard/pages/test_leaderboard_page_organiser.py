"""The organiser page: queue, failures and challenges for organisers; "not allowed" for others."""

from __future__ import annotations

from sqlalchemy import select

from arena.models import AuditEvent, Challenge, ChallengeState


def test_organiser_sees_queue_failures_and_challenges(open_app, seeded) -> None:
    seeded.queue_submission()

    app = open_app("olga", page="organiser")

    assert not app.exception
    metrics = {metric.label: metric.value for metric in app.metric}
    assert metrics["queued"] == "1" and metrics["failed"] == "1" and metrics["scored"] == "1"
    assert metrics["oldest queued"].endswith("s")
    challenges = app.dataframe[0].value
    assert list(challenges["State"]) == ["published"] and list(challenges["Version"]) == [1]
    assert "slug" not in challenges.columns and "Published" in challenges.columns  # human column names
    assert list(app.dataframe[1].value["Error"]) == [seeded.failure]


def test_judge_and_competitor_are_not_allowed_on_the_organiser_page(open_app) -> None:
    for user in ("judy", "alice"):
        app = open_app(user, page="organiser")

        assert [title.value for title in app.title] == ["Not allowed"]
        assert not app.dataframe and not app.metric


def test_organiser_closes_and_exports_through_the_scoring_api(open_app, seeded, scoring_service) -> None:
    app = open_app("olga", scoring_service, page="organiser")

    app = next(button for button in app.button if button.label == "Close").click().run()
    assert not app.exception
    assert [s.value for s in app.success][0].startswith(f"Closed `{seeded.slug}` at ")
    app = next(button for button in app.button if button.label == "Prepare the export").click().run()

    assert not app.exception and not app.error
    with seeded.database.session() as session:
        actions = session.scalars(select(AuditEvent.action).where(AuditEvent.actor == "olga")).all()
        state = session.scalar(select(Challenge.state))
    assert state == ChallengeState.closed and {"challenge.close", "challenge.export"} <= set(actions)
