"""How one service reaches another: small interfaces that ``app.py`` hands in.

A service never imports another service's package; S3 notifications to SQS, SNS deliveries
to SQS, async-invoke destinations and the like go through these protocols, implemented by
the owning service and wired in ``app.create_app``. Kinesis's :class:`StreamReader` and
SQS's :class:`QueueReader` are how in-process readers (the event source mappings) read
streams and queues, without HTTP; DynamoDB Streams implements ``StreamReader`` too, and is
fed by DynamoDB's writes through :class:`TableStreams`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class MessageAttribute:
    """An SQS/SNS message attribute (``DataType`` String, Number, Binary or custom ``.x``)."""

    data_type: str
    string_value: str | None = None
    binary_value: bytes | None = None
    string_list_values: tuple[str, ...] = ()
    binary_list_values: tuple[bytes, ...] = ()


class QueueSink(Protocol):
    """Implemented by SQS: put a message on a queue named by its ARN.

    Raises ``AwsError`` (for example ``AWS.SimpleQueueService.NonExistentQueue``) when the
    queue does not exist or the message is refused. Returns the message id. ``trace_header``
    (an X-Ray trace header) becomes the message's ``AWSTraceHeader`` system attribute.
    """

    async def send_message(
        self,
        queue_arn: str,
        body: str,
        attributes: Mapping[str, MessageAttribute] | None = None,
        *,
        message_group_id: str | None = None,
        message_deduplication_id: str | None = None,
        trace_header: str | None = None,
    ) -> str: ...

    def queue_exists(self, queue_arn: str) -> bool: ...


@dataclass(frozen=True, slots=True)
class QueueDescription:
    """What a queue's reader needs to know of it."""

    queue_arn: str
    account_id: str
    region: str
    fifo: bool
    visibility_timeout: int  # seconds
    visible_messages: int  # ApproximateNumberOfMessages now


@dataclass(frozen=True, slots=True)
class QueueMessage:
    """A received message as ReceiveMessage answers it with every attribute asked for:
    ``attributes`` its system attributes as strings (ApproximateReceiveCount, SentTimestamp,
    SenderId, ApproximateFirstReceiveTimestamp, FIFO's SequenceNumber, MessageGroupId,
    MessageDeduplicationId, AWSTraceHeader, DeadLetterQueueSourceArn)."""

    message_id: str
    receipt_handle: str
    body: str
    md5_of_body: str
    md5_of_message_attributes: str | None  # None when it has no message attributes
    attributes: Mapping[str, str]
    message_attributes: Mapping[str, MessageAttribute]


class QueueReader(Protocol):
    """Implemented by SQS, for in-process readers (the event source mapping): receives as
    ReceiveMessage does them (visibility timeout, FIFO groups, the queue's redrive policy to
    its dead-letter queue), long polls woken by the queue's doorbell. A queue that does not
    exist (or no longer does) is ``ResourceNotFound``."""

    def describe(self, queue_arn: str) -> QueueDescription | None: ...

    async def receive(
        self,
        queue_arn: str,
        limit: int,
        *,
        wait_seconds: float,
        visibility_timeout: int | None = None,
    ) -> list[QueueMessage]:
        """Up to ``limit`` messages (1 to 100: an in-process reader may take ten
        ReceiveMessage's worth in one store operation), hidden for ``visibility_timeout``
        (the queue's when None); waits up to ``wait_seconds`` for the first to arrive."""
        ...

    async def delete(self, queue_arn: str, receipt_handles: Sequence[str]) -> None:
        """Delete received messages (a stale or expired handle deletes nothing)."""
        ...

    def on_deleted(self, listener: Callable[[str], None]) -> Callable[[], None]:
        """Call ``listener(queue_arn)`` when a queue is deleted; returns the unsubscribe."""
        ...


class TopicSink(Protocol):
    """Implemented by SNS: publish to a topic named by its ARN; returns the message id.
    ``trace_header`` (an X-Ray trace header) goes on with the topic's deliveries."""

    async def publish(
        self,
        topic_arn: str,
        message: str,
        attributes: Mapping[str, MessageAttribute] | None = None,
        *,
        subject: str | None = None,
        trace_header: str | None = None,
    ) -> str: ...

    async def topic_exists(self, topic_arn: str) -> bool: ...


