"""S3's tables (see ``schema.py``): :class:`lambdaport.store.s3.S3Tables` on SQLite. Each call
is one operation on the store's thread (atomic, committed before it resolves).
"""

from __future__ import annotations

import sqlite3
from typing import Any

import orjson

from lambdaport.store.s3 import NULL_VERSION, Bucket, ObjectVersion, Part, Upload, after_prefix
from lambdaport.store.sqlite.core import Database

_OBJECT_COLUMNS = (
    "bucket, key, version_id, seq, latest, delete_marker, size, etag, last_modified, blob, attrs"
)


def _bucket(row: tuple[Any, ...]) -> Bucket:
    return Bucket(row[0], row[1], row[2], float(row[3]), row[4], orjson.loads(row[5]))


def _object(row: tuple[Any, ...]) -> ObjectVersion:
    return ObjectVersion(
        bucket=row[0],
        key=row[1],
        version_id=row[2],
        seq=int(row[3]),
        is_latest=bool(row[4]),
        delete_marker=bool(row[5]),
        size=int(row[6]),
        etag=row[7],
        last_modified=float(row[8]),
        blob=row[9],
        attrs=orjson.loads(row[10]),
    )


class S3Statements:
    """The statements, on the store's connection (its thread, its transaction)."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    # -- buckets ------------------------------------------------------------------------

    def put_bucket(self, bucket: Bucket) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO s3_buckets (name, account_id, region, created, versioning, "
            "config) VALUES (?,?,?,?,?,?)",
            (
                bucket.name,
                bucket.account_id,
                bucket.region,
                bucket.created,
                bucket.versioning,
                orjson.dumps(dict(bucket.config)),
            ),
        )

    def bucket(self, name: str) -> Bucket | None:
        row = self._db.execute(
            "SELECT name, account_id, region, created, versioning, config FROM s3_buckets "
            "WHERE name = ?",
            (name,),
        ).fetchone()
        return None if row is None else _bucket(row)

    def buckets(self, account_id: str) -> list[Bucket]:
        rows = self._db.execute(
            "SELECT name, account_id, region, created, versioning, config FROM s3_buckets "
            "WHERE account_id = ? ORDER BY name",
            (account_id,),
        ).fetchall()
        return [_bucket(row) for row in rows]

    def delete_bucket(self, name: str) -> list[str]:
        """Remove the bucket with its multipart uploads; returns the parts' blobs."""
        blobs = [
            row[0]
            for row in self._db.execute(
                "SELECT p.blob FROM s3_parts p JOIN s3_uploads u USING (upload_id) "
                "WHERE u.bucket = ?",
                (name,),
            )
        ]
        self._db.execute(
            "DELETE FROM s3_parts WHERE upload_id IN "
            "(SELECT upload_id FROM s3_uploads WHERE bucket = ?)",
            (name,),
        )
        self._db.execute("DELETE FROM s3_uploads WHERE bucket = ?", (name,))
        self._db.execute("DELETE FROM s3_buckets WHERE name = ?", (name,))
        return blobs

    def bucket_is_empty(self, name: str) -> bool:
        row = self._db.execute(
            "SELECT 1 FROM s3_objects WHERE bucket = ? LIMIT 1", (name,)
        ).fetchone()
        return row is None

    # -- objects ------------------------------------------------------------------------

    def latest(self, bucket: str, key: str) -> ObjectVersion | None:
        row = self._db.execute(
            f"SELECT {_OBJECT_COLUMNS} FROM s3_objects WHERE bucket = ? AND key = ? "
            "ORDER BY seq DESC LIMIT 1",
            (bucket, key),
        ).fetchone()
        return None if row is None else _object(row)

    def version(self, bucket: str, key: str, version_id: str) -> ObjectVersion | None:
        row = self._db.execute(
            f"SELECT {_OBJECT_COLUMNS} FROM s3_objects WHERE bucket = ? AND key = ? "
            "AND version_id = ?",
            (bucket, key, version_id),
        ).fetchone()
        return None if row is None else _object(row)

    def put_version(self, obj: ObjectVersion) -> tuple[ObjectVersion, list[str]]:
        """Store ``obj`` as the key's newest version (replacing its ``null`` version when
        ``obj`` is one); returns the stored version and the blobs it released."""
        released: list[str] = []
        if obj.version_id == NULL_VERSION:
            row = self._db.execute(
                "DELETE FROM s3_objects WHERE bucket = ? AND key = ? AND version_id = ? "
                "RETURNING blob",
                (obj.bucket, obj.key, NULL_VERSION),
            ).fetchone()
            if row is not None and row[0]:
                released.append(row[0])
        self._db.execute(
            "UPDATE s3_objects SET latest = 0 WHERE bucket = ? AND key = ? AND latest = 1",
            (obj.bucket, obj.key),
        )
        (seq,) = self._db.execute(
            "SELECT COALESCE(MAX(seq), 0) + 1 FROM s3_objects WHERE bucket = ? AND key = ?",
            (obj.bucket, obj.key),
        ).fetchone()
        stored = ObjectVersion(
            bucket=obj.bucket,
            key=obj.key,
            version_id=obj.version_id,
            last_modified=obj.last_modified,
            size=obj.size,
            etag=obj.etag,
            blob=obj.blob,
            delete_marker=obj.delete_marker,
            is_latest=True,
            seq=int(seq),
            attrs=obj.attrs,
        )
        self._db.execute(
            f"INSERT INTO s3_objects ({_OBJECT_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            (
                stored.bucket,
                stored.key,
                stored.version_id,
                stored.seq,
                1,
                int(stored.delete_marker),
                stored.size,
                stored.etag,
                stored.last_modified,
                stored.blob,
                orjson.dumps(dict(stored.attrs)),
            ),
        )
        return stored, released

    def delete_version(self, bucket: str, key: str, version_id: str) -> ObjectVersion | None:
        """Remove one version for good (the next newest becomes the latest)."""
        row = self._db.execute(
            f"DELETE FROM s3_objects WHERE bucket = ? AND key = ? AND version_id = ? "
            f"RETURNING {_OBJECT_COLUMNS}",
            (bucket, key, version_id),
        ).fetchone()
        if row is None:
            return None
        removed = _object(row)
        if removed.is_latest:
            self._db.execute(
                "UPDATE s3_objects SET latest = 1 WHERE bucket = ? AND key = ? AND seq = "
                "(SELECT MAX(seq) FROM s3_objects WHERE bucket = ? AND key = ?)",
                (bucket, key, bucket, key),
            )
        return removed

    def update_attrs(self, obj: ObjectVersion, attrs: dict[str, Any]) -> ObjectVersion:
        self._db.execute(
            "UPDATE s3_objects SET attrs = ? WHERE bucket = ? AND key = ? AND version_id = ?",
            (orjson.dumps(attrs), obj.bucket, obj.key, obj.version_id),
        )
        return ObjectVersion(
            obj.bucket,
            obj.key,
            obj.version_id,
            obj.last_modified,
            obj.size,
            obj.etag,
            obj.blob,
            obj.delete_marker,
            obj.is_latest,
            obj.seq,
            attrs,
        )

    def list_latest(
        self, bucket: str, prefix: str, after: str, start: str, limit: int
    ) -> list[ObjectVersion]:
        """Current (not deleted) objects with keys ``> after`` and ``>= start`` under
        ``prefix``, in key order."""
        lower = max(start, prefix)
        sql = (
            f"SELECT {_OBJECT_COLUMNS} FROM s3_objects WHERE bucket = ? AND latest = 1 "
            "AND delete_marker = 0 AND key > ? AND key >= ?"
        )
        args: list[Any] = [bucket, after, lower]
        if prefix:
            sql += " AND key < ?"
            args.append(after_prefix(prefix))
        rows = self._db.execute(sql + " ORDER BY key LIMIT ?", (*args, limit)).fetchall()
        return [_object(row) for row in rows]

    def list_versions(
        self,
        bucket: str,
        prefix: str,
        key_marker: str,
        seq_marker: int | None,
        start: str,
        limit: int,
    ) -> list[ObjectVersion]:
        """Versions and delete markers in key order, newest first within a key, after the
        marker (``seq_marker`` None: after every version of ``key_marker``)."""
        lower = max(start, prefix)
        if seq_marker is None:
            sql = "key > ?"
            args: list[Any] = [bucket, key_marker]
        else:
            sql = "(key > ? OR (key = ? AND seq < ?))"
            args = [bucket, key_marker, key_marker, seq_marker]
        query = f"SELECT {_OBJECT_COLUMNS} FROM s3_objects WHERE bucket = ? AND {sql} AND key >= ?"
        args.append(lower)
        if prefix:
            query += " AND key < ?"
            args.append(after_prefix(prefix))
        rows = self._db.execute(query + " ORDER BY key, seq DESC LIMIT ?", (*args, limit))
        return [_object(row) for row in rows.fetchall()]

    # -- multipart uploads --------------------------------------------------------------

    def put_upload(self, upload: Upload) -> None:
        self._db.execute(
            "INSERT INTO s3_uploads (upload_id, bucket, key, initiated, attrs) VALUES (?,?,?,?,?)",
            (
                upload.upload_id,
                upload.bucket,
                upload.key,
                upload.initiated,
                orjson.dumps(dict(upload.attrs)),
            ),
        )

    def upload(self, upload_id: str) -> Upload | None:
        row = self._db.execute(
            "SELECT upload_id, bucket, key, initiated, attrs FROM s3_uploads WHERE upload_id = ?",
            (upload_id,),
        ).fetchone()
        if row is None:
            return None
        return Upload(row[0], row[1], row[2], float(row[3]), orjson.loads(row[4]))

    def uploads(self, bucket: str, prefix: str) -> list[Upload]:
        rows = self._db.execute(
            "SELECT upload_id, bucket, key, initiated, attrs FROM s3_uploads WHERE bucket = ? "
            "AND substr(key, 1, ?) = ? ORDER BY key, initiated",
            (bucket, len(prefix), prefix),
        ).fetchall()
        return [Upload(r[0], r[1], r[2], float(r[3]), orjson.loads(r[4])) for r in rows]

    def put_part(self, part: Part) -> str | None:
        """Store a part (replacing one with the same number); returns the replaced blob."""
        row = self._db.execute(
            "DELETE FROM s3_parts WHERE upload_id = ? AND part_number = ? RETURNING blob",
            (part.upload_id, part.part_number),
        ).fetchone()
        self._db.execute(
            "INSERT INTO s3_parts (upload_id, part_number, etag, size, last_modified, blob, "
            "checksums) VALUES (?,?,?,?,?,?,?)",
            (
                part.upload_id,
                part.part_number,
                part.etag,
                part.size,
                part.last_modified,
                part.blob,
                orjson.dumps(dict(part.checksums)),
            ),
        )
        return None if row is None else str(row[0])

    def parts(self, upload_id: str) -> list[Part]:
        rows = self._db.execute(
            "SELECT upload_id, part_number, etag, size, last_modified, blob, checksums "
            "FROM s3_parts WHERE upload_id = ? ORDER BY part_number",
            (upload_id,),
        ).fetchall()
        return [
            Part(r[0], int(r[1]), r[2], int(r[3]), float(r[4]), r[5], orjson.loads(r[6]))
            for r in rows
        ]

    def delete_upload(self, upload_id: str) -> list[str]:
        """Forget an upload and its parts; returns the parts' blobs."""
        rows = self._db.execute(
            "DELETE FROM s3_parts WHERE upload_id = ? RETURNING blob", (upload_id,)
        ).fetchall()
        self._db.execute("DELETE FROM s3_uploads WHERE upload_id = ?", (upload_id,))
        return [row[0] for row in rows]


