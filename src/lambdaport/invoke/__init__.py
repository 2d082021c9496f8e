"""The one door into function execution."""

from lambdaport.invoke.concurrency import ConcurrencyLimiter
from lambdaport.invoke.invoker import Executor, Invoker
from lambdaport.invoke.model import (
    API_CALLER,
    Caller,
    FunctionResolver,
    InvokeRequest,
    InvokeResponse,
    ResolvedFunction,
)

__all__ = [
    "API_CALLER",
    "Caller",
    "ConcurrencyLimiter",
    "Executor",
    "FunctionResolver",
    "InvokeRequest",
    "InvokeResponse",
    "Invoker",
    "ResolvedFunction",
]
