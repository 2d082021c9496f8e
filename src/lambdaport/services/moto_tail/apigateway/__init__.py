"""API Gateway's REST APIs: the control plane is moto's (``apigateway``), extended here.

* ``directory``: ``RestApiDirectory``, the ``services.interfaces.RestApis`` the data plane
  (``http_fronts/rest``) reads moto's APIs, keys and domain names through — a read under the
  tail's lock, cached until an API Gateway call may have changed moto's state.
* ``openapi``: ``ImportRestApi`` and ``PutRestApi`` of OpenAPI 3 and Swagger 2 bodies
  answered by lambdaport as a program of control-plane calls, each run and journaled by moto.
* ``export``: ``GetExport`` (``oas30``, ``swagger``, with the ``x-amazon-apigateway-*``
  extensions) built from moto's state.
* ``fixes``: what moto drops of a client's call, made again in words moto keeps.
"""
