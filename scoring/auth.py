"""Who is calling: a hub token resolved by JupyterHub, then the role from the arena database.

A token belongs to a hub user or to a hub service (JupyterHub's token model says which in
``kind``). Only the ``leaderboard`` service may act for one of its signed-in viewers, by naming
them in the :data:`ACTING_USER_HEADER`; the scoring app honours that header from no one else.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tornado.web import HTTPError

from scoring.errors import HubUnavailableError

__all__ = ["ACTING_USER_HEADER", "LEADERBOARD_SERVICE", "Authenticate", "HubCaller", "as_caller", "hub_authenticator"]

ACTING_USER_HEADER = "X-Arena-Acting-User"
"""Names the hub user the leaderboard service acts for (honoured from that service's token only)."""
LEADERBOARD_SERVICE = "leaderboard"
"""Name of the hub-managed leaderboard service (``hub.config.service_definitions``)."""


@dataclass(frozen=True)
class HubCaller:
    """The owner of a hub token: a user or a service, by name."""

    name: str
    kind: str = "user"

    @property
    def is_leaderboard_service(self) -> bool:
        """Whether the token is the leaderboard service's own (not a user's)."""
        return self.kind == "service" and self.name == LEADERBOARD_SERVICE


Authenticate = Callable[[str], "HubCaller | str | None"]
"""Maps a bearer token to its owner (a plain name means a hub user; None: not a valid token for this service)."""


def as_caller(owner: HubCaller | str | None) -> HubCaller | None:
    """What an :data:`Authenticate` function returned, as a :class:`HubCaller` (a bare name is a user)."""
    return HubCaller(owner) if isinstance(owner, str) else owner


def hub_authenticator(hub_auth: Any | None = None, cache_seconds: int = 60) -> Authenticate:
    """Authenticate tokens against the hub with :class:`jupyterhub.services.auth.HubAuth`.

    HubAuth reads ``JUPYTERHUB_API_TOKEN``, ``JUPYTERHUB_API_URL`` and the scopes that grant
    access to this service (``JUPYTERHUB_OAUTH_ACCESS_SCOPES``, else
    ``access:services!service=$JUPYTERHUB_SERVICE_NAME``) from the environment the hub gives
    a managed service. A token is accepted only when its owner holds one of those scopes.

    Args:
        hub_auth: A configured HubAuth (default: one built from the managed-service environment).
        cache_seconds: How long the default HubAuth trusts a token it checked (a revoked token
            keeps working for up to this long; longer means fewer calls to the hub; 0: ask every time).

    Returns:
        A function token → :class:`HubCaller` (name and ``kind``, ``user`` when the hub's model
        does not say), or None when the hub rejects the token or its scopes; it raises
        :class:`HubUnavailableError` when the hub cannot be reached.
    """
    if hub_auth is None:
        from jupyterhub.services.auth import HubAuth

        hub_auth = HubAuth(cache_max_age=cache_seconds)

    # HubAuth's synchronous calls share one event loop in one background thread, which it creates
    # lazily: requests checked at once from the web framework's thread pool raced to create it
    # ("This event loop is already running", HTTP 500 under load). One call at a time.
    calling = threading.Lock()

    def authenticate(token: str) -> HubCaller | None:
        try:
            with calling:
                model = hub_auth.user_for_token(token, use_cache=cache_seconds > 0, sync=True)
        except HTTPError as error:  # HubAuth's way of saying the hub did not answer properly
            raise HubUnavailableError(f"cannot check the token with the hub at {hub_auth.api_url}: {error}") from None
        if not model or "name" not in model:
            return None
        required = hub_auth.access_scopes
        if required and not hub_auth.check_scopes(required, model):
            return None
        return HubCaller(name=model["name"], kind=str(model.get("kind", "user")))

    return authenticate
