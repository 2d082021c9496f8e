"""CloudWatch Logs' wire protocol: botocore's json protocol, with model constraint violations
reported as CloudWatch Logs reports them (``InvalidParameterException``, not
``ValidationException``)."""

from __future__ import annotations

from lambdaport.protocol import JsonProtocol, load_service_model


class LogsProtocol(JsonProtocol):
    """The model-driven json protocol of ``logs``."""

    def __init__(self) -> None:
        super().__init__(
            load_service_model("logs"), validation_error_code="InvalidParameterException"
        )
