"""HTTP API authorizers: JWT (a Cognito user pool's tokens from moto, and a key set served
by an issuer of the test's own), and Lambda REQUEST authorizers (simple responses and IAM
policies, identity sources, caching), with what the integration's event then carries."""

from __future__ import annotations

import base64
import http.server
import json
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
import orjson
import pytest
from aws_lambda_powertools.utilities.parser.models import APIGatewayProxyEventV2Model
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from lambdaport.testing.aws import client_options
from lambdaport.testing.server import Server
from tests.conftest import MakeFunction
from tests.helpers import ECHO
from tests.http_fronts.apis import Api, allow_api, apigw, function_arn, http_api
from tests.http_fronts.conftest import call

if TYPE_CHECKING:
    from mypy_boto3_lambda import LambdaClient


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def authorized_route(
    endpoint: str, api: Api, route_key: str, authorizer_id: str, kind: str, scopes: list[str]
) -> None:
    apigw(endpoint).create_route(
        ApiId=api.api_id,
        RouteKey=route_key,
        Target=f"integrations/{api.integration_id}",
        AuthorizationType=kind,
        AuthorizerId=authorizer_id,
        AuthorizationScopes=scopes,
    )


# -- JWT: Cognito -----------------------------------------------------------------------------


def test_jwt_authorizer_with_a_cognito_user_pool(
    server: Server, lambda_client: LambdaClient, make_function: MakeFunction
) -> None:
    cognito: Any = boto3.client("cognito-idp", **client_options(server.endpoint))
    pool = cognito.create_user_pool(PoolName=f"pool-{uuid.uuid4().hex[:6]}")["UserPool"]["Id"]
    client_id = cognito.create_user_pool_client(
        UserPoolId=pool, ClientName="web", ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"]
    )["UserPoolClient"]["ClientId"]
    cognito.admin_create_user(UserPoolId=pool, Username="alice")
    cognito.admin_set_user_password(
        UserPoolId=pool, Username="alice", Password="Secret-Passw0rd!", Permanent=True
    )
    tokens = cognito.initiate_auth(
        ClientId=client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "alice", "PASSWORD": "Secret-Passw0rd!"},
    )["AuthenticationResult"]
    name = make_function(ECHO)
    api = http_api(server.endpoint, server.port, name, (), lambda_client=lambda_client)
    authorizer = apigw(server.endpoint).create_authorizer(
        ApiId=api.api_id,
        AuthorizerType="JWT",
        IdentitySource=["$request.header.Authorization"],
        JwtConfiguration={
            "Audience": [client_id],
            "Issuer": f"https://cognito-idp.us-east-1.amazonaws.com/{pool}",
        },
        Name="cognito",
    )["AuthorizerId"]
    authorized_route(server.endpoint, api, "GET /me", authorizer, "JWT", [])
    assert call(api.url() + "me").status == 401
    bad = call(api.url() + "me", headers={"Authorization": "Bearer not.a.token"})
    assert (bad.status, bad.json()) == (401, {"message": "Unauthorized"})
    for token in (tokens["IdToken"], tokens["AccessToken"]):
        answer = call(api.url() + "me", headers={"Authorization": f"Bearer {token}"})
        assert answer.status == 200, answer.body
        event = answer.json()
        APIGatewayProxyEventV2Model.model_validate(event)
        claims = event["requestContext"]["authorizer"]["jwt"]["claims"]
        assert claims["iss"].endswith(pool)
        assert claims["token_use"] in ("id", "access")
    # Another app client's audience is refused.
    apigw(server.endpoint).update_authorizer(
        ApiId=api.api_id, AuthorizerId=authorizer, JwtConfiguration={"Audience": ["other"]}
    )
    refused = call(api.url() + "me", headers={"Authorization": tokens["IdToken"]})
    assert refused.status == 401


# -- JWT: an issuer of our own -----------------------------------------------------------------


