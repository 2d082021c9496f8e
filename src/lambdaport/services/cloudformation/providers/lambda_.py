"""Lambda resources: ``AWS::Lambda::Function`` (``ZipFile`` inline code, with the
``cfnresponse``/``cfn-response`` module AWS adds to it, or S3 code), ``Version``, ``Alias``,
``Permission``, ``EventSourceMapping``, ``Url``, ``EventInvokeConfig``
(https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-lambda-function-code.html).
Each goes through the Lambda API, so the function is the one boto3 would have made."""

from __future__ import annotations

import asyncio
import io
import time
import zipfile
from typing import Any

from lambdaport.services.cloudformation.providers.base import (
    Created,
    Provider,
    ProviderFailed,
    ResourceRequest,
    members_of,
    physical_name,
    tag_map,
)

# The response helper AWS puts beside inline Python code (lambdaport's own implementation of
# its documented interface: send(event, context, responseStatus, responseData,
# physicalResourceId=None, noEcho=False, reason=None)).
CFNRESPONSE_PY = """\
\"\"\"cfnresponse: answer a CloudFormation custom resource request (PUT its ResponseURL).\"\"\"
import json
import urllib.request

SUCCESS = "SUCCESS"
FAILED = "FAILED"


def send(event, context, responseStatus, responseData, physicalResourceId=None,
         noEcho=False, reason=None):
    stream = context.log_stream_name
    body = json.dumps({
        "Status": responseStatus,
        "Reason": reason or "See the details in CloudWatch Log Stream: " + stream,
        "PhysicalResourceId": physicalResourceId or stream,
        "StackId": event["StackId"],
        "RequestId": event["RequestId"],
        "LogicalResourceId": event["LogicalResourceId"],
        "NoEcho": noEcho,
        "Data": responseData,
    }).encode()
    request = urllib.request.Request(
        event["ResponseURL"], data=body, method="PUT",
        headers={"Content-Type": "", "Content-Length": str(len(body))},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            print("Status code:", response.status)
    except Exception as error:
        print("send(..) failed executing request: " + str(error))
"""
CFN_RESPONSE_JS = """\
// cfn-response: answer a CloudFormation custom resource request (PUT its ResponseURL).
exports.SUCCESS = "SUCCESS";
exports.FAILED = "FAILED";
exports.send = function (event, context, responseStatus, responseData, physicalResourceId,
                         noEcho, reason) {
  return new Promise((resolve) => {
    const stream = context.logStreamName;
    const body = JSON.stringify({
      Status: responseStatus,
      Reason: reason || "See the details in CloudWatch Log Stream: " + stream,
      PhysicalResourceId: physicalResourceId || stream,
      StackId: event.StackId,
      RequestId: event.RequestId,
      LogicalResourceId: event.LogicalResourceId,
      NoEcho: noEcho || false,
      Data: responseData,
    });
    const url = new URL(event.ResponseURL);
    const http = require(url.protocol === "https:" ? "https" : "http");
    const done = () => { resolve(); if (context.done) { context.done(); } };
    const headers = {"content-type": "", "content-length": Buffer.byteLength(body)};
    const request = http.request(url, {method: "PUT", headers}, (response) => {
      response.resume();
      response.on("end", done);
    });
    request.on("error", (error) => {
      console.log("send(..) failed executing http.request(..): " + error);
      done();
    });
    request.write(body);
    request.end();
  });
};
"""
_SKIP = frozenset({"Code", "Tags", "ReservedConcurrentExecutions", "FunctionName", "SnapStart"})


