"""The store's schema: one SQLite database (WAL) per data directory, plus blob files.

Tables
------
``documents(kind, k1, k2, k3, k4, body, PRIMARY KEY(kind, k1, k2, k3, k4))``
    Every control-plane resource as one JSON document, addressed by its kind and up to four
    key parts (unused parts are ``''``). The kinds in use:

    ============  ===================================  ==========================================
    kind          key (k1, k2, k3, k4)                 body
    ============  ===================================  ==========================================
    function      account, region, name, ''            the function: $LATEST's configuration,
                                                       tags, reserved concurrency, code location
    version       account, region, name, version       a published version's configuration
    alias         account, region, name, alias         an alias (version, routing config)
    policy        account, region, name, qualifier     resource-based policy {Statement, RevisionId}
                                                       (qualifier '' = the unqualified function)
    event_invoke  account, region, name, qualifier     asynchronous invocation config (retries,
    _config                                            maximum event age, destinations; qualifier
                                                       $LATEST, a version or an alias)
    ============  ===================================  ==========================================

``async_events(request_id, function_arn, invoked_arn, account_id, region, payload, ...)``
    The asynchronous invocation queue (``store/queue.py``): one row per accepted ``Event``
    invocation, committed before the 202 is returned and deleted once the event is finished
    (delivered, or handed to its failure handling). ``request_id`` is the primary key, so
    enqueueing the same request twice is a no-op. ``function_arn`` is the unqualified ARN
    (the fairness and statistics key), ``invoked_arn`` the ARN as invoked (qualified when it
    was). ``attempts`` counts the times the function ran (``approximateInvokeCount``),
    ``requeues`` the throttles and system errors in a row (the exponent of the backoff).
    ``accepted_at`` is when the event was first accepted (its age), ``not_before`` the earliest
    time of its next attempt: one column serves first delivery, retry delay and backoff.
    ``claimed`` is 1 while a dispatcher works on the event; the server clears every claim at
    start, so the events a crashed server was running are delivered again (at least once).
    ``last_response`` is the JSON of the last failed attempt (for the failure record). Index
    ``async_events_due (function_arn, claimed, not_before)`` serves the per-function claim.

``log_events(id, log_group, log_stream, timestamp, message)``
    Function log lines (START, output, END, REPORT), appended per invocation; ``id`` orders
    them and lets a follower ask for "everything after id N".

``meta(key, value)``
    ``schema_version`` and other single values.

Blob files live beside the database: ``code/<sha256-hex>.zip`` (the uploaded package) and
``code/<sha256-hex>/`` (its extracted tree, read by execution environments).

Migrations: ``MIGRATIONS[i]`` takes the schema from version ``i`` to ``i + 1``; the store runs
the missing ones at open, in one transaction each.
"""

from __future__ import annotations

MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE documents (
        kind TEXT NOT NULL,
        k1 TEXT NOT NULL,
        k2 TEXT NOT NULL,
        k3 TEXT NOT NULL,
        k4 TEXT NOT NULL,
        body BLOB NOT NULL,
        PRIMARY KEY (kind, k1, k2, k3, k4)
    ) WITHOUT ROWID;
    CREATE TABLE log_events (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        log_group TEXT NOT NULL,
        log_stream TEXT NOT NULL,
        timestamp INTEGER NOT NULL,
        message TEXT NOT NULL
    );
    CREATE INDEX log_events_group ON log_events (log_group, id);
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    """,
    """
    CREATE TABLE async_events (
        request_id TEXT PRIMARY KEY,
        function_arn TEXT NOT NULL,
        invoked_arn TEXT NOT NULL,
        account_id TEXT NOT NULL,
        region TEXT NOT NULL,
        payload BLOB NOT NULL,
        trace_header TEXT,
        attempts INTEGER NOT NULL DEFAULT 0,
        requeues INTEGER NOT NULL DEFAULT 0,
        accepted_at REAL NOT NULL,
        not_before REAL NOT NULL,
        claimed INTEGER NOT NULL DEFAULT 0,
        last_response BLOB
    ) WITHOUT ROWID;
    CREATE INDEX async_events_due ON async_events (function_arn, claimed, not_before);
    """,
)
