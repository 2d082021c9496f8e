"""Building REST APIs for the data-plane tests through the control plane (boto3), and their
addresses here."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from tests.helpers import ACCOUNT, REGION, allow_invoke

if TYPE_CHECKING:
    from mypy_boto3_lambda import LambdaClient

# A proxy function that answers with the event it received (and a repeated header).
ECHO_EVENT = """
import json

def handler(event, context):
    return {
        "statusCode": 200,
        "headers": {"content-type": "application/json", "x-single": "one"},
        "multiValueHeaders": {"x-multi": ["a", "b"]},
        "body": json.dumps(event),
    }
"""


def function_arn(name: str) -> str:
    return f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}"


def lambda_uri(function: str) -> str:
    return (
        f"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/"
        f"{function_arn(function)}/invocations"
    )


def allow_api(client: LambdaClient, function: str, api_id: str) -> None:
    """The statement a console adds: API Gateway may invoke the function for any method of
    the API."""
    source = f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{api_id}/*"
    allow_invoke(client, function, "apigateway.amazonaws.com", source)


def url(endpoint: str, api_id: str, stage: str, path: str = "/") -> str:
    port = endpoint.rsplit(":", 1)[1].rstrip("/")
    return f"http://{api_id}.execute-api.localhost:{port}/{stage}{path}"


def path_url(endpoint: str, api_id: str, stage: str, path: str = "/") -> str:
    return f"{endpoint.rstrip('/')}/_aws/execute-api/{api_id}/{stage}{path}"


class RestApiBuilder:
    """A REST API made resource by resource, as a client makes one."""

    def __init__(self, apigateway: Any, name: str | None = None, **settings: Any) -> None:
        self.client = apigateway
        api = apigateway.create_rest_api(name=name or f"api-{uuid.uuid4().hex[:8]}", **settings)
        self.id: str = api["id"]
        self._ids: dict[str, str] = {"/": api["rootResourceId"]}

    def resource(self, path: str) -> str:
        if path in self._ids:
            return self._ids[path]
        parent, _, part = path.rstrip("/").rpartition("/")
        parent_id = self.resource(parent or "/")
        created = self.client.create_resource(restApiId=self.id, parentId=parent_id, pathPart=part)
        self._ids[path] = created["id"]
        return str(created["id"])

    def method(self, path: str, verb: str = "ANY", **settings: Any) -> dict[str, str]:
        where = {"restApiId": self.id, "resourceId": self.resource(path), "httpMethod": verb}
        settings.setdefault("authorizationType", "NONE")
        self.client.put_method(**where, **settings)
        return where

    def proxy(self, path: str, function: str, verb: str = "ANY", **settings: Any) -> None:
        timeout = settings.pop("timeoutInMillis", None)
        where = self.method(path, verb, **settings)
        extra = {} if timeout is None else {"timeoutInMillis": timeout}
        self.client.put_integration(
            **where, type="AWS_PROXY", integrationHttpMethod="POST", uri=lambda_uri(function),
            **extra,
        )  # fmt: skip

    def deploy(self, stage: str = "dev", variables: dict[str, str] | None = None) -> str:
        self.client.create_deployment(restApiId=self.id, stageName=stage, variables=variables or {})
        return stage
