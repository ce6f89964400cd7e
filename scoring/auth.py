"""Who is calling: a hub token resolved by JupyterHub, then the role from the arena database."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tornado.web import HTTPError

from scoring.errors import HubUnavailableError

__all__ = ["Authenticate", "hub_authenticator"]

Authenticate = Callable[[str], str | None]
"""Maps a bearer token to a hub user name (None: not a valid token for this service)."""


def hub_authenticator(hub_auth: Any | None = None) -> Authenticate:
    """Authenticate tokens against the hub with :class:`jupyterhub.services.auth.HubAuth`.

    HubAuth reads ``JUPYTERHUB_API_TOKEN``, ``JUPYTERHUB_API_URL`` and the scopes that grant
    access to this service (``JUPYTERHUB_OAUTH_ACCESS_SCOPES``, else
    ``access:services!service=$JUPYTERHUB_SERVICE_NAME``) from the environment the hub gives
    a managed service. A token is accepted only when its owner holds one of those scopes.

    Args:
        hub_auth: A configured HubAuth (default: one built from the managed-service environment).

    Returns:
        A function token → user name, or None when the hub rejects the token or its scopes;
        it raises :class:`HubUnavailableError` when the hub cannot be reached.
    """
    if hub_auth is None:
        from jupyterhub.services.auth import HubAuth

        hub_auth = HubAuth(cache_max_age=60)

    def authenticate(token: str) -> str | None:
        try:
            model = hub_auth.user_for_token(token, sync=True)
        except HTTPError as error:  # HubAuth's way of saying the hub did not answer properly
            raise HubUnavailableError(f"cannot check the token with the hub at {hub_auth.api_url}: {error}") from None
        if not model or "name" not in model:
            return None
        required = hub_auth.access_scopes
        if required and not hub_auth.check_scopes(required, model):
            return None
        return model["name"]

    return authenticate
