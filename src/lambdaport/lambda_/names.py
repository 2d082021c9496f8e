"""Function names, ARNs and qualifiers as the Lambda API accepts them."""

from __future__ import annotations

import re
from dataclasses import dataclass

from lambdaport.errors import AwsError, invalid_parameter
from lambdaport.events.arns import function_arn as function_arn
from lambdaport.request import RequestContext

LATEST = "$LATEST"

_FUNCTION_REF = re.compile(
    r"^(?:arn:aws[a-zA-Z-]*:lambda:(?P<region>[a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-\d):)?"
    r"(?:(?P<account>\d{12}):)?"
    r"(?:function:)?"
    r"(?P<name>[a-zA-Z0-9\-_.]+)"  # reads accept dots (NamespacedFunctionName); creates do not
    r"(?::(?P<qualifier>\$LATEST|[a-zA-Z0-9\-_]+))?$"
)
ALIAS_NAME = re.compile(r"^(?!^[0-9]+$)([a-zA-Z0-9\-_]{1,128})$")
VERSION = re.compile(r"^(\$LATEST|[0-9]+)$")


@dataclass(frozen=True, slots=True)
class FunctionRef:
    """A parsed FunctionName parameter: the account and region it lives in, its name and
    the qualifier (from ``name:qualifier`` or the Qualifier parameter), if any."""

    account_id: str
    region: str
    name: str
    qualifier: str | None

    @property
    def arn(self) -> str:
        return function_arn(self.region, self.account_id, self.name)

    @property
    def qualified_arn(self) -> str:
        return self.arn if self.qualifier is None else f"{self.arn}:{self.qualifier}"


def parse_function_ref(
    value: str, account_id: str, region: str, qualifier: str | None = None
) -> FunctionRef:
    match = _FUNCTION_REF.match(value)
    if match is None:
        raise AwsError(
            "ValidationException",
            f"1 validation error detected: Value '{value}' at 'functionName' failed to satisfy "
            "constraint: Member must satisfy regular expression pattern: "
            r"(arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\d{1}:)?(\d{12}:)?"
            r"(function:)?([a-zA-Z0-9-_]+)(:(\$LATEST|[a-zA-Z0-9-_]+))?",
        )
    name = match["name"]
    derived = match["qualifier"]
    if derived is not None and qualifier is not None and derived != qualifier:
        raise invalid_parameter(
            "The derived qualifier from the function name does not match the specified qualifier."
        )
    return FunctionRef(
        account_id=match["account"] or account_id,
        region=match["region"] or region,
        name=name,
        qualifier=derived if derived is not None else qualifier,
    )


def ref_of(ctx: RequestContext, function_name: str, qualifier: str | None = None) -> FunctionRef:
    """A FunctionName parameter (and the Qualifier) read in the request's account and region."""
    return parse_function_ref(function_name, ctx.account_id, ctx.region, qualifier)


def parse_function_arn(arn: str) -> FunctionRef:
    """A full function ARN (its account and region are its own)."""
    return parse_function_ref(arn, "", "")
