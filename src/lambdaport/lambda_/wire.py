"""The Lambda API's wire protocol: botocore's rest-json model, less the checks Lambda makes
itself with its own error.

Lambda does not report a runtime outside the ``Runtime`` enum as a model violation
(``ValidationException``) but as ``InvalidParameterValueException`` ("... or be a valid
ARN"), so the enum is taken off the model the protocol validates against and kept here
for :func:`lambdaport.lambda_.validation.check_runtime`.
"""

from __future__ import annotations

import copy
from functools import cache
from typing import Any

from botocore.loaders import Loader
from botocore.model import ServiceModel

from lambdaport.protocol import RestJsonProtocol


@cache
def _model_document() -> dict[str, Any]:
    return dict(Loader().load_service_model("lambda", "service-2"))


@cache
def runtime_enum() -> tuple[str, ...]:
    """Every runtime identifier botocore's model knows, in the model's order."""
    return tuple(_model_document()["shapes"]["Runtime"]["enum"])


def model_document() -> dict[str, Any]:
    """botocore's Lambda model without the ``Runtime`` enum (Lambda checks runtimes itself)."""
    model = copy.deepcopy(_model_document())
    model["shapes"]["Runtime"].pop("enum", None)
    return model


class LambdaProtocol(RestJsonProtocol):
    """The model-driven rest-json protocol of ``lambda``."""

    def __init__(self) -> None:
        super().__init__(ServiceModel(model_document(), "lambda"))
