"""Persistence: the embedded SQLite store and blob files."""

from lambdaport.store.sqlite import Store, StoredLogEvent

__all__ = ["Store", "StoredLogEvent"]
