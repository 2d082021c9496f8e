"""Contract test of hook 9 (``moto_tail/hooks.py``): what ``apigateway.directory`` reads of
moto's API Gateway and Cognito objects is there, under the names it reads, so a moto upgrade
that renames them fails here."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

from lambdaport.services.moto_tail import MotoTail, hooks
from lambdaport.services.moto_tail.apigateway.directory import RestApiDirectory
from lambdaport.services.moto_tail.wsgi import WsgiRequest

ACCOUNT = "210987654321"
REGION = "eu-west-1"


def call(
    tail: MotoTail, service: str, method: str, path: str, body: object, target: str = ""
) -> dict[str, Any]:
    scope = f"k/20260101/{REGION}/{service}/aws4_request"
    headers = (
        ("content-type", "application/x-amz-json-1.1" if target else "application/json"),
        *((("x-amz-target", target),) if target else ()),
        ("authorization", f"AWS4-HMAC-SHA256 Credential={scope}, SignedHeaders=host, Signature=0"),
    )
    request = WsgiRequest(method, path, "", headers, json.dumps(body).encode())
    response = tail.call(service, request, {hooks.ACCOUNT_HEADER: ACCOUNT})
    assert response.status < 300, response.body
    answer: dict[str, Any] = json.loads(response.body) if response.body else {}
    return answer


def test_the_directory_reads_what_moto_keeps(tail: MotoTail) -> None:
    api = call(tail, "apigateway", "POST", "/restapis", {"name": f"c-{uuid.uuid4().hex[:6]}"})
    api_id, root = str(api["id"]), str(api["rootResourceId"])
    child = call(
        tail, "apigateway", "POST", f"/restapis/{api_id}/resources/{root}", {"pathPart": "{id}"}
    )
    base = f"/restapis/{api_id}/resources/{child['id']}/methods/GET"
    call(tail, "apigateway", "PUT", base, {"authorizationType": "NONE", "apiKeyRequired": True})
    call(tail, "apigateway", "PUT", f"{base}/integration", {"type": "MOCK"})
    call(tail, "apigateway", "PUT", f"{base}/integration/responses/200", {"selectionPattern": ""})
    deployment = call(
        tail, "apigateway", "POST", f"/restapis/{api_id}/deployments", {"stageName": "dev"}
    )
    key = call(
        tail, "apigateway", "POST", "/apikeys", {"name": "k", "enabled": True, "value": "v" * 30}
    )
    plan = call(
        tail, "apigateway", "POST", "/usageplans",
        {"name": "p", "apiStages": [{"apiId": api_id, "stage": "dev"}]},
    )  # fmt: skip
    call(
        tail,
        "apigateway",
        "POST",
        f"/usageplans/{plan['id']}/keys",
        {"keyId": key["id"], "keyType": "API_KEY"},
    )
    pool = call(
        tail, "cognito-idp", "POST", "/", {"PoolName": "p"},
        target="AWSCognitoIdentityProviderService.CreateUserPool",
    )["UserPool"]  # fmt: skip

    directory = RestApiDirectory(tail.engine)
    read = asyncio.run(directory.rest_api(ACCOUNT, REGION, api_id))
    assert read is not None
    paths = {resource.path: resource for resource in read.resources}
    assert set(paths) == {"/", "/{id}"}
    method = paths["/{id}"].methods["GET"]
    assert method.api_key_required is True
    assert method.integration is not None and method.integration.type == "MOCK"
    assert [r.status_code for r in method.integration.responses] == ["200"]
    assert read.stages["dev"].deployment_id == deployment["id"]
    found = asyncio.run(directory.api_key(ACCOUNT, REGION, "v" * 30))
    assert found is not None and (api_id, "dev") in found.stages
    assert asyncio.run(directory.find_rest_api(api_id)) == read
    keys = asyncio.run(directory.user_pool_keys(pool["Arn"]))
    assert len(keys) == 1 and keys[0].e == "AQAB" and len(keys[0].n) > 300
