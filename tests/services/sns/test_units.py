"""SNS's pure parts: retry schedules, the canonical string, filter-policy attribute values."""

from __future__ import annotations

from pathlib import Path

from lambdaport.services.sns.filtering import accepts, attribute_event, compile_filter_policy
from lambdaport.services.sns.messages import Published, render
from lambdaport.services.sns.models import Attribute
from lambdaport.services.sns.retry import MANAGED_POLICY, RetryPolicy, http_policy
from lambdaport.services.sns.signing import Signer, canonical_string


def test_default_http_policy_is_three_retries_twenty_seconds_apart() -> None:
    policy = http_policy({})
    assert [policy.delay(i) for i in range(4)] == [20.0, 20.0, 20.0, None]


def test_http_policy_phases() -> None:
    policy = RetryPolicy.from_json(
        {
            "numRetries": 7,
            "numNoDelayRetries": 1,
            "numMinDelayRetries": 1,
            "numMaxDelayRetries": 2,
            "minDelayTarget": 2,
            "maxDelayTarget": 10,
            "backoffFunction": "linear",
        }
    )
    assert [policy.delay(i) for i in range(8)] == [0.0, 2.0, 2.0, 6.0, 10.0, 10.0, 10.0, None]


def test_managed_policy_for_lambda_and_sqs() -> None:
    delays = [MANAGED_POLICY.delay(i) for i in range(16)]
    assert delays[:3] == [0.0, 0.0, 0.0]
    assert delays[3:5] == [1.0, 1.0]
    backoff = [d for d in delays[5:15] if d is not None]
    assert len(backoff) == 10
    assert backoff[0] == 1.0 and backoff[-1] == 20.0
    assert backoff == sorted(backoff)
    assert MANAGED_POLICY.delay(100_014) == 20.0
    assert MANAGED_POLICY.delay(100_015) is None


def test_canonical_strings_follow_the_documented_order() -> None:
    notification = {
        "Type": "Notification",
        "MessageId": "id",
        "TopicArn": "arn",
        "Message": "m",
        "Timestamp": "t",
        "Subject": None,
    }
    assert canonical_string(notification) == (
        "Message\nm\nMessageId\nid\nTimestamp\nt\nTopicArn\narn\nType\nNotification\n"
    )
    confirmation = {
        "Type": "SubscriptionConfirmation",
        "MessageId": "id",
        "Token": "tok",
        "TopicArn": "arn",
        "Message": "m",
        "SubscribeURL": "u",
        "Timestamp": "t",
    }
    assert canonical_string(confirmation) == (
        "Message\nm\nMessageId\nid\nSubscribeURL\nu\nTimestamp\nt\nToken\ntok\n"
        "TopicArn\narn\nType\nSubscriptionConfirmation\n"
    )


def test_the_signing_key_is_made_once_per_directory(tmp_path: Path) -> None:
    first = Signer(tmp_path / "sns")
    second = Signer(tmp_path / "sns")
    assert first.certificate_pem == second.certificate_pem
    assert first.certificate_path == second.certificate_path
    assert (tmp_path / "sns" / "signing-key.pem").stat().st_mode & 0o077 == 0


def test_render_is_json_with_one_key_per_line() -> None:
    text = render({"Type": "Notification", "Message": 'a "quoted"\nline'})
    assert text == '{\n  "Type" : "Notification",\n  "Message" : "a \\"quoted\\"\\nline"\n}'


def test_attribute_values_for_policies() -> None:
    attributes = {
        "s": Attribute("String", "x"),
        "n": Attribute("Number", "2.50"),
        "i": Attribute("Number.int", "7"),
        "a": Attribute("String.Array", '["p", 3]'),
        "b": Attribute("Binary", binary_value=b"\x00"),
    }
    assert attribute_event(attributes) == {"s": "x", "n": 2.5, "i": 7, "a": ["p", 3]}


def test_exists_false_needs_some_attribute() -> None:
    policy = compile_filter_policy('{"store": [{"exists": false}]}', "MessageAttributes")
    bare = Published("id", "arn", "m", "t")
    other = Published("id", "arn", "m", "t", attributes={"x": Attribute("String", "1")})
    assert not accepts(policy, "MessageAttributes", bare, "lambda")
    assert accepts(policy, "MessageAttributes", other, "lambda")
