"""A small typed client for Catena: registry, chains, runs, from a notebook.

>>> from catena_client import Catena, Step
>>> Step.model("sales-ridge", version="@production").params
{'model': 'sales-ridge', 'version': '@production'}
"""

from __future__ import annotations

from catena_client.builder import ChainBuilder, Step
from catena_client.chains import Chain
from catena_client.client import Catena
from catena_client.errors import (
    BadRequest,
    CatenaAPIError,
    CatenaConnectionError,
    CatenaError,
    ChainInvalid,
    Conflict,
    Forbidden,
    NotFound,
    Problem,
    RateLimited,
    RunFailed,
    ServerError,
    TooLarge,
    Unauthorized,
    Unprocessable,
)
from catena_client.http import RetryPolicy
from catena_client.models import Model, ModelVersion
from catena_client.runs import Run
from catena_client.version import __version__

__all__ = [
    "BadRequest",
    "Catena",
    "CatenaAPIError",
    "CatenaConnectionError",
    "CatenaError",
    "Chain",
    "ChainBuilder",
    "ChainInvalid",
    "Conflict",
    "Forbidden",
    "Model",
    "ModelVersion",
    "NotFound",
    "Problem",
    "RateLimited",
    "RetryPolicy",
    "Run",
    "RunFailed",
    "ServerError",
    "Step",
    "TooLarge",
    "Unauthorized",
    "Unprocessable",
    "__version__",
]
