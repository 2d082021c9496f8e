"""Concurrency accounting: reserved concurrency per function and the account's limit.

Functions with reserved concurrency draw only on their reservation; all others share what
the account limit leaves unreserved. Past either limit the invocation is throttled with
AWS's ``TooManyRequestsException`` and its ``Reason``.

The counts are node-local: they are the invocations running on this server, not a record
(nothing to restore at start, since nothing runs then). Several nodes sharing an account's
limit would need a shared counter (leases in the store, ``store/checkpoints.py``'s
``Leases``, or the database's own counters) behind this class's ``acquire``/``release``.
"""

from __future__ import annotations

from collections import defaultdict

from lambdaport.errors import Throttled


def throttled(reason: str) -> Throttled:
    return Throttled(
        "TooManyRequestsException",
        "Rate Exceeded.",
        429,
        fields={"Reason": reason, "Type": "User"},
        headers={"Retry-After": "1"},
    )


class ConcurrencyLimiter:
    def __init__(self, account_limit: int) -> None:
        self.account_limit = account_limit
        self._per_function: defaultdict[str, int] = defaultdict(int)
        self._unreserved: defaultdict[tuple[str, str], int] = defaultdict(int)

    def acquire(
        self,
        account_key: tuple[str, str],
        function_arn: str,
        reserved: int | None,
        reserved_total: int,
    ) -> None:
        """Take one unit of concurrency or raise a throttle; give it back with ``release``."""
        per_function = self._per_function
        if reserved is not None:
            if per_function[function_arn] >= reserved:
                raise throttled("ReservedFunctionConcurrentInvocationLimitExceeded")
        else:
            unreserved = self._unreserved
            if unreserved[account_key] >= max(0, self.account_limit - reserved_total):
                raise throttled("ConcurrentInvocationLimitExceeded")
            unreserved[account_key] += 1
        per_function[function_arn] += 1

    def release(
        self, account_key: tuple[str, str], function_arn: str, reserved: int | None
    ) -> None:
        self._per_function[function_arn] -= 1
        if reserved is None:
            self._unreserved[account_key] -= 1
