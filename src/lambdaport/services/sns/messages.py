"""The messages SNS delivers: the JSON envelope HTTP(S) and SQS endpoints get, the Lambda
event (D.24), and the SubscriptionConfirmation, each signed as SNS signs them."""

from __future__ import annotations

import datetime
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import orjson

from lambdaport.services.sns.models import Attribute
from lambdaport.services.sns.signing import Signer


def sns_timestamp(epoch: float | None = None) -> str:
    """``2012-05-02T00:54:06.655Z`` — SNS's Timestamp format."""
    moment = datetime.datetime.fromtimestamp(epoch or time.time(), datetime.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


@dataclass(frozen=True, slots=True)
class Published:
    """One message accepted by Publish, as every delivery of it needs it."""

    message_id: str
    topic_arn: str
    message: str  # the default message
    timestamp: str
    subject: str | None = None
    attributes: Mapping[str, Attribute] = field(default_factory=dict)
    per_protocol: Mapping[str, str] | None = None  # MessageStructure=json
    group_id: str | None = None
    deduplication_id: str | None = None
    sequence_number: str | None = None
    trace_header: str | None = None  # X-Ray: carried to the Lambda and SQS deliveries

    def text_for(self, protocol: str) -> str:
        """The text a subscription of ``protocol`` gets: with MessageStructure=json, the
        protocol's own entry or else the ``default`` one."""
        if self.per_protocol is None:
            return self.message
        entry = self.per_protocol.get(protocol)
        return self.per_protocol["default"] if entry is None else entry

    def to_json(self) -> dict[str, Any]:
        return {
            "Type": "Notification",
            "MessageId": self.message_id,
            "TopicArn": self.topic_arn,
            "Message": self.message,
            "Timestamp": self.timestamp,
            "Subject": self.subject,
            "MessageAttributes": {k: v.to_json() for k, v in self.attributes.items()},
            "PerProtocol": self.per_protocol,
            "MessageGroupId": self.group_id,
            "MessageDeduplicationId": self.deduplication_id,
            "SequenceNumber": self.sequence_number,
            "TraceHeader": self.trace_header,
        }

    @staticmethod
    def from_json(data: Mapping[str, Any]) -> Published:
        return Published(
            message_id=data["MessageId"],
            topic_arn=data["TopicArn"],
            message=data["Message"],
            timestamp=data["Timestamp"],
            subject=data.get("Subject"),
            attributes={
                k: Attribute.from_json(v) for k, v in (data.get("MessageAttributes") or {}).items()
            },
            per_protocol=data.get("PerProtocol"),
            group_id=data.get("MessageGroupId"),
            deduplication_id=data.get("MessageDeduplicationId"),
            sequence_number=data.get("SequenceNumber"),
            trace_header=data.get("TraceHeader"),
        )


@dataclass(frozen=True, slots=True)
class Confirmation:
    """A SubscriptionConfirmation for an HTTP(S) endpoint."""

    message_id: str
    topic_arn: str
    token: str
    timestamp: str

    @property
    def message(self) -> str:
        return (
            f"You have chosen to subscribe to the topic {self.topic_arn}.\n"
            "To confirm the subscription, visit the SubscribeURL included in this message."
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "Type": "SubscriptionConfirmation",
            "MessageId": self.message_id,
            "TopicArn": self.topic_arn,
            "Token": self.token,
            "Timestamp": self.timestamp,
        }

    @staticmethod
    def from_json(data: Mapping[str, Any]) -> Confirmation:
        return Confirmation(data["MessageId"], data["TopicArn"], data["Token"], data["Timestamp"])


class Envelopes:
    """Builds and signs the messages of one server (its base URL and signing key)."""

    def __init__(self, base_url: str, signer: Signer) -> None:
        self._base = base_url.rstrip("/")
        self._signer = signer

    @property
    def signing_cert_url(self) -> str:
        return self._base + self._signer.certificate_path

    def unsubscribe_url(self, subscription_arn: str) -> str:
        return (
            f"{self._base}/_lambdaport/sns/?Action=Unsubscribe&SubscriptionArn="
            f"{quote(subscription_arn, safe=':')}"
        )

    def subscribe_url(self, topic_arn: str, token: str) -> str:
        return (
            f"{self._base}/_lambdaport/sns/?Action=ConfirmSubscription&TopicArn="
            f"{quote(topic_arn, safe=':')}&Token={token}"
        )

    def notification(
        self, published: Published, protocol: str, subscription_arn: str, version: str
    ) -> dict[str, Any]:
        """The JSON envelope of a Notification (HTTP(S) bodies and SQS message bodies)."""
        out: dict[str, Any] = {"Type": "Notification", "MessageId": published.message_id}
        if published.sequence_number is not None:
            out["SequenceNumber"] = published.sequence_number
        out["TopicArn"] = published.topic_arn
        if published.subject is not None:
            out["Subject"] = published.subject
        out["Message"] = published.text_for(protocol)
        out["Timestamp"] = published.timestamp
        out["SignatureVersion"] = version
        out["Signature"] = self._signer.sign(out, version)
        out["SigningCertURL"] = self.signing_cert_url
        out["UnsubscribeURL"] = self.unsubscribe_url(subscription_arn)
        if published.attributes:
            out["MessageAttributes"] = {k: v.envelope() for k, v in published.attributes.items()}
        return out

    def confirmation(self, confirmation: Confirmation, version: str) -> dict[str, Any]:
        out: dict[str, Any] = {
            "Type": "SubscriptionConfirmation",
            "MessageId": confirmation.message_id,
            "Token": confirmation.token,
            "TopicArn": confirmation.topic_arn,
            "Message": confirmation.message,
            "SubscribeURL": self.subscribe_url(confirmation.topic_arn, confirmation.token),
            "Timestamp": confirmation.timestamp,
            "SignatureVersion": version,
        }
        out["Signature"] = self._signer.sign(out, version)
        out["SigningCertURL"] = self.signing_cert_url
        return out

    def lambda_event(
        self, published: Published, subscription_arn: str, version: str
    ) -> dict[str, Any]:
        """The event a subscribed function receives: one record (D.24)."""
        envelope = self.notification(published, "lambda", subscription_arn, version)
        sns = {
            "Type": "Notification",
            "MessageId": published.message_id,
            "TopicArn": published.topic_arn,
            "Subject": published.subject,
            "Message": envelope["Message"],
            "Timestamp": published.timestamp,
            "SignatureVersion": version,
            "Signature": envelope["Signature"],
            "SigningCertUrl": envelope["SigningCertURL"],
            "UnsubscribeUrl": envelope["UnsubscribeURL"],
            "MessageAttributes": {k: v.envelope() for k, v in published.attributes.items()},
        }
        return {
            "Records": [
                {
                    "EventSource": "aws:sns",
                    "EventVersion": "1.0",
                    "EventSubscriptionArn": subscription_arn,
                    "Sns": sns,
                }
            ]
        }


def render(envelope: Mapping[str, Any]) -> str:
    """The envelope as SNS writes it: one ``"Key" : value`` per line, two-space indent."""
    lines = [
        f"  {orjson.dumps(key).decode()} : {orjson.dumps(value).decode()}"
        for key, value in envelope.items()
    ]
    return "{\n" + ",\n".join(lines) + "\n}"
