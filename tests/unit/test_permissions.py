from __future__ import annotations

from typing import Any

import pytest

from lambdaport.errors import AwsError
from lambdaport.invoke.model import Caller
from lambdaport.invoke.permissions import check_invoke_permission, statement_allows
from lambdaport.lambda_.commands import AddPermission
from lambdaport.lambda_.names import parse_function_arn
from lambdaport.lambda_.policy import build_statement

ARN = "arn:aws:lambda:us-east-1:000000000000:function:fn"


def statement(
    principal: str,
    action: str = "lambda:InvokeFunction",
    source_arn: str | None = None,
    source_account: str | None = None,
) -> Any:
    """The statement AddPermission writes, in IAM's policy language."""
    command = AddPermission(
        parse_function_arn(ARN),
        "s",
        action,
        principal,
        source_arn=source_arn,
        source_account=source_account,
    )
    return build_statement(ARN, command).document()


def s3_statement(source_arn: str | None = None, source_account: str | None = None) -> Any:
    return statement("s3.amazonaws.com", source_arn=source_arn, source_account=source_account)


def test_service_needs_a_matching_statement() -> None:
    caller = Caller("s3.amazonaws.com", "arn:aws:s3:::bucket", "000000000000")
    with pytest.raises(AwsError) as excinfo:
        check_invoke_permission([], caller, ARN, "000000000000", "000000000000")
    assert (excinfo.value.code, excinfo.value.status) == ("AccessDeniedException", 403)
    check_invoke_permission([s3_statement()], caller, ARN, "000000000000", "000000000000")


def test_conditions_source_arn_wildcards_and_account() -> None:
    allowing = s3_statement(source_arn="arn:aws:s3:::buck*", source_account="000000000000")
    assert statement_allows(
        allowing, Caller("s3.amazonaws.com", "arn:aws:s3:::bucket", "000000000000")
    )
    assert not statement_allows(
        allowing, Caller("s3.amazonaws.com", "arn:aws:s3:::other", "000000000000")
    )
    assert not statement_allows(
        allowing, Caller("s3.amazonaws.com", "arn:aws:s3:::bucket", "111122223333")
    )
    assert not statement_allows(allowing, Caller("s3.amazonaws.com"))


def test_other_principal_is_not_allowed() -> None:
    assert not statement_allows(s3_statement(), Caller("sns.amazonaws.com"))


def test_api_callers_are_allowed_by_identity_policy() -> None:
    check_invoke_permission([], Caller(), ARN, "000000000000", "000000000000")


def test_another_account_needs_a_statement_for_it() -> None:
    with pytest.raises(AwsError) as excinfo:
        check_invoke_permission([], Caller(), ARN, "111122223333", "000000000000")
    assert (excinfo.value.code, excinfo.value.status) == ("AccessDeniedException", 403)
    for principal, action in (("111122223333", "lambda:InvokeFunction"), ("*", "lambda:*")):
        check_invoke_permission(
            [statement(principal, action)], Caller(), ARN, "111122223333", "000000000000"
        )
    other = statement("444455556666")
    with pytest.raises(AwsError):
        check_invoke_permission([other], Caller(), ARN, "111122223333", "000000000000")
