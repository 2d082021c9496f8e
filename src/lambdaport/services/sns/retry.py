"""SNS's delivery retry policies: when to try again after a failed delivery attempt.

AWS-managed endpoints (Lambda, SQS) get 100,015 attempts: 3 immediate retries, 2 at 1 s,
10 with exponential backoff from 1 s to 20 s, then 100,000 at 20 s. HTTP(S) endpoints follow
the ``healthyRetryPolicy`` of the subscription's or topic's DeliveryPolicy (default: 3 retries
20 s apart): ``numNoDelayRetries`` immediate, ``numMinDelayRetries`` at ``minDelayTarget``,
the backoff phase from ``minDelayTarget`` to ``maxDelayTarget`` by ``backoffFunction``, then
``numMaxDelayRetries`` at ``maxDelayTarget``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    num_retries: int = 3
    num_no_delay_retries: int = 0
    num_min_delay_retries: int = 0
    num_max_delay_retries: int = 0
    min_delay: float = 20.0
    max_delay: float = 20.0
    backoff_function: str = "linear"

    @staticmethod
    def from_json(policy: Mapping[str, Any]) -> RetryPolicy:
        def number(key: str, default: float) -> float:
            value = policy.get(key, default)
            return float(value) if isinstance(value, int | float) else default

        return RetryPolicy(
            num_retries=int(number("numRetries", 3)),
            num_no_delay_retries=int(number("numNoDelayRetries", 0)),
            num_min_delay_retries=int(number("numMinDelayRetries", 0)),
            num_max_delay_retries=int(number("numMaxDelayRetries", 0)),
            min_delay=number("minDelayTarget", 20),
            max_delay=number("maxDelayTarget", 20),
            backoff_function=str(policy.get("backoffFunction", "linear")),
        )

    def delay(self, retry: int) -> float | None:
        """Seconds to wait before retry number ``retry`` (0-based), None when exhausted."""
        if retry >= self.num_retries:
            return None
        if retry < self.num_no_delay_retries:
            return 0.0
        retry -= self.num_no_delay_retries
        if retry < self.num_min_delay_retries:
            return self.min_delay
        retry -= self.num_min_delay_retries
        backoff = (
            self.num_retries
            - self.num_no_delay_retries
            - self.num_min_delay_retries
            - self.num_max_delay_retries
        )
        if retry < backoff:
            return self._backoff(retry, backoff)
        return self.max_delay

    def _backoff(self, step: int, steps: int) -> float:
        low, high = self.min_delay, self.max_delay
        if steps <= 1 or high <= low:
            return low
        fraction = step / (steps - 1)
        if self.backoff_function == "linear":
            return low + (high - low) * fraction
        if self.backoff_function == "arithmetic":
            return low + (high - low) * fraction * fraction
        if self.backoff_function == "geometric":
            return float(low * (high / max(low, 0.001)) ** fraction)
        return float(low + (high - low) * (2**step - 1) / (2 ** (steps - 1) - 1))  # exponential


# Lambda and SQS: the AWS-managed delivery policy.
MANAGED_POLICY = RetryPolicy(
    num_retries=100_015,
    num_no_delay_retries=3,
    num_min_delay_retries=2,
    num_max_delay_retries=100_000,
    min_delay=1.0,
    max_delay=20.0,
    backoff_function="exponential",
)


def http_policy(delivery_policy: Mapping[str, Any]) -> RetryPolicy:
    """The retry policy of an HTTP(S) subscription from its effective delivery policy (the
    ``http`` section of a topic's DeliveryPolicy or a subscription's own DeliveryPolicy)."""
    section = delivery_policy.get("healthyRetryPolicy") or delivery_policy.get(
        "defaultHealthyRetryPolicy"
    )
    return RetryPolicy.from_json(section if isinstance(section, Mapping) else {})
