"""SQS's operations: parameters in (as botocore sends them), one domain call, the output
shape's members out. Errors are ``AwsError``s the gateway serialises in the request's
protocol (json or query)."""

from __future__ import annotations

import base64
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from lambdaport.errors import AwsError
from lambdaport.request import RequestContext
from lambdaport.services.sqs import attributes, checks, permissions
from lambdaport.services.sqs.batches import Batches
from lambdaport.services.sqs.messages import Messages
from lambdaport.services.sqs.models import (
    MAX_VISIBILITY_TIMEOUT,
    MAX_WAIT_SECONDS,
    invalid_parameter,
    invalid_value,
    missing_parameter,
    split_queue_url,
)
from lambdaport.services.sqs.queues import QueueDirectory, check_tag_key, check_tags
from lambdaport.services.sqs.rendering import MESSAGE_SYSTEM_ATTRIBUTE_NAMES, received_message
from lambdaport.services.sqs.state import QueueState

Params = Mapping[str, Any]
Result = dict[str, Any]
Handler = Callable[[RequestContext, Params], Awaitable[Result]]

# Required parameters SQS answers for with its own error rather than MissingParameter.
_OWN_CHECKS = frozenset(
    {
        ("SendMessageBatch", "Entries"),  # EmptyBatchRequest
        ("DeleteMessageBatch", "Entries"),
        ("ChangeMessageVisibilityBatch", "Entries"),
        ("UntagQueue", "TagKeys"),
        ("AddPermission", "AWSAccountIds"),
    }
)


def _check_page(params: Params) -> None:
    limit = params.get("MaxResults")
    if limit is not None and not 1 <= int(limit) <= 1000:
        raise invalid_value(
            "MaxResults", limit, "MaxResults must be an integer between 1 and 1000."
        )


def _page(names: list[str], params: Params) -> tuple[list[str], str | None]:
    """One page of sorted names after ``NextToken``, ``MaxResults`` long (1 to 1000)."""
    _check_page(params)
    limit = params.get("MaxResults")
    token = params.get("NextToken")
    if token:
        try:
            after = base64.urlsafe_b64decode(str(token).encode()).decode()
        except ValueError:
            raise invalid_value("NextToken", token, "Invalid NextToken value.") from None
        names = [name for name in names if name > after]
    if limit is None or len(names) <= int(limit):
        return names[:1000], None
    page = names[: int(limit)]
    return page, base64.urlsafe_b64encode(page[-1].encode()).decode()


