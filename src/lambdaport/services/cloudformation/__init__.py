"""AWS CloudFormation, lambdaport's own and durable: stacks, change sets, events, outputs and
exports kept as documents in the store; resources provisioned by calling the services' own
APIs through lambdaport's gateway (``calls``), custom resources through ``invoke.triggers``.

``CloudFormationService`` is what ``app.py`` builds: the query-protocol endpoint, the
background stack operations, and the custom resources' response endpoint.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable

from lambdaport.endpoint import BufferedEndpoint
from lambdaport.protocol import load_service_model
from lambdaport.protocol.query import QueryProtocol
from lambdaport.services.cloudformation.api import CloudFormationApi
from lambdaport.services.cloudformation.calls import AsgiApp, ServiceCalls
from lambdaport.services.cloudformation.models import IN_PROGRESS, Event, now
from lambdaport.services.cloudformation.providers import Providers
from lambdaport.services.cloudformation.providers.base import Provider
from lambdaport.services.cloudformation.stacks import Stacks
from lambdaport.services.cloudformation.template_source import TemplateSource
from lambdaport.services.interfaces import ObjectStore
from lambdaport.store.documents import Documents

logger = logging.getLogger("lambdaport.cloudformation")

# What a stack (or resource) left in progress by a stopped server is settled to at start.
_SETTLED = {
    "CREATE_IN_PROGRESS": "CREATE_FAILED",
    "ROLLBACK_IN_PROGRESS": "ROLLBACK_FAILED",
    "DELETE_IN_PROGRESS": "DELETE_FAILED",
    "UPDATE_IN_PROGRESS": "UPDATE_ROLLBACK_FAILED",
    "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS": "UPDATE_COMPLETE",
    "UPDATE_ROLLBACK_IN_PROGRESS": "UPDATE_ROLLBACK_FAILED",
    "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS": "UPDATE_ROLLBACK_COMPLETE",
    "IMPORT_IN_PROGRESS": "IMPORT_ROLLBACK_FAILED",
}
_INTERRUPTED = "lambdaport stopped while this operation was in progress"


def cloudformation_protocol() -> QueryProtocol:
    """botocore's model, refusals worded as CloudFormation words them (``ValidationError``)."""
    return QueryProtocol(
        load_service_model("cloudformation"), validation_error_code="ValidationError"
    )


class CloudFormationService:
    def __init__(
        self,
        documents: Documents,
        objects: ObjectStore,
        endpoint_url: str,
        *,
        custom: Provider | None = None,
    ) -> None:
        self.stacks = Stacks(documents)
        self.calls = ServiceCalls(endpoint_url)
        self.providers = Providers(self.calls, custom)
        self._tasks: set[asyncio.Task[None]] = set()
        self.api = CloudFormationApi(
            self.stacks, self.providers, self.calls, TemplateSource(objects), self._start
        )
        self.endpoint = BufferedEndpoint(cloudformation_protocol(), self.api.dispatch)

    def attach(self, gateway: AsgiApp) -> None:
        """The gateway providers call the services through (built after the services)."""
        self.calls.attach(gateway)

    def _start(self, operation: Awaitable[None]) -> None:
        task = asyncio.ensure_future(operation)
        self._tasks.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            logger.error("a stack operation failed", exc_info=task.exception())

    @property
    def operations_running(self) -> int:
        return len(self._tasks)

    async def start(self) -> None:
        """Stacks a stopped server left in progress are settled as failed (their operation
        cannot resume: its provider calls and custom resource requests were lost)."""
        for stack in await self.stacks.everywhere():
            if stack.status not in IN_PROGRESS or stack.status == "REVIEW_IN_PROGRESS":
                continue
            settled = _SETTLED.get(stack.status, "UPDATE_ROLLBACK_FAILED")
            for resource in stack.resources.values():
                if resource.status.endswith("_IN_PROGRESS"):
                    resource.status = resource.status.replace("_IN_PROGRESS", "_FAILED")
                    resource.reason = _INTERRUPTED
            stack.status, stack.status_reason = settled, _INTERRUPTED
            event = Event(
                stack.stack_id,
                stack.name,
                f"{stack.stack_id}-settled-{stack.events}",
                stack.name,
                stack.stack_id,
                "AWS::CloudFormation::Stack",
                settled,
                now(),
                _INTERRUPTED,
            )
            await self.stacks.save(stack, [event])

    async def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self.calls.close()
