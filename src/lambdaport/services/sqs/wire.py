"""SQS on the wire: the json protocol (botocore's model) and the legacy query protocol on the
same endpoint, chosen per request, with SQS's legacy ``AWS.SimpleQueueService.*`` codes.

botocore's current SQS model is json-only: it no longer carries the element names the query
protocol uses (``Attribute.1.Name``, ``MessageAttribute.1.Value.StringValue``,
``SendMessageBatchRequestEntry.1.Id``, ``<Message>``, ``<QueueUrl>``...). :func:`query_model`
puts them back, so old SDKs and hand-written form posts get what AWS's query API gives them.
A query request may also be sent to the queue URL itself (``POST /<account>/<name>``) with
no ``QueueUrl`` parameter: the path then names the queue.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from botocore.loaders import Loader
from botocore.model import ServiceModel

from lambdaport.protocol import JsonProtocol, QueryProtocol
from lambdaport.protocol.base import HttpRequest, ServiceProtocol

QUERY_ERROR_CODES = {
    "QueueDoesNotExist": "AWS.SimpleQueueService.NonExistentQueue",
    "QueueNameExists": "QueueAlreadyExists",
    "QueueDeletedRecently": "AWS.SimpleQueueService.QueueDeletedRecently",
    "PurgeQueueInProgress": "AWS.SimpleQueueService.PurgeQueueInProgress",
    "BatchEntryIdsNotDistinct": "AWS.SimpleQueueService.BatchEntryIdsNotDistinct",
    "BatchRequestTooLong": "AWS.SimpleQueueService.BatchRequestTooLong",
    "EmptyBatchRequest": "AWS.SimpleQueueService.EmptyBatchRequest",
    "InvalidBatchEntryId": "AWS.SimpleQueueService.InvalidBatchEntryId",
    "TooManyEntriesInBatchRequest": "AWS.SimpleQueueService.TooManyEntriesInBatchRequest",
    "UnsupportedOperation": "AWS.SimpleQueueService.UnsupportedOperation",
    "MessageNotInflight": "AWS.SimpleQueueService.MessageNotInflight",
    "KmsAccessDenied": "KMS.AccessDeniedException",
    "KmsDisabled": "KMS.DisabledException",
    "KmsInvalidKeyUsage": "KMS.InvalidKeyUsageException",
    "KmsInvalidState": "KMS.InvalidStateException",
    "KmsNotFound": "KMS.NotFoundException",
    "KmsOptInRequired": "KMS.OptInRequired",
    "KmsThrottled": "KMS.ThrottlingException",
}

# (shape, member) -> element name of the member in the query protocol
_MEMBER_NAMES = {
    ("CreateQueueRequest", "Attributes"): "Attribute",
    ("CreateQueueRequest", "tags"): "Tag",
    ("SetQueueAttributesRequest", "Attributes"): "Attribute",
    ("GetQueueAttributesResult", "Attributes"): "Attribute",
    ("TagQueueRequest", "Tags"): "Tag",
    ("ListQueueTagsResult", "Tags"): "Tag",
    ("SendMessageRequest", "MessageAttributes"): "MessageAttribute",
    ("SendMessageRequest", "MessageSystemAttributes"): "MessageSystemAttribute",
    ("SendMessageBatchRequestEntry", "MessageAttributes"): "MessageAttribute",
    ("SendMessageBatchRequestEntry", "MessageSystemAttributes"): "MessageSystemAttribute",
    ("Message", "Attributes"): "Attribute",
    ("Message", "MessageAttributes"): "MessageAttribute",
    ("MessageAttributeValue", "StringListValues"): "StringListValue",
    ("MessageAttributeValue", "BinaryListValues"): "BinaryListValue",
    ("MessageSystemAttributeValue", "StringListValues"): "StringListValue",
    ("MessageSystemAttributeValue", "BinaryListValues"): "BinaryListValue",
}
# list shape -> element name of its items
_LIST_ITEMS = {
    "AWSAccountIdList": "AWSAccountId",
    "ActionNameList": "ActionName",
    "AttributeNameList": "AttributeName",
    "MessageAttributeNameList": "MessageAttributeName",
    "MessageSystemAttributeList": "MessageSystemAttributeName",
    "QueueUrlList": "QueueUrl",
    "TagKeyList": "TagKey",
    "MessageList": "Message",
    "StringList": "StringListValue",
    "BinaryList": "BinaryListValue",
    "BatchResultErrorEntryList": "BatchResultErrorEntry",
    "SendMessageBatchRequestEntryList": "SendMessageBatchRequestEntry",
    "SendMessageBatchResultEntryList": "SendMessageBatchResultEntry",
    "DeleteMessageBatchRequestEntryList": "DeleteMessageBatchRequestEntry",
    "DeleteMessageBatchResultEntryList": "DeleteMessageBatchResultEntry",
    "ChangeMessageVisibilityBatchRequestEntryList": "ChangeMessageVisibilityBatchRequestEntry",
    "ChangeMessageVisibilityBatchResultEntryList": "ChangeMessageVisibilityBatchResultEntry",
    "ListMessageMoveTasksResultEntryList": "ListMessageMoveTasksResultEntry",
}
# map shape -> (key element, value element)
_MAP_ENTRIES = {
    "QueueAttributeMap": ("Name", "Value"),
    "MessageSystemAttributeMap": ("Name", "Value"),
    "MessageBodyAttributeMap": ("Name", "Value"),
    "MessageBodySystemAttributeMap": ("Name", "Value"),
    "TagMap": ("Key", "Value"),
}


# Enums SQS checks itself, answering InvalidAttributeName rather than ValidationException.
_OWN_ENUMS = (
    "QueueAttributeName",
    "MessageSystemAttributeName",
    "MessageSystemAttributeNameForSends",
)

_BATCH_REQUESTS = (
    "SendMessageBatchRequest",
    "DeleteMessageBatchRequest",
    "ChangeMessageVisibilityBatchRequest",
)


def json_model_document() -> dict[str, Any]:
    """botocore's SQS model without the attribute-name enums (SQS checks those itself)."""
    model = copy.deepcopy(dict(Loader().load_service_model("sqs", "service-2")))
    for name in _OWN_ENUMS:
        model["shapes"][name].pop("enum", None)
    for name in _BATCH_REQUESTS:  # an empty batch is EmptyBatchRequest, not a missing member
        shape = model["shapes"][name]
        shape["required"] = [member for member in shape["required"] if member != "Entries"]
    return model


