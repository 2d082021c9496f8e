"""DynamoDB Streams on the wire: botocore's ``json`` protocol (``X-Amz-Target:
DynamoDBStreams_20120810.*``, ``application/x-amz-json-1.0``), signed as ``dynamodb``."""

from __future__ import annotations

from lambdaport.protocol import JsonProtocol, load_service_model


class DynamoDBStreamsProtocol(JsonProtocol):
    def __init__(self) -> None:
        super().__init__(load_service_model("dynamodbstreams"))
