"""Settings of the runner's workers (leases, retries, warm start), read from the
environment.

Star-imported by ``config.settings`` after ``CATENA_MODEL_CACHE_SIZE`` (kept
apart so each module stays small).
"""

from __future__ import annotations

import environ

env = environ.Env()

# Each pool process loads the models of live chains, then those recent runs
# (of the last CATENA_WORKER_WARM_DAYS) used most, before it takes work: at most
# CATENA_WORKER_WARM_MODELS (never more than the model cache holds), and it
# stops loading after CATENA_WORKER_WARM_SECONDS. CATENA_WORKER_WARM=0: off.
CATENA_WORKER_WARM = env.bool("CATENA_WORKER_WARM", default=True)
CATENA_WORKER_WARM_MODELS = env.int(
    "CATENA_WORKER_WARM_MODELS", default=env.int("CATENA_MODEL_CACHE_SIZE", default=32)
)
CATENA_WORKER_WARM_DAYS = env.float("CATENA_WORKER_WARM_DAYS", default=7.0)
CATENA_WORKER_WARM_SECONDS = env.float("CATENA_WORKER_WARM_SECONDS", default=60.0)
# Celery kills a pool process that is not up within this many seconds (4 by
# default): warming happens before a process says it is up.
CELERY_WORKER_PROC_ALIVE_TIMEOUT = CATENA_WORKER_WARM_SECONDS + 30.0

# Nodes: a claim's lease, attempts per node, a run's longest life, and retries
# of a transient failure (a broker or database away for a moment).
CATENA_NODE_LEASE_SECONDS = env.int("CATENA_NODE_LEASE_SECONDS", default=30)
CATENA_NODE_MAX_ATTEMPTS = env.int("CATENA_NODE_MAX_ATTEMPTS", default=3)
CATENA_RUN_MAX_SECONDS = env.int("CATENA_RUN_MAX_SECONDS", default=6 * 3600)
CATENA_TRANSIENT_RETRY_COUNTDOWN = env.int(
    "CATENA_TRANSIENT_RETRY_COUNTDOWN", default=5
)
CATENA_TRANSIENT_MAX_RETRIES = env.int("CATENA_TRANSIENT_MAX_RETRIES", default=3)
# A node QUEUED for longer than its lease plus this margin lost its message (a
# broker outage, a worker killed before claiming): the sweeper sends it again.
CATENA_REQUEUE_MARGIN_SECONDS = env.int("CATENA_REQUEUE_MARGIN_SECONDS", default=15)
# Requests of one web process that may wait for a run to finish at once
# (GET /api/runs/<id>/status?wait=S), in all and of one user; the others answer
# at once. A wait is a parked thread woken by the run's end (and a look at its
# status every 100 ms), so a browser following a run holds one.
CATENA_STATUS_WAITERS = env.int("CATENA_STATUS_WAITERS", default=16)
CATENA_STATUS_WAITERS_PER_USER = env.int("CATENA_STATUS_WAITERS_PER_USER", default=4)
# A run's end is announced as it commits (PostgreSQL NOTIFY; SQLite: a file
# touched) and the waiting requests are woken at once; off: they only poll.
CATENA_RUN_END_LISTEN = env.bool("CATENA_RUN_END_LISTEN", default=True)
# The sweeper (runner.runs_sweep) re-enqueues nodes whose lease expired; it runs
# in celery beat, which dev.py starts as a process of its own (`celery beat`).
CATENA_SWEEP_SECONDS = env.float("CATENA_SWEEP_SECONDS", default=5.0)

# A small run's parallel branches cost more in broker hops than in compute:
# nodes that become ready together and are expected (from the compute time last
# recorded for the same node, scaled up by the rows) to take at most this many
# seconds in all run one after another in the process that finished their
# parent. Nodes never seen before fan out over workers. 0: always fan out.
CATENA_RUN_INLINE_SECONDS = env.float("CATENA_RUN_INLINE_SECONDS", default=0.1)

# A node output of at least this many cells (rows x columns) is written and
# recorded by a writer thread of the worker process while the process computes
# the successor it keeps (runner.claims.behind): 100,000 cells take 5-20 ms to
# encode, hash and write. 0: every output is written before the next node.
CATENA_WRITE_BEHIND_CELLS = env.int("CATENA_WRITE_BEHIND_CELLS", default=100_000)

# A node output's file is written whole under a temporary name and renamed, so
# a killed worker never leaves a partial file; it is not flushed to disk before
# its row commits unless this is set. Outputs are a cache checked (size,
# sha256) before reuse: one torn by a power cut is computed again, never
# reused, as the embedded database (synchronous=NORMAL) may lose its last
# commits then too. A flush costs 1-4 ms per node on a local disk.
CATENA_ARTIFACT_FSYNC = env.bool("CATENA_ARTIFACT_FSYNC", default=False)
