"""The scoring API, called by the leaderboard for its signed-in viewer: reviews, final selections, the private-board audit.

The app never writes to the database (every connection is read-only): what it must record goes
through the scoring service, the platform's single writer. It calls the scoring API with the
leaderboard service's own hub token and names the viewer in ``X-Arena-Acting-User``; the scoring
service honours that header from this service's token only, then applies the viewer's own role.
"""

from __future__ import annotations

import os
from typing import Any

import httpx

from arena.settings import Settings
from leaderboard.errors import ScoringRefused, ScoringUnavailable
from scoring.auth import ACTING_USER_HEADER

__all__ = ["TIMEOUT_SECONDS", "UPLOAD_TIMEOUT_SECONDS", "ScoringApi", "service_token"]

TIMEOUT_SECONDS = 5.0
"""How long one call may take before the viewer is told the scoring service does not answer."""
UPLOAD_TIMEOUT_SECONDS = 300.0
"""How long validating or publishing a bundle may take (publishing a code bundle fits a replica)."""


def service_token() -> str | None:
    """The leaderboard service's own hub API token, or None when the app does not run as the hub's service."""
    # The hub hands each managed service its token in this variable (HubAuth reads it the same
    # way); it is a secret of the hub, not platform configuration, so it is not in Settings.
    return os.environ.get("JUPYTERHUB_API_TOKEN") or None


class ScoringApi:
    """Calls of the scoring API on behalf of one leaderboard viewer at a time."""

    def __init__(self, base_url: str, token: str | None, timeout: float = TIMEOUT_SECONDS) -> None:
        """Call the scoring service at ``base_url`` (``…/services/scoring``) with the service ``token``.

        A missing ``token`` makes every call raise :class:`ScoringUnavailable`; a call may take ``timeout`` seconds.
        """
        self.base_url, self.token, self.timeout = base_url.rstrip("/"), token, timeout

    @classmethod
    def from_settings(cls, settings: Settings) -> ScoringApi:
        """The scoring API at ``settings.scoring_api_url`` with the service token from the hub."""
        return cls(settings.scoring_api_url, service_token())

    def save_review(
        self, viewer: str, slug: str, submission_id: int, rubric: str, score: float, comment: str
    ) -> dict[str, Any]:
        """Store ``viewer``'s score and comment on criterion ``rubric`` of a submission; returns the stored review.

        Raises:
            ScoringUnavailable: no service token, or the scoring service does not answer (or fails).
            ScoringRefused: the scoring service refused (role, criterion, range, comment length…).
        """
        path = f"/api/challenges/{slug}/submissions/{submission_id}/reviews/{rubric}"
        return self._call("PUT", path, viewer, {"score": score, "comment": comment})

    def choose_final(self, viewer: str, slug: str, submission_ids: list[int]) -> list[int]:
        """Record ``viewer``'s team's final selection in ``slug`` (empty: clear it); returns the selected ids.

        Raises:
            ScoringUnavailable: no service token, or the scoring service does not answer (or fails).
            ScoringRefused: the scoring service refused (over ``limits.final_selection``, not scored, closed…).
        """
        return list(self._call("POST", f"/api/challenges/{slug}/final-selection", viewer, {"ids": submission_ids})["selected"])

    def validate_bundle(self, viewer: str, bundle: bytes) -> dict[str, Any]:
        """Validate a bundle ``.zip`` as organiser ``viewer``; the summary (slug, title, datasets, answer rows…).

        Raises:
            ScoringUnavailable: no service token, or the scoring service does not answer (or fails).
            ScoringRefused: the bundle is invalid (the message names the problem) or the viewer is no organiser.
        """
        return dict(self._call("POST", "/api/organiser/bundles/validate", viewer, content=bundle))

    def publish_bundle(self, viewer: str, bundle: bytes, republish: bool = False) -> dict[str, Any]:
        """Publish a bundle ``.zip`` as organiser ``viewer`` (``republish``: replace a published one).

        Raises:
            ScoringUnavailable: no service token, or the scoring service does not answer (or fails).
            ScoringRefused: invalid bundle, slug taken without ``republish``, closed, or no organiser.
        """
        path = f"/api/organiser/bundles/publish?republish={str(republish).lower()}"
        return dict(self._call("POST", path, viewer, content=bundle))

    def close_challenge(self, viewer: str, slug: str) -> dict[str, Any]:
        """Close ``slug`` as organiser ``viewer``.

        Raises:
            ScoringUnavailable: no service token, or the scoring service does not answer (or fails).
            ScoringRefused: already closed, unknown, or no organiser.
        """
        return dict(self._call("POST", f"/api/challenges/{slug}/close", viewer))

    def export_ranking(self, viewer: str, slug: str, board: str) -> str:
        """The ``board`` ranking of ``slug`` as CSV, exported (and audited) as organiser ``viewer``.

        Raises:
            ScoringUnavailable: no service token, or the scoring service does not answer (or fails).
            ScoringRefused: the private board of an open challenge, or no organiser.
        """
        return str(self._call("GET", f"/api/challenges/{slug}/ranking?board={board}", viewer, text=True))

    def record_board_view(self, viewer: str, slug: str) -> None:
        """Have the scoring service audit that ``viewer`` is shown the private board of ``slug``.

        Raises:
            ScoringUnavailable: no service token, or the scoring service does not answer (or fails).
            ScoringRefused: the scoring service refused (the viewer may not see that board).
        """
        self._call("POST", f"/api/challenges/{slug}/board-views", viewer)

    def _call(
        self,
        method: str,
        path: str,
        viewer: str,
        body: dict[str, Any] | None = None,
        *,
        content: bytes | None = None,
        text: bool = False,
    ) -> Any:
        if not self.token:
            raise ScoringUnavailable(
                "the leaderboard has no hub API token (JUPYTERHUB_API_TOKEN): it does not run as the hub's "
                "leaderboard service, so it cannot save anything"
            )
        headers = {"Authorization": f"token {self.token}", ACTING_USER_HEADER: viewer}
        if content is not None:
            headers["Content-Type"] = "application/zip"
        url = self.base_url + path
        timeout = self.timeout if content is None else max(self.timeout, UPLOAD_TIMEOUT_SECONDS)
        try:
            response = httpx.request(method, url, json=body, content=content, headers=headers, timeout=timeout)
        except httpx.HTTPError as error:
            raise ScoringUnavailable(
                f"the scoring service at {self.base_url} does not answer ({type(error).__name__}); try again later"
            ) from None
        detail = _detail(response)
        if response.status_code >= 500:
            raise ScoringUnavailable(
                f"the scoring service failed (HTTP {response.status_code}: {detail}); try again later"
            )
        if response.status_code >= 400:
            raise ScoringRefused(detail)
        return response.text if text else response.json()


def _detail(response: httpx.Response) -> str:
    try:
        return str(response.json().get("detail") or response.reason_phrase)
    except (ValueError, AttributeError):
        return response.reason_phrase
