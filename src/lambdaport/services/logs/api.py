"""The CloudWatch Logs API (json, ``Logs_20140328.*``): thin handlers over ``LogsService``.

Every handler takes the request context and the parameters the protocol parsed (keys as in
botocore's model) and returns the output shape's members.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from lambdaport.errors import AwsError
from lambdaport.request import RequestContext
from lambdaport.services.logs.events import pattern_or_error
from lambdaport.services.logs.models import group_name_of, invalid_parameter
from lambdaport.services.logs.service import LogsService
from lambdaport.store.logs import GroupKey

Result = dict[str, Any]
Params = Mapping[str, Any]
Handler = Callable[[RequestContext, Params], Result | Awaitable[Result]]


def _key(ctx: RequestContext, params: Params) -> GroupKey:
    name = params.get("logGroupName")
    identifier = params.get("logGroupIdentifier")
    if name and identifier:
        raise invalid_parameter("LogGroup name and LogGroup ARN are mutually exclusive parameters.")
    if not name and not identifier:
        raise invalid_parameter("Either logGroupName or logGroupIdentifier must be specified.")
    return (ctx.account_id, ctx.region, str(name) if name else group_name_of(str(identifier)))


def _arn_key(ctx: RequestContext, arn: str) -> GroupKey:
    """TagResource and friends: a log group ARN (the only taggable resource here)."""
    parts = arn.split(":", 6)
    if len(parts) < 7 or parts[2] != "logs" or parts[5] != "log-group":
        raise invalid_parameter(f"Invalid resource ARN: {arn}")
    return (parts[4] or ctx.account_id, parts[3] or ctx.region, group_name_of(arn))


OPERATIONS = (
    "CreateLogGroup",
    "DeleteLogGroup",
    "DescribeLogGroups",
    "CreateLogStream",
    "DeleteLogStream",
    "DescribeLogStreams",
    "PutRetentionPolicy",
    "DeleteRetentionPolicy",
    "PutLogEvents",
    "GetLogEvents",
    "FilterLogEvents",
    "TestMetricFilter",
    "PutSubscriptionFilter",
    "DescribeSubscriptionFilters",
    "DeleteSubscriptionFilter",
    "TagResource",
    "UntagResource",
    "ListTagsForResource",
    "TagLogGroup",
    "UntagLogGroup",
    "ListTagsLogGroup",
)


class LogsApi:
    service_name = "logs"

    def __init__(self, logs: LogsService) -> None:
        self._logs = logs
        self.handlers: dict[str, Handler] = {
            name: getattr(self, _snake(name)) for name in OPERATIONS
        }

    async def dispatch(self, ctx: RequestContext, operation: str, params: Params) -> Result:
        handler = self.handlers.get(operation)
        if handler is None:
            raise AwsError(
                "InvalidOperationException",
                f"lambdaport does not implement the CloudWatch Logs operation {operation} yet.",
                400,
            )
        await self._logs.flush()  # function lines still queued are visible to every call
        result = handler(ctx, params)
        if inspect.isawaitable(result):
            return await result
        return result

    # -- groups and streams -----------------------------------------------------------------

    async def create_log_group(self, ctx: RequestContext, p: Params) -> Result:
        await self._logs.groups.create_log_group(
            _key(ctx, p), kms_key_id=p.get("kmsKeyId"), tags=p.get("tags") or {}
        )
        return {}

    async def delete_log_group(self, ctx: RequestContext, p: Params) -> Result:
        await self._logs.groups.delete_log_group(_key(ctx, p))
        return {}

    async def describe_log_groups(self, ctx: RequestContext, p: Params) -> Result:
        return await self._logs.groups.describe_log_groups(
            ctx.account_id,
            ctx.region,
            prefix=p.get("logGroupNamePrefix") or "",
            pattern=p.get("logGroupNamePattern") or "",
            identifiers=p.get("logGroupIdentifiers") or (),
            token=p.get("nextToken"),
            limit=p.get("limit"),
        )

    async def create_log_stream(self, ctx: RequestContext, p: Params) -> Result:
        await self._logs.groups.create_log_stream(_key(ctx, p), str(p["logStreamName"]))
        return {}

    async def delete_log_stream(self, ctx: RequestContext, p: Params) -> Result:
        await self._logs.groups.delete_log_stream(_key(ctx, p), str(p["logStreamName"]))
        return {}

    async def describe_log_streams(self, ctx: RequestContext, p: Params) -> Result:
        return await self._logs.groups.describe_log_streams(
            _key(ctx, p),
            prefix=p.get("logStreamNamePrefix") or "",
            order_by=p.get("orderBy") or "LogStreamName",
            descending=bool(p.get("descending")),
            token=p.get("nextToken"),
            limit=p.get("limit"),
        )

    async def put_retention_policy(self, ctx: RequestContext, p: Params) -> Result:
        await self._logs.groups.put_retention_policy(_key(ctx, p), int(p["retentionInDays"]))
        return {}

    async def delete_retention_policy(self, ctx: RequestContext, p: Params) -> Result:
        await self._logs.groups.delete_retention_policy(_key(ctx, p))
        return {}

    # -- events -----------------------------------------------------------------------------

    async def put_log_events(self, ctx: RequestContext, p: Params) -> Result:
        events = [(int(e["timestamp"]), str(e["message"])) for e in p.get("logEvents") or []]
        return await self._logs.events.put_log_events(_key(ctx, p), str(p["logStreamName"]), events)

    async def get_log_events(self, ctx: RequestContext, p: Params) -> Result:
        return await self._logs.events.get_log_events(
            _key(ctx, p),
            str(p["logStreamName"]),
            start=p.get("startTime"),
            end=p.get("endTime"),
            token=p.get("nextToken"),
            limit=p.get("limit"),
            start_from_head=bool(p.get("startFromHead")),
        )

    async def filter_log_events(self, ctx: RequestContext, p: Params) -> Result:
        return await self._logs.events.filter_log_events(
            _key(ctx, p),
            stream_names=p.get("logStreamNames"),
            stream_prefix=p.get("logStreamNamePrefix"),
            start=p.get("startTime"),
            end=p.get("endTime"),
            pattern=p.get("filterPattern"),
            token=p.get("nextToken"),
            limit=p.get("limit"),
        )

    def test_metric_filter(self, ctx: RequestContext, p: Params) -> Result:
        pattern = pattern_or_error(str(p.get("filterPattern") or ""))
        messages = [str(m) for m in p.get("logEventMessages") or []]
        return {
            "matches": [
                {"eventNumber": number, "eventMessage": message, "extractedValues": {}}
                for number, message in enumerate(messages, start=1)
                if pattern.matches(message)
            ]
        }

    # -- subscription filters ---------------------------------------------------------------

    async def put_subscription_filter(self, ctx: RequestContext, p: Params) -> Result:
        await self._logs.subscriptions.put_subscription_filter(_key(ctx, p), p)
        return {}

    async def describe_subscription_filters(self, ctx: RequestContext, p: Params) -> Result:
        return await self._logs.subscriptions.describe_subscription_filters(
            _key(ctx, p), p.get("filterNamePrefix") or "", p.get("nextToken"), p.get("limit")
        )

    async def delete_subscription_filter(self, ctx: RequestContext, p: Params) -> Result:
        await self._logs.subscriptions.delete_subscription_filter(
            _key(ctx, p), str(p["filterName"])
        )
        return {}

    # -- tags -------------------------------------------------------------------------------

    async def tag_resource(self, ctx: RequestContext, p: Params) -> Result:
        await self._logs.groups.tag(_arn_key(ctx, str(p["resourceArn"])), p.get("tags") or {})
        return {}

    async def untag_resource(self, ctx: RequestContext, p: Params) -> Result:
        await self._logs.groups.untag(_arn_key(ctx, str(p["resourceArn"])), p.get("tagKeys") or [])
        return {}

    async def list_tags_for_resource(self, ctx: RequestContext, p: Params) -> Result:
        return {"tags": await self._logs.groups.tags(_arn_key(ctx, str(p["resourceArn"])))}

    async def tag_log_group(self, ctx: RequestContext, p: Params) -> Result:
        await self._logs.groups.tag(_key(ctx, p), p.get("tags") or {})
        return {}

    async def untag_log_group(self, ctx: RequestContext, p: Params) -> Result:
        await self._logs.groups.untag(_key(ctx, p), p.get("tags") or [])
        return {}

    async def list_tags_log_group(self, ctx: RequestContext, p: Params) -> Result:
        return {"tags": await self._logs.groups.tags(_key(ctx, p))}


def _snake(operation: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", operation).lower()
