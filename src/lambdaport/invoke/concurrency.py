"""Concurrency accounting: reserved concurrency per function and the account's limit.

Functions with reserved concurrency draw only on their reservation; all others share what
the account limit leaves unreserved. Provisioned concurrency is part of a function's
reservation when it has one, else it is taken out of the unreserved pool: an invocation of a
provisioned version or alias runs on that capacity while some of it is free, and beyond it
spills over to on-demand capacity, counted as any other invocation. Past either limit the
invocation is throttled with AWS's ``TooManyRequestsException`` and its ``Reason``.

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
        self._provisioned: defaultdict[str, int] = defaultdict(int)

    def acquire(
        self,
        account_key: tuple[str, str],
        function_arn: str,
        reserved: int | None,
        reserved_total: int,
        provisioned: tuple[str, int] | None = None,
    ) -> bool:
        """Take one unit of concurrency or raise a throttle; give it back with ``release``.
        ``reserved_total`` is what the account's limit does not leave to the unreserved pool
        (reservations, and the provisioned concurrency of functions without one);
        ``provisioned`` the version's or alias's provisioned key and count. True: the unit
        is provisioned capacity (``release`` it with the key)."""
        per_function = self._per_function
        free = provisioned is not None and self._provisioned[provisioned[0]] < provisioned[1]
        if free and (reserved is None or per_function[function_arn] < reserved):
            assert provisioned is not None
            self._provisioned[provisioned[0]] += 1
            per_function[function_arn] += 1
            return True
        if reserved is not None:
            if per_function[function_arn] >= reserved:
                raise throttled("ReservedFunctionConcurrentInvocationLimitExceeded")
        else:
            unreserved = self._unreserved
            if unreserved[account_key] >= max(0, self.account_limit - reserved_total):
                raise throttled("ConcurrentInvocationLimitExceeded")
            unreserved[account_key] += 1
        per_function[function_arn] += 1
        return False

    def release(
        self,
        account_key: tuple[str, str],
        function_arn: str,
        reserved: int | None,
        provisioned_key: str | None = None,
    ) -> None:
        """``provisioned_key``: the unit was provisioned capacity (``acquire`` said so)."""
        self._per_function[function_arn] -= 1
        if provisioned_key is not None:
            self._provisioned[provisioned_key] -= 1
        elif reserved is None:
            self._unreserved[account_key] -= 1
