"""The "Datasets" page: each published synthetic dataset's card — gates, per-table and per-column quality."""

from __future__ import annotations

import streamlit as st

from leaderboard.cards import column_quality, gates_frame, privacy_in_plain_words, read_card_markdown, table_scores
from leaderboard.queries.datasets import dataset_card, list_datasets
from leaderboard.tables import format_time
from leaderboard.views.context import PageContext

__all__ = ["render"]


def render(context: PageContext) -> None:
    """Render the card of the chosen dataset version."""
    st.title("Datasets")
    with context.database.session() as session:
        datasets = list_datasets(session)
    if datasets.empty:
        st.info("No dataset is published yet.")
        return
    refs = [f"{name}@{version}" for name, version in zip(datasets["name"], datasets["version"], strict=True)]
    position = refs.index(st.selectbox("Dataset", refs, key="dataset"))
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
    st.markdown("**Tables**")
    st.dataframe(table_scores(card["card"]), hide_index=True, width="stretch")
    for table in card["card"].get("tables") or {}:
        st.markdown(f"**Column quality of `{table}`**")
        st.dataframe(column_quality(card["card"], table), hide_index=True, width="stretch")
    markdown = read_card_markdown(context.settings, str(chosen["name"]), int(chosen["version"]))
    with st.expander("Full card"):
        st.markdown(markdown or "The card page (card.md) is not in the datasets store.")
