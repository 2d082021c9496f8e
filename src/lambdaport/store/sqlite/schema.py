"""The SQLite store's schema: one database (WAL) per data directory, plus blob files.

Each owner's tables are reached only through its protocol (``store/<owner>.py``), implemented
in ``store/sqlite/<owner>.py``.

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
    policy        account, region, name, qualifier     resource-based policy {statements}
                                                       (qualifier '' = the unqualified function)
    event_invoke  account, region, name, qualifier     asynchronous invocation config (retries,
    _config                                            maximum event age, destinations; qualifier
                                                       $LATEST, a version or an alias)
    ============  ===================================  ==========================================

``async_events(request_id, function_arn, invoked_arn, account_id, region, payload, ...)``
    The asynchronous invocation queue (``store/async_events.py``): one row per accepted ``Event``
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

``sns_topics``, ``sns_subscriptions``, ``sns_fifo_dedup``, ``sns_deliveries`` (``store/sns.py``)
    SNS. ``sns_topics(arn, account_id, region, name, attributes, tags, deleted, sequence)``:
    one row per topic, ``attributes`` the JSON of the attributes set by CreateTopic and
    SetTopicAttributes, ``deleted`` the SubscriptionsDeleted count, ``sequence`` the last FIFO
    sequence number. ``sns_subscriptions(arn, topic_arn, ..., protocol, endpoint, attributes,
    pending, token, authenticated)``: one row per subscription (pending ones too, with their
    confirmation token). ``sns_fifo_dedup(topic_arn, deduplication_id, message_id,
    sequence_number, expires_at)``: the 5-minute deduplication window of FIFO topics.
    ``sns_deliveries(id, subscription_arn, message, attempts, not_before)``: one row per
    delivery accepted by Publish (or a SubscriptionConfirmation) and not yet finished,
    committed before Publish answers and deleted after the delivery succeeded or was given
    up; the server resumes them at start. The signing key and certificate are the files
    ``sns/signing-key.pem`` and ``sns/signing-cert.pem`` below the data directory.

``log_groups``, ``log_streams`` (``store/logs.py``; CloudWatch Logs)
    ``log_groups(account_id, region, name, creation_time, retention_in_days, kms_key_id,
    log_group_class, tags)``: one row per log group, ``tags`` a JSON object.
    ``log_streams(account_id, region, log_group, name, creation_time, first_event_timestamp,
    last_event_timestamp, last_ingestion_time, stored_bytes, sequence)``: one row per stream;
    the event columns are kept up to date by every append (``stored_bytes`` counts each
    message's UTF-8 bytes plus 26, AWS's measure; ``sequence`` counts the batches).
    ``log_events`` gains ``account_id``, ``region`` and ``ingestion_time`` (the Logs migration; rows
    from before have ``''`` and 0), and the indexes ``log_events_stream (log_group,
    log_stream, timestamp, id)`` (GetLogEvents) and ``log_events_time (log_group, timestamp,
    id)`` (FilterLogEvents, retention). Events of function logs and of PutLogEvents are the
    same rows: the Logs service owns them, ``lambdaport logs`` follows them by ``id``.
    Subscription filters are documents of kind ``log_subscription_filter`` keyed (account,
    region, log group, filter name).

``sqs_queues``, ``sqs_messages``, ``sqs_groups``, ``sqs_deduplication``, ``sqs_retired``
(``store/sqs.py``)
    SQS. ``sqs_queues(queue_id, account_id, region, name, attributes, tags, created_at,
    modified_at, last_purged_at)``: one row per queue (``attributes``/``tags`` JSON objects of
    strings); PurgeQueue gives the queue a new ``queue_id`` and retires the old one.
    ``sqs_messages(seq, queue_id, message_id, body, attributes, system_attributes, md5_*,
    sent_at, visible_at, receive_count, first_received_at, receipt, group_id,
    deduplication_id, sender_id, dead_letter_source_arn)``: one row per message;
    ``visible_at`` (epoch ms) serves delay, visibility timeout and redelivery alike;
    ``receipt`` is the nonce of the latest receive (a receipt handle names ``queue_id``,
    ``seq`` and that nonce); a FIFO message's SequenceNumber is derived from ``seq``.
    Indexes ``sqs_messages_visible (queue_id, visible_at, seq)`` (receive),
    ``sqs_messages_sent (queue_id, sent_at)`` (retention) and
    ``sqs_messages_group (queue_id, group_id, seq)`` (FIFO group heads).
    ``sqs_groups(queue_id, group_id, ready_at, head_seq)``: one row per non-empty FIFO message
    group, ``ready_at`` the time the group can next be received from (its in-flight messages
    lock it). ``sqs_deduplication(queue_id, dedup_key, message_id, sequence_number,
    expires_at)``: FIFO deduplication ids of the last 5 minutes. ``sqs_retired(queue_id)``:
    ids of deleted and purged queues whose rows are still being swept in chunks.

``s3_buckets``, ``s3_objects``, ``s3_uploads``, ``s3_parts`` (``store/s3.py``)
    S3. ``s3_buckets(name, account_id, region, created, versioning, config)``: one row per
    bucket (names are global); ``versioning`` is ``''``, ``Enabled`` or ``Suspended``;
    ``config`` a JSON object of the bucket's subresources (``Notification``, ``TagSet``,
    ``ACL``). ``s3_objects(bucket, key, version_id, seq, latest, delete_marker, size, etag,
    last_modified, blob, attrs)``: one row per object version or delete marker; ``seq``
    orders a key's versions, ``latest`` marks the newest; unversioned writes use version id
    ``null``; ``blob`` names the body file, ``attrs`` is JSON (content headers, user metadata,
    TagSet, checksums, PartsCount, StorageClass, ACL). Indexes ``s3_objects_latest (bucket,
    latest, key)`` (listings) and ``s3_objects_versions (bucket, key, seq)``.
    ``s3_uploads(upload_id, bucket, key, initiated, attrs)`` and ``s3_parts(upload_id,
    part_number, etag, size, last_modified, blob, checksums)``: multipart uploads in
    progress. Bodies are files ``s3/objects/<xx>/<name>`` (``s3/tmp/`` while streaming in).

``esm_checkpoints``, ``leases`` (``store/checkpoints.py``)
    Event source mappings' places, for the pollers the next issue adds.
    ``esm_checkpoints(mapping_uuid, shard, position, owner, lease_expires_at, updated_at)``:
    one row per (mapping, shard or partition; ``''`` for a source without shards);
    ``position`` an opaque string (``''`` before the first advance), moved only by the owner
    of a live lease (``owner``, until ``lease_expires_at``, epoch seconds).
    ``leases(name, owner, expires_at, token)``: generic named leases (a poller's right to a
    mapping, a node's right to a singleton job); ``token`` grows when the lease changes
    hands (a fencing token).

``kinesis_streams``, ``kinesis_shards``, ``kinesis_records``, ``kinesis_consumers``,
``kinesis_retired`` (``store/kinesis.py``)
    Kinesis Data Streams. ``kinesis_streams(stream_id, account_id, region, name, status, mode,
    created_at, retention_hours, encryption_type, key_id, shard_level_metrics,
    max_record_size_kib, tags, next_shard)``: one row per stream (``mode`` PROVISIONED or
    ON_DEMAND, ``shard_level_metrics`` and ``tags`` JSON, ``next_shard`` the index of the next
    shard made); unique on (account, region, name). ``kinesis_shards(stream_id, shard_index,
    parent, adjacent_parent, starting_hash, ending_hash, starting_seq, ending_seq,
    closed_at)``: one row per shard, open or closed (``shardId-`` and the index in 12 digits;
    the hash keys as decimal text, 128-bit; ``ending_seq`` NULL while open), deleted once
    closed for longer than the retention. ``kinesis_records(seq, stream_id, shard_index,
    partition_key, data, arrival)``: one row per record; ``seq`` is one AUTOINCREMENT counter
    for all records, so a shard's records are in ``seq`` order, a shard's ``starting_seq``
    and ``ending_seq`` are the counter when it opened and closed, and the SequenceNumber the
    API shows encodes (``seq``, shard index); ``arrival`` (epoch ms) never decreases within a
    shard. Index ``kinesis_records_shard (stream_id, shard_index, seq)`` serves every read,
    put and retention cut. ``kinesis_consumers(stream_id, name, created_at, status, tags)``:
    enhanced fan-out consumers. ``kinesis_retired(stream_id)``: deleted streams whose records
    are still being swept in chunks.

``dynamodb_streams``, ``dynamodb_stream_shards``, ``dynamodb_stream_records``
(``store/dynamodb_streams.py``)
    DynamoDB Streams. ``dynamodb_streams(stream_id, stream_arn, account_id, region,
    table_name, label, view_type, key_schema, created_at, disabled_at, table_deleted)``: one
    row per stream a table had (``key_schema`` JSON; ``disabled_at`` NULL while enabled;
    ``table_deleted`` 1 when it went with its table), deleted a retention after it was
    disabled. ``dynamodb_stream_shards(stream_id, shard_index, shard_id,
    parent_shard_id, starting_seq, ending_seq, created_at, closed_at, trimmed_seq)``: one row
    per shard (``ending_seq`` NULL while open; ``trimmed_seq`` the highest seq the retention
    deleted). ``dynamodb_stream_records(seq, stream_id, shard_index, created_at, event_id,
    event_name, keys, new_image, old_image, size_bytes, by_ttl)``: one row per stream record,
    the images as DynamoDB JSON; ``seq`` one AUTOINCREMENT counter for all records (the
    SequenceNumber the API shows is ``seq`` in 21 digits). Indexes
    ``dynamodb_stream_records_shard (stream_id, shard_index, seq)`` (every read) and
    ``dynamodb_stream_records_created (created_at)`` (the retention).

``meta(key, value)``
    ``schema_version``, and ``revision/<kind>``: how many times the documents of that kind
    changed (the invalidation point of node-local caches of documents,
    ``store/documents.py``).

Blob files live beside the database: ``code/<sha256-hex>.zip`` (the uploaded package) and
``code/<sha256-hex>/`` (its extracted tree, read by execution environments).

Migrations: ``MIGRATIONS[i]`` takes the schema from version ``i`` to ``i + 1``; the store runs
the missing ones at open, in one transaction each. The list is append-only.
"""