class ObjectStore(Protocol):
    """Implemented by S3: small whole-object reads and writes for other services (function
    code from S3Bucket/S3Key, async failure destinations to a bucket)."""

    async def get_object_bytes(
        self, bucket: str, key: str, version_id: str | None = None
    ) -> bytes: ...

    async def put_object_bytes(
        self, bucket: str, key: str, body: bytes, content_type: str = "application/json"
    ) -> None: ...

    async def bucket_exists(self, bucket: str) -> bool: ...


# -- Kinesis Data Streams: what in-process readers see of a stream ----------------------


@dataclass(frozen=True, slots=True)
class StreamShard:
    """A shard and its lineage: a split's children name one parent, a merge's two."""

    shard_id: str
    parent_shard_id: str | None
    adjacent_parent_shard_id: str | None
    starting_hash_key: int
    ending_hash_key: int
    starting_sequence_number: str
    ending_sequence_number: str | None  # set once the shard is closed

    @property
    def is_open(self) -> bool:
        return self.ending_sequence_number is None


@dataclass(frozen=True, slots=True)
class StreamDescription:
    stream_arn: str
    stream_name: str
    account_id: str
    region: str
    retention_period_hours: int
    shards: tuple[StreamShard, ...]  # open and closed (until their records expire), by id


@dataclass(frozen=True, slots=True)
class StreamPosition:
    """Where to read in a shard: ``type`` is TRIM_HORIZON, LATEST, AT_TIMESTAMP (with
    ``timestamp``, epoch seconds), AT_SEQUENCE_NUMBER or AFTER_SEQUENCE_NUMBER (with
    ``sequence_number``). A checkpoint is AFTER_SEQUENCE_NUMBER of the last record done."""

    type: str
    sequence_number: str | None = None
    timestamp: float | None = None


@dataclass(frozen=True, slots=True)
class StreamRecord:
    """A Kinesis record; from DynamoDB Streams, ``data`` is the stream record as GetRecords
    answers it (JSON: eventID, eventName, eventVersion, eventSource, awsRegion, dynamodb,
    userIdentity) and ``partition_key`` the item's key (its ``Keys`` as compact JSON with
    sorted names), by which records of one item keep their order."""

    sequence_number: str
    partition_key: str
    data: bytes
    approximate_arrival_timestamp: float  # epoch seconds
    encryption_type: str  # NONE | KMS


@dataclass(frozen=True, slots=True)
class ShardBatch:
    """What a read found. ``next_position`` continues after it (also when nothing was
    read: LATEST and AT_TIMESTAMP are resolved to a sequence number). ``shard_ended``: the
    shard is closed and read to its end, so its ``child_shard_ids`` come next."""

    records: tuple[StreamRecord, ...]
    next_position: StreamPosition
    shard_ended: bool
    child_shard_ids: tuple[str, ...]
    millis_behind_latest: int


class StreamReader(Protocol):
    """Implemented by Kinesis and by DynamoDB Streams (whose shards span the whole hash key
    range: one open shard per stream). Errors are ``AwsError``s: ``ResourceNotFound`` for a
    stream or shard that does not exist (or no longer does)."""

    def stream_arn(self, account_id: str, region: str, stream_name: str) -> str: ...

    def stream_name(self, stream_arn: str) -> str:
        """The name in a stream ARN (``InvalidArgumentException`` for a malformed one)."""
        ...

    async def describe(self, stream_arn: str) -> StreamDescription: ...

    async def read(
        self, stream_arn: str, shard_id: str, position: StreamPosition, limit: int
    ) -> ShardBatch:
        """Up to ``limit`` records (1 to 10,000; at most 10 MB) of the shard from
        ``position``, in order; records past the stream's retention are not read."""
        ...

    def generation(self, stream_arn: str) -> int:
        """The stream's doorbell: it counts the puts committed to it on this node."""
        ...

    async def wait(self, stream_arn: str, since: int, timeout: float) -> None:
        """Return as soon as a put to the stream committed after generation ``since`` (at
        once if one has), or after ``timeout`` seconds: take the generation, read, then
        wait, and no put is missed."""
        ...

    def on_deleted(self, listener: Callable[[str], None]) -> Callable[[], None]:
        """Call ``listener(stream_arn)`` when a stream is deleted; returns the unsubscribe."""
        ...


