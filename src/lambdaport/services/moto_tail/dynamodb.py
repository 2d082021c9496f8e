"""What lambdaport adds to moto's DynamoDB: its streams. Tables' ``StreamSpecification`` is
lambdaport's, not moto's (moto's own stream cannot be disabled without breaking every later
write to the table, cannot be enabled again, and keeps no images for ``KEYS_ONLY``): the
``CreateTable`` and ``UpdateTable`` hooks hand moto the call without it (``before``), enable or
disable the table's stream in DynamoDB Streams (``TableStreams``) atomically with moto's call
(``capture``), and every answer that describes a table (``CreateTable``, ``UpdateTable``,
``DescribeTable``, ``DeleteTable``) gets the stream's ``StreamSpecification``,
``LatestStreamArn`` and ``LatestStreamLabel`` (``after``).

Every write to a table with an enabled stream — ``PutItem``, ``UpdateItem``, ``DeleteItem``,
``BatchWriteItem``, ``TransactWriteItems`` and PartiQL's ``ExecuteStatement``,
``BatchExecuteStatement`` and ``ExecuteTransaction`` — reads, under moto's lock, the items it
may change right before moto runs it (``prepare``: by the keys in the request; for PartiQL,
every item of the tables its statements write) and right after (``capture``), and stages one
stream record per item that changed, in order: INSERT, MODIFY or REMOVE, none when the write
changed nothing (an overwrite with the same item, a failed condition or transaction), as AWS
does. The ``after`` hook awaits their commit before the write is answered.

moto never expires items by Time to Live, so no TTL delete (``userIdentity``) is ever made.
What is read of moto's objects is hook 12 of ``hooks``.
"""

from __future__ import annotations

import base64
import re
import zlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from lambdaport.errors import AwsError
from lambdaport.protocol.base import HttpResponse
from lambdaport.request import RequestContext
from lambdaport.services.interfaces import ItemChange, TableStream, TableStreams
from lambdaport.services.moto_tail.operation_hooks import (
    Capture,
    MotoResult,
    OperationHook,
    OperationHooks,
    Prepare,
)
from lambdaport.services.moto_tail.protocol import MotoCall

SERVICE = "dynamodb"
VIEW_TYPES = ("KEYS_ONLY", "NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES")
ITEM_WRITES = ("PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems")
PARTIQL_WRITES = ("ExecuteStatement", "BatchExecuteStatement", "ExecuteTransaction")
DESCRIBED = {
    "CreateTable": "TableDescription",
    "UpdateTable": "TableDescription",
    "DeleteTable": "TableDescription",
    "DescribeTable": "Table",
}
_PARTIQL_TARGET = re.compile(
    r'^\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+(?:"([^"]+)"|([A-Za-z0-9_.\-]+))', re.IGNORECASE
)

Image = dict[str, Any]
KeyOf = tuple[Any, Any]  # moto's (hash, range) DynamoTypes


# -- moto's objects (hook 12 of ``hooks``; the lock is held) -------------------------------


def moto_table(account_id: str, region: str, name: str) -> Any | None:
    """moto's table, or None; creates no backend (an account or region moto never saw has
    none)."""
    from moto.dynamodb.models import dynamodb_backends

    account = dict.get(dynamodb_backends, account_id)
    backend = None if account is None else dict.get(account, region)
    if backend is None:
        return None
    return backend.tables.get(name.rpartition("table/")[2] if name.startswith("arn:") else name)


def key_schema(table: Any) -> list[tuple[str, str]]:
    return [(str(k["AttributeName"]), str(k["KeyType"])) for k in table.schema]


def _key_of(table: Any, key: Mapping[str, Any]) -> KeyOf | None:
    from moto.dynamodb.models.dynamo_type import DynamoType

    hash_attr, range_attr = table.hash_key_attr, table.range_key_attr
    if hash_attr not in key or (range_attr is not None and range_attr not in key):
        return None  # moto refuses the call
    try:
        hash_value = DynamoType(key[hash_attr])
        range_value = None if range_attr is None else DynamoType(key[range_attr])
    except Exception:
        return None
    return hash_value, range_value