from __future__ import annotations

import sqlite3

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
    """
    CREATE TABLE sns_topics (
        arn TEXT PRIMARY KEY,
        account_id TEXT NOT NULL,
        region TEXT NOT NULL,
        name TEXT NOT NULL,
        attributes BLOB NOT NULL,
        tags BLOB NOT NULL,
        deleted INTEGER NOT NULL DEFAULT 0,
        sequence INTEGER NOT NULL DEFAULT 0
    ) WITHOUT ROWID;
    CREATE INDEX sns_topics_account ON sns_topics (account_id, region, arn);
    CREATE TABLE sns_subscriptions (
        arn TEXT PRIMARY KEY,
        topic_arn TEXT NOT NULL,
        account_id TEXT NOT NULL,
        region TEXT NOT NULL,
        protocol TEXT NOT NULL,
        endpoint TEXT NOT NULL,
        owner TEXT NOT NULL,
        attributes BLOB NOT NULL,
        pending INTEGER NOT NULL,
        token TEXT,
        authenticated INTEGER NOT NULL DEFAULT 0
    ) WITHOUT ROWID;
    CREATE INDEX sns_subscriptions_topic ON sns_subscriptions (topic_arn, arn);
    CREATE INDEX sns_subscriptions_account ON sns_subscriptions (account_id, region, arn);
    CREATE TABLE sns_fifo_dedup (
        topic_arn TEXT NOT NULL,
        deduplication_id TEXT NOT NULL,
        message_id TEXT NOT NULL,
        sequence_number TEXT NOT NULL,
        expires_at REAL NOT NULL,
        PRIMARY KEY (topic_arn, deduplication_id)
    ) WITHOUT ROWID;
    CREATE INDEX sns_fifo_dedup_expiry ON sns_fifo_dedup (expires_at);
    CREATE TABLE sns_deliveries (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        subscription_arn TEXT NOT NULL,
        message BLOB NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        not_before REAL NOT NULL
    );
    CREATE INDEX sns_deliveries_subscription ON sns_deliveries (subscription_arn);
""",
    """
    ALTER TABLE log_events ADD COLUMN account_id TEXT NOT NULL DEFAULT '';
    ALTER TABLE log_events ADD COLUMN region TEXT NOT NULL DEFAULT '';
    ALTER TABLE log_events ADD COLUMN ingestion_time INTEGER NOT NULL DEFAULT 0;
    CREATE INDEX log_events_stream ON log_events (log_group, log_stream, timestamp, id);
    CREATE INDEX log_events_time ON log_events (log_group, timestamp, id);
    CREATE TABLE log_groups (
        account_id TEXT NOT NULL,
        region TEXT NOT NULL,
        name TEXT NOT NULL,
        creation_time INTEGER NOT NULL,
        retention_in_days INTEGER,
        kms_key_id TEXT,
        log_group_class TEXT NOT NULL DEFAULT 'STANDARD',
        tags TEXT NOT NULL DEFAULT '{}',
        PRIMARY KEY (account_id, region, name)
    ) WITHOUT ROWID;
    CREATE TABLE log_streams (
        account_id TEXT NOT NULL,
        region TEXT NOT NULL,
        log_group TEXT NOT NULL,
        name TEXT NOT NULL,
        creation_time INTEGER NOT NULL,
        first_event_timestamp INTEGER,
        last_event_timestamp INTEGER,
        last_ingestion_time INTEGER,
        stored_bytes INTEGER NOT NULL DEFAULT 0,
        sequence INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (account_id, region, log_group, name)
    ) WITHOUT ROWID;
    """,
    """
    CREATE TABLE sqs_queues (
        queue_id INTEGER PRIMARY KEY AUTOINCREMENT,
        account_id TEXT NOT NULL,
        region TEXT NOT NULL,
        name TEXT NOT NULL,
        attributes BLOB NOT NULL,
        tags BLOB NOT NULL,
        created_at INTEGER NOT NULL,
        modified_at INTEGER NOT NULL,
        last_purged_at INTEGER NOT NULL DEFAULT 0
    );
    CREATE UNIQUE INDEX sqs_queues_name ON sqs_queues (account_id, region, name);
    CREATE TABLE sqs_messages (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        queue_id INTEGER NOT NULL,
        message_id TEXT NOT NULL,
        body TEXT NOT NULL,
        attributes BLOB,
        system_attributes BLOB,
        md5_body TEXT NOT NULL,
        md5_attributes TEXT,
        md5_system_attributes TEXT,
        sent_at INTEGER NOT NULL,
        visible_at INTEGER NOT NULL,
        receive_count INTEGER NOT NULL DEFAULT 0,
        first_received_at INTEGER,
        receipt TEXT,
        group_id TEXT,
        deduplication_id TEXT,
        sender_id TEXT NOT NULL,
        dead_letter_source_arn TEXT
    );
    CREATE INDEX sqs_messages_visible ON sqs_messages (queue_id, visible_at, seq);
    CREATE INDEX sqs_messages_sent ON sqs_messages (queue_id, sent_at);
    CREATE INDEX sqs_messages_group ON sqs_messages (queue_id, group_id, seq)
        WHERE group_id IS NOT NULL;
    CREATE TABLE sqs_groups (
        queue_id INTEGER NOT NULL,
        group_id TEXT NOT NULL,
        ready_at INTEGER NOT NULL,
        head_seq INTEGER NOT NULL,
        PRIMARY KEY (queue_id, group_id)
    ) WITHOUT ROWID;
    CREATE INDEX sqs_groups_ready ON sqs_groups (queue_id, ready_at, head_seq);
    CREATE TABLE sqs_deduplication (
        queue_id INTEGER NOT NULL,
        dedup_key TEXT NOT NULL,
        message_id TEXT NOT NULL,
        sequence_number TEXT,
        expires_at INTEGER NOT NULL,
        PRIMARY KEY (queue_id, dedup_key)
    );
    CREATE INDEX sqs_deduplication_expiry ON sqs_deduplication (expires_at);
    CREATE TABLE sqs_retired (queue_id INTEGER PRIMARY KEY);
""",
    """
    CREATE TABLE s3_buckets (
        name TEXT PRIMARY KEY,
        account_id TEXT NOT NULL,
        region TEXT NOT NULL,
        created REAL NOT NULL,
        versioning TEXT NOT NULL DEFAULT '',
        config BLOB NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX s3_buckets_account ON s3_buckets (account_id, name);
    CREATE TABLE s3_objects (
        bucket TEXT NOT NULL,
        key TEXT NOT NULL,
        version_id TEXT NOT NULL,
        seq INTEGER NOT NULL,
        latest INTEGER NOT NULL,
        delete_marker INTEGER NOT NULL DEFAULT 0,
        size INTEGER NOT NULL DEFAULT 0,
        etag TEXT NOT NULL DEFAULT '',
        last_modified REAL NOT NULL,
        blob TEXT NOT NULL DEFAULT '',
        attrs BLOB NOT NULL,
        PRIMARY KEY (bucket, key, version_id)
    ) WITHOUT ROWID;
    CREATE INDEX s3_objects_latest ON s3_objects (bucket, latest, key);
    CREATE INDEX s3_objects_versions ON s3_objects (bucket, key, seq);
    CREATE TABLE s3_uploads (
        upload_id TEXT PRIMARY KEY,
        bucket TEXT NOT NULL,
        key TEXT NOT NULL,
        initiated REAL NOT NULL,
        attrs BLOB NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX s3_uploads_key ON s3_uploads (bucket, key, initiated);
    CREATE TABLE s3_parts (
        upload_id TEXT NOT NULL,
        part_number INTEGER NOT NULL,
        etag TEXT NOT NULL,
        size INTEGER NOT NULL,
        last_modified REAL NOT NULL,
        blob TEXT NOT NULL,
        checksums BLOB NOT NULL,
        PRIMARY KEY (upload_id, part_number)
    ) WITHOUT ROWID;
    """,
    """
    CREATE TABLE esm_checkpoints (
        mapping_uuid TEXT NOT NULL,
        shard TEXT NOT NULL,
        position TEXT NOT NULL DEFAULT '',
        owner TEXT,
        lease_expires_at REAL NOT NULL DEFAULT 0,
        updated_at REAL NOT NULL,
        PRIMARY KEY (mapping_uuid, shard)
    ) WITHOUT ROWID;
    CREATE TABLE leases (
        name TEXT PRIMARY KEY,
        owner TEXT NOT NULL,
        expires_at REAL NOT NULL,
        token INTEGER NOT NULL
    ) WITHOUT ROWID;
    """,
    """
    CREATE TABLE kinesis_streams (
        stream_id INTEGER PRIMARY KEY AUTOINCREMENT,
        account_id TEXT NOT NULL,
        region TEXT NOT NULL,
        name TEXT NOT NULL,
        status TEXT NOT NULL,
        mode TEXT NOT NULL,
        created_at REAL NOT NULL,
        retention_hours INTEGER NOT NULL,
        encryption_type TEXT NOT NULL,
        key_id TEXT,
        shard_level_metrics TEXT NOT NULL,
        max_record_size_kib INTEGER NOT NULL,
        tags BLOB NOT NULL,
        next_shard INTEGER NOT NULL
    );
    CREATE UNIQUE INDEX kinesis_streams_name ON kinesis_streams (account_id, region, name);
    CREATE TABLE kinesis_shards (
        stream_id INTEGER NOT NULL,
        shard_index INTEGER NOT NULL,
        parent INTEGER,
        adjacent_parent INTEGER,
        starting_hash TEXT NOT NULL,
        ending_hash TEXT NOT NULL,
        starting_seq INTEGER NOT NULL,
        ending_seq INTEGER,
        closed_at INTEGER,
        PRIMARY KEY (stream_id, shard_index)
    ) WITHOUT ROWID;
    CREATE TABLE kinesis_records (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        stream_id INTEGER NOT NULL,
        shard_index INTEGER NOT NULL,
        partition_key TEXT NOT NULL,
        data BLOB NOT NULL,
        arrival INTEGER NOT NULL
    );
    CREATE INDEX kinesis_records_shard ON kinesis_records (stream_id, shard_index, seq);
    CREATE TABLE kinesis_consumers (
        stream_id INTEGER NOT NULL,
        name TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        status TEXT NOT NULL,
        tags BLOB NOT NULL,
        PRIMARY KEY (stream_id, name)
    ) WITHOUT ROWID;
    CREATE TABLE kinesis_retired (stream_id INTEGER PRIMARY KEY);
    """,
    """
    CREATE TABLE dynamodb_streams (
        stream_id INTEGER PRIMARY KEY AUTOINCREMENT,
        stream_arn TEXT NOT NULL UNIQUE,
        account_id TEXT NOT NULL,
        region TEXT NOT NULL,
        table_name TEXT NOT NULL,
        label TEXT NOT NULL,
        view_type TEXT NOT NULL,
        key_schema TEXT NOT NULL,
        created_at REAL NOT NULL,
        disabled_at REAL,
        table_deleted INTEGER NOT NULL
    );
    CREATE INDEX dynamodb_streams_table ON dynamodb_streams (account_id, region, table_name);
    CREATE TABLE dynamodb_stream_shards (
        stream_id INTEGER NOT NULL,
        shard_index INTEGER NOT NULL,
        shard_id TEXT NOT NULL,
        parent_shard_id TEXT,
        starting_seq INTEGER NOT NULL,
        ending_seq INTEGER,
        created_at REAL NOT NULL,
        closed_at REAL,
        trimmed_seq INTEGER NOT NULL,
        PRIMARY KEY (stream_id, shard_index)
    ) WITHOUT ROWID;
    CREATE TABLE dynamodb_stream_records (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        stream_id INTEGER NOT NULL,
        shard_index INTEGER NOT NULL,
        created_at REAL NOT NULL,
        event_id TEXT NOT NULL,
        event_name TEXT NOT NULL,
        keys BLOB NOT NULL,
        new_image BLOB,
        old_image BLOB,
        size_bytes INTEGER NOT NULL,
        by_ttl INTEGER NOT NULL
    );
    CREATE INDEX dynamodb_stream_records_shard
        ON dynamodb_stream_records (stream_id, shard_index, seq);
    CREATE INDEX dynamodb_stream_records_created ON dynamodb_stream_records (created_at);
    """,
)


def migrate(db: sqlite3.Connection) -> None:
    """Run the migrations the database has not seen yet, one transaction each."""
    has_meta = db.execute(
        "SELECT 1 FROM sqlite_master WHERE type='table' AND name='meta'"
    ).fetchone()
    version = 0
    if has_meta:
        row = db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
        version = int(row[0]) if row else 0
    for index in range(version, len(MIGRATIONS)):
        db.executescript(
            f"BEGIN; {MIGRATIONS[index]}; INSERT OR REPLACE INTO meta(key, value) "
            f"VALUES ('schema_version', '{index + 1}'); COMMIT;"
        )
