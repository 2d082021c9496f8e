"""Usage plans' limits on API keys: a token bucket per key and plan for the throttle
(``rateLimit`` requests a second, ``burstLimit`` at once: 429 ``Too Many Requests``) and a
count per quota period (``DAY``, ``WEEK``, ``MONTH``, from the period's start in UTC: 429
``Limit Exceeded``) (https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-api-usage-plans.html).
Counted on this node, in memory: a restart starts every period afresh."""

from __future__ import annotations

import calendar
import time
from dataclasses import dataclass

from lambdaport.http_fronts.rest.responses import QUOTA_EXCEEDED, THROTTLED, GatewayError
from lambdaport.services.interfaces import UsageLimits


@dataclass
class _Bucket:
    tokens: float
    at: float


def period_start(period: str, now: float) -> int:
    """The start (epoch seconds, UTC) of the quota period holding ``now``."""
    day = int(now // 86_400) * 86_400
    if period == "WEEK":  # weeks start on Monday; 1970-01-01 was a Thursday
        return day - ((int(now // 86_400) + 3) % 7) * 86_400
    if period == "MONTH":
        moment = time.gmtime(now)
        return calendar.timegm((moment.tm_year, moment.tm_mon, 1, 0, 0, 0))
    return day


class UsageMeter:
    def __init__(self) -> None:
        self._buckets: dict[tuple[str, str], _Bucket] = {}
        self._counts: dict[tuple[str, str, int], int] = {}

    def take(self, key_id: str, limits: UsageLimits) -> None:
        """Count one request of ``key_id`` under a plan's limits, or refuse it (429)."""
        now = time.time()
        self._throttle(key_id, limits, now)
        if limits.quota_limit is not None and limits.quota_period:
            window = (key_id, limits.plan_id, period_start(limits.quota_period, now))
            used = self._counts.get(window, 0)
            if used >= limits.quota_limit:
                raise GatewayError(QUOTA_EXCEEDED, "Limit Exceeded")
            if len(self._counts) > 10_000:
                self._counts.clear()
            self._counts[window] = used + 1

    def _throttle(self, key_id: str, limits: UsageLimits, now: float) -> None:
        if limits.rate_limit is None and limits.burst_limit is None:
            return
        rate = limits.rate_limit if limits.rate_limit is not None else float("inf")
        burst = float(limits.burst_limit if limits.burst_limit is not None else max(rate, 1))
        bucket = self._buckets.setdefault((key_id, limits.plan_id), _Bucket(burst, now))
        bucket.tokens = min(burst, bucket.tokens + (now - bucket.at) * rate)
        bucket.at = now
        if bucket.tokens < 1:
            raise GatewayError(THROTTLED, "Too Many Requests")
        bucket.tokens -= 1
