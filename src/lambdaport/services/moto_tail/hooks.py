"""Every moto behaviour the tail relies on beyond "hand moto a request, get its response".

Each hook is used through moto's documented interfaces and has a contract test in
``tests/services/moto_tail/test_hooks.py``, so a moto upgrade that changes one fails loudly:

1. ``MOTO_CONFIG`` is posted to moto's server-mode configuration endpoint
   (``POST /moto-api/config``) before moto serves anything: moto's own Lambda never starts
   Docker (``lambda.use_docker=False`` swaps in moto's stub backend, which runs nothing),
   Batch never starts containers, and Step Functions never executes a state machine (its
   executor would call Lambda through boto3).
2. ``ACCOUNT_HEADER``: moto takes the account of a request from ``x-moto-account-id``
   before anything else (it does *not* read 12-digit access keys as lambdaport does), so the
   tail sets it to the account the gateway identified.
3. ``region_hint``: for an unsigned request (Cognito's ``InitiateAuth``, ``GetId``) moto
   reads the region from ``region/NAME`` in the User-Agent; the tail adds the gateway's
   region there so both agree (signed requests carry it in the credential scope, as for us).
4. moto's Flask apps run in debug mode, so an exception inside moto (``NotImplementedError``
   for an operation moto lacks) leaves the WSGI call instead of becoming an HTML page; the
   tail turns it into the service's own error.
5. ``lacks_route``: a REST operation moto has no URL rule for is answered by Flask's own
   HTML "404 Not Found" page; the tail (which has validated the request against botocore's
   model, so the operation exists) answers ``NotImplementedException`` instead.
6. ``seed_moto``: moto draws its identifiers (Secrets Manager's ARN suffix, IAM's RoleId,
   Cognito's pool ids...) from ``moto.moto_api._internal.mock_random``, a seedable
   ``random.Random`` (moto documents seeding it, ``POST /moto-api/seed``); the same seed
   before the same call on the same state gives the same ids, which is what makes a journal
   replay (``engine``) give back the ids clients were answered.
7. The snapshot (``snapshot``) finds moto's state in ``BackendDict._instances`` (the
   backends in use), each an account → region → backend mapping held by a module
   attribute, and pickles the region backends; the journal notes a read that created a
   region backend by their count.
8. ``cognito.user_pool_of_client``: moto's Cognito keeps user pools in
   ``cognitoidp_backends[account][region].user_pools`` (pool id → pool with ``clients`` and
   ``extended_config["LambdaConfig"]``), read under the tail's lock by the PreSignUp hook.
9. ``apigateway.directory``: moto's API Gateway keeps REST APIs in
   ``apigateway_backends[account][region]`` (``apis``: ``RestAPI`` with ``resources``
   (``Resource.resource_methods``, ``get_path()``), ``stages``, ``authorizers``,
   ``request_validators``, ``models``, ``gateway_responses``; ``keys``, ``usage_plans``,
   ``usage_plan_keys``, ``domain_names``, ``base_path_mappings``), and a Cognito pool its
   signing key as ``json_web_key`` (a joserfc ``RSAKey``); read under the lock for the REST
   data plane, contract test ``test_apigateway_reads.py``.
10. ``apigatewayv2.HttpApiCatalog``: moto's API Gateway v2 keeps APIs in
    ``apigatewayv2_backends[account][region].apis`` (api id → ``Api`` with ``routes``,
    ``integrations``, ``authorizers``, ``stages``; a route's ``route_responses``), each
    object's ``to_json()`` giving the API's wire members, and custom domain names in
    ``domain_names`` (name → ``DomainName``) with ``api_mappings`` (id → ``ApiMapping`` with
    ``api_id``, ``api_mapping_key``, ``domain_name``, ``stage``); read under the lock for the
    HTTP and WebSocket APIs' data planes.
11. ``cognito.user_pool_key_set``: moto signs every user pool's tokens (RS256, ``kid``
    ``dummy``) with ``cognitoidp/resources/jwks-private.json`` and publishes the public
    half as ``jwks-public.json``: the key set JWT authorizers check a Cognito issuer with.
12. ``dynamodb`` (the DynamoDB Streams hooks): moto's DynamoDB keeps tables in
    ``dynamodb_backends[account][region].tables`` (name → table with ``schema``,
    ``hash_key_attr``, ``range_key_attr``, ``get_item(hash, range)`` by ``DynamoType`` keys
    made from DynamoDB JSON, ``all_items()``), each item an object with ``hash_key``,
    ``range_key`` and ``attrs`` (name → ``DynamoType`` with ``type`` and ``value``: nested
    ``DynamoType``s for M and L, base64 text or bytes for B and BS); ``UpdateItem`` changes the
    stored item in place (so the old image is copied before the call), while ``PutItem``,
    PartiQL's writes and ``DeleteItem`` replace or remove the item object (so PartiQL's changes
    are the items whose object changed), and a failed ``TransactWriteItems`` puts copies of
    the tables back. The hooks read these under the tail's lock and change nothing.

CloudFormation is lambdaport's own (``services/cloudformation``), so moto's, which would
create functions in moto's own Lambda and run custom resources in Docker, never sees a
template. Everything else that reaches moto's Lambda finds it empty: moto's Lambda API is
never mounted, so it holds no functions and no event source mappings (Secrets Manager
rotation answers ResourceNotFound, EventBridge rules with Lambda targets are not delivered).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Final

import orjson

from lambdaport.services.moto_tail.wsgi import WsgiResponse

MOTO_CONFIG: Final[Mapping[str, Mapping[str, bool]]] = {
    "lambda": {"use_docker": False},
    "batch": {"use_docker": False},
    "stepfunctions": {"execute_state_machine": False},
}
CONFIG_PATH: Final = "/moto-api/config"
ACCOUNT_HEADER: Final = "x-moto-account-id"
_MOTO_REGION = re.compile(r"[a-z]{2}-[a-z]+-\d")  # moto's User-Agent region pattern


def lacks_route(response: WsgiResponse) -> bool:
    """Whether moto answered with Flask's page for a URL no rule of the app matches."""
    return response.status == 404 and response.body[:15].lower() == b"<!doctype html>"


def config_body() -> bytes:
    return orjson.dumps(MOTO_CONFIG)


def moto_headers(account_id: str, region: str, headers: Mapping[str, str]) -> dict[str, str]:
    """Headers the tail sets on every request it hands moto (replacing the client's)."""
    extra = {ACCOUNT_HEADER: account_id}
    if "authorization" not in headers:
        hint = region_hint(headers.get("user-agent", ""), region)
        if hint is not None:
            extra["user-agent"] = hint
    return extra


def region_hint(user_agent: str, region: str) -> str | None:
    """The User-Agent that tells moto ``region`` (None when moto could not read it)."""
    if _MOTO_REGION.fullmatch(region) is None:
        return None
    return f"{user_agent} region/{region}".strip()


def seed_moto(seed: int) -> None:
    """Seed moto's random source (hook 6)."""
    from moto.moto_api._internal import mock_random

    mock_random.seed(seed)
