"""The HTTP entry points that turn a plain HTTP request into a function's event and its
result back into an HTTP response: function URLs and API Gateway's HTTP APIs (payload 2.0
and 1.0) today; REST APIs and WebSocket APIs plug into the same parts.

- ``addressing``: which front a request is for, read off its ``Host`` (or the path form
  ``/_aws/...``) before any service is looked for, and the addresses that work here;
- ``exchange``: the request as every front reads it (``FrontRequest``) and the response
  it sends (``FrontResponse``), binary bodies, cookies and repeated headers;
- ``payloads``: the events of payload format 2.0 and 1.0, and the function's answer read
  back as AWS reads it (2.0's inference of a bare value);
- ``cors``: CORS rules as function URLs and HTTP APIs configure them;
- ``front``: ``HttpFronts``, the one ``RawEndpoint`` the gateway hands these requests to,
  which hands each to the front of its kind, and the index ``/_lambdaport/http``;
- ``function_urls``, ``http_apis``, ``authorizers``: the fronts.

Every function is reached through ``invoke.triggers.PushTriggers`` as the caller AWS names
in the resource policy check (``apigateway.amazonaws.com`` with the route's ARN; a function
URL's caller with ``lambda:FunctionUrlAuthType``).
"""
