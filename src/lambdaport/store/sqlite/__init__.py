"""The SQLite implementation of the store's protocols: one database (WAL) per data directory,
owned by one thread (``core.Database``), one module per owner. The only package that imports
``sqlite3``."""

from __future__ import annotations

from pathlib import Path

from lambdaport.store.sqlite.async_events import SqliteAsyncEvents
from lambdaport.store.sqlite.checkpoints import SqliteCheckpoints, SqliteLeases
from lambdaport.store.sqlite.core import Database
from lambdaport.store.sqlite.documents import SqliteDocuments
from lambdaport.store.sqlite.dynamodb_streams import SqliteDynamoDBStreams
from lambdaport.store.sqlite.kinesis import SqliteKinesis
from lambdaport.store.sqlite.logs import SqliteLogs
from lambdaport.store.sqlite.s3 import SqliteS3
from lambdaport.store.sqlite.sns import SqliteSns
from lambdaport.store.sqlite.sqs import SqliteSqs

DATABASE_NAME = "lambdaport.sqlite3"


class SqliteStore:
    """:class:`lambdaport.store.Store` on SQLite."""

    def __init__(self, data_dir: Path) -> None:
        data_dir.mkdir(parents=True, exist_ok=True)
        self._data_dir = data_dir
        self.database = Database(data_dir / DATABASE_NAME)
        self._documents = SqliteDocuments(self.database)
        self._async_events = SqliteAsyncEvents(self.database)
        self._logs = SqliteLogs(self.database)
        self._sqs = SqliteSqs(self.database)
        self._sns = SqliteSns(self.database)
        self._s3 = SqliteS3(self.database)
        self._kinesis = SqliteKinesis(self.database)
        self._dynamodb_streams = SqliteDynamoDBStreams(self.database)
        self._checkpoints = SqliteCheckpoints(self.database)
        self._leases = SqliteLeases(self.database)

    @property
    def data_dir(self) -> Path:
        return self._data_dir

    @property
    def documents(self) -> SqliteDocuments:
        return self._documents

    @property
    def async_events(self) -> SqliteAsyncEvents:
        return self._async_events

    @property
    def logs(self) -> SqliteLogs:
        return self._logs

    @property
    def sqs(self) -> SqliteSqs:
        return self._sqs

    @property
    def sns(self) -> SqliteSns:
        return self._sns

    @property
    def s3(self) -> SqliteS3:
        return self._s3

    @property
    def kinesis(self) -> SqliteKinesis:
        return self._kinesis

    @property
    def dynamodb_streams(self) -> SqliteDynamoDBStreams:
        return self._dynamodb_streams

    @property
    def checkpoints(self) -> SqliteCheckpoints:
        return self._checkpoints

    @property
    def leases(self) -> SqliteLeases:
        return self._leases

    def close(self) -> None:
        self.database.close()
