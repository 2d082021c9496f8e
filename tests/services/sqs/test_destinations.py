"""SQS as the target of asynchronous invocations: a function's dead-letter queue and an
OnFailure destination receive what AWS sends them."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from tests.conftest import MakeFunction
from tests.helpers import receive_messages
from tests.services.sqs.conftest import MakeQueue

if TYPE_CHECKING:
    from mypy_boto3_lambda import LambdaClient
    from mypy_boto3_sqs import SQSClient

FAILING = "def handler(event, context):\n    raise ValueError('no good')\n"


def _arn(sqs: SQSClient, url: str) -> str:
    return sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]


def _one_message(sqs: SQSClient, url: str) -> Any:
    return receive_messages(sqs, url, timeout=60)[0]


def test_dead_letter_queue_gets_the_event(
    sqs: SQSClient, make_queue: MakeQueue, make_function: MakeFunction, lambda_client: LambdaClient
) -> None:
    dlq = make_queue()
    name = make_function(FAILING, DeadLetterConfig={"TargetArn": _arn(sqs, dlq)})
    lambda_client.put_function_event_invoke_config(FunctionName=name, MaximumRetryAttempts=0)
    response = lambda_client.invoke(
        FunctionName=name, InvocationType="Event", Payload=b'{"order": 7}'
    )
    request_id = response["ResponseMetadata"]["RequestId"]
    message = _one_message(sqs, dlq)
    assert json.loads(message["Body"]) == {"order": 7}
    attributes = message["MessageAttributes"]
    assert attributes["RequestID"]["StringValue"] == request_id
    assert attributes["ErrorCode"]["DataType"] == "Number"
    assert "no good" in attributes["ErrorMessage"]["StringValue"]


def test_on_failure_destination_gets_the_record(
    sqs: SQSClient, make_queue: MakeQueue, make_function: MakeFunction, lambda_client: LambdaClient
) -> None:
    failures = make_queue()
    name = make_function(FAILING)
    lambda_client.put_function_event_invoke_config(
        FunctionName=name,
        MaximumRetryAttempts=0,
        DestinationConfig={"OnFailure": {"Destination": _arn(sqs, failures)}},
    )
    lambda_client.invoke(FunctionName=name, InvocationType="Event", Payload=b'{"n": 1}')
    record = json.loads(_one_message(sqs, failures)["Body"])
    assert record["requestPayload"] == {"n": 1}
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    assert record["responseContext"]["functionError"] == "Unhandled"
