"""The ``ec2`` protocol: the query protocol with EC2's names, results and errors.

Requests are ``Action=<Operation>&Version=...`` forms as in ``query``, but members are named
by ``queryName`` or the capitalised ``locationName`` and list items are never wrapped
(``Filter.1.Name=...``, see ``form``). Results carry no result wrapper:
``<OpResponse xmlns=...><requestId/>...</OpResponse>``; errors are
``<Response><Errors><Error><Code/><Message/></Error></Errors><RequestID/></Response>``.
EC2 answers a missing parameter with ``MissingParameter`` and a value it refuses with
``InvalidParameterValue`` (AWS's "Error codes for the Amazon EC2 API"); the lengths and
patterns of its botocore model are not EC2's own checks (some cannot match anything), so
only required members and types are checked here.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any
from xml.sax.saxutils import quoteattr

from lambdaport.errors import AwsError
from lambdaport.protocol.base import HttpResponse
from lambdaport.protocol.query import XML_CONTENT_TYPE, QueryProtocol
from lambdaport.protocol.xml_codec import xml_text

_XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>'


class Ec2Protocol(QueryProtocol):
    """Parses and serialises EC2, driven by its botocore model."""

    unknown_action = "The action {} is not valid for this web service."
    ec2_names = True

    def __init__(self, service_model: Any) -> None:
        super().__init__(
            service_model,
            validation_error_code="InvalidParameterValue",
            missing_parameter_code="MissingParameter",
            constraints=False,
        )

    def serialize(
        self, operation: str, result: Mapping[str, Any], request_id: str = ""
    ) -> HttpResponse:
        plan = self._operations[operation]
        rid = xml_text(request_id or str(uuid.uuid4()))
        out = [f"<{operation}Response xmlns={quoteattr(self.xml_namespace)}>"]
        out.append(f"<requestId>{rid}</requestId>")
        if plan.write is not None:
            plan.write(result, out)
        out.append(f"</{operation}Response>")
        body = _XML_DECLARATION + "".join(out)
        return HttpResponse(200, [("Content-Type", XML_CONTENT_TYPE)], body.encode())

    def serialize_error(
        self, operation: str | None, error: AwsError, request_id: str = ""
    ) -> HttpResponse:
        body = (
            f"{_XML_DECLARATION}<Response><Errors><Error><Code>{xml_text(error.code)}</Code>"
            f"<Message>{xml_text(error.message)}</Message></Error></Errors>"
            f"<RequestID>{xml_text(request_id or str(uuid.uuid4()))}</RequestID></Response>"
        )
        headers = [("Content-Type", XML_CONTENT_TYPE), *error.headers.items()]
        return HttpResponse(error.status, headers, body.encode())
