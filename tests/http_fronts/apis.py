"""Building HTTP APIs for the tests with boto3's apigatewayv2 client (moto's control
plane): an API with Lambda proxy routes, its stage, and the permission API Gateway needs."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import boto3

from lambdaport.testing.aws import client_options

if TYPE_CHECKING:
    from mypy_boto3_lambda import LambdaClient


def apigw(endpoint: str) -> Any:
    return boto3.client("apigatewayv2", **client_options(endpoint))


@dataclass(frozen=True)
class Api:
    api_id: str
    integration_id: str
    port: int

    def url(self, stage: str = "$default") -> str:
        tail = "" if stage == "$default" else f"{stage}/"
        return f"http://{self.api_id}.execute-api.localhost:{self.port}/{tail}"


def function_arn(name: str) -> str:
    return f"arn:aws:lambda:us-east-1:000000000000:function:{name}"


def allow_api(client: LambdaClient, function: str, api_id: str, path: str = "*") -> None:
    client.add_permission(
        FunctionName=function,
        StatementId=f"apigw-{uuid.uuid4().hex[:8]}",
        Action="lambda:InvokeFunction",
        Principal="apigateway.amazonaws.com",
        SourceArn=f"arn:aws:execute-api:us-east-1:000000000000:{api_id}/{path}",
    )


def http_api(
    endpoint: str,
    port: int,
    function: str,
    routes: Sequence[str] = ("$default",),
    *,
    payload: str = "2.0",
    stages: Sequence[str] = ("$default",),
    stage_variables: dict[str, str] | None = None,
    cors: dict[str, Any] | None = None,
    timeout_ms: int | None = None,
    lambda_client: LambdaClient | None = None,
) -> Api:
    """An HTTP API whose ``routes`` all go to ``function`` (a Lambda proxy integration),
    with ``stages``; API Gateway's permission added when ``lambda_client`` is given."""
    client = apigw(endpoint)
    extra: dict[str, Any] = {} if cors is None else {"CorsConfiguration": cors}
    api_id = client.create_api(Name=f"api-{uuid.uuid4().hex[:6]}", ProtocolType="HTTP", **extra)[
        "ApiId"
    ]
    options: dict[str, Any] = {} if timeout_ms is None else {"TimeoutInMillis": timeout_ms}
    integration = client.create_integration(
        ApiId=api_id,
        IntegrationType="AWS_PROXY",
        IntegrationUri=function_arn(function),
        PayloadFormatVersion=payload,
        **options,
    )["IntegrationId"]
    for key in routes:
        client.create_route(ApiId=api_id, RouteKey=key, Target=f"integrations/{integration}")
    for stage in stages:
        client.create_stage(
            ApiId=api_id,
            StageName=stage,
            AutoDeploy=True,
            StageVariables=stage_variables or {},
        )
    if lambda_client is not None:
        allow_api(lambda_client, function, api_id)
    return Api(api_id, integration, port)
