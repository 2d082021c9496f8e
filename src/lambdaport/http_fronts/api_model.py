"""An HTTP API (apigatewayv2, ``ProtocolType`` HTTP) as its data plane reads it: typed,
frozen records of the routes, integrations, authorizers, stages and CORS configuration,
and the :class:`HttpApiDirectory` protocol that finds them (implemented over moto's
apigatewayv2 backend by ``services/moto_tail/apigatewayv2``, handed in by ``app.py``).

The owner of the control plane builds these records (the CORS configuration is
``cors.CorsRules`` as it is).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from lambdaport.http_fronts.cors import CorsRules


@dataclass(frozen=True, slots=True)
class HttpIntegration:
    integration_id: str
    integration_type: str  # AWS_PROXY (Lambda), HTTP_PROXY, MOCK, ...
    integration_uri: str
    payload_format_version: str  # "1.0" | "2.0"
    timeout_ms: int = 30000
    integration_method: str | None = None  # HTTP_PROXY's verb ("ANY": the request's)
    connection_type: str = "INTERNET"  # INTERNET | VPC_LINK
    integration_subtype: str | None = None  # an AWS service integration ("SQS-SendMessage")
    # Parameter mapping: {"overwrite:header.x": "$request.header.y", ...}; the response's
    # by status code: {"404": {"overwrite:statuscode": "200", ...}}.
    request_parameters: Mapping[str, str] = field(default_factory=dict)
    response_parameters: Mapping[str, Mapping[str, str]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class HttpAuthorizer:
    authorizer_id: str
    name: str
    authorizer_type: str  # JWT | REQUEST
    identity_source: tuple[str, ...] = ()
    jwt_issuer: str | None = None
    jwt_audience: tuple[str, ...] = ()
    authorizer_uri: str | None = None
    payload_format_version: str = "2.0"
    simple_responses: bool = False
    result_ttl_seconds: int = 0


@dataclass(frozen=True, slots=True)
class HttpRoute:
    route_id: str
    route_key: str  # "GET /items/{id}", "ANY /{proxy+}", "$default"
    target: str | None  # "integrations/{id}"
    authorization_type: str = "NONE"  # NONE | JWT | CUSTOM | AWS_IAM
    authorizer_id: str | None = None
    authorization_scopes: tuple[str, ...] = ()
    # WebSocket APIs: the route's responses by key (``$default``: the integration's answer
    # goes back to the client, a two-way route).
    route_response_keys: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class HttpStage:
    name: str
    auto_deploy: bool = False
    stage_variables: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class HttpApi:
    api_id: str
    name: str
    account_id: str
    region: str
    protocol_type: str  # HTTP | WEBSOCKET
    routes: tuple[HttpRoute, ...] = ()
    integrations: Mapping[str, HttpIntegration] = field(default_factory=dict)
    authorizers: Mapping[str, HttpAuthorizer] = field(default_factory=dict)
    stages: Mapping[str, HttpStage] = field(default_factory=dict)
    cors: CorsRules | None = None
    # WebSocket APIs: how a message's route is chosen (``$request.body.action``).
    route_selection_expression: str = ""


@dataclass(frozen=True, slots=True)
class ApiMapping:
    """A custom domain name's API mapping (``CreateApiMapping``): requests to
    ``{domain}/{key}/...`` go to the API's stage (an empty key: the whole domain)."""

    domain_name: str
    api_id: str
    stage: str
    key: str


class HttpApiDirectory(Protocol):
    """The APIs there are, by id (any account and region: ids are unique), and the custom
    domain names (``CreateDomainName``) with their API mappings."""

    async def api(self, api_id: str) -> HttpApi | None: ...

    async def apis(self) -> Sequence[HttpApi]: ...

    def is_domain_name(self, host_name: str) -> bool: ...

    async def api_mappings(self, domain_name: str) -> Sequence[ApiMapping]: ...
