"""A Lambda function's ARN, built and read in one place for every part of lambdaport.

``arn:PARTITION:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]``. The Lambda API reads the
wider ``FunctionName`` forms (a bare name, ``ACCOUNT:function:NAME``, a partial ARN) with its
own validation messages in ``lambda_/names.py``; triggers, destinations and records, which
hold ARNs only, read them here.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class FunctionArn:
    partition: str
    region: str
    account_id: str
    name: str
    qualifier: str | None = None  # a version number, $LATEST or an alias

    @property
    def unqualified(self) -> str:
        return f"arn:{self.partition}:lambda:{self.region}:{self.account_id}:function:{self.name}"

    def __str__(self) -> str:
        unqualified = self.unqualified
        return unqualified if self.qualifier is None else f"{unqualified}:{self.qualifier}"


def function_arn(region: str, account_id: str, name: str, qualifier: str | None = None) -> str:
    return str(FunctionArn("aws", region, account_id, name, qualifier))


def parse_function_arn(arn: str) -> FunctionArn | None:
    """The parts of a function ARN (qualified or not); None for anything else."""
    parts = arn.split(":")
    if len(parts) not in (7, 8) or parts[0] != "arn" or parts[2] != "lambda":
        return None
    if parts[5] != "function" or not parts[6]:
        return None
    qualifier = parts[7] if len(parts) == 8 else None
    return FunctionArn(parts[1], parts[3], parts[4], parts[6], qualifier or None)
