"""The "My submissions" page: own submissions, failures explained, private scores hidden before close, final selection."""

from __future__ import annotations

from sqlalchemy import select

from arena.models import AuditEvent, Challenge, Submission


def test_competitor_sees_own_submissions_without_private_scores(open_app, seeded, rendered) -> None:
    app = open_app("alice", page="my-submissions")

    assert not app.exception
    table = app.dataframe[0].value
    assert list(table["File"]) == ["broken.csv", "predictions.csv"]
    assert seeded.failure in table["What happened"].iloc[0]
    assert table["Public accuracy"].iloc[1] == f"{dict(seeded.public)['accuracy']:.4f}"
    assert "Private accuracy" not in table.columns
    text = rendered(app)
    assert all(str(round(value, 4)) not in text for _metric, value in seeded.private)


def test_private_scores_appear_after_close(open_app, seeded) -> None:
    seeded.close_challenge()

    app = open_app("alice", page="my-submissions")

    assert app.dataframe[0].value["Private accuracy"].iloc[1] == f"{dict(seeded.private)['accuracy']:.4f}"


def test_viewer_without_team_is_told_so(open_app) -> None:
    app = open_app("bob", page="my-submissions")

    assert not app.exception and not app.dataframe
    assert "bob is in no team" in app.info[0].value


def test_competitor_ticks_a_final_selection_saved_through_the_scoring_api(open_app, seeded, scoring_service) -> None:
    second = seeded.add_owls_submission(0.9, 0.8, hours=3)
    app = open_app("alice", scoring_service, page="my-submissions")
    assert any("Tick up to 2 of your scored submissions" in m.value for m in app.markdown)

    [box] = [box for box in app.checkbox if box.label.startswith(f"#{second} ")]
    box.check()
    app = app.button[0].click().run()

    assert not app.exception
    assert [s.value for s in app.success] == [f"Final selection saved: #{second}"]
    with seeded.database.session() as session:
        chosen = session.scalars(select(Submission.id).where(Submission.selected)).all()
        actors = session.scalars(select(AuditEvent.actor).where(AuditEvent.action == "submission.final_selection")).all()
    assert chosen == [second] and actors == ["alice"]
    assert open_app("alice", page="my-submissions").dataframe[0].value.set_index("#").loc[second, "Final"] == "✓"


def test_a_refused_selection_is_explained(open_app, seeded, scoring_service) -> None:
    ids = [seeded.add_owls_submission(0.6 + n / 10, 0.5, hours=3 + n) for n in range(3)]
    app = open_app("alice", scoring_service, page="my-submissions")

    for box in app.checkbox:
        box.check()
    app = app.button[0].click().run()

    assert not app.exception and len(ids) == 3
    [error] = [e.value for e in app.error]
    assert "limits.final_selection is 2" in error


def test_the_default_challenge_is_the_one_last_submitted_to(open_app, seeded) -> None:
    with seeded.database.session() as session:
        session.add(Challenge(slug="aaa-newer", title="A newer challenge", spec={}, answers_digest="0" * 64))

    alice = open_app("alice", page="overview")
    bob = open_app("bob", page="overview")

    assert alice.query_params["challenge"] == seeded.slug  # alice submitted to it
    assert bob.query_params["challenge"] == "aaa-newer"  # bob never did: the newest open one
    assert any("starters/churn/starter.ipynb" in info.value for info in alice.info)
    assert any("**5** submissions per team per day" in m.value for m in alice.markdown)