class SqliteS3:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def put_bucket(self, bucket: Bucket) -> None:
        return await self._db.run(lambda db: S3Statements(db).put_bucket(bucket))

    async def bucket(self, name: str) -> Bucket | None:
        return await self._db.run(lambda db: S3Statements(db).bucket(name))

    async def buckets(self, account_id: str) -> list[Bucket]:
        return await self._db.run(lambda db: S3Statements(db).buckets(account_id))

    async def delete_bucket(self, name: str) -> list[str]:
        return await self._db.run(lambda db: S3Statements(db).delete_bucket(name))

    async def bucket_is_empty(self, name: str) -> bool:
        return await self._db.run(lambda db: S3Statements(db).bucket_is_empty(name))

    async def latest(self, bucket: str, key: str) -> ObjectVersion | None:
        return await self._db.run(lambda db: S3Statements(db).latest(bucket, key))

    async def version(self, bucket: str, key: str, version_id: str) -> ObjectVersion | None:
        return await self._db.run(lambda db: S3Statements(db).version(bucket, key, version_id))

    async def put_version(self, obj: ObjectVersion) -> tuple[ObjectVersion, list[str]]:
        return await self._db.run(lambda db: S3Statements(db).put_version(obj))

    async def delete_version(self, bucket: str, key: str, version_id: str) -> ObjectVersion | None:
        return await self._db.run(
            lambda db: S3Statements(db).delete_version(bucket, key, version_id)
        )

    async def update_attrs(self, obj: ObjectVersion, attrs: dict[str, Any]) -> ObjectVersion:
        return await self._db.run(lambda db: S3Statements(db).update_attrs(obj, attrs))

    async def list_latest(
        self, bucket: str, prefix: str, after: str, start: str, limit: int
    ) -> list[ObjectVersion]:
        return await self._db.run(
            lambda db: S3Statements(db).list_latest(bucket, prefix, after, start, limit)
        )

    async def list_versions(
        self,
        bucket: str,
        prefix: str,
        key_marker: str,
        seq_marker: int | None,
        start: str,
        limit: int,
    ) -> list[ObjectVersion]:
        return await self._db.run(
            lambda db: S3Statements(db).list_versions(
                bucket, prefix, key_marker, seq_marker, start, limit
            )
        )

    async def put_upload(self, upload: Upload) -> None:
        return await self._db.run(lambda db: S3Statements(db).put_upload(upload))

    async def upload(self, upload_id: str) -> Upload | None:
        return await self._db.run(lambda db: S3Statements(db).upload(upload_id))

    async def uploads(self, bucket: str, prefix: str) -> list[Upload]:
        return await self._db.run(lambda db: S3Statements(db).uploads(bucket, prefix))

    async def put_part(self, part: Part) -> str | None:
        return await self._db.run(lambda db: S3Statements(db).put_part(part))

    async def parts(self, upload_id: str) -> list[Part]:
        return await self._db.run(lambda db: S3Statements(db).parts(upload_id))

    async def delete_upload(self, upload_id: str) -> list[str]:
        return await self._db.run(lambda db: S3Statements(db).delete_upload(upload_id))
