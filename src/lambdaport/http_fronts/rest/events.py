"""The events a REST API sends functions: the Lambda proxy event (payload 1.0) and the
Lambda authorizers' TOKEN and REQUEST events
(https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-lambda-proxy-integrations.html#api-gateway-simple-proxy-for-lambda-input-format,
https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-lambda-authorizer-input.html).

Absent parts are ``null`` in the 1.0 event (no query string, no path parameters, no stage
variables, no body); ``headers`` keeps the last value of a repeated header and
``multiValueHeaders`` them all; a body whose ``Content-Type`` is one of the API's binary
media types arrives base64-encoded with ``isBase64Encoded`` true.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

from lambdaport.http_fronts.rest.request import RequestFacts
from lambdaport.services.interfaces import RestApi, RestResource

PRINCIPAL = "apigateway.amazonaws.com"


@dataclass
class Identity:
    """``requestContext.identity``: the caller as the gateway knows it."""

    api_key: str | None = None
    api_key_id: str | None = None
    access_key: str | None = None  # an AWS_IAM method's signer
    account_id: str | None = None
    cognito: Mapping[str, Any] = field(default_factory=dict)


def method_arn(api: RestApi, facts: RequestFacts) -> str:
    """``arn:aws:execute-api:REGION:ACCOUNT:API/STAGE/VERB/PATH`` (the request's path)."""
    request = facts.request
    path = facts.decoded_path.lstrip("/")
    return (
        f"arn:aws:execute-api:{api.region}:{api.account_id}:{api.id}/{request.stage}/"
        f"{request.method}/{path}"
    )


def source_arn(api: RestApi, facts: RequestFacts, resource: RestResource) -> str:
    """The ARN a function's resource policy names the API by (``SourceArn``): the
    resource's path, with its parameters as written (``/items/{id}``)."""
    return (
        f"arn:aws:execute-api:{api.region}:{api.account_id}:{api.id}/{facts.request.stage}/"
        f"{facts.request.method}{resource.path}"
    )


def is_binary(content_type: str | None, binary_media_types: tuple[str, ...]) -> bool:
    """Whether a media type is one of the API's binary media types (``*/*``, ``image/*``)."""
    if not content_type or not binary_media_types:
        return False
    kind = content_type.split(";", 1)[0].strip().lower()
    major = kind.split("/", 1)[0]
    for pattern in binary_media_types:
        wanted = pattern.strip().lower()
        if wanted in (kind, "*/*") or wanted == f"{major}/*":
            return True
    return False


def request_context(
    api: RestApi,
    facts: RequestFacts,
    resource: RestResource,
    identity: Identity,
    authorizer: Mapping[str, Any] | None,
) -> dict[str, Any]:
    request = facts.request
    domain = request.domain_name
    context: dict[str, Any] = {
        "resourceId": resource.id,
        "resourcePath": resource.path,
        "httpMethod": request.method,
        "extendedRequestId": facts.extended_request_id,
        "requestTime": facts.request_time,
        "path": request.stage_path,
        "accountId": api.account_id,
        "protocol": request.protocol,
        "stage": request.stage,
        "domainPrefix": domain.split(".", 1)[0],
        "requestTimeEpoch": facts.epoch_ms,
        "requestId": facts.request_id,
        "identity": {
            "cognitoIdentityPoolId": identity.cognito.get("cognitoIdentityPoolId"),
            "accountId": identity.account_id,
            "cognitoIdentityId": identity.cognito.get("cognitoIdentityId"),
            "caller": identity.access_key,
            "apiKey": identity.api_key,
            "apiKeyId": identity.api_key_id,
            "sourceIp": request.source_ip,
            "principalOrgId": None,
            "accessKey": identity.access_key,
            "cognitoAuthenticationType": None,
            "cognitoAuthenticationProvider": None,
            "userArn": None,
            "userAgent": facts.header("user-agent"),
            "user": identity.access_key,
        },
        "domainName": domain,
        "deploymentId": (api.stages.get(request.stage) or _NO_STAGE).deployment_id,
        "apiId": api.id,
    }
    if authorizer is not None:
        context["authorizer"] = dict(authorizer)
    return context


class _NoStage:
    deployment_id = None


_NO_STAGE = _NoStage()


def body_field(facts: RequestFacts, api: RestApi) -> tuple[str | None, bool]:
    """The event's ``body`` and ``isBase64Encoded``."""
    body = facts.request.body
    if not body:
        return None, False
    if is_binary(facts.header("content-type"), api.binary_media_types):
        return base64.b64encode(body).decode("ascii"), True
    return body.decode("utf-8", errors="replace"), False


def proxy_event(
    api: RestApi,
    facts: RequestFacts,
    resource: RestResource,
    path_parameters: Mapping[str, str],
    stage_variables: Mapping[str, str],
    identity: Identity,
    authorizer: Mapping[str, Any] | None,
) -> bytes:
    """The Lambda proxy integration's event, encoded once."""
    body, encoded = body_field(facts, api)
    return orjson.dumps(
        {
            **_request_members(api, facts, resource, path_parameters, stage_variables),
            "requestContext": request_context(api, facts, resource, identity, authorizer),
            "body": body,
            "isBase64Encoded": encoded,
        }
    )


def _request_members(
    api: RestApi,
    facts: RequestFacts,
    resource: RestResource,
    path_parameters: Mapping[str, str],
    stage_variables: Mapping[str, str],
) -> dict[str, Any]:
    return {
        "resource": resource.path,
        "path": facts.decoded_path,
        "httpMethod": facts.request.method,
        "headers": facts.headers or None,
        "multiValueHeaders": facts.multi_headers or None,
        "queryStringParameters": facts.query or None,
        "multiValueQueryStringParameters": facts.multi_query or None,
        "pathParameters": dict(path_parameters) or None,
        "stageVariables": dict(stage_variables) or None,
    }


def token_event(api: RestApi, facts: RequestFacts, token: str) -> bytes:
    return orjson.dumps(
        {"type": "TOKEN", "methodArn": method_arn(api, facts), "authorizationToken": token}
    )


def request_authorizer_event(
    api: RestApi,
    facts: RequestFacts,
    resource: RestResource,
    path_parameters: Mapping[str, str],
    stage_variables: Mapping[str, str],
) -> bytes:
    members = _request_members(api, facts, resource, path_parameters, stage_variables)
    return orjson.dumps(
        {
            "type": "REQUEST",
            "methodArn": method_arn(api, facts),
            **members,
            "headers": facts.headers,
            "multiValueHeaders": facts.multi_headers,
            "queryStringParameters": facts.query,
            "multiValueQueryStringParameters": facts.multi_query,
            "pathParameters": dict(path_parameters),
            "stageVariables": dict(stage_variables),
            "requestContext": request_context(api, facts, resource, Identity(), None),
        }
    )