class Issuer:
    """An OpenID issuer on loopback: discovery, a key set, and tokens signed with its key."""

    def __init__(self) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        numbers = self.key.public_key().public_numbers()
        jwk = {
            "kty": "RSA",
            "kid": "k1",
            "alg": "RS256",
            "use": "sig",
            "n": _b64(numbers.n.to_bytes((numbers.n.bit_length() + 7) // 8, "big")),
            "e": _b64(numbers.e.to_bytes(3, "big")),
        }
        issuer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body: dict[str, object]
                if self.path.endswith("/.well-known/openid-configuration"):
                    body = {"issuer": issuer.url, "jwks_uri": f"{issuer.url}/jwks.json"}
                else:
                    body = {"keys": [jwk]}
                data = orjson.dumps(body)
                self.send_response(200)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/issuer"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def token(self, **claims: Any) -> str:
        header = _b64(orjson.dumps({"alg": "RS256", "kid": "k1", "typ": "JWT"}))
        body = _b64(orjson.dumps({"iss": self.url, "exp": time.time() + 600, **claims}))
        signed = f"{header}.{body}".encode()
        signature = self.key.sign(signed, padding.PKCS1v15(), hashes.SHA256())
        return f"{header}.{body}.{_b64(signature)}"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join()


@pytest.fixture
def issuer() -> Iterator[Issuer]:
    own = Issuer()
    yield own
    own.close()


def test_jwt_issuer_audience_expiry_and_scopes(
    server: Server, lambda_client: LambdaClient, make_function: MakeFunction, issuer: Issuer
) -> None:
    name = make_function(ECHO)
    api = http_api(server.endpoint, server.port, name, (), lambda_client=lambda_client)
    authorizer = apigw(server.endpoint).create_authorizer(
        ApiId=api.api_id,
        AuthorizerType="JWT",
        IdentitySource=["$request.header.Authorization"],
        JwtConfiguration={"Audience": ["my-api"], "Issuer": issuer.url},
        Name="own",
    )["AuthorizerId"]
    authorized_route(server.endpoint, api, "GET /read", authorizer, "JWT", ["items/read"])

    def status(token: str) -> int:
        return call(api.url() + "read", headers={"Authorization": f"Bearer {token}"}).status

    good = issuer.token(aud="my-api", sub="u1", scope="items/read profile")
    answer = call(api.url() + "read", headers={"Authorization": f"Bearer {good}"})
    assert answer.status == 200
    jwt = answer.json()["requestContext"]["authorizer"]["jwt"]
    assert jwt["claims"]["sub"] == "u1"
    assert jwt["scopes"] == ["items/read", "profile"]
    assert status(issuer.token(aud="other-api", scope="items/read")) == 401
    assert status(issuer.token(aud="my-api", scope="items/read", exp=time.time() - 5)) == 401
    assert status(issuer.token(aud="my-api", scope="items/write")) == 403
    tampered = good[:-4] + ("AAAA" if not good.endswith("AAAA") else "BBBB")
    assert status(tampered) == 401
    stranger = Issuer()
    try:
        assert status(stranger.token(aud="my-api", scope="items/read")) == 401  # wrong key
    finally:
        stranger.close()


# -- Lambda authorizers -------------------------------------------------------------------------

AUTHORIZER = """
import json, os
def handler(event, context):
    with open(os.environ["CALLS"], "a") as calls:
        calls.write(json.dumps(event) + "\\n")
    token = event["identitySource"][0]
    if os.environ["MODE"] == "simple":
        return {"isAuthorized": token == "good", "context": {"user": "alice", "n": 1}}
    if token == "broken":
        raise RuntimeError("authorizer failed")
    effect = "Allow" if token == "good" else "Deny"
    return {
        "principalId": "alice",
        "policyDocument": {"Version": "2012-10-17", "Statement": [
            {"Action": "execute-api:Invoke", "Effect": effect, "Resource": event["routeArn"]}]},
        "context": {"user": "alice"},
    }
"""


def _lambda_authorizer(
    server: Server,
    lambda_client: LambdaClient,
    make_function: MakeFunction,
    calls: Path,
    mode: str,
    ttl: int,
) -> tuple[Api, str]:
    name = make_function(ECHO)
    authorizer_fn = make_function(
        AUTHORIZER, Environment={"Variables": {"CALLS": str(calls), "MODE": mode}}
    )
    api = http_api(server.endpoint, server.port, name, (), lambda_client=lambda_client)
    uri = (
        "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/"
        f"{function_arn(authorizer_fn)}/invocations"
    )
    authorizer = apigw(server.endpoint).create_authorizer(
        ApiId=api.api_id,
        AuthorizerType="REQUEST",
        AuthorizerUri=uri,
        AuthorizerPayloadFormatVersion="2.0",
        EnableSimpleResponses=mode == "simple",
        AuthorizerResultTtlInSeconds=ttl,
        IdentitySource=["$request.header.x-token"],
        Name=f"lambda-{mode}",
    )["AuthorizerId"]
    allow_api(lambda_client, authorizer_fn, api.api_id, f"authorizers/{authorizer}")
    authorized_route(server.endpoint, api, "GET /private/{id}", authorizer, "CUSTOM", [])
    return api, authorizer


def _calls(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_lambda_authorizer_simple_responses_and_cache(
    server: Server, lambda_client: LambdaClient, make_function: MakeFunction, tmp_path: Path
) -> None:
    calls = tmp_path / "calls.jsonl"
    api, _ = _lambda_authorizer(server, lambda_client, make_function, calls, "simple", 300)
    missing = call(api.url() + "private/1")
    assert (missing.status, missing.json()) == (401, {"message": "Unauthorized"})
    assert _calls(calls) == []  # no identity source: the function is not called
    answer = call(api.url() + "private/1", headers={"x-token": "good"})
    assert answer.status == 200, answer.body
    assert answer.json()["requestContext"]["authorizer"] == {"lambda": {"user": "alice", "n": 1}}
    event = _calls(calls)[0]
    assert event["type"] == "REQUEST"
    assert event["identitySource"] == ["good"]
    assert event["routeArn"].endswith(f"{api.api_id}/$default/GET/private/1")
    assert event["pathParameters"] == {"id": "1"}
    denied = call(api.url() + "private/1", headers={"x-token": "bad"})
    assert (denied.status, denied.json()) == (403, {"message": "Forbidden"})
    # Cached by the identity source's value: the same tokens call the function no more.
    assert call(api.url() + "private/2", headers={"x-token": "good"}).status == 200
    assert call(api.url() + "private/1", headers={"x-token": "bad"}).status == 403
    assert [c["identitySource"] for c in _calls(calls)] == [["good"], ["bad"]]


def test_lambda_authorizer_iam_policy_without_cache(
    server: Server, lambda_client: LambdaClient, make_function: MakeFunction, tmp_path: Path
) -> None:
    calls = tmp_path / "calls.jsonl"
    api, _ = _lambda_authorizer(server, lambda_client, make_function, calls, "policy", 0)
    answer = call(api.url() + "private/7", headers={"x-token": "good"})
    assert answer.status == 200
    assert answer.json()["requestContext"]["authorizer"]["lambda"] == {"user": "alice"}
    assert call(api.url() + "private/7", headers={"x-token": "nope"}).status == 403
    failed = call(api.url() + "private/7", headers={"x-token": "broken"})
    assert (failed.status, failed.json()) == (500, {"message": "Internal Server Error"})
    call(api.url() + "private/7", headers={"x-token": "good"})
    assert len(_calls(calls)) == 4  # TTL 0: every request asks the function
