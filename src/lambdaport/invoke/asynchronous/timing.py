"""AWS's asynchronous-invocation delays, scaled by ``Settings.async_delay_scale``.

Function errors are retried about 1 and then 2 minutes later; throttles and system errors go
back to the queue with a delay that doubles from 1 second up to 5 minutes. The scale
multiplies every delay and the maximum event age alike (0.01 turns the 1-minute retry into
0.6 s), so local development and tests need not wait minutes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from lambdaport.invoke.model import EventInvokeConfig

RETRY_INTERVAL_S = 60.0  # before the 1st retry; 2x before the 2nd
REQUEUE_FIRST_S = 1.0
REQUEUE_CAP_S = 300.0


@dataclass(frozen=True, slots=True)
class AsyncTiming:
    scale: float = 1.0

    def retry_delay(self, attempts: int) -> float:
        """Delay before the next run after the ``attempts``-th run failed."""
        return RETRY_INTERVAL_S * max(attempts, 1) * self.scale

    def requeue_delay(self, requeues: int) -> float:
        """Delay after the ``requeues``-th throttle or system error in a row."""
        exponent = min(max(requeues - 1, 0), 16)
        return min(REQUEUE_FIRST_S * 2.0**exponent, REQUEUE_CAP_S) * self.scale

    def maximum_age(self, config: EventInvokeConfig) -> float:
        """Scaled like the delays; with scale 0 (no delays at all) no event ever expires."""
        if self.scale <= 0:
            return math.inf
        return config.maximum_event_age_in_seconds * self.scale
