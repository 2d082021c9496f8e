"""Create/Get/Update/Delete/ListEventSourceMappings and the tags of mappings
(https://docs.aws.amazon.com/lambda/latest/api/API_CreateEventSourceMapping.html).

A mapping is an ``event_source_mapping`` document keyed by account, region and UUID, and
``_mappings`` is this node's cache of them (loaded at start, written through). The checks
made here are those of AWS's per-source parameter table (which parameters a source takes,
their defaults and ranges beyond the botocore model's: FIFO queues' batch size, SQS's
batching window above 10 records, the streams' starting positions); the protocol layer has
already checked the model's ranges and enums.

States: Create answers ``Creating``, Update ``Enabling``/``Disabling``/``Updating``, Delete
``Deleting``; the engine (``esm.supervisor``) runs the transition and reports its end
(``settled``), until then another Update or Delete is ``ResourceInUseException``. After a
restart :meth:`load` hands every mapping to the engine again: Enabled ones resume, an
unfinished transition is run again.
"""

from __future__ import annotations

import time
import uuid as uuids
from collections.abc import Mapping
from dataclasses import asdict, replace
from typing import Any

from lambdaport.errors import AwsError, invalid_parameter, resource_conflict, resource_not_found
from lambdaport.esm.model import (
    NO_RECORDS,
    TRANSITIONS,
    EventSourceMapping,
    MappingEngine,
    State,
    mapping_arn,
    source_kind,
)
from lambdaport.events.patterns import PatternError, compile_pattern
from lambdaport.lambda_.commands import (
    CreateEventSourceMapping,
    DeleteEventSourceMapping,
    GetEventSourceMapping,
    ListEventSourceMappings,
    ListTags,
    MappingSettings,
    TagResource,
    UntagResource,
    UpdateEventSourceMapping,
)
from lambdaport.lambda_.names import LATEST, FunctionRef
from lambdaport.lambda_.paging import Page, paginate
from lambdaport.lambda_.registry import FunctionRegistry
from lambdaport.lambda_.validation import check_tag_count
from lambdaport.services.interfaces import QueueReader, StreamReader
from lambdaport.store.documents import Delete, Documents, Put

KIND = "event_source_mapping"
Key = tuple[str, str, str, str]  # account, region, UUID, ''
POLLED = ("sqs", "kinesis", "dynamodb")
STREAMS = ("kinesis", "dynamodb")
# Parameters that only streams take (AWS's table: "—" for SQS).
STREAM_ONLY = (
    ("parallelization_factor", "ParallelizationFactor"),
    ("maximum_record_age_in_seconds", "MaximumRecordAgeInSeconds"),
    ("bisect_batch_on_function_error", "BisectBatchOnFunctionError"),
    ("maximum_retry_attempts", "MaximumRetryAttempts"),
    ("tumbling_window_in_seconds", "TumblingWindowInSeconds"),
)
MAX_FILTERS = 5
USER_INITIATED = "USER_INITIATED"  # SQS mappings' reason for a user's change
USER_ACTION = "User action"  # the streams'


def _not_found() -> AwsError:
    return resource_not_found("The resource you requested does not exist.")


def in_use(action: str) -> AwsError:
    return AwsError(
        "ResourceInUseException",
        f"Cannot {action} the event source mapping because it is in use.",
        400,
        fields={"Type": "User"},
    )


def _unsupported(member: str) -> AwsError:
    return invalid_parameter(f"Unsupported {member} parameter for given event source mapping type.")


def is_mapping_arn(resource: str) -> bool:
    return ":event-source-mapping:" in resource


def _user_reason(kind: str) -> str:
    return USER_INITIATED if kind == "sqs" else USER_ACTION


# -- the store's documents ----------------------------------------------------------------


def _to_document(mapping: EventSourceMapping, tags: Mapping[str, str]) -> dict[str, Any]:
    body = asdict(mapping)
    body["extra"] = dict(mapping.extra)
    body["tags"] = dict(tags)
    return body


def _from_document(body: Mapping[str, Any]) -> tuple[EventSourceMapping, dict[str, str]]:
    fields = dict(body)
    tags = dict(fields.pop("tags", {}) or {})
    for member in ("filters", "function_response_types"):
        if fields.get(member) is not None:
            fields[member] = tuple(fields[member])
    return EventSourceMapping(**fields), tags


