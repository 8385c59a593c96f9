"""Models served elsewhere, called as steps over HTTP behind an allow-list.

- :mod:`registry.remote.boundary`: which hosts and addresses may be reached;
- :mod:`registry.remote.http`: one pinned, bounded HTTP exchange with retries;
- :mod:`registry.remote.v2` and :mod:`registry.remote.records`: the two protocols;
- :mod:`registry.remote.adapter`: the loaded model the model step calls;
- :mod:`registry.remote.config`: the Django settings and allow-list rows they read.
"""

from __future__ import annotations
