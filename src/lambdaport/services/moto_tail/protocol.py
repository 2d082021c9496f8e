"""The protocol slot of a tail service: moto parses and serialises, lambdaport only errs.

A tail service's requests never reach lambdaport's parser (the endpoint is ``raw``), but
errors lambdaport raises itself (a refused request, an exception inside moto) are answered
in the service's own wire format, from botocore's model, loaded on first use.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import orjson

from lambdaport.errors import AwsError
from lambdaport.protocol import load_protocol, load_service_model
from lambdaport.protocol.base import HttpRequest, HttpResponse, ServiceProtocol

logger = logging.getLogger("lambdaport.moto_tail")


class TailProtocol:
    """Implements :class:`ServiceProtocol`; only ``serialize_error`` is ever called."""

    def __init__(self, service_name: str) -> None:
        self.service_name = service_name
        self._model: ServiceProtocol | None = None
        self._unavailable = False
        self._unsigned: frozenset[str] | None = None

    def parse(self, request: HttpRequest, validate: bool = True) -> tuple[str, dict[str, Any]]:
        raise AwsError("InternalFailure", "moto parses this service's requests itself.", 500)

    def serialize(
        self, operation: str, result: Mapping[str, Any], request_id: str = ""
    ) -> HttpResponse:
        raise AwsError("InternalFailure", "moto serialises this service's results itself.", 500)

    def serialize_error(
        self, operation: str | None, error: AwsError, request_id: str = ""
    ) -> HttpResponse:
        model = self._load()
        if model is not None:
            return model.serialize_error(operation, error, request_id)
        return HttpResponse(
            error.status,
            [("content-type", "application/x-amz-json-1.1"), ("x-amzn-errortype", error.code)],
            orjson.dumps({"__type": error.code, "message": error.message}),
        )

    def is_unsigned(self, target: str) -> bool:
        """Whether AWS serves the operation named by ``target`` (``Prefix.Operation``)
        without a signature (Cognito's SignUp, InitiateAuth, GetId...)."""
        if self._unsigned is None:
            try:
                model = load_service_model(self.service_name)
                self._unsigned = frozenset(
                    name
                    for name in model.operation_names
                    if model.operation_model(name).auth_type == "none"
                )
            except Exception:  # not a botocore service
                self._unsigned = frozenset()
        return target.rpartition(".")[2] in self._unsigned

    def _load(self) -> ServiceProtocol | None:
        if self._model is None and not self._unavailable:
            try:
                self._model = load_protocol(self.service_name)
            except Exception:  # a protocol lambdaport does not speak (ec2)
                logger.debug("no protocol for %s; errors as JSON", self.service_name)
                self._unavailable = True
        return self._model
