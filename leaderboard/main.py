"""The Streamlit app: identify the viewer, then render the page they chose.

``leaderboard/app.py`` calls :func:`run` with nothing; tests call it with their own
settings and a fixed identity (code only: no request input can choose the viewer).
The ``page`` query parameter names the page to open (a page the viewer's role may
not open gives the "not allowed" notice); the sidebar offers only allowed pages.
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from arena.settings import Settings, get_settings
from leaderboard.access import Viewer, ensure_role, load_viewer
from leaderboard.database import read_only_database
from leaderboard.identity import hub_user_from_headers
from leaderboard.views import PAGES, Page, PageContext, notices

__all__ = ["request_hub_user", "run"]


def request_hub_user() -> str | None:
    """The hub user forwarded by the OAuth proxy with the current request, or None."""
    return hub_user_from_headers(st.context.headers)


def _choose_page(viewer: Viewer) -> Page:
    """The page the address asks for (checked against the viewer's role), else the sidebar's choice.

    Raises:
        PageNotAllowed: the ``page`` query parameter names a page the viewer may not open.
    """
    by_slug = {page.slug: name for name, page in PAGES.items()}
    requested = by_slug.get(st.query_params.get("page", ""))
    if requested is not None and PAGES[requested].roles is not None:
        ensure_role(viewer, PAGES[requested].roles, f"the {requested} page")
    names = [name for name, page in PAGES.items() if page.allows(viewer)]
    if requested is None:
        requested = "Leaderboard" if "challenge" in st.query_params else names[0]
    name = st.sidebar.radio("Page", names, index=names.index(requested), key="page")
    st.query_params["page"] = PAGES[name].slug  # the address names what is shown
    return PAGES[name]


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
        page = _choose_page(viewer)
        if page.roles is not None:
            ensure_role(viewer, page.roles, "this page")
        page.render(PageContext(settings=settings, database=database, viewer=viewer))
