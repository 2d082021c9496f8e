"""Which AWS services that invoke Lambda functions work here, and which do not yet.

The README's "What works and what does not yet" table is :func:`markdown_table` exactly
(``python -m lambdaport.triggers_status`` prints it); ``tests/integration/test_triggers_status.py``
compares the two and checks each row's claim against the code: a row that works names the
module that invokes functions (and has a test), a control-plane row names the botocore clients
the moto tail serves, and a row waiting for a Lambda operation gets 501 for it from a server.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class State(enum.Enum):
    WORKS = "works"
    CONTROL_PLANE = "control plane only, via moto"
    NOT_YET = "not yet"


ESM = "CreateEventSourceMapping"


@dataclass(frozen=True)
class TriggerStatus:
    """One service that invokes functions on AWS, as it stands here."""

    service: str  # in AWS's words
    state: State
    note: str
    clients: tuple[str, ...] = ()  # botocore clients of the service's API served here
    module: str | None = None  # WORKS: the module that invokes the function
    operation: str | None = None  # the Lambda operation the trigger waits for (501 today)


TRIGGERS: tuple[TriggerStatus, ...] = (
    TriggerStatus(
        "Alexa",
        State.NOT_YET,
        "nothing here sends Alexa Skills Kit or Smart Home requests",
    ),
    TriggerStatus(
        "Amazon MSK and self-managed Apache Kafka",
        State.CONTROL_PLANE,
        "MSK clusters via moto; no event source mappings yet",
        ("kafka",),
        operation=ESM,
    ),
    TriggerStatus(
        "Amazon API Gateway (REST APIs)",
        State.WORKS,
        "Lambda proxy (1.0) and custom (VTL) integrations, HTTP, HTTP_PROXY and MOCK; "
        "authorizers (TOKEN, REQUEST, Cognito), API keys, validators, custom domains; "
        "the control plane is moto's, extended (OpenAPI import and export)",
        module="lambdaport.http_fronts.rest.integrations",
    ),
    TriggerStatus(
        "Amazon API Gateway (HTTP and WebSocket APIs)",
        State.WORKS,
        "HTTP APIs: routes, Lambda proxy integrations (payload 2.0 and 1.0), JWT and Lambda "
        "authorizers, CORS, stages (the control plane is moto's); WebSocket APIs: control "
        "plane only, via moto",
        module="lambdaport.http_fronts.http_apis",
    ),
    TriggerStatus(
        "AWS CloudFormation",
        State.WORKS,
        "custom resources invoke functions (or SNS topics) with AWS's request and wait for the "
        "response PUT to their ResponseURL; stacks (SAM templates too) are lambdaport's own",
        ("cloudformation",),
        module="lambdaport.services.cloudformation.custom_resources",
    ),
    TriggerStatus(
        "Amazon CloudFront (Lambda@Edge)",
        State.CONTROL_PLANE,
        "distributions are kept; nothing serves edge requests",
        ("cloudfront",),
    ),
    TriggerStatus(
        "Amazon CloudWatch Logs",
        State.WORKS,
        "subscription filters invoke functions with AWS's `awslogs` payload",
        ("logs",),
        module="lambdaport.services.logs.subscriptions",
    ),
    TriggerStatus(
        "AWS CodeCommit",
        State.CONTROL_PLANE,
        "repository triggers do not invoke functions",
        ("codecommit",),
    ),
    TriggerStatus(
        "AWS CodePipeline",
        State.CONTROL_PLANE,
        "pipelines are kept, not run",
        ("codepipeline",),
    ),
    TriggerStatus(
        "Amazon Cognito",
        State.CONTROL_PLANE,
        "PreSignUp is invoked (a failing function refuses the sign-up); the other user pool "
        "triggers are kept, not invoked",
        ("cognito-idp", "cognito-identity"),
    ),
    TriggerStatus(
        "AWS Config",
        State.CONTROL_PLANE,
        "custom rules do not invoke functions",
        ("config",),
    ),
    TriggerStatus(
        "Amazon Connect",
        State.CONTROL_PLANE,
        "contact flows do not invoke functions",
        ("connect",),
    ),
    TriggerStatus(
        "Amazon DynamoDB (Streams)",
        State.WORKS,
        "tables via moto; their streams are lambdaport's own (durable); event source "
        "mappings with every stream parameter (as Kinesis's), DDBStreamBatchInfo on failure",
        ("dynamodbstreams",),
        module="lambdaport.esm.streams",
    ),
    TriggerStatus(
        "Amazon EFS",
        State.CONTROL_PLANE,
        "file systems via moto; functions do not mount them",
        ("efs",),
    ),
    TriggerStatus(
        "Elastic Load Balancing (Application Load Balancer)",
        State.CONTROL_PLANE,
        "Lambda targets are registered; requests are not forwarded to them",
        ("elbv2",),
    ),
    TriggerStatus(
        "AWS IoT",
        State.CONTROL_PLANE,
        "topic rules do not invoke functions",
        ("iot", "iot-data"),
    ),
    TriggerStatus(
        "Amazon Kinesis Data Streams",
        State.WORKS,
        "streams are lambdaport's own (durable); event source mappings: starting positions, "
        "checkpoints, batching, filters, retries, bisection, partial batch responses, "
        "parallelization, resharding, tumbling windows, on-failure destinations",
        ("kinesis",),
        module="lambdaport.esm.streams",
    ),
    TriggerStatus(
        "Amazon Data Firehose",
        State.CONTROL_PLANE,
        "transformation functions are not invoked",
        ("firehose",),
    ),
    TriggerStatus(
        "Amazon Lex",
        State.CONTROL_PLANE,
        "Lex V2 bots via moto; code hooks do not invoke functions",
        ("lexv2-models",),
    ),
    TriggerStatus(
        "Amazon MQ",
        State.CONTROL_PLANE,
        "brokers via moto; no event source mappings yet",
        ("mq",),
        operation=ESM,
    ),
    TriggerStatus(
        "Amazon SES",
        State.CONTROL_PLANE,
        "receipt rules do not invoke functions",
        ("ses", "sesv2"),
    ),
    TriggerStatus(
        "Amazon SNS",
        State.WORKS,
        "`lambda` subscriptions with AWS's record, filter policies and retries",
        ("sns",),
        module="lambdaport.services.sns.delivery",
    ),
    TriggerStatus(
        "Amazon SQS",
        State.WORKS,
        "event source mappings on lambdaport's own queues (standard and FIFO): batching, "
        "filters, partial batch responses, redrive, scaling",
        ("sqs",),
        module="lambdaport.esm.poller",
    ),
    TriggerStatus(
        "Amazon S3",
        State.WORKS,
        "bucket notifications invoke functions with AWS's event records",
        ("s3",),
        module="lambdaport.services.s3.triggers",
    ),
    TriggerStatus(
        "Amazon S3 Batch Operations",
        State.NOT_YET,
        "S3 Control, where batch jobs are created, is not served",
    ),
    TriggerStatus(
        "AWS Secrets Manager",
        State.CONTROL_PLANE,
        "rotation functions are not invoked",
        ("secretsmanager",),
    ),
    TriggerStatus(
        "Amazon VPC Lattice",
        State.CONTROL_PLANE,
        "Lambda targets are not invoked",
        ("vpc-lattice",),
    ),
    TriggerStatus(
        "AWS X-Ray",
        State.CONTROL_PLANE,
        "the API via moto; invocations are not traced",
        ("xray",),
    ),
    TriggerStatus(
        "Lambda function URLs",
        State.WORKS,
        "URLs on `$LATEST` or an alias, NONE and AWS_IAM, CORS, payload 2.0; streamed answers "
        "are sent once the function returns",
        ("lambda",),
        module="lambdaport.http_fronts.function_urls",
    ),
    TriggerStatus(
        "Amazon EventBridge",
        State.CONTROL_PLANE,
        "rules and targets are kept; events invoke no function; as an async destination it fails",
        ("events",),
    ),
)


def markdown_table() -> str:
    """The README's table, one row per :data:`TRIGGERS` entry in order."""
    lines = ["| service | state | |", "|---|---|---|"]
    lines += [f"| {t.service} | {t.state.value} | {t.note} |" for t in TRIGGERS]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(markdown_table(), end="")
