"""The delivery engine's response to each kind of Invoke refusal, on a real store.

The invoker's asynchronous door accepts events even when the function is throttled, so a
throttle (429) or a system error (5xx) cannot be produced through the real door; a door that
refuses on cue stands in for it here. Server-side refusals are retried (the AWS-managed
policy starts with three immediate retries); client-side ones (403, 404) are not.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from lambdaport.errors import AwsError
from lambdaport.invoke.model import InvokeRequest, InvokeResponse
from lambdaport.services.sns import SnsService
from lambdaport.services.sns.publishing import PublishInput
from lambdaport.store.sqlite import SqliteStore
from tests.helpers import wait_until

FUNCTION = "arn:aws:lambda:us-east-1:000000000000:function:f"


class RefusingDoor:
    """Refuses with the given errors, in order, then accepts."""

    def __init__(self, *errors: AwsError) -> None:
        self.errors = list(errors)
        self.requests: list[InvokeRequest] = []
        self.accepted = asyncio.Event()

    async def invoke(self, request: InvokeRequest) -> InvokeResponse:
        self.requests.append(request)
        if self.errors:
            raise self.errors.pop(0)
        self.accepted.set()
        return InvokeResponse(202, "id", "$LATEST")


async def publish_once(store: SqliteStore, door: RefusingDoor) -> SnsService:
    service = SnsService(
        store.sns, data_dir=store.data_dir, base_url="http://127.0.0.1:1", invoker=door
    )
    topic = await service.topics.create("000000000000", "us-east-1", "t", None, None)
    await service.subscriptions.subscribe("000000000000", topic, "lambda", FUNCTION, None)
    await service.start()
    await service.publisher.publish(topic, PublishInput(message="m"))
    return service


def test_throttles_and_system_errors_are_retried(tmp_path: Path) -> None:
    async def run() -> RefusingDoor:
        door = RefusingDoor(
            AwsError("TooManyRequestsException", "Rate exceeded", 429),
            AwsError("ServiceException", "boom", 500),
        )
        store = SqliteStore(tmp_path / "data")
        service = await publish_once(store, door)
        await asyncio.wait_for(door.accepted.wait(), 10)
        await service.stop()
        store.close()
        return door

    door = asyncio.run(run())
    assert len(door.requests) == 3
    assert len({r.payload for r in door.requests}) == 1
    caller = door.requests[0].caller
    assert caller.principal == "sns.amazonaws.com"
    assert caller.source_arn == "arn:aws:sns:us-east-1:000000000000:t"
    assert caller.source_account == "000000000000"
    assert door.requests[0].invocation_type == "Event"


@pytest.mark.parametrize(
    "error",
    [
        AwsError("AccessDeniedException", "no", 403),
        AwsError("ResourceNotFoundException", "gone", 404),
    ],
)
def test_client_errors_are_not_retried(tmp_path: Path, error: AwsError) -> None:
    async def run() -> RefusingDoor:
        door = RefusingDoor(error)
        store = SqliteStore(tmp_path / "data")
        service = await publish_once(store, door)
        await wait_until(lambda: not service.deliveries.pending())  # given up, not retried
        await service.stop()
        store.close()
        return door

    door = asyncio.run(run())
    assert len(door.requests) == 1
    assert not door.accepted.is_set()
