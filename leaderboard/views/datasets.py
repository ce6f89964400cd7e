"""The "Datasets" page: each published synthetic dataset's card — gates, per-table and per-column quality."""

from __future__ import annotations

import streamlit as st

from leaderboard.cards import column_quality, gates_frame, privacy_in_plain_words, read_card_markdown, table_scores
from leaderboard.catalog import list_challenges
from leaderboard.queries.datasets import dataset_card, list_datasets
from leaderboard.tables import format_time
from leaderboard.views.context import PageContext

__all__ = ["render"]


def _challenge_datasets(context: PageContext) -> set[str]:
    """Names of the datasets of the challenge named in the address (none when it names none or an unknown one)."""
    slug = st.query_params.get("challenge")
    if not slug:
        return set()
    with context.database.session() as session:
        found = next((c for c in list_challenges(session) if c.slug == slug), None)
    return set() if found is None else {ref.split("@")[0] for ref in found.datasets}


def render(context: PageContext) -> None:
    """Render the card of the chosen dataset version."""
    st.title("Datasets")
    with context.database.session() as session:
        datasets = list_datasets(session)
    if datasets.empty:
        st.info("No dataset is published yet.")
        return
    refs = [f"{name}@{version}" for name, version in zip(datasets["name"], datasets["version"], strict=True)]
    wanted = _challenge_datasets(context)
    if wanted:
        st.caption(f"The datasets of challenge `{st.query_params['challenge']}` first.")
        refs = sorted(refs, key=lambda ref: (ref.split("@")[0] not in wanted, ref))
    position = [f"{n}@{v}" for n, v in zip(datasets["name"], datasets["version"], strict=True)].index(
        st.selectbox("Dataset", refs, key="dataset")
    )
    chosen = datasets.iloc[position]
    with context.database.session() as session:
        card = dataset_card(session, str(chosen["name"]), int(chosen["version"]))
    if card is None:
        st.info(f"{refs[position]} is no longer published.")
        return
    st.subheader(refs[position])
    st.caption(
        f"{chosen['rows']} rows · checksum {chosen['checksum'][:12]}… · published {format_time(chosen['published_at'])}"
    )
    if chosen["override_reason"]:
        st.warning(f"Published despite failing gates. Override reason: {chosen['override_reason']}")
    st.markdown("**Gates**")
    st.dataframe(gates_frame(card["gates"]), hide_index=True, width="stretch")
    sentences, risks = privacy_in_plain_words(card["card"])
    st.markdown("**Privacy and usefulness**")
    st.markdown("\n".join(f"- {sentence}" for sentence in sentences))
    if not risks.empty:
        st.bar_chart(risks, x="Attack", y="Risk", y_label="attack risk (0 = none)", height=220)
    scores = table_scores(card["card"])
    if scores.empty:  # not a synthetic replica (e.g. held-out features): no per-table quality to show
        kind = card["card"].get("kind") or "not a synthetic replica"
        st.caption(f"No per-table quality scores: this dataset is {str(kind).replace('_', ' ')}.")
    else:
        st.markdown("**Tables**")
        st.dataframe(scores, hide_index=True, width="stretch")
    for table in card["card"].get("tables") or {}:
        st.markdown(f"**Column quality of `{table}`**")
        st.dataframe(column_quality(card["card"], table), hide_index=True, width="stretch")
    markdown = read_card_markdown(context.settings, str(chosen["name"]), int(chosen["version"]))
    with st.expander("Full card"):
        st.markdown(markdown or "The card page (card.md) is not in the datasets store.")
