"""CORS as function URLs (``Cors``) and HTTP APIs (``CorsConfiguration``) configure it:
the front answers preflights itself and adds the headers to actual responses
(https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-cors.html).

An origin the rules do not allow gets no CORS headers (the browser refuses the page);
``*`` in AllowOrigins allows every origin (echoed as ``*`` unless credentials are allowed,
which browsers require to name the origin).
"""

from __future__ import annotations

from dataclasses import dataclass

from lambdaport.endpoint import CorsAnswer, CorsRequest


@dataclass(frozen=True, slots=True)
class CorsRules:
    allow_origins: tuple[str, ...] = ()
    allow_methods: tuple[str, ...] = ()
    allow_headers: tuple[str, ...] = ()
    expose_headers: tuple[str, ...] = ()
    max_age: int | None = None
    allow_credentials: bool = False

    def _origin(self, origin: str) -> str | None:
        allowed = [o.rstrip("/").lower() for o in self.allow_origins]
        if "*" in allowed:
            return origin if self.allow_credentials else "*"
        return origin if origin.rstrip("/").lower() in allowed else None

    def _method_allowed(self, method: str) -> bool:
        methods = {m.upper() for m in self.allow_methods}
        return "*" in methods or method.upper() in methods

    def _headers_allowed(self, headers: tuple[str, ...]) -> bool:
        allowed = {h.lower() for h in self.allow_headers}
        return "*" in allowed or all(h in allowed for h in headers)

    def answer(self, request: CorsRequest) -> CorsAnswer:
        origin = self._origin(request.origin)
        if origin is None:
            return CorsAnswer(())
        headers: list[tuple[str, str]] = [("Access-Control-Allow-Origin", origin)]
        if self.allow_credentials:
            headers.append(("Access-Control-Allow-Credentials", "true"))
        if request.preflight:
            if not self._method_allowed(request.method) or not self._headers_allowed(
                request.headers
            ):
                return CorsAnswer(())
            headers.append(("Access-Control-Allow-Methods", ",".join(self.allow_methods)))
            if request.headers:
                given = ",".join(self.allow_headers)
                headers.append(
                    (
                        "Access-Control-Allow-Headers",
                        ",".join(request.headers) if "*" in given else given,
                    )
                )
            if self.max_age is not None:
                headers.append(("Access-Control-Max-Age", str(self.max_age)))
        elif self.expose_headers:
            headers.append(("Access-Control-Expose-Headers", ",".join(self.expose_headers)))
        headers.append(("Vary", "Origin"))
        return CorsAnswer(tuple(headers))
