"""Contract tests of the moto behaviours durability and the operation hooks rely on
(``moto_tail/hooks.py``, hooks 6 to 8, 10 and 11): a moto upgrade that changes one fails
here, by name. They run moto in this process through the tail's ``call``."""

from __future__ import annotations

import json
import uuid
from typing import Any

from lambdaport.services.moto_tail import MotoTail, hooks, snapshot
from lambdaport.services.moto_tail.apigatewayv2 import _documents, http_api
from lambdaport.services.moto_tail.cognito import user_pool_key_set, user_pool_of_client
from lambdaport.services.moto_tail.wsgi import WsgiRequest
from tests.services.moto_tail.test_hooks import authorization, json_request, query_request


def moto_json(
    tail: MotoTail, service: str, target: str, body: object, account: str, region: str = "us-east-1"
) -> Any:
    signing = {"cognito-idp": "cognito-idp", "kms": "kms", "ssm": "ssm"}.get(service, service)
    headers = {"authorization": authorization("test", region, signing)}
    response = tail.call(
        service, json_request(target, body, headers), {hooks.ACCOUNT_HEADER: account}
    )
    assert response.status == 200, response.body
    return json.loads(response.body)


def create_secret(tail: MotoTail, account: str, name: str) -> str:
    created = moto_json(
        tail, "secretsmanager", "secretsmanager.CreateSecret", {"Name": name}, account
    )
    return str(created["ARN"])


def test_the_same_seed_gives_the_same_ids(tail: MotoTail) -> None:
    # Hook 6: two empty accounts, the same seed before the same call: the same random parts.
    name = f"seeded-{uuid.uuid4().hex[:8]}"
    hooks.seed_moto(42)
    first = create_secret(tail, "111100001111", name)
    hooks.seed_moto(42)
    second = create_secret(tail, "222200002222", name)
    assert first.rsplit("-", 1)[1] == second.rsplit("-", 1)[1]
    hooks.seed_moto(43)
    third = create_secret(tail, "333300003333", name)
    assert third.rsplit("-", 1)[1] != first.rsplit("-", 1)[1]

    role = f"seeded-{uuid.uuid4().hex[:8]}"
    form = {
        "Action": "CreateRole",
        "Version": "2010-05-08",
        "RoleName": role,
        "AssumeRolePolicyDocument": "{}",
    }
    ids = []
    for account in ("111100001111", "222200002222"):
        hooks.seed_moto(7)
        headers = {"authorization": authorization("test", "us-east-1", "iam")}
        response = tail.call("iam", query_request(form, headers), {hooks.ACCOUNT_HEADER: account})
        assert response.status == 200, response.body
        ids.append(response.body.decode().split("<RoleId>")[1].split("</RoleId>")[0])
    assert ids[0][-8:] == ids[1][-8:]  # after a part moto derives from the account


def test_backends_in_use_and_their_count(tail: MotoTail) -> None:
    # Hook 7: moto lists the backends in use; a first call in a region creates one there.
    before = snapshot.region_backends()
    account = f"{uuid.uuid4().int % 10**12:012d}"
    headers = (("authorization", authorization("test", "eu-north-1", "ec2")),)
    request = WsgiRequest(
        "POST",
        "/",
        "",
        (("content-type", "application/x-www-form-urlencoded"), *headers),
        b"Action=DescribeVpcs&Version=2016-11-15",
    )
    assert tail.call("ec2", request, {hooks.ACCOUNT_HEADER: account}).status == 200
    assert snapshot.region_backends() > before
    assert any(backends.service_name == "ec2" for backends in snapshot.backends_in_use())


def test_snapshot_round_trip_keeps_keys_parameters_and_tags(tail: MotoTail) -> None:
    # Hook 7 and the reducers: Cognito's RSA key, KMS key material, SSM's ParameterDict and
    # its tags (a defaultdict of a lambda) pickle and come back where moto looks for them.
    account = "444400004444"
    pool = moto_json(
        tail,
        "cognito-idp",
        "AWSCognitoIdentityProviderService.CreateUserPool",
        {"PoolName": f"p-{uuid.uuid4().hex[:6]}"},
        account,
    )["UserPool"]
    key = moto_json(tail, "kms", "TrentService.CreateKey", {}, account)["KeyMetadata"]["KeyId"]
    blob = moto_json(
        tail, "kms", "TrentService.Encrypt", {"KeyId": key, "Plaintext": "aGVsbG8="}, account
    )["CiphertextBlob"]
    name = f"/p/{uuid.uuid4().hex[:6]}"
    moto_json(
        tail, "ssm", "AmazonSSM.PutParameter", {"Name": name, "Value": "v", "Type": "String"},
        account,
    )  # fmt: skip
    tags = {"ResourceType": "Parameter", "ResourceId": name, "Tags": [{"Key": "k", "Value": "t"}]}
    moto_json(tail, "ssm", "AmazonSSM.AddTagsToResource", tags, account)

    state = snapshot.take()
    assert snapshot.restore(state) >= 3

    plain = moto_json(tail, "kms", "TrentService.Decrypt", {"CiphertextBlob": blob}, account)
    assert plain["Plaintext"] == "aGVsbG8="
    listed = moto_json(
        tail,
        "ssm",
        "AmazonSSM.ListTagsForResource",
        {"ResourceType": "Parameter", "ResourceId": name},
        account,
    )
    assert listed["TagList"] == [{"Key": "k", "Value": "t"}]
    got = moto_json(tail, "ssm", "AmazonSSM.GetParameter", {"Name": name}, account)
    assert got["Parameter"]["Value"] == "v"
    described = moto_json(
        tail,
        "cognito-idp",
        "AWSCognitoIdentityProviderService.DescribeUserPool",
        {"UserPoolId": pool["Id"]},
        account,
    )
    assert described["UserPool"]["Arn"] == pool["Arn"]


