"""Persistence as interfaces: one protocol per owner, the records they exchange, and
:class:`Store`, the set of them one data directory has. ``store.sqlite`` implements them."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from lambdaport.store.async_events import AsyncEvents
from lambdaport.store.checkpoints import Checkpoints, Leases
from lambdaport.store.documents import Documents
from lambdaport.store.dynamodb_streams import DynamoDBStreamTables
from lambdaport.store.kinesis import KinesisTables
from lambdaport.store.logs import Logs
from lambdaport.store.s3 import S3Tables
from lambdaport.store.sns import SnsTables
from lambdaport.store.sqs import SqsTables


class Store(Protocol):
    """Every owner's tables of one data directory, and the directory for blob files."""

    @property
    def data_dir(self) -> Path: ...

    @property
    def documents(self) -> Documents: ...

    @property
    def async_events(self) -> AsyncEvents: ...

    @property
    def logs(self) -> Logs: ...

    @property
    def sqs(self) -> SqsTables: ...

    @property
    def sns(self) -> SnsTables: ...

    @property
    def s3(self) -> S3Tables: ...

    @property
    def kinesis(self) -> KinesisTables: ...

    @property
    def dynamodb_streams(self) -> DynamoDBStreamTables: ...

    @property
    def checkpoints(self) -> Checkpoints: ...

    @property
    def leases(self) -> Leases: ...

    def close(self) -> None: ...


__all__ = ["Store"]
