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

from lambdaport.errors import AwsError
from lambdaport.protocol import JsonProtocol, QueryProtocol
from lambdaport.protocol.base import HttpRequest, HttpResponse, ServiceProtocol

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

# Errors SQS answers that botocore's model has no shape for: the json protocol names them
# ``InvalidParameterValueException``/``MissingRequiredParameterException`` (botocore shows
# that as QueryErrorCode), the query protocol and ``x-amzn-query-error`` by the code.
_UNMODELLED_ERRORS = {
    "InvalidParameterValueException": "InvalidParameterValue",
    "MissingRequiredParameterException": "MissingParameter",
}
# What the query protocol says where its message differs from the json protocol's.
QUERY_MESSAGES = {
    "QueueDoesNotExist": "The specified queue does not exist for this wsdl version.",
}


def _botocore_model() -> dict[str, Any]:
    return copy.deepcopy(dict(Loader().load_service_model("sqs", "service-2")))


def required_members() -> dict[str, tuple[str, ...]]:
    """Each operation's required top-level parameters, as botocore's model lists them."""
    model = _botocore_model()
    return {
        name: tuple(model["shapes"][operation["input"]["shape"]].get("required", ()))
        for name, operation in model["operations"].items()
        if "input" in operation
    }


def json_model_document() -> dict[str, Any]:
    """botocore's SQS model as SQS validates: without the attribute-name enums and without
    required members (SQS checks both itself, answering ``InvalidAttributeName`` and
    ``MissingParameter`` rather than ``ValidationException``), plus the errors it lacks."""
    model = _botocore_model()
    shapes = model["shapes"]
    for name in _OWN_ENUMS:
        shapes[name].pop("enum", None)
    for shape in shapes.values():
        shape.pop("required", None)
    for name, code in _UNMODELLED_ERRORS.items():
        shapes[name] = {
            "type": "structure",
            "members": {"message": {"shape": "ExceptionMessage"}},
            "error": {"code": code, "httpStatusCode": 400, "senderFault": True},
            "exception": True,
        }
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
    for shape, code in QUERY_ERROR_CODES.items():  # as the query-era model named them
        shapes[shape]["error"] = {**shapes[shape].get("error", {}), "code": code}
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

    def serialize_error(
        self, operation: str | None, error: AwsError, request_id: str = ""
    ) -> HttpResponse:
        message = QUERY_MESSAGES.get(error.code)
        if message is not None:
            error = AwsError(
                error.code,
                message,
                error.status,
                sender_fault=error.sender_fault,
                fields=error.fields,
                headers=error.headers,
            )
        return super().serialize_error(operation, error, request_id)


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