class SqsApi:
    """Every handler checks its parameters before it looks the queue up, as AWS does;
    required parameters (``required``: botocore's model's, by operation) are checked first,
    an empty value counting as a missing one (``MissingParameter``)."""

    def __init__(
        self,
        directory: QueueDirectory,
        messages: Messages,
        default_endpoint: str,
        required: Mapping[str, tuple[str, ...]],
    ) -> None:
        self.directory = directory
        self.messages = messages
        self.batches = Batches(messages)
        self._default_endpoint = default_endpoint
        self._handlers: dict[str, Handler] = {
            name: getattr(self, f"_{name}") for name in _OPERATIONS
        }
        self._required = {
            name: tuple(m for m in members if (name, m) not in _OWN_CHECKS)
            for name, members in required.items()
        }

    async def dispatch(self, ctx: RequestContext, operation: str, params: Params) -> Result:
        handler = self._handlers.get(operation)
        if handler is None:
            raise AwsError(
                "UnsupportedOperation", f"lambdaport does not implement {operation} yet.", 400
            )
        for member in self._required.get(operation, ()):
            if params.get(member) in (None, "", [], {}):
                raise missing_parameter(member)
        return await handler(ctx, params)

    def _endpoint(self, ctx: RequestContext) -> str:
        return ctx.endpoint or self._default_endpoint

    def _queue(self, ctx: RequestContext, params: Params) -> QueueState:
        account, name = split_queue_url(str(params["QueueUrl"]))
        return self.directory.find(account or ctx.account_id, ctx.region, name)

    # -- queues -------------------------------------------------------------------------

    async def _CreateQueue(self, ctx: RequestContext, params: Params) -> Result:
        queue = await self.directory.create(
            ctx.account_id,
            ctx.region,
            str(params["QueueName"]),
            params.get("Attributes") or {},
            params.get("tags") or {},
        )
        return {"QueueUrl": queue.url(self._endpoint(ctx))}

    async def _GetQueueUrl(self, ctx: RequestContext, params: Params) -> Result:
        account = params.get("QueueOwnerAWSAccountId") or ctx.account_id
        state = self.directory.find(account, ctx.region, str(params["QueueName"]))
        return {"QueueUrl": state.queue.url(self._endpoint(ctx))}

    async def _ListQueues(self, ctx: RequestContext, params: Params) -> Result:
        prefix = str(params.get("QueueNamePrefix") or "")
        names = sorted(
            queue.name
            for queue in self.directory.in_region(ctx.account_id, ctx.region)
            if queue.name.startswith(prefix)
        )
        page, token = _page(names, params)
        endpoint = self._endpoint(ctx).rstrip("/")
        result: Result = {}
        if page:
            result["QueueUrls"] = [f"{endpoint}/{ctx.account_id}/{name}" for name in page]
        if token:
            result["NextToken"] = token
        return result

    async def _DeleteQueue(self, ctx: RequestContext, params: Params) -> Result:
        await self.directory.delete(self._queue(ctx, params))
        return {}

    async def _GetQueueAttributes(self, ctx: RequestContext, params: Params) -> Result:
        names = attributes.expand_names(params.get("AttributeNames") or [])
        state = self._queue(ctx, params)
        now = self.directory.clock()

        await self.messages.expire(state, now)

        def counts() -> attributes.Counts:
            return state.counts.counts(now)

        rendered = attributes.render(state.queue, names, counts)
        return {"Attributes": rendered} if rendered else {}

    async def _SetQueueAttributes(self, ctx: RequestContext, params: Params) -> Result:
        requested = params.get("Attributes") or {}
        attributes.check_known(requested)
        await self.directory.set_attributes(self._queue(ctx, params), requested)
        return {}

    async def _PurgeQueue(self, ctx: RequestContext, params: Params) -> Result:
        await self.directory.purge(self._queue(ctx, params))
        return {}

    async def _TagQueue(self, ctx: RequestContext, params: Params) -> Result:
        tags = params.get("Tags") or {}
        check_tags(tags)
        await self.directory.tag(self._queue(ctx, params), tags)
        return {}

    async def _UntagQueue(self, ctx: RequestContext, params: Params) -> Result:
        keys = [str(key) for key in params.get("TagKeys") or []]
        if not keys:
            raise invalid_parameter("Tag keys must be between 1 and 128 characters in length.")
        for key in keys:
            check_tag_key(key)
        await self.directory.untag(self._queue(ctx, params), keys)
        return {}

    async def _ListQueueTags(self, ctx: RequestContext, params: Params) -> Result:
        tags = dict(self._queue(ctx, params).queue.tags)
        return {"Tags": tags} if tags else {}

    async def _ListDeadLetterSourceQueues(self, ctx: RequestContext, params: Params) -> Result:
        _check_page(params)
        state = self._queue(ctx, params)
        endpoint = self._endpoint(ctx)
        urls = [queue.url(endpoint) for queue in self.directory.dead_letter_sources(state)]
        page, token = _page(urls, params)
        result: Result = {"queueUrls": page}
        if token:
            result["NextToken"] = token
        return result

    async def _AddPermission(self, ctx: RequestContext, params: Params) -> Result:
        label = str(params["Label"])
        account_ids = [str(a) for a in params.get("AWSAccountIds") or []]
        actions = [str(a) for a in params["Actions"]]
        permissions.check_label(label)
        permissions.check_grant(account_ids, actions)
        state = self._queue(ctx, params)
        policy = permissions.with_permission(state.queue, label, account_ids, actions)
        await self.directory.set_attributes(state, {"Policy": policy})
        return {}

    async def _RemovePermission(self, ctx: RequestContext, params: Params) -> Result:
        state = self._queue(ctx, params)
        policy = permissions.without_permission(state.queue, str(params["Label"]))
        await self.directory.set_attributes(state, {"Policy": policy})
        return {}

    # -- messages -----------------------------------------------------------------------

    async def _SendMessage(self, ctx: RequestContext, params: Params) -> Result:
        message = self.batches.outgoing(params, ctx.account_id, ctx.trace_header)
        state = self._queue(ctx, params)
        self.messages.check_for_queue(state.queue, message)
        return self.batches.send_result((await self.messages.send(state, [message]))[0])

    async def _SendMessageBatch(self, ctx: RequestContext, params: Params) -> Result:
        entries = list(params.get("Entries") or [])
        self.batches.check_entries(entries)
        return await self.batches.send(
            self._queue(ctx, params), entries, ctx.account_id, ctx.trace_header
        )

    async def _ReceiveMessage(self, ctx: RequestContext, params: Params) -> Result:
        limit = params.get("MaxNumberOfMessages")
        if limit is not None and not 1 <= int(limit) <= 10:
            raise invalid_value(
                "MaxNumberOfMessages", limit, "Must be between 1 and 10, if provided."
            )
        timeout = params.get("VisibilityTimeout")
        if timeout is not None and not 0 <= int(timeout) <= MAX_VISIBILITY_TIMEOUT:
            raise invalid_value(
                "VisibilityTimeout", timeout, "Must be >= 0 and <= 43200, if provided."
            )
        wait = params.get("WaitTimeSeconds")
        if wait is not None and not 0 <= int(wait) <= MAX_WAIT_SECONDS:
            raise invalid_value("WaitTimeSeconds", wait, "Must be >= 0 and <= 20, if provided.")
        system_names = [
            *(params.get("AttributeNames") or []),
            *(params.get("MessageSystemAttributeNames") or []),
        ]
        for name in system_names:
            if name not in MESSAGE_SYSTEM_ATTRIBUTE_NAMES:
                raise attributes.invalid_attribute_name(name)
        attribute_names = list(params.get("MessageAttributeNames") or [])
        state = self._queue(ctx, params)
        queue = state.queue
        received = await self.messages.receive(
            state,
            limit=int(limit or 1),
            visibility_timeout=int(
                queue.number("VisibilityTimeout") if timeout is None else timeout
            ),
            wait_seconds=int(
                queue.number("ReceiveMessageWaitTimeSeconds") if wait is None else wait
            ),
        )
        if not received:
            return {}
        return {
            "Messages": [
                received_message(message, system_names, attribute_names) for message in received
            ]
        }

    async def _DeleteMessage(self, ctx: RequestContext, params: Params) -> Result:
        await self.messages.delete(self._queue(ctx, params), str(params["ReceiptHandle"]))
        return {}

    async def _DeleteMessageBatch(self, ctx: RequestContext, params: Params) -> Result:
        entries = list(params.get("Entries") or [])
        checks.check_batch(entries, "DeleteMessageBatchRequestEntry")
        state = self._queue(ctx, params)

        async def delete(entry: Mapping[str, Any]) -> None:
            await self.messages.delete(state, str(entry["ReceiptHandle"]))

        return await self.batches.each(entries, delete)

    async def _ChangeMessageVisibility(self, ctx: RequestContext, params: Params) -> Result:
        timeout = int(params["VisibilityTimeout"])
        self.messages.check_visibility_timeout(timeout)
        await self.messages.change_visibility(
            self._queue(ctx, params), str(params["ReceiptHandle"]), timeout
        )
        return {}

    async def _ChangeMessageVisibilityBatch(self, ctx: RequestContext, params: Params) -> Result:
        entries = list(params.get("Entries") or [])
        checks.check_batch(entries, "ChangeMessageVisibilityBatchRequestEntry")
        state = self._queue(ctx, params)

        async def change(entry: Mapping[str, Any]) -> None:
            timeout = int(entry.get("VisibilityTimeout") or 0)
            await self.messages.change_visibility(state, str(entry["ReceiptHandle"]), timeout)

        return await self.batches.each(entries, change)


_OPERATIONS = (
    "CreateQueue",
    "GetQueueUrl",
    "ListQueues",
    "DeleteQueue",
    "GetQueueAttributes",
    "SetQueueAttributes",
    "PurgeQueue",
    "TagQueue",
    "UntagQueue",
    "ListQueueTags",
    "ListDeadLetterSourceQueues",
    "AddPermission",
    "RemovePermission",
    "SendMessage",
    "SendMessageBatch",
    "ReceiveMessage",
    "DeleteMessage",
    "DeleteMessageBatch",
    "ChangeMessageVisibility",
    "ChangeMessageVisibilityBatch",
)