def _item(table: Any, key: KeyOf) -> Any | None:
    try:
        return table.get_item(key[0], key[1])
    except Exception:
        return None


def _items(table: Any) -> dict[KeyOf, Any]:
    return {(item.hash_key, item.range_key): item for item in table.all_items()}


def _value(value: Any) -> Any:
    """A moto ``DynamoType`` as DynamoDB JSON (fresh structures; binaries as base64)."""
    kind, raw = value.type, value.value
    if kind == "M":
        return {"M": {k: _value(v) for k, v in raw.items()}}
    if kind == "L":
        return {"L": [_value(v) for v in raw]}
    if kind == "B":
        return {"B": _base64(raw)}
    if kind == "BS":
        return {"BS": [_base64(v) for v in raw]}
    if kind in ("SS", "NS"):
        return {kind: list(raw)}
    return {kind: raw}


def _base64(raw: Any) -> str:
    return base64.b64encode(raw).decode() if isinstance(raw, bytes | bytearray) else str(raw)


def image(item: Any) -> Image:
    return {name: _value(value) for name, value in item.attrs.items()}


def _keys(table: Any, attrs: Image) -> Image:
    names = [table.hash_key_attr] + ([table.range_key_attr] if table.range_key_attr else [])
    return {name: attrs[name] for name in names if name in attrs}


# -- what a write touches -----------------------------------------------------------------


@dataclass(slots=True)
class _Watched:
    """One streamed table a write may change: the keys it names with their images before,
    or (PartiQL) every item before, by key."""

    stream: TableStream
    table_name: str
    before: dict[KeyOf, Image | None]
    scanned: dict[KeyOf, Any] | None = None


def _body(call: MotoCall) -> dict[str, Any]:
    try:
        parsed = orjson.loads(call.request.body or b"{}")
    except orjson.JSONDecodeError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def _targets(call: MotoCall, body: Mapping[str, Any]) -> Iterable[tuple[str, Mapping[str, Any]]]:
    """(table name, key or item) for each item a key-addressed write names, in order."""
    if call.operation == "PutItem":
        yield str(body.get("TableName", "")), body.get("Item") or {}
    elif call.operation in ("UpdateItem", "DeleteItem"):
        yield str(body.get("TableName", "")), body.get("Key") or {}
    elif call.operation == "BatchWriteItem":
        for table, requests in (body.get("RequestItems") or {}).items():
            for request in requests or ():
                put, delete = request.get("PutRequest"), request.get("DeleteRequest")
                if put is not None:
                    yield str(table), put.get("Item") or {}
                elif delete is not None:
                    yield str(table), delete.get("Key") or {}
    elif call.operation == "TransactWriteItems":
        for entry in body.get("TransactItems") or ():
            for kind in ("Put", "Update", "Delete"):
                op = entry.get(kind)
                if op is not None:
                    yield (
                        str(op.get("TableName", "")),
                        op.get("Item" if kind == "Put" else "Key") or {},
                    )


def _statements(call: MotoCall, body: Mapping[str, Any]) -> list[str]:
    if call.operation == "ExecuteStatement":
        return [str(body.get("Statement", ""))]
    member = "Statements" if call.operation == "BatchExecuteStatement" else "TransactStatements"
    return [str(s.get("Statement", "")) for s in body.get(member) or ()]


def partiql_target(statement: str) -> str | None:
    """The table a PartiQL INSERT, UPDATE or DELETE writes (None for a SELECT)."""
    found = _PARTIQL_TARGET.match(statement)
    return None if found is None else (found.group(1) or found.group(2))