def inline_zip(runtime: str, source: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        if runtime.startswith("nodejs"):
            archive.writestr("index.js", source)
            archive.writestr("cfn-response.js", CFN_RESPONSE_JS)
            archive.writestr("node_modules/cfn-response/index.js", CFN_RESPONSE_JS)
        else:
            archive.writestr("index.py", source)
            archive.writestr("cfnresponse.py", CFNRESPONSE_PY)
    return buffer.getvalue()


def code_parameters(props: Any) -> dict[str, Any]:
    code = props.get("Code") or {}
    if "ZipFile" in code:
        return {"ZipFile": inline_zip(str(props.get("Runtime", "")), str(code["ZipFile"]))}
    params = {k: code[k] for k in ("S3Bucket", "S3Key", "S3ObjectVersion", "ImageUri") if k in code}
    if not params:
        raise ProviderFailed(
            "Properties validation failed for resource: Code must have ZipFile, S3Bucket "
            "and S3Key, or ImageUri"
        )
    return params


class Function(Provider):
    types = ("AWS::Lambda::Function",)
    replacement = frozenset({"FunctionName", "PackageType"})

    async def create(self, request: ResourceRequest) -> Created:
        props = request.properties
        name = str(props.get("FunctionName") or physical_name(request, max_length=64))
        params = members_of(self.calls, "lambda", "CreateFunction", request, props, skip=_SKIP)
        params["FunctionName"] = name
        params["Code"] = code_parameters(props)
        tags = tag_map(props.get("Tags"))
        if tags:
            params["Tags"] = tags
        answer = await self.call(request, "lambda", "CreateFunction", **params)
        await self.configured(name, self._concurrency(request, name, None))
        await self.configured(name, self._active(request, name))
        return self._created(answer)

    def _created(self, answer: dict[str, Any]) -> Created:
        attributes = {"Arn": answer["FunctionArn"]}
        if "SnapStart" in answer:
            attributes["SnapStartResponse"] = answer["SnapStart"]
            attributes["SnapStartResponse.ApplyOn"] = answer["SnapStart"].get("ApplyOn", "None")
            attributes["SnapStartResponse.OptimizationStatus"] = answer["SnapStart"].get(
                "OptimizationStatus", "Off"
            )
        return Created(answer["FunctionName"], attributes)

    async def _active(self, request: ResourceRequest, name: str) -> None:
        """CloudFormation's stabilisation: the function is Active (or failed) before dependents."""
        deadline = time.monotonic() + 300
        while True:
            answer = await self.call(
                request, "lambda", "GetFunctionConfiguration", FunctionName=name
            )
            state = answer.get("State", "Active")
            update = answer.get("LastUpdateStatus", "Successful")
            if state == "Failed" or update == "Failed":
                why = answer.get("StateReason") or answer.get("LastUpdateStatusReason")
                raise ProviderFailed(f'Resource handler returned message: "{why}"')
            if state == "Active" and update != "InProgress":
                return
            if time.monotonic() > deadline:
                raise ProviderFailed(f"Function {name} did not become Active")
            await asyncio.sleep(0.05)

    async def _concurrency(self, request: ResourceRequest, name: str, before: Any) -> None:
        value = request.properties.get("ReservedConcurrentExecutions")
        if value == before:
            return
        if value is None:
            await self.attempt(request, "lambda", "DeleteFunctionConcurrency", FunctionName=name)
        else:
            await self.call(
                request,
                "lambda",
                "PutFunctionConcurrency",
                FunctionName=name,
                ReservedConcurrentExecutions=int(value),
            )

    async def update(self, request: ResourceRequest) -> Created:
        name = request.physical_id
        props, previous = request.properties, request.previous
        if props.get("Code") != previous.get("Code"):
            code = code_parameters(props)
            await self.call(request, "lambda", "UpdateFunctionCode", FunctionName=name, **code)
            await self._active(request, name)
        params = members_of(
            self.calls, "lambda", "UpdateFunctionConfiguration", request, props, skip=_SKIP
        )
        old = members_of(
            self.calls, "lambda", "UpdateFunctionConfiguration", request, previous, skip=_SKIP
        )
        if params != old:
            for name_removed in old.keys() - params.keys():
                if name_removed == "Environment":
                    params["Environment"] = {"Variables": {}}
                elif name_removed == "Layers":
                    params["Layers"] = []
            answer = await self.call(
                request, "lambda", "UpdateFunctionConfiguration", FunctionName=name, **params
            )
            await self._active(request, name)
        else:
            answer = await self.call(
                request, "lambda", "GetFunctionConfiguration", FunctionName=name
            )
        await self._concurrency(request, name, previous.get("ReservedConcurrentExecutions"))
        return self._created(answer)

    async def delete(self, request: ResourceRequest) -> None:
        await self.attempt(request, "lambda", "DeleteFunction", FunctionName=request.physical_id)


class Version(Provider):
    types = ("AWS::Lambda::Version",)
    immutable = True

    async def create(self, request: ResourceRequest) -> Created:
        params = members_of(self.calls, "lambda", "PublishVersion", request, request.properties)
        answer = await self.call(request, "lambda", "PublishVersion", **params)
        arn = answer["FunctionArn"]
        return Created(arn, {"Version": answer["Version"], "FunctionArn": arn.rsplit(":", 1)[0]})

    async def delete(self, request: ResourceRequest) -> None:
        await self.attempt(request, "lambda", "DeleteFunction", FunctionName=request.physical_id)


class Alias(Provider):
    types = ("AWS::Lambda::Alias",)
    replacement = frozenset({"FunctionName", "Name"})

    async def create(self, request: ResourceRequest) -> Created:
        params = members_of(
            self.calls,
            "lambda",
            "CreateAlias",
            request,
            request.properties,
            skip=("ProvisionedConcurrencyConfig",),
        )
        answer = await self.call(request, "lambda", "CreateAlias", **params)
        return Created(answer["AliasArn"], {"AliasArn": answer["AliasArn"]})

    async def update(self, request: ResourceRequest) -> Created:
        params = members_of(
            self.calls,
            "lambda",
            "UpdateAlias",
            request,
            request.properties,
            skip=("ProvisionedConcurrencyConfig",),
        )
        answer = await self.call(request, "lambda", "UpdateAlias", **params)
        return Created(answer["AliasArn"], {"AliasArn": answer["AliasArn"]})

    async def delete(self, request: ResourceRequest) -> None:
        function, _, name = request.physical_id.rpartition(":")
        await self.attempt(request, "lambda", "DeleteAlias", FunctionName=function, Name=name)


class Permission(Provider):
    types = ("AWS::Lambda::Permission",)
    immutable = True

    async def create(self, request: ResourceRequest) -> Created:
        statement = physical_name(request, max_length=100)
        params = members_of(self.calls, "lambda", "AddPermission", request, request.properties)
        params["StatementId"] = statement
        await self.call(request, "lambda", "AddPermission", **params)
        return Created(statement)

    async def delete(self, request: ResourceRequest) -> None:
        function = str(request.properties["FunctionName"])
        await self.attempt(
            request,
            "lambda",
            "RemovePermission",
            FunctionName=function,
            StatementId=request.physical_id,
        )


class EventSourceMapping(Provider):
    types = ("AWS::Lambda::EventSourceMapping",)
    replacement = frozenset(
        {
            "EventSourceArn",
            "StartingPosition",
            "StartingPositionTimestamp",
            "SelfManagedEventSource",
            "AmazonManagedKafkaEventSourceConfig",
            "SelfManagedKafkaEventSourceConfig",
        }
    )

    async def create(self, request: ResourceRequest) -> Created:
        params = members_of(
            self.calls,
            "lambda",
            "CreateEventSourceMapping",
            request,
            request.properties,
            skip=("Tags",),
        )
        answer = await self.call(request, "lambda", "CreateEventSourceMapping", **params)
        uuid = answer["UUID"]
        attributes = {"Id": uuid}
        if "EventSourceMappingArn" in answer:
            attributes["EventSourceMappingArn"] = answer["EventSourceMappingArn"]
        return Created(uuid, attributes)

    async def update(self, request: ResourceRequest) -> Created:
        params = members_of(
            self.calls, "lambda", "UpdateEventSourceMapping", request, request.properties
        )
        params["UUID"] = request.physical_id
        await self.call(request, "lambda", "UpdateEventSourceMapping", **params)
        return Created(request.physical_id, dict(request.attributes))

    async def delete(self, request: ResourceRequest) -> None:
        await self.attempt(request, "lambda", "DeleteEventSourceMapping", UUID=request.physical_id)


class Url(Provider):
    types = ("AWS::Lambda::Url",)
    replacement = frozenset({"TargetFunctionArn", "Qualifier"})

    def _params(self, request: ResourceRequest, operation: str) -> dict[str, Any]:
        params = members_of(self.calls, "lambda", operation, request, request.properties)
        params["FunctionName"] = str(request.properties["TargetFunctionArn"])
        return params

    async def create(self, request: ResourceRequest) -> Created:
        answer = await self.call(
            request,
            "lambda",
            "CreateFunctionUrlConfig",
            **self._params(request, "CreateFunctionUrlConfig"),
        )
        return Created(
            answer["FunctionArn"],
            {"FunctionArn": answer["FunctionArn"], "FunctionUrl": answer["FunctionUrl"]},
        )

    async def update(self, request: ResourceRequest) -> Created:
        answer = await self.call(
            request,
            "lambda",
            "UpdateFunctionUrlConfig",
            **self._params(request, "UpdateFunctionUrlConfig"),
        )
        return Created(
            answer["FunctionArn"],
            {"FunctionArn": answer["FunctionArn"], "FunctionUrl": answer["FunctionUrl"]},
        )

    async def delete(self, request: ResourceRequest) -> None:
        params: dict[str, Any] = {"FunctionName": str(request.properties["TargetFunctionArn"])}
        if "Qualifier" in request.properties:
            params["Qualifier"] = str(request.properties["Qualifier"])
        await self.attempt(request, "lambda", "DeleteFunctionUrlConfig", **params)


class EventInvokeConfig(Provider):
    types = ("AWS::Lambda::EventInvokeConfig",)
    replacement = frozenset({"FunctionName", "Qualifier"})

    async def create(self, request: ResourceRequest) -> Created:
        params = members_of(
            self.calls, "lambda", "PutFunctionEventInvokeConfig", request, request.properties
        )
        await self.call(request, "lambda", "PutFunctionEventInvokeConfig", **params)
        return Created(request.physical_id or physical_name(request))

    async def update(self, request: ResourceRequest) -> Created:
        return await self.create(request)

    async def delete(self, request: ResourceRequest) -> None:
        props = request.properties
        await self.attempt(
            request,
            "lambda",
            "DeleteFunctionEventInvokeConfig",
            FunctionName=str(props["FunctionName"]),
            Qualifier=str(props.get("Qualifier", "$LATEST")),
        )


LAMBDA = (Function, Version, Alias, Permission, EventSourceMapping, Url, EventInvokeConfig)
