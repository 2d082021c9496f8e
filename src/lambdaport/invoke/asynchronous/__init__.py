"""Asynchronous (``Event``) invocation: the durable queue, the dispatcher with its retries
and backoff, and the destinations and dead-letter queues outcomes go to."""

from lambdaport.invoke.asynchronous.destinations import (
    Delivery,
    Destinations,
    DestinationTarget,
    LambdaTarget,
    MessageAttribute,
    UnservedTarget,
)
from lambdaport.invoke.asynchronous.dispatcher import AsyncDispatcher
from lambdaport.invoke.asynchronous.queue import AsyncQueue
from lambdaport.invoke.asynchronous.timing import AsyncTiming

__all__ = [
    "AsyncDispatcher",
    "AsyncQueue",
    "AsyncTiming",
    "Delivery",
    "DestinationTarget",
    "Destinations",
    "LambdaTarget",
    "MessageAttribute",
    "UnservedTarget",
]
