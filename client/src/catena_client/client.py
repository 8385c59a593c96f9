"""``Catena(url, token)``: the entry point, reading CATENA_URL / CATENA_TOKEN."""

from __future__ import annotations

import os
from typing import Any

from catena_client.builder import ChainBuilder
from catena_client.chains import Chain, Chains
from catena_client.http import Http, RetryPolicy
from catena_client.models import Models
from catena_client.runs import Runs


class Catena:
    """A connection to one Catena server as one user (an API token).

    Parameters
    ----------
    url : str, optional
        e.g. ``http://127.0.0.1:8000``; default ``$CATENA_URL``.
    token : str, optional
        An API token (the *API tokens* page); default ``$CATENA_TOKEN``.
    timeout : float
        Seconds per request.
    retry : RetryPolicy, optional
        Retries on 429, 503 and connection errors (4 by default).

    Examples
    --------
    >>> client = Catena("http://127.0.0.1:8000", "0123abcd")
    >>> client.url
    'http://127.0.0.1:8000'
    """

    def __init__(
        self,
        url: str | None = None,
        token: str | None = None,
        *,
        timeout: float = 60.0,
        retry: RetryPolicy | None = None,
        **http: Any,
    ) -> None:
        url = url or os.environ.get("CATENA_URL", "")
        token = token or os.environ.get("CATENA_TOKEN", "")
        if not url or not token:
            raise ValueError(
                "Catena needs a URL and an API token: Catena(url, token), or set "
                "CATENA_URL and CATENA_TOKEN (create a token on the API tokens page)."
            )
        self.url = url.rstrip("/")
        self.http = Http(self.url, token, timeout=timeout, retry=retry, **http)
        self.models = Models(self.http)
        self.chains = Chains(self.http)
        self.runs = Runs(self.http)

    def __repr__(self) -> str:
        return f"<Catena {self.url}>"

    def __enter__(self) -> Catena:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.http.close()

    def me(self) -> dict[str, Any]:
        """Who the token belongs to (``username``, ``is_staff`` …)."""
        found: dict[str, Any] = self.http.json("GET", "/api/me")
        return found

    def chain(self, name: str) -> ChainBuilder:
        """Start building a chain named ``name`` (a slug); ``.save()`` stores it."""
        return ChainBuilder(self, name)

    def get_chain(self, name: str, number: int | None = None) -> Chain:
        """A saved version: the given one, else the live one, else the latest."""
        return self.chains.get(name, number)
