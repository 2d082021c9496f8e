"""Who may call a REST API method (``http_fronts/rest``): API keys with usage plans, Lambda
authorizers (TOKEN and REQUEST: the policy evaluated against the method ARN, answers cached
for the TTL), Cognito user pool authorizers (the pool's tokens verified against its keys)
and request validators — each refusal with API Gateway's status and message."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import boto3
import orjson
import pytest
from aws_lambda_powertools.utilities.parser.models import (
    ApiGatewayAuthorizerRequest,
    ApiGatewayAuthorizerToken,
    APIGatewayProxyEventModel,
)
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from lambdaport.testing.server import Server
from tests.conftest import MakeFunction
from tests.helpers import REGION, client_options
from tests.http_fronts.conftest import call
from tests.http_fronts.rest.apis import ECHO_EVENT, RestApiBuilder, allow_api, lambda_uri, url

if TYPE_CHECKING:
    from mypy_boto3_lambda import LambdaClient

# Allows the token "allow" (for every method of the API) and "scoped" (GET /pets only),
# denies "deny", refuses anything else; counts its runs in the warm environment, returns the
# event it saw in the context so the test can check it.
AUTHORIZER = """
import json
runs = 0

def handler(event, context):
    global runs
    runs += 1
    token = event.get("authorizationToken") or event["headers"].get("auth")
    if token not in ("allow", "scoped", "deny"):
        raise Exception("Unauthorized")
    arn = event["methodArn"]
    api = arn.split("/")[0]
    resource = f"{api}/*/GET/pets" if token == "scoped" else f"{api}/*"
    return {
        "principalId": "user-1",
        "policyDocument": {"Version": "2012-10-17", "Statement": [
            {"Action": "execute-api:Invoke", "Effect": "Deny" if token == "deny" else "Allow",
             "Resource": resource}]},
        "context": {"runs": runs, "event": json.dumps(event)},
        "usageIdentifierKey": event.get("headers", {}).get("key-from-authorizer"),
    }
