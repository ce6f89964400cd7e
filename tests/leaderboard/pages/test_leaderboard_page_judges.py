"""The judges' console page: detail of a submission, paging, the review form (saved through a real scoring
service), blinded review, and no entry for competitors."""

from __future__ import annotations

from sqlalchemy import func, select
from streamlit.testing.v1 import AppTest

from arena.models import AuditEvent, ReviewScore, Submission, User


def _field(app: AppTest, name: str) -> str:
    return app.table[0].value.loc[name, "Value"]


def _id(option: str) -> int:
    """The submission id of a picker option (``#12 · team · state · time``)."""
    return int(option.split(" ")[0].removeprefix("#"))


def test_judge_sees_a_submission_in_full_detail(open_app, seeded) -> None:
    app = open_app("judy", page="judges")
    oldest = _id(app.selectbox[1].options[-1])  # the scored one; the failed one is newer

    app = app.selectbox[1].set_value(oldest).run()

    assert not app.exception
    assert list(app.dataframe[0].value["Team"]) == ["Owls", "Owls"]
    assert _field(app, "File name") == "predictions.csv"
    assert _field(app, "Size (bytes)") == "1234"
    assert _field(app, "SHA-256") == "f" * 64
    assert _field(app, "Submitted") == "2026-01-05 09:30 UTC"
    assert _field(app, "Scored") == "2026-01-05 09:31 UTC"
    scores = app.table[1].value
    assert scores.loc["accuracy", "private"] == f"{dict(seeded.private)['accuracy']:.4f}"
    assert scores.loc["f1_macro", "public"] == f"{dict(seeded.public)['f1_macro']:.4f}"
    assert app.selectbox[1].label == "Submission to judge"
    assert app.selectbox[1].format_func(oldest).startswith(f"#{oldest} · Owls · scored · 2026-01-05")


def test_failed_submission_detail_shows_its_error(open_app, seeded) -> None:
    app = open_app("olga", page="judges")  # the newest (failed) submission is chosen first

    assert _field(app, "State") == "failed"
    assert _field(app, "Error") == seeded.failure


def test_blinded_review_hides_team_user_and_file(open_app, seeded, rendered) -> None:
    app = open_app("judy", page="judges")

    app = app.toggle[0].set_value(True).run()

    assert not app.exception
    teams = set(app.dataframe[0].value["Team"])
    assert len(teams) == 1 and next(iter(teams)).startswith("Team ")
    text = rendered(app)
    assert "Owls" not in text and "alice" not in text.replace("Signed in as", "") and "broken.csv" not in text
    assert _field(app, "Team") in teams


def test_competitor_is_not_allowed_in_the_console(open_app, seeded) -> None:
    app = open_app("alice", page="judges")

    assert [title.value for title in app.title] == ["Not allowed"]
    assert "judge" in app.error[0].value and "'competitor'" in app.error[0].value
    assert not app.dataframe
    assert "Judges' console" not in open_app("alice").sidebar.radio[0].options


def _reviews(seeded) -> list[tuple[str, str, float, str]]:
    with seeded.database.session() as session:
        query = select(User.name, ReviewScore.rubric, ReviewScore.score, ReviewScore.comment).join(
            User, User.id == ReviewScore.judge_id
        )
        return [tuple(row) for row in session.execute(query)]


def _choose_scored(app: AppTest, seeded) -> AppTest:
    return app.selectbox[1].set_value(seeded.scored_submission()).run()


def test_judge_saves_a_rubric_score_through_the_scoring_api(open_app, seeded, scoring_service) -> None:
    app = _choose_scored(open_app("judy", scoring_service, page="judges"), seeded)
    assert [field.label for field in app.number_input] == ["overall (0–10)"]

    app.number_input[0].set_value(7.5)
    app.text_area[0].input("clear notebook, weak validation")
    app = app.button[0].click().run()

    assert not app.exception
    assert [s.value for s in app.success] == [f"Saved your review of submission {seeded.scored_submission()}: overall."]
    assert _reviews(seeded) == [("judy", "overall", 7.5, "clear notebook, weak validation")]
    mine = app.dataframe[1].value
    assert mine[["Judge", "Criterion", "Score"]].values.tolist() == [["judy", "overall", "7.5"]]
    with seeded.database.session() as session:
        actors = session.scalars(select(AuditEvent.actor).where(AuditEvent.action == "review.score")).all()
    assert actors == ["judy"]