def query_model_document(service: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """botocore's SQS model (or ``service``) with the query protocol's names put back."""
    model = copy.deepcopy(dict(service)) if service is not None else json_model_document()
    model["metadata"] = {**model["metadata"], "protocol": "query", "protocols": ["query"]}
    shapes = model["shapes"]
    for (shape, member), name in _MEMBER_NAMES.items():
        shapes[shape]["members"][member]["locationName"] = name
    for shape, item in _LIST_ITEMS.items():
        shapes[shape]["member"]["locationName"] = item
    for shape, (key, value) in _MAP_ENTRIES.items():
        shapes[shape]["key"]["locationName"] = key
        shapes[shape]["value"]["locationName"] = value
    for name, operation in model["operations"].items():
        if "output" in operation:
            operation["output"] = {**operation["output"], "resultWrapper": f"{name}Result"}
    return model


def query_model() -> Any:
    return ServiceModel(query_model_document(), "sqs")


class _QueueUrlFromPath(QueryProtocol):
    """The query protocol, with the queue named by the request path when the form has no
    ``QueueUrl`` (legacy clients post to the queue URL)."""

    def parse(self, request: HttpRequest, validate: bool = True) -> tuple[str, dict[str, Any]]:
        parts = [part for part in request.path.split("/") if part]
        text = f"{request.query}&{request.body.decode(errors='replace')}"
        if len(parts) == 2 and parts[0].isdigit() and "QueueUrl=" not in text:
            url = f"http://{request.host}/{parts[0]}/{parts[1]}"
            query = f"{request.query}&QueueUrl={quote(url, safe='')}".lstrip("&")
            request = HttpRequest(
                request.method, request.path, query, request.headers, request.body, request.host
            )
        return super().parse(request, validate)


class SqsProtocols:
    """Both protocols, and the per-request choice the gateway asks for."""

    def __init__(self) -> None:
        json_model = ServiceModel(json_model_document(), "sqs")
        self.json: ServiceProtocol = JsonProtocol(json_model, query_error_codes=QUERY_ERROR_CODES)
        self.query: ServiceProtocol = _QueueUrlFromPath(
            query_model(),
            xml_namespace="http://queue.amazonaws.com/doc/2012-11-05/",
            query_error_codes=QUERY_ERROR_CODES,
        )

    def select(self, request: HttpRequest) -> ServiceProtocol:
        headers = request.headers
        if "x-amz-target" in headers or "amz-json" in headers.get("content-type", ""):
            return self.json
        return self.query