def _check_polled(arn: str | None) -> str:
    """A source lambdaport polls (SQS, Kinesis, DynamoDB Streams), else a 501 that says so."""
    if not arn:
        raise invalid_parameter("Unrecognized event source.")
    kind = source_kind(arn)
    if kind not in POLLED:
        raise AwsError(
            "NotImplementedException",
            f"lambdaport does not poll {kind or 'this kind of'} event sources yet.",
            501,
            sender_fault=False,
            fields={"Type": "Service"},
        )
    return arn


def _check_for_queue(mapping: EventSourceMapping, settings: MappingSettings) -> None:
    for attribute, member in STREAM_ONLY:
        if getattr(settings, attribute) is not None:
            raise _unsupported(member)
    if settings.on_failure is not None:
        raise _unsupported("DestinationConfig")
    if mapping.fifo:
        if mapping.batch_size > 10:
            raise invalid_parameter("Batch size must not exceed 10 for FIFO queues.")
        if mapping.maximum_batching_window_in_seconds:
            raise invalid_parameter("Batching window is not supported for FIFO queues.")


class EventSourceMappingService:
    """The mappings of every account and region this node serves."""

    def __init__(
        self,
        registry: FunctionRegistry,
        documents: Documents,
        engine: MappingEngine,
        queues: QueueReader,
        streams: StreamReader | None = None,
        table_streams: StreamReader | None = None,
    ) -> None:
        self._registry = registry
        self._documents = documents
        self._engine = engine
        self._queues = queues
        self._streams = streams
        self._table_streams = table_streams
        self._mappings: dict[str, EventSourceMapping] = {}
        self._tags: dict[str, dict[str, str]] = {}

    async def load(self) -> None:
        """At start: the mappings back, each handed to the engine (Enabled ones resume)."""
        for _, body in await self._documents.scan(KIND):
            mapping, tags = _from_document(body)
            self._mappings[mapping.uuid] = mapping
            self._tags[mapping.uuid] = tags
        for mapping in list(self._mappings.values()):
            self._engine.apply(mapping)

    def all(self) -> list[EventSourceMapping]:
        return list(self._mappings.values())

    # -- the engine's reports (esm.model.MappingReports) ----------------------------------

    async def settled(self, uuid: str, state: State | None, reason: str) -> None:
        mapping = self._mappings.get(uuid)
        if mapping is None:
            return
        if state is None:
            del self._mappings[uuid]
            self._tags.pop(uuid, None)
            await self._documents.write([Delete(KIND, self._key(mapping))])
            return
        enabled = mapping.enabled if state in TRANSITIONS else state == "Enabled"
        changed = replace(mapping, state=state, state_transition_reason=reason, enabled=enabled)
        if state != mapping.state and mapping.state not in TRANSITIONS:
            changed = replace(changed, last_modified=time.time())
        await self._save(changed)

    async def processed(self, uuid: str, result: str) -> None:
        mapping = self._mappings.get(uuid)
        if mapping is not None and mapping.last_processing_result != result:
            await self._save(replace(mapping, last_processing_result=result))

    # -- helpers ----------------------------------------------------------------------------

    @staticmethod
    def _key(mapping: EventSourceMapping) -> Key:
        return (mapping.account_id, mapping.region, mapping.uuid, "")

    async def _save(self, mapping: EventSourceMapping) -> EventSourceMapping:
        self._mappings[mapping.uuid] = mapping
        tags = self._tags.setdefault(mapping.uuid, {})
        await self._documents.write([Put(KIND, self._key(mapping), _to_document(mapping, tags))])
        return mapping

    def _existing(self, account_id: str, region: str, uuid: str) -> EventSourceMapping:
        mapping = self._mappings.get(uuid)
        if mapping is None or (mapping.account_id, mapping.region) != (account_id, region):
            raise _not_found()
        return mapping

    def _function_arn(self, ref: FunctionRef) -> str:
        """The function (and its version or alias) must exist."""
        entry = self._registry.find(ref)
        qualifier = ref.qualifier
        if entry is None or (
            qualifier is not None
            and qualifier != LATEST
            and qualifier not in entry.versions
            and qualifier not in entry.aliases
        ):
            raise invalid_parameter("Function does not exist")
        return ref.qualified_arn

    def _function_timeout(self, function_arn: str) -> int:
        """The timeout of the version a mapping's function ARN runs (an alias: its version)."""
        parts = function_arn.split(":")
        entry = self._registry.find(FunctionRef(parts[4], parts[3], parts[6], None))
        if entry is None:
            return 0
        qualifier = parts[7] if len(parts) > 7 else LATEST
        if qualifier in entry.aliases:
            qualifier = entry.aliases[qualifier].function_version
        version = entry.versions.get(qualifier, entry.latest)
        return int(version.timeout)

    def _check_visibility_timeout(self, mapping: EventSourceMapping) -> None:
        """AWS refuses a queue whose messages would come back while the function runs."""
        if mapping.kind != "sqs":
            return
        queue = self._queues.describe(mapping.event_source_arn)
        timeout = self._function_timeout(mapping.function_arn)
        if queue is not None and queue.visibility_timeout < timeout:
            raise invalid_parameter(
                f"Queue visibility timeout: {queue.visibility_timeout} seconds is less than "
                f"Function timeout: {timeout} seconds"
            )

    async def _source(self, arn: str | None) -> tuple[str, bool]:
        """The source's kind and, for a queue, whether it is FIFO; it must exist."""
        arn = _check_polled(arn)
        kind = source_kind(arn)
        if kind == "sqs":
            queue = self._queues.describe(arn)
            if queue is None:
                raise invalid_parameter(
                    "Error occurred while ReceiveMessage. SQS Error Code: "
                    "AWS.SimpleQueueService.NonExistentQueue. SQS Error Message: The specified "
                    "queue does not exist."
                )
            return kind, queue.fifo
        reader = {"kinesis": self._streams, "dynamodb": self._table_streams}.get(kind)
        if reader is not None:
            try:
                await reader.describe(arn)
            except AwsError:
                raise invalid_parameter(f"Stream not found: {arn}") from None
        return kind, False

    @staticmethod
    def _check_filters(filters: tuple[str, ...] | None) -> None:
        if filters is None:
            return
        if len(filters) > MAX_FILTERS:
            raise invalid_parameter("Invalid filter pattern definition.")
        for pattern in filters:
            try:
                compile_pattern(pattern)
            except PatternError:
                raise invalid_parameter("Invalid filter pattern definition.") from None

    @staticmethod
    def _check_for_source(mapping: EventSourceMapping, settings: MappingSettings) -> None:
        """AWS's table of parameters per source, on the mapping as it would be."""
        if settings.unsupported:
            raise _unsupported(settings.unsupported[0])
        if settings.on_success:
            raise _unsupported("DestinationConfig")
        window = mapping.maximum_batching_window_in_seconds or 0
        if mapping.kind == "sqs":
            _check_for_queue(mapping, settings)
        elif settings.scaling_config_given:
            raise _unsupported("ScalingConfig")
        if mapping.kind == "sqs" and mapping.batch_size > 10 and window == 0:
            raise invalid_parameter(
                "Maximum batch window in seconds must be greater than 0 if maximum batch size "
                "is greater than 10"
            )
        age = mapping.maximum_record_age_in_seconds
        if age is not None and 0 <= age < 60:
            raise invalid_parameter(
                "MaximumRecordAgeInSeconds must be -1 (infinite) or between 60 and 604800."
            )

    def _check_duplicate(self, function_arn: str, source_arn: str) -> None:
        for mapping in self._mappings.values():
            if mapping.function_arn == function_arn and mapping.event_source_arn == source_arn:
                name = function_arn.split(":")[6]
                if mapping.kind == "sqs":
                    raise resource_conflict(
                        f'An event source mapping with SQS arn (" {source_arn} ") and function '
                        f'(" {name} ") already exists. Please update or delete the existing '
                        f"mapping with UUID {mapping.uuid}"
                    )
                raise resource_conflict(
                    f'The event source arn (" {source_arn} ") and function (" {name} ") '
                    "provided mapping already exists. Please update or delete the existing "
                    f"mapping with UUID {mapping.uuid}"
                )

    @staticmethod
    def _settle_settings(mapping: EventSourceMapping, s: MappingSettings) -> EventSourceMapping:
        """The settings given, on top of the mapping's."""
        changes: dict[str, Any] = {}
        for attribute in (
            "batch_size",
            "maximum_batching_window_in_seconds",
            "parallelization_factor",
            "maximum_record_age_in_seconds",
            "bisect_batch_on_function_error",
            "maximum_retry_attempts",
            "tumbling_window_in_seconds",
        ):
            value = getattr(s, attribute)
            if value is not None:
                changes[attribute] = value
        if s.enabled is not None:
            changes["enabled"] = s.enabled
        if s.filters is not None:
            changes["filters"] = s.filters or None
        if s.function_response_types is not None:
            changes["function_response_types"] = s.function_response_types
        if s.scaling_config_given:
            changes["maximum_concurrency"] = s.maximum_concurrency
        if s.on_failure is not None:
            changes["on_failure"] = s.on_failure or None
        if s.extra:
            changes["extra"] = {**mapping.extra, **s.extra}
        return replace(mapping, **changes)

    # -- operations -------------------------------------------------------------------------

    async def create_event_source_mapping(
        self, command: CreateEventSourceMapping
    ) -> EventSourceMapping:
        ref = command.function
        _check_polled(command.event_source_arn)
        function_arn = self._function_arn(ref)
        source_arn = str(command.event_source_arn)
        kind = source_kind(source_arn)
        settings = command.settings
        self._check_filters(settings.filters)
        stream = kind in STREAMS
        position = command.starting_position
        if stream:
            if position is None:
                raise invalid_parameter(
                    "1 validation error detected: Value null at 'startingPosition' failed to "
                    "satisfy constraint: Member must not be null."
                )
            if kind == "dynamodb" and position == "AT_TIMESTAMP":
                raise invalid_parameter(f"Unsupported starting position for arn type: {source_arn}")
            if position == "AT_TIMESTAMP" and command.starting_position_timestamp is None:
                raise invalid_parameter(
                    "StartingPositionTimestamp must be specified when StartingPosition is "
                    "AT_TIMESTAMP."
                )
        elif position is not None:
            raise _unsupported("StartingPosition")
        if not stream and command.starting_position_timestamp is not None:
            raise _unsupported("StartingPositionTimestamp")
        kind, fifo = await self._source(source_arn)
        check_tag_count(len(command.tags))
        uuid = str(uuids.uuid4())
        mapping = EventSourceMapping(
            uuid=uuid,
            account_id=ref.account_id,
            region=ref.region,
            function_arn=function_arn,
            event_source_arn=source_arn,
            state="Creating",
            state_transition_reason=_user_reason(kind),
            last_modified=time.time(),
            last_processing_result=NO_RECORDS,
            enabled=True,
            batch_size=10 if kind == "sqs" else 100,
            maximum_batching_window_in_seconds=None if fifo else 0,
            fifo=fifo,
            starting_position=position,
            starting_position_timestamp=command.starting_position_timestamp,
            parallelization_factor=1 if stream else None,
            maximum_record_age_in_seconds=-1 if stream else None,
            bisect_batch_on_function_error=False if stream else None,
            maximum_retry_attempts=-1 if stream else None,
            tumbling_window_in_seconds=0 if stream else None,
        )
        if fifo and settings.maximum_batching_window_in_seconds is not None:
            raise invalid_parameter("Batching window is not supported for FIFO queues.")
        mapping = self._settle_settings(mapping, settings)
        self._check_for_source(mapping, settings)
        self._check_visibility_timeout(mapping)
        self._check_duplicate(function_arn, source_arn)
        self._tags[uuid] = dict(command.tags)
        await self._save(mapping)
        self._engine.apply(mapping)
        return mapping

    def get_event_source_mapping(self, command: GetEventSourceMapping) -> EventSourceMapping:
        return self._existing(command.account_id, command.region, command.uuid)

    async def update_event_source_mapping(
        self, command: UpdateEventSourceMapping
    ) -> EventSourceMapping:
        mapping = self._existing(command.account_id, command.region, command.uuid)
        if mapping.state in TRANSITIONS:
            raise in_use("update")
        settings = command.settings
        if (
            mapping.fifo
            and settings.maximum_batching_window_in_seconds is not None
            and mapping.kind == "sqs"
        ):
            raise invalid_parameter("Batching window is not supported for FIFO queues.")
        self._check_filters(settings.filters)
        changed = self._settle_settings(mapping, settings)
        if command.function is not None:
            changed = replace(changed, function_arn=self._function_arn(command.function))
            self._check_visibility_timeout(changed)
        self._check_for_source(changed, settings)
        state: State = "Updating"
        if settings.enabled is not None and settings.enabled != (mapping.state == "Enabled"):
            state = "Enabling" if settings.enabled else "Disabling"
        changed = replace(
            changed,
            state=state,
            state_transition_reason=_user_reason(mapping.kind),
            last_modified=time.time(),
        )
        await self._save(changed)
        self._engine.apply(changed)
        return changed

    async def delete_event_source_mapping(
        self, command: DeleteEventSourceMapping
    ) -> EventSourceMapping:
        mapping = self._existing(command.account_id, command.region, command.uuid)
        if mapping.state in TRANSITIONS:
            raise in_use("delete")
        deleting = replace(
            mapping, state="Deleting", state_transition_reason=_user_reason(mapping.kind)
        )
        await self._save(deleting)
        self._engine.apply(deleting)
        return deleting

    def list_event_source_mappings(
        self, command: ListEventSourceMappings
    ) -> Page[EventSourceMapping]:
        ref = command.function
        mappings = [
            m
            for m in sorted(self._mappings.values(), key=lambda m: (m.last_modified, m.uuid))
            if (m.account_id, m.region) == (command.account_id, command.region)
            and (command.event_source_arn is None or m.event_source_arn == command.event_source_arn)
            and (
                ref is None
                or m.function_arn == ref.qualified_arn
                or (ref.qualifier is None and m.function_arn.startswith(ref.arn + ":"))
            )
        ]
        return paginate(mappings, command.paging, default=100)

    # -- tags ---------------------------------------------------------------------------------

    def _tagged(self, resource: str) -> EventSourceMapping:
        parts = resource.split(":")
        if len(parts) != 7:
            raise invalid_parameter(f"Resource {resource} is not a valid ARN.")
        mapping = self._mappings.get(parts[6])
        if mapping is None or mapping_arn(parts[3], parts[4], parts[6]) != mapping.arn:
            raise resource_not_found(f"Event source mapping not found: {resource}")
        return mapping

    async def tag_resource(self, command: TagResource) -> None:
        if not command.tags:
            raise invalid_parameter("An error occurred and the request cannot be processed.")
        mapping = self._tagged(command.resource)
        tags = {**self._tags.get(mapping.uuid, {}), **command.tags}
        check_tag_count(len(tags))
        self._tags[mapping.uuid] = tags
        await self._save(mapping)

    async def untag_resource(self, command: UntagResource) -> None:
        mapping = self._tagged(command.resource)
        removed = set(command.tag_keys)
        tags = self._tags.get(mapping.uuid, {})
        self._tags[mapping.uuid] = {k: v for k, v in tags.items() if k not in removed}
        await self._save(mapping)

    def list_tags(self, command: ListTags) -> dict[str, str]:
        return dict(self._tags.get(self._tagged(command.resource).uuid, {}))


class MappingFunctions:
    """``esm.poller.Functions``: a mapping's function as the engine sees it."""

    def __init__(self, registry: FunctionRegistry) -> None:
        self._registry = registry

    def _entry(self, function_arn: str) -> Any:
        parts = function_arn.split(":")
        if len(parts) < 7:
            return None
        return self._registry.find(FunctionRef(parts[4], parts[3], parts[6], None))

    def execution_role(self, function_arn: str) -> str | None:
        entry = self._entry(function_arn)
        return None if entry is None else str(entry.latest.role)

    def reserved_concurrency(self, function_arn: str) -> int | None:
        entry = self._entry(function_arn)
        return None if entry is None else entry.settings.reserved_concurrency
