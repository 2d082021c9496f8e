"""API Gateway's WebSocket APIs (apigatewayv2, ``ProtocolType`` WEBSOCKET), on the same
port and addresses as HTTP APIs (``ws://{api-id}.execute-api.localhost:4566/{stage}``):

- ``front``: ``WebSocketApiFront``, a connection's handshake (``$connect``), its messages
  to their routes and its ``$disconnect``;
- ``selection``: a message's route by the API's ``RouteSelectionExpression``;
- ``events``: the CONNECT, MESSAGE and DISCONNECT events as API Gateway builds them;
- ``connections``: the open connections, the idle and maximum-duration timeouts;
- ``management``: the ``@connections`` API (``apigatewaymanagementapi``) that reaches them.
"""
