"""An event source mapping as the engine and the Lambda API share it: one frozen record in
the words of ``EventSourceMappingConfiguration`` (botocore's lambda model), with the
effective defaults filled in (https://docs.aws.amazon.com/lambda/latest/api/
API_CreateEventSourceMapping.html).

The Lambda control plane (``lambda_.event_source_mappings``) validates, stores and renders
it; the supervisor (``esm.supervisor``) runs it. Members lambdaport keeps and reports but does
not act on (``KMSKeyArn``, ``MetricsConfig``, ``ProvisionedPollerConfig``, ...) are in
``extra``, in the API's shapes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

State = Literal["Creating", "Enabling", "Enabled", "Disabling", "Disabled", "Updating", "Deleting"]
# The states a mapping is in while a change is applied; another change is refused then.
TRANSITIONS: frozenset[str] = frozenset(
    {"Creating", "Enabling", "Disabling", "Updating", "Deleting"}
)
SourceKind = Literal["sqs", "kinesis", "dynamodb"]

NO_RECORDS = "No records processed"
OK = "OK"
FUNCTION_CALL_FAILED = "PROBLEM: Function call failed"


def mapping_arn(region: str, account_id: str, uuid: str) -> str:
    return f"arn:aws:lambda:{region}:{account_id}:event-source-mapping:{uuid}"


def source_kind(event_source_arn: str) -> str:
    """The ARN's service: ``sqs``, ``kinesis``, ``dynamodb``, ``kafka``, ``mq``, ``rds``..."""
    parts = event_source_arn.split(":")
    return parts[2] if len(parts) > 2 else ""


@dataclass(frozen=True, slots=True)
class EventSourceMapping:
    uuid: str
    account_id: str
    region: str
    function_arn: str  # as configured: unqualified, or with the version or alias
    event_source_arn: str
    state: State
    state_transition_reason: str
    last_modified: float  # epoch seconds
    last_processing_result: str
    enabled: bool  # what the user asked for: the state a transition ends in
    batch_size: int
    maximum_batching_window_in_seconds: int | None  # None: not reported (FIFO queues)
    filters: tuple[str, ...] | None = None  # FilterCriteria's patterns, None when not set
    function_response_types: tuple[str, ...] = ()
    maximum_concurrency: int | None = None  # ScalingConfig.MaximumConcurrency
    fifo: bool = False  # an SQS FIFO queue
    # Streams (Kinesis, DynamoDB): kept for the stream source.
    starting_position: str | None = None
    starting_position_timestamp: float | None = None
    parallelization_factor: int | None = None
    maximum_record_age_in_seconds: int | None = None
    bisect_batch_on_function_error: bool | None = None
    maximum_retry_attempts: int | None = None
    tumbling_window_in_seconds: int | None = None
    on_failure: str | None = None  # DestinationConfig.OnFailure.Destination
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def arn(self) -> str:
        return mapping_arn(self.region, self.account_id, self.uuid)

    @property
    def kind(self) -> str:
        return source_kind(self.event_source_arn)

    @property
    def reports_batch_item_failures(self) -> bool:
        return "ReportBatchItemFailures" in self.function_response_types


class MappingReports(Protocol):
    """How the engine tells the control plane what became of a mapping (implemented by
    ``lambda_.event_source_mappings``, which keeps the record)."""

    async def settled(self, uuid: str, state: State | None, reason: str) -> None:
        """A transition ended in ``state`` (None: the mapping is deleted), or the engine
        changed the state itself (a queue deleted under a mapping disables it)."""
        ...

    async def processed(self, uuid: str, result: str) -> None:
        """The outcome of the latest batch (``OK``, ``PROBLEM: Function call failed``)."""
        ...


class MappingEngine(Protocol):
    """What the control plane hands mappings to (``esm.supervisor.Supervisor``)."""

    def apply(self, mapping: EventSourceMapping) -> None:
        """Run the transition ``mapping.state`` names (Creating, Enabling, Updating,
        Disabling, Deleting) in the background; its end is reported by ``settled``."""
        ...