# -- API Gateway REST APIs: what the data plane (http_fronts/rest) sees of moto's ------------
# The control plane is moto's (services/moto_tail/apigateway); these records are a read of
# it in API Gateway's own words (botocore's member names, snake-cased).


@dataclass(frozen=True, slots=True)
class RestIntegrationResponse:
    """``PutIntegrationResponse``: chosen by ``selection_pattern`` (a regular expression on
    the Lambda error message or the HTTP status; none: the default response)."""

    status_code: str
    selection_pattern: str | None
    response_templates: Mapping[str, str | None]
    response_parameters: Mapping[str, str]
    content_handling: str | None


@dataclass(frozen=True, slots=True)
class RestIntegration:
    """``PutIntegration``: ``type`` AWS_PROXY, AWS, HTTP_PROXY, HTTP or MOCK."""

    type: str
    uri: str
    http_method: str | None
    request_templates: Mapping[str, str | None]
    passthrough_behavior: str
    timeout_ms: int
    request_parameters: Mapping[str, str]
    content_handling: str | None
    responses: tuple[RestIntegrationResponse, ...]


@dataclass(frozen=True, slots=True)
class RestMethod:
    """``PutMethod`` (with its integration and method responses)."""

    http_method: str
    authorization_type: str
    authorizer_id: str | None
    authorization_scopes: tuple[str, ...]
    api_key_required: bool
    request_parameters: Mapping[str, bool]
    request_models: Mapping[str, str]
    request_validator_id: str | None
    integration: RestIntegration | None
    method_responses: Mapping[str, Mapping[str, bool]]


@dataclass(frozen=True, slots=True)
class RestResource:
    """A resource of the tree: its full path (``/items/{id}``) and methods by verb."""

    id: str
    path: str
    methods: Mapping[str, RestMethod]


@dataclass(frozen=True, slots=True)
class RestAuthorizer:
    """``CreateAuthorizer``: ``type`` TOKEN, REQUEST or COGNITO_USER_POOLS."""

    id: str
    name: str
    type: str
    uri: str | None
    identity_source: str | None
    identity_validation_expression: str | None
    ttl_seconds: int
    provider_arns: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class RestRequestValidator:
    id: str
    name: str
    validate_body: bool
    validate_parameters: bool


@dataclass(frozen=True, slots=True)
class RestModel:
    name: str
    content_type: str | None
    schema: str | None


@dataclass(frozen=True, slots=True)
class RestGatewayResponse:
    """``PutGatewayResponse``: a customised answer of the gateway's own (``DEFAULT_4XX``,
    ``MISSING_AUTHENTICATION_TOKEN``, ...)."""

    response_type: str
    status_code: str | None
    response_parameters: Mapping[str, str]
    response_templates: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class RestStage:
    name: str
    deployment_id: str | None
    variables: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class RestApi:
    """A REST API as its data plane serves it. ``revision`` changes whenever any API
    Gateway call may have changed it (so derived structures can be cached by it)."""

    id: str
    account_id: str
    region: str
    name: str
    resources: tuple[RestResource, ...]
    stages: Mapping[str, RestStage]
    authorizers: Mapping[str, RestAuthorizer]
    request_validators: Mapping[str, RestRequestValidator]
    models: Mapping[str, RestModel]
    gateway_responses: Mapping[str, RestGatewayResponse]
    binary_media_types: tuple[str, ...]
    api_key_source: str
    revision: int


@dataclass(frozen=True, slots=True)
class UsageLimits:
    """A usage plan's throttle (requests per second, burst) and quota (requests per DAY,
    WEEK or MONTH) for one API stage."""

    plan_id: str
    rate_limit: float | None = None
    burst_limit: int | None = None
    quota_limit: int | None = None
    quota_period: str | None = None


