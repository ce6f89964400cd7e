"""The "Judges' console" (judges, organisers, admins): every submission, one in full detail, and its review.

Submissions are listed newest first, ``settings.judges_page_size`` a page, so judges reach any of
them. Blinded review replaces team names by stable pseudonyms and hides what may name a team
(user, file name, description), and shows only the judge's own review scores. The review form
has one score (within the criterion's range) and one comment per criterion of the challenge's
rubric; saving goes through the scoring API on behalf of the judge (the app itself never writes
to the database), and the scores are then read back from the database.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from leaderboard.access import BOARDS, PRIVILEGED_ROLES, ensure_role
from leaderboard.blinding import blind, review_salt
from leaderboard.catalog import ChallengeInfo
from leaderboard.errors import LeaderboardError
from leaderboard.formatting import format_score
from leaderboard.queries.submissions import count_submissions, recent_submissions, submission_detail, team_submissions
from leaderboard.scoring_api import ScoringApi
from leaderboard.submission_files import SubmissionFile, read_submission_file
from leaderboard.tables import format_time, page_count
from leaderboard.views.context import PageContext
from leaderboard.views.picker import challenge_page
from scoring import Review, list_reviews

__all__ = ["detail_table", "render", "reviews_table", "scores_table"]

_LABELS = {
    "id": "Submission", "team": "Team", "user": "Submitted by", "filename": "File name", "size_bytes": "Size (bytes)",
    "file_digest": "SHA-256", "description": "Description", "state": "State", "error": "Error",
    "attempts": "Scoring attempts", "created_at": "Submitted", "scored_at": "Scored",
}  # fmt: skip
REVIEW_COLUMNS = ["Judge", "Criterion", "Score", "Comment", "Saved"]


def _shown(value: object) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    return format_time(value) if hasattr(value, "strftime") else str(value)


def detail_table(detail: dict[str, object]) -> pd.DataFrame:
    """The fields of one submission as two columns, Field and Value (hidden fields left out)."""
    rows = [(label, _shown(detail[key])) for key, label in _LABELS.items() if key in detail]
    return pd.DataFrame(rows, columns=["Field", "Value"])


def scores_table(detail: dict[str, object], challenge: ChallengeInfo) -> pd.DataFrame:
    """The submission's scores: one row per metric, one column per split (formatted alike)."""
    metrics = [challenge.primary_metric, *challenge.secondary_metrics]
    return pd.DataFrame(
        {split: [format_score(detail.get(f"{split} {metric}")) for metric in metrics] for split in BOARDS},  # type: ignore[arg-type]
        index=metrics,
    )


def reviews_table(reviews: list[Review]) -> pd.DataFrame:
    """Review scores as a table: Judge, Criterion, Score, Comment, Saved."""
    rows = [(r.judge, r.rubric, format_score(r.score, 1), r.comment, format_time(r.updated_at)) for r in reviews]
    return pd.DataFrame(rows, columns=REVIEW_COLUMNS)


def history_table(frame: pd.DataFrame, challenge: ChallengeInfo) -> pd.DataFrame:
    """The team's submissions, newest first: #, Submitted, State, primary score on each board."""
    table = pd.DataFrame(
        {"#": frame["id"].astype(str), "Submitted": frame["created_at"].map(format_time), "State": frame["state"].astype(str)}
    )
    for split in BOARDS:
        table[f"{split} {challenge.primary_metric}"] = [format_score(v) for v in frame[f"{split} {challenge.primary_metric}"]]
    return table


def _show_judged(what: SubmissionFile) -> None:
    """The submission itself: code (main.py first, highlighted), notebook cells, or the table's first rows."""
    st.subheader("What is judged")
    if what.kind == "code":
        st.caption(f"Code submission: {len(what.files)} file(s) — " + ", ".join(f"`{f.path}`" for f in what.files))
        for number, file in enumerate(what.files):
            with st.expander(f"{file.path} ({file.size} bytes)", expanded=number == 0):
                if file.text is None:
                    st.caption("Binary file (not shown).")
                else:
                    st.code(file.text, language=file.language, line_numbers=True)
                    if file.truncated:
                        st.caption("Shown up to its first 200 kB.")
    elif what.kind == "notebook":
        for kind, source in what.cells:
            st.markdown(source) if kind == "markdown" else st.code(source, language="python")
    elif what.kind == "table" and what.preview is not None:
        st.caption(f"Prediction file: its first {len(what.preview)} rows.")
        st.table(what.preview)
    else:
        st.caption(what.note)


def _label(row: pd.Series) -> str:
    return f"#{row['id']} · {row['team']} · {row['state']} · {format_time(row['created_at'])}"


def _recent_table(frame: pd.DataFrame) -> pd.DataFrame:
    columns = [column for column in ("id", "team", "user", "state", "created_at") if column in frame.columns]
    shown = frame[columns].rename(columns=_LABELS)
    shown["Submitted"] = frame["created_at"].map(format_time)
    return shown


