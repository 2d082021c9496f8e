"""Data resources: ``AWS::DynamoDB::Table`` (with its stream, TTL and tags) and
``AWS::Kinesis::Stream``."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from lambdaport.services.cloudformation.providers.base import (
    Created,
    Provider,
    ProviderFailed,
    ResourceRequest,
    members_of,
    physical_name,
    tag_list,
)


class Table(Provider):
    types = ("AWS::DynamoDB::Table",)
    replacement = frozenset({"TableName", "KeySchema"})

    async def create(self, request: ResourceRequest) -> Created:
        props = dict(request.properties)
        name = str(props.get("TableName") or physical_name(request, max_length=255))
        params = members_of(
            self.calls,
            "dynamodb",
            "CreateTable",
            request,
            props,
            skip=("StreamSpecification", "Tags", "SSESpecification"),
        )
        params["TableName"] = name
        if props.get("BillingMode") is None and "ProvisionedThroughput" not in params:
            params["BillingMode"] = "PAY_PER_REQUEST"
        stream = props.get("StreamSpecification")
        if stream:
            params["StreamSpecification"] = {
                "StreamEnabled": True,
                "StreamViewType": stream["StreamViewType"],
            }
        if props.get("Tags"):
            params["Tags"] = tag_list(props["Tags"])
        sse = props.get("SSESpecification")
        if sse:
            params["SSESpecification"] = {
                "Enabled": str(sse.get("SSEEnabled", "false")).lower() == "true"
            }
        table = (await self.call(request, "dynamodb", "CreateTable", **params))["TableDescription"]
        await self._ttl(request, name, props.get("TimeToLiveSpecification"), None)
        return await self._created(request, name, table)

    async def _created(
        self, request: ResourceRequest, name: str, table: dict[str, Any] | None = None
    ) -> Created:
        deadline = time.monotonic() + 120
        while table is None or table.get("TableStatus") not in (None, "ACTIVE"):
            if time.monotonic() > deadline:
                raise ProviderFailed(f"Table {name} did not become ACTIVE")
            await asyncio.sleep(0.05)
            table = (await self.call(request, "dynamodb", "DescribeTable", TableName=name))["Table"]
        attributes = {"Arn": table["TableArn"]}
        if table.get("LatestStreamArn"):
            attributes["StreamArn"] = table["LatestStreamArn"]
        return Created(name, attributes)

    async def _ttl(self, request: ResourceRequest, name: str, ttl: Any, before: Any) -> None:
        if ttl == before or not ttl:
            return
        await self.call(
            request,
            "dynamodb",
            "UpdateTimeToLive",
            TableName=name,
            TimeToLiveSpecification={
                "Enabled": str(ttl.get("Enabled")).lower() == "true",
                "AttributeName": ttl["AttributeName"],
            },
        )

    async def update(self, request: ResourceRequest) -> Created:
        name, props, previous = request.physical_id, request.properties, request.previous
        params: dict[str, Any] = {}
        for key in ("BillingMode", "ProvisionedThroughput", "AttributeDefinitions"):
            if props.get(key) != previous.get(key) and key in props:
                params[key] = props[key]
        if props.get("StreamSpecification") != previous.get("StreamSpecification"):
            stream = props.get("StreamSpecification")
            params["StreamSpecification"] = (
                {"StreamEnabled": True, "StreamViewType": stream["StreamViewType"]}
                if stream
                else {"StreamEnabled": False}
            )
        if params:
            params = members_of(self.calls, "dynamodb", "UpdateTable", request, params)
            await self.call(request, "dynamodb", "UpdateTable", TableName=name, **params)
        await self._ttl(
            request,
            name,
            props.get("TimeToLiveSpecification"),
            previous.get("TimeToLiveSpecification"),
        )
        return await self._created(request, name)

    async def delete(self, request: ResourceRequest) -> None:
        await self.attempt(request, "dynamodb", "DeleteTable", TableName=request.physical_id)


class Stream(Provider):
    types = ("AWS::Kinesis::Stream",)
    replacement = frozenset({"Name"})

    async def create(self, request: ResourceRequest) -> Created:
        props = request.properties
        name = str(props.get("Name") or physical_name(request, max_length=128))
        params: dict[str, Any] = {"StreamName": name}
        mode = (props.get("StreamModeDetails") or {}).get("StreamMode")
        if mode == "ON_DEMAND":
            params["StreamModeDetails"] = {"StreamMode": "ON_DEMAND"}
        else:
            params["ShardCount"] = int(props.get("ShardCount", 1))
        if props.get("Tags"):
            params["Tags"] = {t["Key"]: t["Value"] for t in tag_list(props["Tags"])}
        await self.call(request, "kinesis", "CreateStream", **params)
        hours = props.get("RetentionPeriodHours")
        if hours is not None and int(hours) > 24:
            await self.call(
                request,
                "kinesis",
                "IncreaseStreamRetentionPeriod",
                StreamName=name,
                RetentionPeriodHours=int(hours),
            )
        return await self._created(request, name)

    async def _created(self, request: ResourceRequest, name: str) -> Created:
        summary = (await self.call(request, "kinesis", "DescribeStreamSummary", StreamName=name))[
            "StreamDescriptionSummary"
        ]
        return Created(name, {"Arn": summary["StreamARN"]})

    async def update(self, request: ResourceRequest) -> Created:
        name, props, previous = request.physical_id, request.properties, request.previous
        if (
            props.get("ShardCount") != previous.get("ShardCount")
            and props.get("ShardCount") is not None
        ):
            await self.call(
                request,
                "kinesis",
                "UpdateShardCount",
                StreamName=name,
                TargetShardCount=int(props["ShardCount"]),
                ScalingType="UNIFORM_SCALING",
            )
        before, after = (
            int(previous.get("RetentionPeriodHours", 24)),
            int(props.get("RetentionPeriodHours", 24)),
        )
        if after > before:
            await self.call(
                request,
                "kinesis",
                "IncreaseStreamRetentionPeriod",
                StreamName=name,
                RetentionPeriodHours=after,
            )
        elif after < before:
            await self.call(
                request,
                "kinesis",
                "DecreaseStreamRetentionPeriod",
                StreamName=name,
                RetentionPeriodHours=after,
            )
        return await self._created(request, name)

    async def delete(self, request: ResourceRequest) -> None:
        await self.attempt(
            request,
            "kinesis",
            "DeleteStream",
            StreamName=request.physical_id,
            EnforceConsumerDeletion=True,
        )


DATA = (Table, Stream)