@dataclass(frozen=True, slots=True)
class RestApiKey:
    """An API key by its value, the (api id, stage) pairs of its usage plans and each
    plan's limits there."""

    id: str
    value: str
    enabled: bool
    stages: frozenset[tuple[str, str]]
    limits: tuple[tuple[str, str, UsageLimits], ...] = ()


@dataclass(frozen=True, slots=True)
class BasePathMapping:
    """A custom domain name's mapping: ``base_path`` ``(none)`` maps the whole domain."""

    account_id: str
    region: str
    domain_name: str
    base_path: str
    rest_api_id: str
    stage: str | None


@dataclass(frozen=True, slots=True)
class UserPoolKey:
    """A Cognito user pool's token signing key (RSA, JWK members ``n`` and ``e``)."""

    kid: str
    n: str
    e: str


class RestApis(Protocol):
    """Implemented by the moto tail's API Gateway (control plane moto's): the REST APIs,
    API keys and custom domain names the data plane serves."""

    async def rest_api(self, account_id: str, region: str, api_id: str) -> RestApi | None: ...

    async def find_rest_api(self, api_id: str) -> RestApi | None:
        """The API of that id in whichever account and region holds it."""
        ...

    def holds(self, api_id: str) -> bool | None:
        """Whether a REST API of this id exists (None: not known yet, at start)."""
        ...

    async def all_rest_apis(self) -> tuple[RestApi, ...]: ...

    async def api_key(self, account_id: str, region: str, value: str) -> RestApiKey | None: ...

    async def base_path_mappings(self, domain_name: str) -> tuple[BasePathMapping, ...]: ...

    async def user_pool_keys(self, user_pool_arn: str) -> tuple[UserPoolKey, ...]:
        """The signing keys of the pool an ARN names (none when it does not exist)."""
        ...


# -- DynamoDB Streams: what DynamoDB's writes feed ----------------------------------------


@dataclass(frozen=True, slots=True)
class TableStream:
    """A table's latest stream (``enabled`` while it takes records)."""

    stream_arn: str
    label: str
    view_type: str  # KEYS_ONLY | NEW_IMAGE | OLD_IMAGE | NEW_AND_OLD_IMAGES
    enabled: bool


@dataclass(frozen=True, slots=True)
class ItemChange:
    """One item a write changed, its images in DynamoDB JSON (``{"N": "1"}``): no old image
    for an item the write made, no new image for one it deleted."""

    keys: Mapping[str, Any]
    old_image: Mapping[str, Any] | None
    new_image: Mapping[str, Any] | None
    by_ttl: bool = False  # deleted by Time to Live


class TableStreams(Protocol):
    """Implemented by DynamoDB Streams, fed by the moto tail's DynamoDB hooks. All but
    :meth:`flush` are called on moto's thread under moto's lock, atomically with the write
    they describe and in moto's order; they only stage the change (and answer at once), and
    :meth:`flush`, awaited on the event loop before the write is answered, commits what was
    staged in that order."""

    def stream_of(self, account_id: str, region: str, table_name: str) -> TableStream | None:
        """The table's latest stream, enabled or not (None: it never had one)."""
        ...

    def enable(
        self,
        account_id: str,
        region: str,
        table_name: str,
        key_schema: Sequence[tuple[str, str]],
        view_type: str,
    ) -> TableStream:
        """A new stream for the table (the label is the time), taking records from now."""
        ...

    def disable(self, account_id: str, region: str, table_name: str) -> None:
        """The table's stream stops taking records; its records stay readable for the
        retention, and readers are told it went."""
        ...

    def table_deleted(self, account_id: str, region: str, table_name: str) -> None:
        """The table is gone: its stream is disabled as by :meth:`disable`, and a table made
        again under its name starts without a latest stream."""
        ...

    def record(self, stream_arn: str, changes: Sequence[ItemChange]) -> None:
        """Stream records for the changes of one write, in order."""
        ...

    async def flush(self) -> None:
        """Return once everything staged before the call is committed and readers rung."""
        ...