def test_saved_scores_fill_the_form_and_unchanged_ones_are_not_sent_again(open_app, seeded, scoring_service) -> None:
    seeded.add_review("judy", seeded.scored_submission(), 4.0, "first look")
    app = _choose_scored(open_app("judy", scoring_service, page="judges"), seeded)

    assert app.number_input[0].value == 4.0 and app.text_area[0].value == "first look"
    app = app.button[0].click().run()

    assert [info.value for info in app.info] == ["Nothing to save: enter a score, or change one."]
    with seeded.database.session() as session:
        assert session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "review.score")) == 1


def test_a_save_while_scoring_is_down_says_so_and_stores_nothing(open_app, seeded, monkeypatch) -> None:
    monkeypatch.setenv("JUPYTERHUB_API_TOKEN", "leaderboard-service-token")
    down = seeded.settings.model_copy(update={"leaderboard_scoring_url": "http://127.0.0.1:9/services/scoring"})
    app = _choose_scored(open_app("judy", down, page="judges"), seeded)

    app.number_input[0].set_value(3.0)
    app = app.button[0].click().run()

    assert not app.exception
    [error] = [e.value for e in app.error]
    assert error.startswith("Not saved (overall): the scoring service at http://127.0.0.1:9/services/scoring does not")
    assert _reviews(seeded) == []


def test_other_judges_scores_are_shown_unless_blinded(open_app, seeded, rendered) -> None:
    seeded.add_review("olga", seeded.scored_submission(), 9.0, "best of the lot")
    app = _choose_scored(open_app("judy", page="judges"), seeded)

    everyone = app.dataframe[1].value
    assert "Other judges" in [s.value for s in app.subheader]
    blinded = _choose_scored(app.toggle[0].set_value(True).run(), seeded)

    assert everyone[["Judge", "Score", "Comment"]].values.tolist() == [["olga", "9.0", "best of the lot"]]
    assert "best of the lot" not in rendered(blinded)
    assert "Blinded review: other judges' scores are hidden." in [c.value for c in blinded.caption]


def test_judges_page_through_every_submission(open_app, seeded) -> None:
    seeded.add_teams(120)  # 122 submissions: three pages of 50
    app = open_app("judy", page="judges")
    reached = []

    for page in (1, 2, 3):
        app = app.pagination[0].set_value(page).run()
        reached.append([_id(option) for option in app.selectbox[1].options])

    assert not app.exception
    assert app.pagination[0].num_pages == 3
    assert [len(ids) for ids in reached] == [50, 50, 22]
    assert "Submissions 101–122 of 122, newest first" in [s.value for s in app.subheader]
    with seeded.database.session() as session:
        every = session.scalars(select(Submission.id)).all()
    assert sorted(sum(reached, [])) == sorted(every)


def test_judge_reads_the_submitted_code_main_py_highlighted(open_app, seeded) -> None:
    import io
    import zipfile

    from scoring.store import submission_path

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("main.py", "def predict(features):\n    return features\n")
        archive.writestr("README.md", "# My approach\n")
    stored = submission_path(seeded.settings, "f" * 64)
    stored.parent.mkdir(parents=True, exist_ok=True)
    stored.write_bytes(buffer.getvalue())

    app = _choose_scored(open_app("judy", page="judges"), seeded)

    assert not app.exception
    assert "What is judged" in [s.value for s in app.subheader]
    [code, readme] = app.code
    assert code.language == "python" and "def predict(features)" in code.value
    assert readme.value.strip() == "# My approach"
