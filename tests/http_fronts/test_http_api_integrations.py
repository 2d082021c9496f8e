"""HTTP APIs beyond the plain Lambda proxy: AWS_IAM routes (SigV4 for ``execute-api``, the
signer in the event: ``authorizer.iam`` in 2.0, ``identity`` in 1.0), parameter mapping
(``requestParameters`` on headers, query strings and the path; ``responseParameters`` by
status code), HTTP_PROXY integrations to a loopback server, the integrations that cannot
work here (private VPC links, AWS service integrations: 500), and custom domain names with
API mappings by ``Host``."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from aws_lambda_powertools.utilities.parser.models import (
    APIGatewayProxyEventModel,
    APIGatewayProxyEventV2Model,
)
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from lambdaport.testing.server import Server
from tests.conftest import MakeFunction
from tests.http_fronts.apis import Api, apigw, http_api
from tests.http_fronts.conftest import Answer, call

if TYPE_CHECKING:
    from mypy_boto3_lambda import LambdaClient

ECHO_EVENT = """
import json
def handler(event, context):
    return {"statusCode": 200, "headers": {"content-type": "application/json"},
            "body": json.dumps(event)}
"""
SIGNATURE_MISMATCH = (
    "The request signature we calculated does not match the signature you provided. Check "
    "your AWS Secret Access Key and signing method. Consult the service documentation for "
    "details."
)


def signed(url: str, access_key: str, secret: str = "test") -> Answer:
    request = AWSRequest(method="GET", url=url)
    SigV4Auth(Credentials(access_key, secret), "execute-api", "us-east-1").add_auth(request)
    return call(url, headers={k: str(v) for k, v in request.headers.items()})


def _iam_route(server: Server, api: Api, route_key: str) -> None:
    client = apigw(server.endpoint)
    route = next(
        r for r in client.get_routes(ApiId=api.api_id)["Items"] if r["RouteKey"] == route_key
    )
    client.update_route(ApiId=api.api_id, RouteId=route["RouteId"], AuthorizationType="AWS_IAM")


@pytest.mark.parametrize("payload", ["2.0", "1.0"])
def test_aws_iam_routes_want_an_execute_api_signature(
    server: Server, lambda_client: LambdaClient, make_function: MakeFunction, payload: str
) -> None:
    name = make_function(ECHO_EVENT)
    api = http_api(
        server.endpoint,
        server.port,
        name,
        ["GET /private", "GET /public"],
        payload=payload,
        lambda_client=lambda_client,
    )
    _iam_route(server, api, "GET /private")
    unsigned = call(api.url() + "private")
    assert (unsigned.status, unsigned.json()) == (403, {"message": "Forbidden"})
    forged = signed(api.url() + "private", "test", secret="not-the-secret")
    assert (forged.status, forged.json()) == (403, {"message": SIGNATURE_MISMATCH})
    assert call(api.url() + "public").status == 200  # other routes stay open
    answer = signed(api.url() + "private", "111122223333")
    assert answer.status == 200, answer.body
    event = answer.json()
    if payload == "2.0":
        APIGatewayProxyEventV2Model.model_validate(event)
        iam = event["requestContext"]["authorizer"]["iam"]
        assert (iam["accessKey"], iam["accountId"]) == ("111122223333", "111122223333")
        assert iam["userArn"] == "arn:aws:iam::111122223333:root"
    else:
        APIGatewayProxyEventModel.model_validate(event)
        identity = event["requestContext"]["identity"]
        assert (identity["accessKey"], identity["accountId"]) == ("111122223333", "111122223333")
        assert identity["userArn"] == "arn:aws:iam::111122223333:root"


def test_parameter_mapping_with_a_lambda_integration(
    server: Server, lambda_client: LambdaClient, make_function: MakeFunction
) -> None:
    name = make_function(ECHO_EVENT)
    api = http_api(
        server.endpoint,
        server.port,
        name,
        ["POST /items/{id}"],
        stages=("prod",),
        stage_variables={"color": "blue"},
        lambda_client=lambda_client,
    )
    apigw(server.endpoint).update_integration(
        ApiId=api.api_id,
        IntegrationId=api.integration_id,
        RequestParameters={
            "overwrite:header.x-from-query": "$request.querystring.q",
            "append:header.x-list": "added",
            "remove:header.x-secret": "''",
            "append:querystring.color": "$stageVariables.color",
            "overwrite:querystring.q": "replaced",
            "remove:querystring.drop": "''",
            "overwrite:header.x-body-name": "$request.body.name",
            "overwrite:header.x-mixed": "item-${request.path.id}-in-${context.stage}",
            "overwrite:path": "/moved/$request.path.id",
        },
        ResponseParameters={
            "200": {
                "overwrite:statuscode": "201",
                "append:header.x-request-id": "$context.requestId",
                "overwrite:header.x-echoed-path": "$response.body.rawPath",
            },
            "500": {"overwrite:statuscode": "599"},  # the gateway's own 500s are not mapped
        },
    )
    answer = call(
        api.url("prod") + "items/42?q=original&drop=1",
        "POST",
        b'{"name": "widget"}',
        {"x-list": "first", "x-secret": "hidden", "content-type": "application/json"},
    )
    assert answer.status == 201, answer.body
    event = answer.json()
    APIGatewayProxyEventV2Model.model_validate(event)
    headers = event["headers"]
    assert headers["x-from-query"] == "original"
    assert headers["x-list"] == "first,added"
    assert "x-secret" not in headers
    assert headers["x-body-name"] == "widget"
    assert headers["x-mixed"] == "item-42-in-prod"
    assert event["queryStringParameters"] == {"q": "replaced", "color": "blue"}
    assert event["rawPath"] == "/moved/42"
    assert event["routeKey"] == "POST /items/{id}"  # routed before the mapping
    assert answer.header("x-echoed-path") == "/moved/42"
    assert answer.header("x-request-id") == event["requestContext"]["requestId"]


def test_http_proxy_integrations(server: Server, backend: str, lambda_client: LambdaClient) -> None:
    client = apigw(server.endpoint)
    api_id = client.create_api(Name="proxy", ProtocolType="HTTP")["ApiId"]
    integration = client.create_integration(
        ApiId=api_id,
        IntegrationType="HTTP_PROXY",
        IntegrationMethod="ANY",
        IntegrationUri=f"{backend}/backend/{{proxy}}",
        PayloadFormatVersion="1.0",
        RequestParameters={"overwrite:header.x-custom": "$request.header.x-in"},
        ResponseParameters={"404": {"overwrite:statuscode": "200", "append:header.x-was": "404"}},
    )["IntegrationId"]
    client.create_route(
        ApiId=api_id, RouteKey="ANY /{proxy+}", Target=f"integrations/{integration}"
    )
    client.create_stage(ApiId=api_id, StageName="$default", AutoDeploy=True)
    url = f"http://{api_id}.execute-api.localhost:{server.port}/"
    answer = call(url + "a/b?x=1&y=2", "PUT", b"sent", {"x-in": "mapped"})
    assert answer.status == 200, answer.body
    assert answer.header("x-backend") == "yes"
    seen = answer.json()
    assert (seen["method"], seen["path"], seen["body"]) == ("PUT", "/backend/a/b?x=1&y=2", "sent")
    assert seen["header"] == "mapped"
    assert answer.header("x-seen-forwarded-for") == "127.0.0.1"
    missing = call(url + "missing")  # the backend's 404, mapped to a 200
    assert (missing.status, missing.header("x-was")) == (200, "404")
    assert missing.json()["path"] == "/backend/missing"
    teapot = call(url + "teapot")  # other statuses as the backend answered
    assert (teapot.status, teapot.header("x-was")) == (418, None)


def test_integrations_that_cannot_work_here_are_500(server: Server) -> None:
    client = apigw(server.endpoint)
    api_id = client.create_api(Name="private", ProtocolType="HTTP")["ApiId"]
    private = client.create_integration(
        ApiId=api_id,
        IntegrationType="HTTP_PROXY",
        IntegrationMethod="ANY",
        ConnectionType="VPC_LINK",
        ConnectionId="abc123",
        IntegrationUri="arn:aws:elasticloadbalancing:us-east-1:000000000000:listener/app/x/1/2",
        PayloadFormatVersion="1.0",
    )["IntegrationId"]
    client.create_route(ApiId=api_id, RouteKey="GET /private", Target=f"integrations/{private}")
    client.create_stage(ApiId=api_id, StageName="$default", AutoDeploy=True)
    answer = call(f"http://{api_id}.execute-api.localhost:{server.port}/private")
    assert (answer.status, answer.json()) == (500, {"message": "Internal Server Error"})


def test_custom_domain_names_by_host(
    server: Server, lambda_client: LambdaClient, make_function: MakeFunction
) -> None:
    name = make_function(ECHO_EVENT)
    api = http_api(
        server.endpoint,
        server.port,
        name,
        ["GET /items/{id}"],
        stages=("prod", "beta"),
        lambda_client=lambda_client,
    )
    client = apigw(server.endpoint)
    domain = "orders.localhost"
    client.create_domain_name(
        DomainName=domain,
        DomainNameConfigurations=[
            {"CertificateArn": "arn:aws:acm:us-east-1:000000000000:certificate/x"}
        ],
    )
    client.create_api_mapping(ApiId=api.api_id, DomainName=domain, Stage="prod", ApiMappingKey="v1")
    client.create_api_mapping(ApiId=api.api_id, DomainName=domain, Stage="beta", ApiMappingKey="")
    try:
        mapped = call(f"http://{domain}:{server.port}/v1/items/42")
        assert mapped.status == 200, mapped.body
        event = mapped.json()
        APIGatewayProxyEventV2Model.model_validate(event)
        assert event["requestContext"]["stage"] == "prod"
        assert (event["rawPath"], event["pathParameters"]) == ("/v1/items/42", {"id": "42"})
        assert event["requestContext"]["domainName"] == domain
        root = call(f"http://{domain}:{server.port}/items/7").json()  # the empty key
        assert (root["requestContext"]["stage"], root["pathParameters"]) == ("beta", {"id": "7"})
        assert call(f"http://{domain}:{server.port}/v1/nothing").status == 404
    finally:
        client.delete_domain_name(DomainName=domain)
    assert call(f"http://{domain}:{server.port}/v1/items/42").status != 200
