"""What the model says about a service's errors: wire codes, message keys, header members."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class ErrorShape:
    name: str  # the shape name, which is the code json/rest protocols put on the wire
    query_code: str  # the awsQuery error code (``AWS.SimpleQueueService.NonExistentQueue``)
    message_key: str  # "message" or "Message", as the shape spells it
    header_members: tuple[tuple[str, str], ...]  # (member name, header name)
    sender_fault: bool


def _message_key(shape: Any) -> str:
    members = shape.members
    if "message" in members:
        return "message"
    if "Message" in members:
        return "Message"
    return "message"


def index_error_shapes(
    service_model: Any, query_codes: Mapping[str, str] | None = None
) -> dict[str, ErrorShape]:
    """Error shapes by shape name and, where different, by query error code.

    ``query_codes`` supplies awsQuery codes a model no longer carries (botocore's current SQS
    model dropped ``AWS.SimpleQueueService.NonExistentQueue`` and friends); the service
    that knows them passes them in.
    """
    overrides = query_codes or {}
    index: dict[str, ErrorShape] = {}
    for shape in service_model.error_shapes:
        error = shape.metadata.get("error", {})
        headers = tuple(
            (name, str(member.serialization.get("name", name)))
            for name, member in shape.members.items()
            if member.serialization.get("location") == "header"
        )
        info = ErrorShape(
            name=shape.name,
            query_code=overrides.get(shape.name) or str(error.get("code", shape.name)),
            message_key=_message_key(shape),
            header_members=headers,
            sender_fault=bool(error.get("senderFault", False)),
        )
        index[shape.name] = info
        index.setdefault(info.query_code, info)
    return index


def default_error_shape(code: str) -> ErrorShape:
    return ErrorShape(code, code, "message", (), True)
