"""The kinds of errors retry decisions use, and function ARNs."""

from __future__ import annotations

import pytest

from lambdaport.errors import (
    AccessDenied,
    AwsError,
    ResourceConflict,
    ResourceNotFound,
    Throttled,
    is_transient,
    resource_conflict,
    resource_not_found,
    service_error,
    typed,
)
from lambdaport.events.arns import FunctionArn, function_arn, parse_function_arn
from lambdaport.invoke.concurrency import ConcurrencyLimiter


@pytest.mark.parametrize(
    ("status", "kind"),
    [(403, AccessDenied), (404, ResourceNotFound), (409, ResourceConflict), (429, Throttled)],
)
def test_a_plain_error_gets_the_kind_of_its_status(status: int, kind: type[AwsError]) -> None:
    plain = AwsError("Code", "said", status, fields={"Reason": "r"}, headers={"Retry-After": "1"})
    found = typed(plain)
    assert isinstance(found, kind)
    assert (found.code, found.message, found.status) == ("Code", "said", status)
    assert found.fields == {"Reason": "r"}
    assert found.headers == {"Retry-After": "1"}


def test_errors_with_a_kind_or_none_stay_as_they_are() -> None:
    for error in (
        resource_not_found("gone"),
        AwsError("InvalidParameterValueException", "bad", 400),
        service_error("boom"),
    ):
        assert typed(error) is error


def test_the_lambda_errors_are_raised_as_their_kinds() -> None:
    assert isinstance(resource_not_found("x"), ResourceNotFound)
    assert isinstance(resource_conflict("x"), ResourceConflict)
    limiter = ConcurrencyLimiter(0)
    with pytest.raises(Throttled) as raised:
        limiter.acquire(("000000000000", "us-east-1"), "arn", None, 0)
    assert raised.value.code == "TooManyRequestsException"


def test_transient_errors_are_throttles_conflicts_and_server_faults() -> None:
    assert is_transient(Throttled("TooManyRequestsException", "Rate Exceeded.", 429))
    assert is_transient(resource_conflict("Pending"))
    assert is_transient(service_error("boom"))
    assert is_transient(AwsError("ServiceUnavailable", "later", 503))
    assert not is_transient(resource_not_found("gone"))
    assert not is_transient(AccessDenied("AccessDeniedException", "no", 403))
    assert not is_transient(AwsError("InvalidRequestContentException", "bad", 400))


ACCOUNT = "111122223333"


@pytest.mark.parametrize(
    ("arn", "parts"),
    [
        (f"arn:aws:lambda:eu-west-1:{ACCOUNT}:function:fn", ("eu-west-1", ACCOUNT, "fn", None)),
        (
            f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:f:live",
            ("us-east-1", ACCOUNT, "f", "live"),
        ),
        (
            f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:f:$LATEST",
            ("us-east-1", ACCOUNT, "f", "$LATEST"),
        ),
    ],
)
def test_function_arns(arn: str, parts: tuple[str, str, str, str | None]) -> None:
    parsed = parse_function_arn(arn)
    assert parsed is not None
    assert (parsed.region, parsed.account_id, parsed.name, parsed.qualifier) == parts
    assert str(parsed) == arn
    assert parsed.unqualified == function_arn(*parts[:3])


@pytest.mark.parametrize(
    "arn",
    [
        "fn",
        "111122223333:function:fn",
        "arn:aws:sqs:us-east-1:111122223333:queue",
        "arn:aws:lambda:us-east-1:111122223333:layer:l:1",
        "arn:aws:lambda:us-east-1:111122223333:function:fn:1:extra",
        "arn:aws:lambda:us-east-1:111122223333:function:",
    ],
)
def test_what_is_not_a_function_arn(arn: str) -> None:
    assert parse_function_arn(arn) is None


def test_function_arn_round_trip() -> None:
    arn = FunctionArn("aws-cn", "cn-north-1", "111122223333", "fn", "3")
    assert parse_function_arn(str(arn)) == arn