def test_user_pools_are_read_where_the_hook_reads_them(tail: MotoTail) -> None:
    # Hook 8: the pool of an app client and its LambdaConfig, read from moto's backend.
    account = "555500005555"
    target = "arn:aws:lambda:us-east-1:555500005555:function:f"
    pool = moto_json(
        tail,
        "cognito-idp",
        "AWSCognitoIdentityProviderService.CreateUserPool",
        {"PoolName": "hooked", "LambdaConfig": {"PreSignUp": target}},
        account,
    )["UserPool"]
    client = moto_json(
        tail,
        "cognito-idp",
        "AWSCognitoIdentityProviderService.CreateUserPoolClient",
        {"UserPoolId": pool["Id"], "ClientName": "app"},
        account,
    )["UserPoolClient"]
    found = user_pool_of_client(account, "us-east-1", client["ClientId"])
    assert found is not None
    assert (found.pool_id, found.arn) == (pool["Id"], pool["Arn"])
    assert found.lambda_config["PreSignUp"] == target
    before = snapshot.region_backends()
    assert user_pool_of_client("666600006666", "us-east-1", client["ClientId"]) is None
    assert snapshot.region_backends() == before  # looking created no backend


def moto_rest(tail: MotoTail, path: str, body: object, account: str) -> Any:
    headers = {
        "authorization": authorization("test", "us-east-1", "apigateway"),
        "content-type": "application/json",
    }
    request = WsgiRequest("POST", path, "", tuple(headers.items()), json.dumps(body).encode())
    response = tail.call("apigatewayv2", request, {hooks.ACCOUNT_HEADER: account})
    assert response.status in (200, 201), response.body
    return json.loads(response.body)


def test_http_apis_are_read_where_the_catalog_reads_them(tail: MotoTail) -> None:
    # Hook 10: an API's routes, integrations, authorizers and stages as wire members.
    account = "777700007777"
    api = moto_rest(
        tail,
        "/v2/apis",
        {
            "name": "read",
            "protocolType": "HTTP",
            "corsConfiguration": {"allowOrigins": ["http://localhost:3000"], "maxAge": 5},
        },
        account,
    )
    api_id = api["apiId"]
    uri = "arn:aws:lambda:us-east-1:777700007777:function:f"
    integration = moto_rest(
        tail,
        f"/v2/apis/{api_id}/integrations",
        {"integrationType": "AWS_PROXY", "integrationUri": uri, "payloadFormatVersion": "1.0"},
        account,
    )
    authorizer = moto_rest(
        tail,
        f"/v2/apis/{api_id}/authorizers",
        {
            "authorizerType": "JWT",
            "identitySource": ["$request.header.Authorization"],
            "jwtConfiguration": {"audience": ["a"], "issuer": "https://issuer"},
            "name": "jwt",
        },
        account,
    )
    moto_rest(
        tail,
        f"/v2/apis/{api_id}/routes",
        {
            "routeKey": "GET /x/{id}",
            "target": f"integrations/{integration['integrationId']}",
            "authorizationType": "JWT",
            "authorizerId": authorizer["authorizerId"],
            "authorizationScopes": ["s"],
        },
        account,
    )
    moto_rest(
        tail,
        f"/v2/apis/{api_id}/stages",
        {"stageName": "prod", "autoDeploy": True, "stageVariables": {"k": "v"}},
        account,
    )
    documents = _documents(api_id)
    assert [(d[0], d[1]) for d in documents] == [(account, "us-east-1")]
    read = http_api(documents[0])
    assert (read.api_id, read.protocol_type, read.account_id) == (api_id, "HTTP", account)
    assert read.cors is not None and read.cors.allow_origins == ("http://localhost:3000",)
    (route,) = read.routes
    assert (route.route_key, route.authorization_type, route.authorization_scopes) == (
        "GET /x/{id}",
        "JWT",
        ("s",),
    )
    assert route.target == f"integrations/{integration['integrationId']}"
    assert read.integrations[integration["integrationId"]].payload_format_version == "1.0"
    assert read.integrations[integration["integrationId"]].integration_uri == uri
    jwt = read.authorizers[authorizer["authorizerId"]]
    assert (jwt.jwt_issuer, jwt.jwt_audience) == ("https://issuer", ("a",))
    assert read.stages["prod"].stage_variables == {"k": "v"}
    before = snapshot.region_backends()
    assert _documents("nosuchapi") == []
    assert snapshot.region_backends() == before  # looking created no backend


def test_user_pool_tokens_verify_with_the_published_key_set(tail: MotoTail) -> None:
    # Hook 11: moto signs with jwks-private.json; jwks-public.json holds its public half
    # (tests/http_fronts/test_http_api_authorizers.py verifies a pool's real tokens).
    from moto.utilities.utils import load_resource

    keys = user_pool_key_set("https://cognito-idp.us-east-1.amazonaws.com/pool")
    private = load_resource("cognitoidp/resources/jwks-private.json")
    assert [(k["kid"], k["n"], k["e"]) for k in keys] == [
        (private["kid"], private["n"], private["e"])
    ]
