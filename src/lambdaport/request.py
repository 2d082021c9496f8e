"""Who is asking, where: the context every service operation receives from the gateway."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RequestContext:
    account_id: str
    region: str
    request_id: str
    access_key: str = ""
    service: str = ""
    endpoint: str = ""  # http://host:port the client used
    trace_header: str = ""  # the request's X-Amzn-Trace-Id (X-Ray), as sent