class DynamoDBStreamHooks:
    """The hooks (see the module docstring), for ``streams``."""

    def __init__(self, streams: TableStreams) -> None:
        self._streams = streams

    def register(self, hooks: OperationHooks) -> None:
        writes = OperationHook(prepare=self.prepare_write, after=self.after_write)
        for operation in (*ITEM_WRITES, *PARTIQL_WRITES):
            hooks.register(SERVICE, operation, writes)
        hooks.register(
            SERVICE,
            "CreateTable",
            OperationHook(
                before=self.before_create,
                prepare=_where(self.capture_create),
                after=self.describe,
            ),
        )
        hooks.register(
            SERVICE,
            "UpdateTable",
            OperationHook(
                before=self.before_update,
                prepare=_where(self.capture_update),
                after=self.describe,
            ),
        )
        hooks.register(
            SERVICE,
            "DeleteTable",
            OperationHook(prepare=_where(self.capture_delete), after=self.describe),
        )
        hooks.register(SERVICE, "DescribeTable", OperationHook(after=self.describe))

    # -- tables ------------------------------------------------------------------------

    async def before_create(self, call: MotoCall, ctx: RequestContext) -> MotoCall | None:
        spec = call.params.get("StreamSpecification")
        if spec is None:
            return None
        _check_spec(spec)
        return call.without("StreamSpecification")

    async def before_update(self, call: MotoCall, ctx: RequestContext) -> MotoCall | None:
        spec = call.params.get("StreamSpecification")
        if spec is None:
            return None
        _check_spec(spec)
        name = str(call.params.get("TableName", ""))
        current = self._streams.stream_of(ctx.account_id, ctx.region, _table_name(name))
        enabled = current is not None and current.enabled
        if spec.get("StreamEnabled") and enabled:
            raise AwsError(
                "ValidationException", f"Table already has an enabled stream: {name}", 400
            )
        if not spec.get("StreamEnabled") and not enabled:
            raise AwsError(
                "ValidationException", f"Table {name} does not have an enabled stream", 400
            )
        return call.without("StreamSpecification")

    def capture_create(self, call: MotoCall, result: MotoResult, where: tuple[str, str]) -> bool:
        spec = call.params.get("StreamSpecification") or {}
        if not result.ok or not spec.get("StreamEnabled"):
            return False
        name = str(call.params.get("TableName", ""))
        table = moto_table(*where, name)
        if table is None:
            return False
        self._streams.enable(*where, table.name, key_schema(table), str(spec["StreamViewType"]))
        return True

    def capture_update(self, call: MotoCall, result: MotoResult, where: tuple[str, str]) -> bool:
        spec = call.params.get("StreamSpecification")
        if not result.ok or spec is None:
            return False
        table = moto_table(*where, str(call.params.get("TableName", "")))
        if table is None:
            return False
        if spec.get("StreamEnabled"):
            self._streams.enable(*where, table.name, key_schema(table), str(spec["StreamViewType"]))
        else:
            self._streams.disable(*where, table.name)
        return True

    def capture_delete(self, call: MotoCall, result: MotoResult, where: tuple[str, str]) -> bool:
        if not result.ok:
            return False
        name = _table_name(str(call.params.get("TableName", "")))
        self._streams.table_deleted(*where, name)
        return True

    async def describe(
        self, call: MotoCall, result: MotoResult, changed: bool | None, ctx: RequestContext
    ) -> HttpResponse | None:
        """The table's answer with its stream's members."""
        if changed:
            await self._streams.flush()
        if not result.ok or call.operation == "DeleteTable":
            return None  # a deleted table's stream went with it
        member = DESCRIBED[call.operation]
        try:
            body = orjson.loads(result.response.body)
        except orjson.JSONDecodeError:
            return None
        description = body.get(member)
        if not isinstance(description, dict):
            return None
        name = str(description.get("TableName", ""))
        stream = self._streams.stream_of(ctx.account_id, ctx.region, name)
        description.pop("StreamSpecification", None)
        if stream is not None:
            if stream.enabled:
                description["StreamSpecification"] = {
                    "StreamEnabled": True,
                    "StreamViewType": stream.view_type,
                }
            description["LatestStreamLabel"] = stream.label
            description["LatestStreamArn"] = stream.stream_arn
        return _json_response(result, orjson.dumps(body))

    # -- writes ------------------------------------------------------------------------

    def prepare_write(self, call: MotoCall, ctx: RequestContext) -> Capture[bool]:
        """The images before the call, and the capture that compares them with after."""
        prepared = self._watch(call, ctx)
        return lambda call, result: self.capture_write(call, result, prepared)

    def _watch(self, call: MotoCall, ctx: RequestContext) -> tuple[str, str, list[_Watched]]:
        where = (ctx.account_id, ctx.region)
        watched: dict[str, _Watched] = {}
        body = _body(call)

        def watch(name: str) -> tuple[Any, _Watched] | None:
            table = moto_table(*where, name)
            if table is None:
                return None
            found = watched.get(table.name)
            if found is None:
                stream = self._streams.stream_of(*where, table.name)
                if stream is None or not stream.enabled:
                    return None
                found = watched[table.name] = _Watched(stream, table.name, {})
            return table, found

        if call.operation in PARTIQL_WRITES:
            for statement in _statements(call, body):
                target = partiql_target(statement)
                seen = None if target is None else watch(target)
                if seen is not None and seen[1].scanned is None:
                    seen[1].scanned = _items(seen[0])
        else:
            for name, key in _targets(call, body):
                seen = watch(name)
                if seen is None:
                    continue
                table, entry = seen
                moto_key = _key_of(table, key)
                if moto_key is not None and moto_key not in entry.before:
                    item = _item(table, moto_key)
                    entry.before[moto_key] = None if item is None else image(item)
        return ctx.account_id, ctx.region, list(watched.values())

    def capture_write(
        self, call: MotoCall, result: MotoResult, prepared: tuple[str, str, list[_Watched]]
    ) -> bool:
        account_id, region, watched = prepared
        staged = False
        for entry in watched:
            table = moto_table(account_id, region, entry.table_name)
            changes = _changes(table, entry)
            if changes:
                self._streams.record(entry.stream.stream_arn, changes)
                staged = True
        return staged

    async def after_write(
        self, call: MotoCall, result: MotoResult, staged: bool, ctx: RequestContext
    ) -> HttpResponse | None:
        if staged:
            await self._streams.flush()
        return None


