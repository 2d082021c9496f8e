"""Put/GetFunctionRecursionConfig: whether Lambda stops a function caught in a recursive loop
(https://docs.aws.amazon.com/lambda/latest/dg/invocation-recursion.html). The setting is the
function's (``FunctionSettings.recursive_loop``, default ``Terminate``); the invoker reads it
through the resolver and applies it (``invoke/recursion.py``)."""

from __future__ import annotations

from dataclasses import replace

from lambdaport.lambda_.commands import GetFunctionRecursionConfig, PutFunctionRecursionConfig
from lambdaport.lambda_.registry import FunctionRegistry


class RecursionService:
    def __init__(self, registry: FunctionRegistry) -> None:
        self._registry = registry

    async def put_function_recursion_config(self, command: PutFunctionRecursionConfig) -> str:
        entry = self._registry.entry(command.function)
        settings = replace(entry.settings, recursive_loop=command.recursive_loop)
        await self._registry.set_settings(entry, settings)
        return command.recursive_loop

    def get_function_recursion_config(self, command: GetFunctionRecursionConfig) -> str:
        return self._registry.entry(command.function).settings.recursive_loop
