"""Kinesis on the wire: botocore's ``json`` protocol (``X-Amz-Target: Kinesis_20131202.*``,
``application/x-amz-json-1.1``), which boto3 and the AWS CLI v1 and v2 send. CBOR
(``application/x-amz-cbor-1.1``, the AWS SDK for Java's and the KPL's default) is refused
with an error that says how to turn it off in the client."""

from __future__ import annotations

from typing import Any

from lambdaport.errors import AwsError
from lambdaport.protocol import JsonProtocol, load_service_model
from lambdaport.protocol.base import HttpRequest

CBOR = "application/x-amz-cbor-1.1"
CBOR_REFUSED = (
    "lambdaport's Kinesis reads JSON (application/x-amz-json-1.1), not CBOR: turn CBOR off in "
    "the client (the AWS SDK for Java and the KPL/KCL: AWS_CBOR_DISABLE=true or "
    "-Dcom.amazonaws.sdk.disableCbor=true)."
)


class KinesisProtocol(JsonProtocol):
    def __init__(self) -> None:
        super().__init__(load_service_model("kinesis"))

    def parse(self, request: HttpRequest, validate: bool = True) -> tuple[str, dict[str, Any]]:
        if request.headers.get("content-type", "").startswith(CBOR):
            raise AwsError("SerializationException", CBOR_REFUSED, 400)
        return super().parse(request, validate)
