"""SQS's operations: parameters in (as botocore sends them), one domain call, the output
shape's members out. Errors are ``AwsError``s the gateway serialises in the request's
protocol (json or query)."""

from __future__ import annotations

import base64
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import orjson

from lambdaport.errors import AwsError
from lambdaport.request import RequestContext
from lambdaport.services.sqs import attributes, checks
from lambdaport.services.sqs.batches import Batches
from lambdaport.services.sqs.messages import Messages
from lambdaport.services.sqs.models import (
    MAX_VISIBILITY_TIMEOUT,
    MAX_WAIT_SECONDS,
    invalid_value,
    split_queue_url,
)
from lambdaport.services.sqs.queues import QueueDirectory
from lambdaport.services.sqs.rendering import MESSAGE_SYSTEM_ATTRIBUTE_NAMES, received_message
from lambdaport.services.sqs.state import QueueState

Params = Mapping[str, Any]
Result = dict[str, Any]
Handler = Callable[[RequestContext, Params], Awaitable[Result]]


def _page(names: list[str], params: Params) -> tuple[list[str], str | None]:
    """One page of sorted names after ``NextToken``, ``MaxResults`` long (1 to 1000)."""
    limit = params.get("MaxResults")
    token = params.get("NextToken")
    if limit is not None and not 1 <= int(limit) <= 1000:
        raise invalid_value(
            "MaxResults", limit, "MaxResults must be an integer between 1 and 1000."
        )
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
    def __init__(
        self, directory: QueueDirectory, messages: Messages, default_endpoint: str
    ) -> None:
        self.directory = directory
        self.messages = messages
        self.batches = Batches(messages)
        self._default_endpoint = default_endpoint
        self._handlers: dict[str, Handler] = {
            name: getattr(self, f"_{name}") for name in _OPERATIONS
        }

    async def dispatch(self, ctx: RequestContext, operation: str, params: Params) -> Result:
        handler = self._handlers.get(operation)
        if handler is None:
            raise AwsError(
                "UnsupportedOperation", f"lambdaport does not implement {operation} yet.", 400
            )
        return await handler(ctx, params)

    def _endpoint(self, ctx: RequestContext) -> str:
        return ctx.endpoint or self._default_endpoint

    def _queue(self, ctx: RequestContext, params: Params) -> QueueState:
        account, name = split_queue_url(str(params["QueueUrl"]))
        return self.directory.find(account or ctx.account_id, ctx.region, name)

    # -- queues -------------------------------------------------------------------------

    async def _CreateQueue(self, ctx: RequestContext, params: Params) -> Result:
        queue = self.directory.create(
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
        self.directory.delete(self._queue(ctx, params))
        return {}

    async def _GetQueueAttributes(self, ctx: RequestContext, params: Params) -> Result:
        state = self._queue(ctx, params)
        names = attributes.expand_names(params.get("AttributeNames") or [])
        now = self.directory.clock()

        def counts() -> attributes.Counts:
            self.messages.expire(state, now)
            return state.counts.counts(now)

        rendered = attributes.render(state.queue, names, counts)
        return {"Attributes": rendered} if rendered else {}

    async def _SetQueueAttributes(self, ctx: RequestContext, params: Params) -> Result:
        self.directory.set_attributes(self._queue(ctx, params), params.get("Attributes") or {})
        return {}

    async def _PurgeQueue(self, ctx: RequestContext, params: Params) -> Result:
        self.directory.purge(self._queue(ctx, params))
        return {}

    async def _TagQueue(self, ctx: RequestContext, params: Params) -> Result:
        self.directory.tag(self._queue(ctx, params), params.get("Tags") or {})
        return {}

    async def _UntagQueue(self, ctx: RequestContext, params: Params) -> Result:
        self.directory.untag(self._queue(ctx, params), list(params.get("TagKeys") or []))
        return {}

    async def _ListQueueTags(self, ctx: RequestContext, params: Params) -> Result:
        tags = dict(self._queue(ctx, params).queue.tags)
        return {"Tags": tags} if tags else {}

    async def _ListDeadLetterSourceQueues(self, ctx: RequestContext, params: Params) -> Result:
        state = self._queue(ctx, params)
        endpoint = self._endpoint(ctx)
        urls = [queue.url(endpoint) for queue in self.directory.dead_letter_sources(state)]
        page, token = _page(urls, params)
        result: Result = {"queueUrls": page}
        if token:
            result["NextToken"] = token
        return result

    async def _AddPermission(self, ctx: RequestContext, params: Params) -> Result:
        state = self._queue(ctx, params)
        policy = orjson.loads(state.queue.attributes.get("Policy") or '{"Version":"2012-10-17"}')
        statements = [s for s in policy.get("Statement", []) if s.get("Sid") != params["Label"]]
        if len(statements) != len(policy.get("Statement", [])):
            raise invalid_value("Label", params["Label"], "Already exists.")
        principals = [f"arn:aws:iam::{account}:root" for account in params["AWSAccountIds"]]
        statements.append(
            {
                "Sid": params["Label"],
                "Effect": "Allow",
                "Principal": {"AWS": principals[0] if len(principals) == 1 else principals},
                "Action": [f"SQS:{action}" for action in params["Actions"]],
                "Resource": state.queue.arn,
            }
        )
        policy["Statement"] = statements
        self.directory.set_attributes(state, {"Policy": orjson.dumps(policy).decode()})
        return {}

    async def _RemovePermission(self, ctx: RequestContext, params: Params) -> Result:
        state = self._queue(ctx, params)
        policy = orjson.loads(state.queue.attributes.get("Policy") or "{}")
        before = policy.get("Statement", [])
        after = [s for s in before if s.get("Sid") != params["Label"]]
        if len(after) == len(before):
            raise invalid_value("Label", params["Label"], "can't find label on existing policy.")
        policy["Statement"] = after
        text = orjson.dumps(policy).decode() if after else ""
        self.directory.set_attributes(state, {"Policy": text})
        return {}

    # -- messages -----------------------------------------------------------------------

    async def _SendMessage(self, ctx: RequestContext, params: Params) -> Result:
        state = self._queue(ctx, params)
        message = self.batches.outgoing(state.queue, params, ctx.account_id)
        self.messages.check_for_queue(state.queue, message)
        return self.batches.send_result(self.messages.send(state, [message])[0])

    async def _SendMessageBatch(self, ctx: RequestContext, params: Params) -> Result:
        state = self._queue(ctx, params)
        return self.batches.send(state, list(params.get("Entries") or []), ctx.account_id)

    async def _ReceiveMessage(self, ctx: RequestContext, params: Params) -> Result:
        state = self._queue(ctx, params)
        queue = state.queue
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
        system_names = [
            *(params.get("AttributeNames") or []),
            *(params.get("MessageSystemAttributeNames") or []),
        ]
        for name in system_names:
            if name not in MESSAGE_SYSTEM_ATTRIBUTE_NAMES:
                raise attributes.invalid_attribute_name(name)
        attribute_names = list(params.get("MessageAttributeNames") or [])
        if not received:
            return {}
        return {
            "Messages": [
                received_message(message, system_names, attribute_names) for message in received
            ]
        }

    async def _DeleteMessage(self, ctx: RequestContext, params: Params) -> Result:
        self.messages.delete(self._queue(ctx, params), str(params["ReceiptHandle"]))
        return {}

    async def _DeleteMessageBatch(self, ctx: RequestContext, params: Params) -> Result:
        state = self._queue(ctx, params)
        entries = list(params.get("Entries") or [])
        checks.check_batch(entries, "DeleteMessageBatchRequestEntry")
        return self.batches.each(
            entries, lambda entry: self.messages.delete(state, str(entry["ReceiptHandle"]))
        )

    async def _ChangeMessageVisibility(self, ctx: RequestContext, params: Params) -> Result:
        self.messages.change_visibility(
            self._queue(ctx, params),
            str(params["ReceiptHandle"]),
            int(params["VisibilityTimeout"]),
        )
        return {}

    async def _ChangeMessageVisibilityBatch(self, ctx: RequestContext, params: Params) -> Result:
        state = self._queue(ctx, params)
        entries = list(params.get("Entries") or [])
        checks.check_batch(entries, "ChangeMessageVisibilityBatchRequestEntry")
        return self.batches.each(
            entries,
            lambda entry: self.messages.change_visibility(
                state, str(entry["ReceiptHandle"]), int(entry.get("VisibilityTimeout") or 0)
            ),
        )


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