def _listed_page(context: PageContext, challenge: ChallengeInfo, total: int) -> tuple[pd.DataFrame, int]:
    """The page of submissions the judge chose (newest first) and its number."""
    size = context.settings.judges_page_size
    pages = page_count(total, size)
    page = int(st.pagination(pages, key=f"judges-page-{challenge.slug}")) if pages > 1 else 1
    with context.database.session() as session:
        listed = recent_submissions(session, challenge, size, offset=(page - 1) * size)
    first = (page - 1) * size + 1
    st.subheader(f"Submissions {first}–{first + len(listed) - 1} of {total}, newest first")
    return listed, page


def _save(context: PageContext, challenge: ChallengeInfo, submission_id: int, entered: dict, own: dict) -> None:
    """Send the criteria the judge changed to the scoring API; say what was saved or why not."""
    api = ScoringApi.from_settings(context.settings)
    saved: list[str] = []
    for name, (score, comment) in entered.items():
        before = own.get(name)
        if score is None or (before is not None and (before.score, before.comment) == (score, comment)):
            continue
        try:
            api.save_review(context.viewer.name, challenge.slug, submission_id, name, float(score), comment)
        except LeaderboardError as error:
            st.error(f"Not saved ({name}): {error}")
            return
        saved.append(name)
    if saved:
        st.success(f"Saved your review of submission {submission_id}: {', '.join(saved)}.")
    else:
        st.info("Nothing to save: enter a score, or change one.")


def _review(context: PageContext, challenge: ChallengeInfo, submission_id: int, blinded: bool) -> None:
    """The review form for the chosen submission, the judge's saved scores and (not blinded) everyone's."""
    viewer = context.viewer.name
    with context.database.session() as session:
        own = {r.rubric: r for r in list_reviews(session, challenge.slug, submission_id) if r.judge == viewer}
    st.subheader("Your review")
    entered: dict[str, tuple[float | None, str]] = {}
    with st.form(key=f"review-{challenge.slug}-{submission_id}"):
        for criterion in challenge.rubric:
            before = own.get(criterion.name)
            left, right = st.columns([1, 3])
            score = left.number_input(
                f"{criterion.name} ({criterion.min:g}–{criterion.max:g})",
                min_value=float(criterion.min), max_value=float(criterion.max),
                value=None if before is None else before.score, step=0.5,
                help=criterion.description or None, key=f"score-{submission_id}-{criterion.name}",
            )  # fmt: skip
            comment = right.text_area(
                f"Comment on {criterion.name}", value="" if before is None else before.comment,
                max_chars=context.settings.review_comment_max_chars, height=80,
                key=f"comment-{submission_id}-{criterion.name}",
            )  # fmt: skip
            entered[criterion.name] = (score, comment)
        submitted = st.form_submit_button("Save review")
    if submitted:
        _save(context, challenge, submission_id, entered, own)
    with context.database.session() as session:
        reviews = list_reviews(session, challenge.slug, submission_id)
    mine = [r for r in reviews if r.judge == viewer]
    st.caption("Your saved scores" if mine else "You have not scored this submission yet.")
    if mine:
        st.dataframe(reviews_table(mine), hide_index=True, width="stretch")
    if blinded:
        st.caption("Blinded review: other judges' scores are hidden.")
        return
    others = [r for r in reviews if r.judge != viewer]
    st.subheader("Other judges")
    if others:
        st.dataframe(reviews_table(others), hide_index=True, width="stretch")
    else:
        st.caption("No other judge has scored this submission yet.")


def render(context: PageContext) -> None:
    """Render the console for the chosen challenge.

    Raises:
        PageNotAllowed: the viewer is not a judge, organiser or admin.
        ChallengeNotFound: the ``challenge`` query parameter names no challenge.
    """
    ensure_role(context.viewer, PRIVILEGED_ROLES, "the judges' console")
    challenge = challenge_page(context, "Judges' console")
    if challenge is None:
        return
    blinded = st.toggle("Blinded review (pseudonyms instead of team names)", key="blinded")
    with context.database.session() as session:
        total = count_submissions(session, challenge)
        salt = review_salt(session, challenge)
    if total == 0:
        st.info("No submission yet.")
        return
    listed, page = _listed_page(context, challenge, total)
    listed = blind(listed, salt) if blinded else listed
    st.dataframe(_recent_table(listed), hide_index=True, width="stretch")
    labels = {int(row["id"]): _label(row) for _, row in listed.iterrows()}
    chosen = st.selectbox("Submission to judge", list(labels), format_func=labels.get, key=f"submission-{page}")
    with context.database.session() as session:
        detail = submission_detail(session, challenge, int(chosen), list(BOARDS))
        history = None if detail is None else team_submissions(session, challenge, int(detail["team_id"]), list(BOARDS))
    if detail is None or history is None:
        st.info(f"Submission {chosen} is no longer there.")
        return
    judged = read_submission_file(context.settings, str(detail["file_digest"]), str(detail["filename"]))
    if blinded:
        detail = blind(pd.DataFrame([detail]), salt).iloc[0].to_dict()
    st.table(detail_table(detail).set_index("Field"))
    st.markdown("**Scores**")
    st.table(scores_table(detail, challenge))
    _show_judged(judged)
    with st.expander(f"History of this team ({len(history)} submission(s))"):
        st.table(history_table(history, challenge).set_index("#"))
    _review(context, challenge, int(chosen), blinded)
