"""Request validators: the method's required parameters and its body against the model of
the request's content type (JSON Schema draft 4), checked before the integration runs
(https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-method-request-validation.html).
A missing parameter is 400 ``Missing required request parameters: [a, b]``
(``BAD_REQUEST_PARAMETERS``), a body the model refuses 400 ``Invalid request body``
(``BAD_REQUEST_BODY``, with ``$context.error.validationErrorString``)."""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

import jsonschema
import orjson

from lambdaport.http_fronts.rest.matching import Match
from lambdaport.http_fronts.rest.request import RequestFacts, parameter_sources
from lambdaport.http_fronts.rest.responses import (
    BAD_REQUEST_BODY,
    BAD_REQUEST_PARAMETERS,
    GatewayError,
)
from lambdaport.services.interfaces import RestApi


def validate(api: RestApi, facts: RequestFacts, match: Match) -> None:
    method = match.method
    if method is None or not method.request_validator_id:
        return
    validator = api.request_validators.get(method.request_validator_id)
    if validator is None:
        return
    if validator.validate_parameters:
        _parameters(method.request_parameters, facts, match)
    if validator.validate_body:
        _body(api, method.request_models, facts)


def _parameters(required: Mapping[str, bool], facts: RequestFacts, match: Match) -> None:
    sources = parameter_sources(facts, match.path_parameters)
    missing = []
    for name, needed in required.items():
        if not needed:
            continue
        kind, _, key = name.removeprefix("method.request.").partition(".")
        values = sources.get(kind, {})
        if (key.lower() if kind == "header" else key) not in values:
            missing.append(key)
    if missing:
        raise GatewayError(
            BAD_REQUEST_PARAMETERS,
            f"Missing required request parameters: [{', '.join(missing)}]",
        )


def _body(api: RestApi, models: Mapping[str, str], facts: RequestFacts) -> None:
    content_type = (facts.header("content-type") or "application/json").split(";")[0].strip()
    name = models.get(content_type) or models.get("$default")
    if not name or name == "Empty":
        return
    model = api.models.get(name)
    if model is None or not model.schema:
        return
    try:
        document = orjson.loads(facts.request.body or b"null")
    except orjson.JSONDecodeError:
        raise GatewayError(BAD_REQUEST_BODY, "Invalid request body") from None
    validator = _validator(model.schema)
    errors = sorted(validator.iter_errors(document), key=lambda e: list(e.path))
    if errors:
        raise GatewayError(
            BAD_REQUEST_BODY,
            "Invalid request body",
            validation_errors="[" + ", ".join(e.message for e in errors) + "]",
        )


@lru_cache(maxsize=256)
def _validator(schema: str) -> Any:
    document = orjson.loads(schema)
    return jsonschema.Draft4Validator(document)
