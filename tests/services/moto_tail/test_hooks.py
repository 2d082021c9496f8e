"""Contract tests: one per moto behaviour the tail relies on (``moto_tail/hooks.py``).

They talk to moto through the tail's own ``call`` (moto's server-mode Flask apps), so a moto
upgrade that changes any of these behaviours fails here, by name.
"""

from __future__ import annotations

import json
import uuid
from urllib.parse import urlencode

import pytest

from lambdaport.errors import AwsError
from lambdaport.services.moto_tail import MotoTail, hooks
from lambdaport.services.moto_tail.wsgi import WsgiRequest, WsgiResponse

FORM = "application/x-www-form-urlencoded; charset=utf-8"


def authorization(key: str, region: str, service: str) -> str:
    scope = f"{key}/20260101/{region}/{service}/aws4_request"
    return f"AWS4-HMAC-SHA256 Credential={scope}, SignedHeaders=host, Signature=00"


def query_request(form: dict[str, str], headers: dict[str, str]) -> WsgiRequest:
    merged = {"content-type": FORM, **headers}
    return WsgiRequest("POST", "/", "", tuple(merged.items()), urlencode(form).encode())


def json_request(target: str, body: object, headers: dict[str, str]) -> WsgiRequest:
    merged = {"content-type": "application/x-amz-json-1.1", "x-amz-target": target, **headers}
    return WsgiRequest("POST", "/", "", tuple(merged.items()), json.dumps(body).encode())


def caller_account(response: WsgiResponse) -> str:
    assert response.status == 200, response.body
    return response.body.decode().split("<Account>")[1].split("</Account>")[0]


def test_account_header_decides_the_account(tail: MotoTail) -> None:
    # Hook 2: x-moto-account-id wins over the access key.
    headers = {"authorization": authorization("AKIAIOSFODNN7EXAMPLE", "us-east-1", "sts")}
    request = query_request({"Action": "GetCallerIdentity", "Version": "2011-06-15"}, headers)
    response = tail.call("sts", request, {hooks.ACCOUNT_HEADER: "111122223333"})
    assert caller_account(response) == "111122223333"


def test_moto_does_not_read_twelve_digit_access_keys(tail: MotoTail) -> None:
    # Why hook 2 exists: left alone, moto gives a 12-digit key its default account, where
    # lambdaport (and LocalStack) use the key itself.
    headers = {"authorization": authorization("111122223333", "us-east-1", "sts")}
    request = query_request({"Action": "GetCallerIdentity", "Version": "2011-06-15"}, headers)
    assert caller_account(tail.call("sts", request, {})) == "123456789012"


def test_unsigned_request_takes_the_region_from_the_user_agent(tail: MotoTail) -> None:
    # Hook 3: Cognito's unsigned calls carry no region; moto reads region/NAME.
    hint = hooks.region_hint("Boto3/1.0", "eu-west-1")
    assert hint is not None
    pool = f"pool-{uuid.uuid4().hex[:8]}"
    request = json_request(
        "AWSCognitoIdentityProviderService.CreateUserPool",
        {"PoolName": pool},
        {"user-agent": hint},
    )
    response = tail.call("cognito-idp", request, {})
    assert response.status == 200, response.body
    assert json.loads(response.body)["UserPool"]["Id"].startswith("eu-west-1_")


def test_region_hint_only_for_regions_moto_can_read() -> None:
    assert hooks.region_hint("ua", "us-gov-west-1") is None
    assert hooks.moto_headers("000000000000", "us-east-1", {"authorization": "x"}) == {
        hooks.ACCOUNT_HEADER: "000000000000"
    }


def test_configuration_swaps_in_moto_stub_lambda(tail: MotoTail) -> None:
    # Hook 1: after the config post, moto's Lambda is the stub backend that runs nothing.
    from moto.awslambda.utils import get_backend
    from moto.awslambda_simple.models import LambdaSimpleBackend
    from moto.core.config import default_user_config

    assert isinstance(get_backend("000000000000", "us-east-1"), LambdaSimpleBackend)
    assert default_user_config["batch"] == {"use_docker": False}


def test_configuration_keeps_step_functions_from_executing(tail: MotoTail) -> None:
    from moto.stepfunctions.parser.models import StepFunctionsParserBackend
    from moto.stepfunctions.responses import get_backend

    assert not isinstance(get_backend("000000000000", "us-east-1"), StepFunctionsParserBackend)


def test_moto_exceptions_leave_the_app_and_become_service_errors(tail: MotoTail) -> None:
    # Hook 4: moto raises NotImplementedError for what it lacks; the Flask app (debug mode)
    # lets it out, and the tail answers NotImplementedException.
    headers = {"authorization": authorization("test", "us-east-1", "sts")}
    form = {"Action": "DecodeAuthorizationMessage", "Version": "2011-06-15", "EncodedMessage": "x"}
    with pytest.raises(AwsError) as raised:
        tail.call("sts", query_request(form, headers), {})
    assert (raised.value.code, raised.value.status) == ("NotImplementedException", 501)


def test_operations_moto_has_no_route_for_get_flasks_page(tail: MotoTail) -> None:
    # Hook 5: a REST path no rule of moto's app matches is Flask's HTML 404 page (the tail
    # answers NotImplementedException; botocore's model knows the operation).
    headers = (("authorization", authorization("test", "us-east-1", "account")),)
    request = WsgiRequest("GET", "/getAccountInformation", "", headers, b"")
    response = tail.call("account", request, {})
    assert hooks.lacks_route(response)
    assert not hooks.lacks_route(WsgiResponse(404, (), b'{"__type": "NotFound"}'))