Where = tuple[str, str]  # account, region


def _where(capture: Callable[[MotoCall, MotoResult, Where], bool]) -> Prepare[bool]:
    """A prepare that only hands ``capture`` the call's account and region."""

    def prepare(call: MotoCall, ctx: RequestContext) -> Capture[bool]:
        where = (ctx.account_id, ctx.region)
        return lambda call, result: capture(call, result, where)

    return prepare


def _table_name(name: str) -> str:
    return name.rpartition("table/")[2] if name.startswith("arn:") else name


def _check_spec(spec: Mapping[str, Any]) -> None:
    if spec.get("StreamEnabled") and spec.get("StreamViewType") not in VIEW_TYPES:
        raise AwsError(
            "ValidationException",
            "One or more parameter values were invalid: StreamViewType must be set to one of "
            f"{', '.join(VIEW_TYPES)} when StreamEnabled is true",
            400,
        )


def _changes(table: Any | None, entry: _Watched) -> list[ItemChange]:
    """The items of ``entry`` that changed, as they were and are (the table may be gone, or
    a new object after a transaction rolled back)."""
    changes: list[ItemChange] = []

    def change(old: Image | None, new: Image | None) -> None:
        if old == new:
            return
        either = new if new is not None else old
        assert either is not None and table is not None
        changes.append(ItemChange(_keys(table, either), old, new))

    if table is None:
        return changes
    if entry.scanned is not None:
        now = _items(table)
        for key, item in now.items():
            previous = entry.scanned.get(key)
            if previous is not item:
                change(None if previous is None else image(previous), image(item))
        for key, previous in entry.scanned.items():
            if key not in now:
                change(image(previous), None)
        return changes
    for key, old in entry.before.items():
        item = _item(table, key)
        change(old, None if item is None else image(item))
    return changes


def _json_response(result: MotoResult, body: bytes) -> HttpResponse:
    """moto's answer with another JSON body (its length and DynamoDB's CRC32 redone)."""
    headers = [
        (k, v)
        for k, v in result.response.headers
        if k.lower() not in ("content-length", "x-amz-crc32", "date", "server")
    ]
    headers.append(("x-amz-crc32", str(zlib.crc32(body))))
    headers.append(("content-length", str(len(body))))
    return HttpResponse(result.status, headers, body)