"""


def authorized_api(
    apigateway: Any,
    lambda_client: LambdaClient,
    make_function: MakeFunction,
    kind: str,
    ttl: int,
    source: str,
) -> RestApiBuilder:
    echo = make_function(ECHO_EVENT)
    authorizer_fn = make_function(AUTHORIZER)
    api = RestApiBuilder(apigateway)
    authorizer = apigateway.create_authorizer(
        restApiId=api.id, name="auth", type=kind, authorizerUri=lambda_uri(authorizer_fn),
        identitySource=source, authorizerResultTtlInSeconds=ttl,
    )  # fmt: skip
    for path in ("/pets", "/toys"):
        api.proxy(path, echo, "GET", authorizationType="CUSTOM", authorizerId=authorizer["id"])
    api.deploy()
    allow_api(lambda_client, echo, api.id)
    allow_api(lambda_client, authorizer_fn, api.id)
    return api


def test_a_token_authorizer_decides_and_is_cached(
    apigateway: Any, lambda_client: LambdaClient, make_function: MakeFunction, server: Server
) -> None:
    api = authorized_api(
        apigateway,
        lambda_client,
        make_function,
        "TOKEN",
        300,
        "method.request.header.Authorization",
    )
    pets = url(server.endpoint, api.id, "dev", "/pets")
    first = call(pets, headers={"Authorization": "allow"})
    assert first.status == 200, first.body
    event = first.json()
    APIGatewayProxyEventModel.model_validate(event)
    authorizer = event["requestContext"]["authorizer"]
    assert authorizer["principalId"] == "user-1"
    seen = orjson.loads(authorizer["event"])
    token = ApiGatewayAuthorizerToken.model_validate(seen)
    assert token.methodArn.endswith(f"{api.id}/dev/GET/pets")
    assert token.authorizationToken == "allow"
    runs = authorizer["runs"]
    # Within the TTL the answer is reused: the function did not run again.
    again = call(url(server.endpoint, api.id, "dev", "/toys"), headers={"Authorization": "allow"})
    assert again.json()["requestContext"]["authorizer"]["runs"] == runs

    missing = call(pets)
    assert (missing.status, missing.json()) == (401, {"message": "Unauthorized"})
    refused = call(pets, headers={"Authorization": "who"})
    assert (refused.status, refused.json()) == (401, {"message": "Unauthorized"})
    denied = call(pets, headers={"Authorization": "deny"})
    assert (denied.status, denied.json()) == (
        403,
        {"message": "User is not authorized to access this resource with an explicit deny"},
    )
    # The cached policy allows GET /pets only: another resource is an implicit deny.
    assert call(pets, headers={"Authorization": "scoped"}).status == 200
    toys = call(url(server.endpoint, api.id, "dev", "/toys"), headers={"Authorization": "scoped"})
    assert (toys.status, toys.json()) == (
        403,
        {"message": "User is not authorized to access this resource"},
    )


def test_a_request_authorizer_without_cache_runs_every_time(
    apigateway: Any, lambda_client: LambdaClient, make_function: MakeFunction, server: Server
) -> None:
    api = authorized_api(
        apigateway, lambda_client, make_function, "REQUEST", 0,
        "method.request.header.auth, method.request.querystring.tenant",
    )  # fmt: skip
    pets = url(server.endpoint, api.id, "dev", "/pets?tenant=t1")
    first = call(pets, headers={"auth": "allow"})
    assert first.status == 200, first.body
    context = first.json()["requestContext"]["authorizer"]
    seen = ApiGatewayAuthorizerRequest.model_validate(orjson.loads(context["event"]))
    assert seen.queryStringParameters == {"tenant": "t1"}
    assert seen.methodArn.endswith("/dev/GET/pets")
    second = call(pets, headers={"auth": "allow"})
    assert second.json()["requestContext"]["authorizer"]["runs"] == context["runs"] + 1
    # An identity source missing: 401 without a call.
    lacking = call(url(server.endpoint, api.id, "dev", "/pets"), headers={"auth": "allow"})
    assert (lacking.status, lacking.json()) == (401, {"message": "Unauthorized"})


def test_an_authorizer_answer_without_policy_is_500(
    apigateway: Any, lambda_client: LambdaClient, make_function: MakeFunction, server: Server
) -> None:
    echo = make_function(ECHO_EVENT)
    broken = make_function("def handler(event, context):\n    return {'principalId': 'x'}\n")
    api = RestApiBuilder(apigateway)
    authorizer = apigateway.create_authorizer(
        restApiId=api.id, name="broken", type="TOKEN", authorizerUri=lambda_uri(broken),
        identitySource="method.request.header.Authorization",
    )  # fmt: skip
    api.proxy("/x", echo, "GET", authorizationType="CUSTOM", authorizerId=authorizer["id"])
    api.deploy()
    allow_api(lambda_client, echo, api.id)
    allow_api(lambda_client, broken, api.id)
    answer = call(url(server.endpoint, api.id, "dev", "/x"), headers={"Authorization": "t"})
    assert (answer.status, answer.json()) == (500, {"message": None})
    assert answer.header("x-amzn-errortype") == "AuthorizerConfigurationException"


def test_api_keys_and_usage_plans(
    apigateway: Any, lambda_client: LambdaClient, make_function: MakeFunction, server: Server
) -> None:
    echo = make_function(ECHO_EVENT)
    api = RestApiBuilder(apigateway)
    api.proxy("/paid", echo, "GET", apiKeyRequired=True)
    api.proxy("/free", echo, "GET")
    api.deploy()
    allow_api(lambda_client, echo, api.id)
    value = f"key-{uuid.uuid4().hex}"
    key = apigateway.create_api_key(name="k", enabled=True, value=value)
    paid = url(server.endpoint, api.id, "dev", "/paid")

    assert (call(paid).status, call(paid).json()) == (403, {"message": "Forbidden"})
    # A key in no usage plan of the stage is refused too.
    assert call(paid, headers={"x-api-key": value}).status == 403
    plan = apigateway.create_usage_plan(name="p", apiStages=[{"apiId": api.id, "stage": "dev"}])
    apigateway.create_usage_plan_key(usagePlanId=plan["id"], keyId=key["id"], keyType="API_KEY")
    answer = call(paid, headers={"x-api-key": value})
    assert answer.status == 200, answer.body
    identity = answer.json()["requestContext"]["identity"]
    assert (identity["apiKey"], identity["apiKeyId"]) == (value, key["id"])
    assert call(paid, headers={"x-api-key": "wrong"}).status == 403
    assert call(url(server.endpoint, api.id, "dev", "/free")).status == 200
    apigateway.update_api_key(
        apiKey=key["id"], patchOperations=[{"op": "replace", "path": "/enabled", "value": "false"}]
    )
    assert call(paid, headers={"x-api-key": value}).status == 403


def test_request_validators(
    apigateway: Any, lambda_client: LambdaClient, make_function: MakeFunction, server: Server
) -> None:
    echo = make_function(ECHO_EVENT)
    api = RestApiBuilder(apigateway)
    apigateway.create_model(
        restApiId=api.id, name="Pet", contentType="application/json",
        schema=orjson.dumps({
            "$schema": "http://json-schema.org/draft-04/schema#", "type": "object",
            "required": ["name"], "properties": {"name": {"type": "string"}},
        }).decode(),
    )  # fmt: skip
    validator = apigateway.create_request_validator(
        restApiId=api.id, name="all", validateRequestBody=True, validateRequestParameters=True
    )
    api.proxy(
        "/pets", echo, "POST", requestValidatorId=validator["id"],
        requestParameters={"method.request.querystring.owner": True,
                           "method.request.header.x-trace": True},
        requestModels={"application/json": "Pet"},
    )  # fmt: skip
    api.deploy()
    allow_api(lambda_client, echo, api.id)
    pets = url(server.endpoint, api.id, "dev", "/pets")
    json_type = {"content-type": "application/json"}
    missing = call(pets, "POST", b'{"name": "rex"}', json_type)
    assert (missing.status, missing.json()) == (
        400,
        {"message": "Missing required request parameters: [owner, x-trace]"},
    )
    headers = {**json_type, "x-trace": "1"}
    bad = call(pets + "?owner=me", "POST", b'{"name": 3}', headers)
    assert (bad.status, bad.json()) == (400, {"message": "Invalid request body"})
    good = call(pets + "?owner=me", "POST", b'{"name": "rex"}', headers)
    assert good.status == 200, good.body


@pytest.fixture
def cognito(server: Server) -> Any:
    return boto3.client("cognito-idp", **client_options(server.endpoint))


def test_a_cognito_user_pool_authorizer_verifies_the_pools_tokens(
    apigateway: Any,
    cognito: Any,
    lambda_client: LambdaClient,
    make_function: MakeFunction,
    server: Server,
) -> None:
    pool = cognito.create_user_pool(PoolName=f"p-{uuid.uuid4().hex[:6]}")["UserPool"]
    client = cognito.create_user_pool_client(
        UserPoolId=pool["Id"], ClientName="app", ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"]
    )["UserPoolClient"]
    cognito.admin_create_user(UserPoolId=pool["Id"], Username="ana")
    cognito.admin_set_user_password(
        UserPoolId=pool["Id"], Username="ana", Password="Correct-Horse-9", Permanent=True
    )
    tokens = cognito.initiate_auth(
        ClientId=client["ClientId"], AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "ana", "PASSWORD": "Correct-Horse-9"},
    )["AuthenticationResult"]  # fmt: skip

    echo = make_function(ECHO_EVENT)
    api = RestApiBuilder(apigateway)
    authorizer = apigateway.create_authorizer(
        restApiId=api.id, name="pool", type="COGNITO_USER_POOLS", providerARNs=[pool["Arn"]],
        identitySource="method.request.header.Authorization",
    )  # fmt: skip
    api.proxy(
        "/me", echo, "GET", authorizationType="COGNITO_USER_POOLS", authorizerId=authorizer["id"]
    )
    api.deploy()
    allow_api(lambda_client, echo, api.id)
    me = url(server.endpoint, api.id, "dev", "/me")
    answer = call(me, headers={"Authorization": tokens["IdToken"]})
    assert answer.status == 200, answer.body
    claims = answer.json()["requestContext"]["authorizer"]["claims"]
    assert claims["cognito:username"] == "ana"
    assert claims["token_use"] == "id"
    assert call(me).status == 401
    forged = tokens["IdToken"][:-4] + ("AAAA" if not tokens["IdToken"].endswith("AAAA") else "BBBB")
    assert (call(me, headers={"Authorization": forged}).status, call(me).json()) == (
        401,
        {"message": "Unauthorized"},
    )


def test_aws_iam_methods_take_signed_requests_only(
    apigateway: Any, lambda_client: LambdaClient, make_function: MakeFunction, server: Server
) -> None:
    echo = make_function(ECHO_EVENT)
    api = RestApiBuilder(apigateway)
    api.proxy("/private", echo, "GET", authorizationType="AWS_IAM")
    api.deploy()
    allow_api(lambda_client, echo, api.id)
    target = url(server.endpoint, api.id, "dev", "/private")
    unsigned = call(target)
    assert (unsigned.status, unsigned.json()) == (403, {"message": "Missing Authentication Token"})
    request = AWSRequest("GET", target, headers={"Host": urlsplit(target).netloc})
    SigV4Auth(Credentials("111122223333", "test"), "execute-api", REGION).add_auth(request)
    headers = dict(request.headers.items())
    signed = call(target, headers=headers)
    assert signed.status == 200, signed.body
    identity = signed.json()["requestContext"]["identity"]
    assert (identity["accessKey"], identity["accountId"]) == ("111122223333", "111122223333")
    forged = {**headers, "Authorization": headers["Authorization"][:-4] + "0000"}
    refused = call(target, headers=forged)
    assert refused.status == 403
    assert refused.header("x-amzn-errortype") == "InvalidSignatureException"


def test_usage_plans_throttle_and_count_quotas(
    apigateway: Any, lambda_client: LambdaClient, make_function: MakeFunction, server: Server
) -> None:
    echo = make_function(ECHO_EVENT)
    api = RestApiBuilder(apigateway)
    api.proxy("/metered", echo, "GET", apiKeyRequired=True)
    api.deploy()
    allow_api(lambda_client, echo, api.id)
    metered = url(server.endpoint, api.id, "dev", "/metered")
    stages = [{"apiId": api.id, "stage": "dev"}]

    quota_key = f"quota-{uuid.uuid4().hex}"
    key = apigateway.create_api_key(name="q", enabled=True, value=quota_key)
    plan = apigateway.create_usage_plan(
        name="two-a-day", apiStages=stages, quota={"limit": 2, "period": "DAY"}
    )
    apigateway.create_usage_plan_key(usagePlanId=plan["id"], keyId=key["id"], keyType="API_KEY")
    statuses = [call(metered, headers={"x-api-key": quota_key}).status for _ in range(3)]
    assert statuses == [200, 200, 429]
    over = call(metered, headers={"x-api-key": quota_key})
    assert over.json() == {"message": "Limit Exceeded"}

    # A burst of one refilled once in 1000 s: the second request at once is throttled.
    burst_key = f"burst-{uuid.uuid4().hex}"
    key = apigateway.create_api_key(name="b", enabled=True, value=burst_key)
    plan = apigateway.create_usage_plan(
        name="slow", apiStages=stages, throttle={"rateLimit": 0.001, "burstLimit": 1}
    )
    apigateway.create_usage_plan_key(usagePlanId=plan["id"], keyId=key["id"], keyType="API_KEY")
    assert call(metered, headers={"x-api-key": burst_key}).status == 200
    throttled = call(metered, headers={"x-api-key": burst_key})
    assert (throttled.status, throttled.json()) == (429, {"message": "Too Many Requests"})
