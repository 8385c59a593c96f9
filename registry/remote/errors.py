"""Errors of a remote call; the model step pins them to the node."""

from __future__ import annotations


class RemoteError(Exception):
    """A permanent failure: refused host, bad status, answer that does not fit.

    Not a ``CatenaError``: the model step wraps it in a ``StepError`` naming the
    node, the model and the version. Transient failures raise
    ``catena.errors.StepTransientError`` instead, so that the node is retried.
    """


class RefusedError(RemoteError):
    """The network boundary refused a host or an address it resolves to."""

    def __init__(self, message: str, *, host: str, address: str = "") -> None:
        super().__init__(message)
        self.host = host
        self.address = address
