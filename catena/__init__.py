"""Catena's pure-Python core: graph documents, step kinds, validation, keys, executor.

Nothing in this package imports Django or the apps; the apps hand it a resolver
and an artifact store (see ``catena.resolving`` and ``catena.store``).
"""

from __future__ import annotations
