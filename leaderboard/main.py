"""The Streamlit app: identify the viewer, then render the page they chose.

``leaderboard/app.py`` calls :func:`run` with nothing; tests call it with their own
settings and a fixed identity (code only: no request input can choose the viewer).
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from arena.settings import Settings, get_settings
from leaderboard.access import load_viewer
from leaderboard.database import read_only_database
from leaderboard.identity import hub_user_from_headers
from leaderboard.views import PAGES, PageContext, notices

__all__ = ["request_hub_user", "run"]


def request_hub_user() -> str | None:
    """The hub user forwarded by the OAuth proxy with the current request, or None."""
    return hub_user_from_headers(st.context.headers)


def _choose_page() -> str:
    names = list(PAGES)
    default = names.index("Leaderboard") if "challenge" in st.query_params else 0
    return st.sidebar.radio("Page", names, index=default, key="page")


def run(settings: Settings | None = None, identify: Callable[[], str | None] = request_hub_user) -> None:
    """Render one run of the app.

    Args:
        settings: Platform settings; default: read from the environment.
        identify: Returns the signed-in hub user name or None; default: the forwarded header.
    """
    st.set_page_config(page_title="Data arena leaderboard", layout="wide")
    hub_user = identify()
    if hub_user is None:
        notices.not_signed_in()
        return
    settings = settings or get_settings()
    database = read_only_database(settings.db_url)
    with notices.explained_errors():
        with database.session() as session:
            viewer = load_viewer(session, hub_user)
        role = viewer.role.value if viewer.registered else "not registered: competitor view"
        st.sidebar.caption(f"Signed in as **{viewer.name}** ({role})")
        PAGES[_choose_page()](PageContext(settings=settings, database=database, viewer=viewer))
