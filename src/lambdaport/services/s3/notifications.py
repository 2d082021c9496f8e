"""Bucket notification configurations: parsed, validated as S3 validates them when they are
saved (event names, filter rules, overlapping configurations, destinations), and matched
against the events operations report.
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from lambdaport.errors import AwsError
from lambdaport.services.s3.errors import invalid_argument

DestinationKind = Literal["lambda", "queue", "topic"]

# PutBucketNotificationConfiguration members: (list member, ARN member, destination kind)
SECTIONS: tuple[tuple[str, str, DestinationKind], ...] = (
    ("LambdaFunctionConfigurations", "LambdaFunctionArn", "lambda"),
    ("QueueConfigurations", "QueueArn", "queue"),
    ("TopicConfigurations", "TopicArn", "topic"),
)

EVENT_TYPES = frozenset(
    {
        "s3:ReducedRedundancyLostObject",
        "s3:ObjectCreated:*",
        "s3:ObjectCreated:Put",
        "s3:ObjectCreated:Post",
        "s3:ObjectCreated:Copy",
        "s3:ObjectCreated:CompleteMultipartUpload",
        "s3:ObjectRemoved:*",
        "s3:ObjectRemoved:Delete",
        "s3:ObjectRemoved:DeleteMarkerCreated",
        "s3:ObjectRestore:*",
        "s3:ObjectRestore:Post",
        "s3:ObjectRestore:Completed",
        "s3:ObjectRestore:Delete",
        "s3:Replication:*",
        "s3:Replication:OperationFailedReplication",
        "s3:Replication:OperationNotTracked",
        "s3:Replication:OperationMissedThreshold",
        "s3:Replication:OperationReplicatedAfterThreshold",
        "s3:LifecycleExpiration:*",
        "s3:LifecycleExpiration:Delete",
        "s3:LifecycleExpiration:DeleteMarkerCreated",
        "s3:LifecycleTransition",
        "s3:IntelligentTiering",
        "s3:ObjectTagging:*",
        "s3:ObjectTagging:Put",
        "s3:ObjectTagging:Delete",
        "s3:ObjectAcl:Put",
    }
)


@dataclass(frozen=True, slots=True)
class Destination:
    """One configuration of a bucket's notification configuration."""

    kind: DestinationKind
    arn: str
    configuration_id: str
    events: tuple[str, ...]  # as configured, with the "s3:" prefix
    prefix: str = ""
    suffix: str = ""

    def matches(self, event_name: str, key: str) -> bool:
        """``event_name`` as in records (``ObjectCreated:Put``); filters on the raw key."""
        return (
            any(_covers(event, "s3:" + event_name) for event in self.events)
            and key.startswith(self.prefix)
            and key.endswith(self.suffix)
        )

    def overlaps(self, other: Destination) -> bool:
        events = any(_covers(a, b) or _covers(b, a) for a in self.events for b in other.events)
        prefixes = self.prefix.startswith(other.prefix) or other.prefix.startswith(self.prefix)
        suffixes = self.suffix.endswith(other.suffix) or other.suffix.endswith(self.suffix)
        return events and prefixes and suffixes


def _covers(configured: str, event: str) -> bool:
    if configured.endswith(":*"):
        return event.startswith(configured[:-1]) or event == configured
    return configured == event


def _new_id() -> str:
    return base64.b64encode(str(uuid.uuid4()).encode()).decode().rstrip("=")


def _filter(config: Mapping[str, Any]) -> tuple[str, str]:
    rules = ((config.get("Filter") or {}).get("Key") or {}).get("FilterRules") or []
    found: dict[str, str] = {}
    for rule in rules:
        name = str(rule.get("Name", "")).lower()
        if name not in ("prefix", "suffix"):
            raise invalid_argument(
                "filter rule name must be either prefix or suffix",
                "FilterRule.Name",
                str(rule.get("Name")),
            )
        if name in found:
            raise invalid_argument(
                f"Cannot specify more than one {name} rule in a filter.",
                "FilterRule.Name",
                name,
            )
        found[name] = str(rule.get("Value", ""))
    return found.get("prefix", ""), found.get("suffix", "")


def normalize(configuration: Mapping[str, Any]) -> dict[str, Any]:
    """The configuration to keep: every configuration gets an ``Id`` (generated as S3 does
    when none is given); event names and filter rules are checked."""
    kept: dict[str, Any] = {}
    for section, arn_member, _ in SECTIONS:
        items = []
        for item in configuration.get(section) or []:
            events = list(item.get("Events") or [])
            if not events or not item.get(arn_member):
                raise invalid_argument(
                    "A notification configuration needs a destination and at least one event",
                    section,
                )
            for event in events:
                if event not in EVENT_TYPES:
                    raise invalid_argument(
                        "The event is not supported for notifications", "Event", str(event)
                    )
            _filter(item)
            items.append({**item, "Id": item.get("Id") or _new_id()})
        if items:
            kept[section] = items
    if "EventBridgeConfiguration" in configuration:
        kept["EventBridgeConfiguration"] = {}
    return kept


def destinations(configuration: Mapping[str, Any] | None) -> list[Destination]:
    found: list[Destination] = []
    for section, arn_member, kind in SECTIONS:
        for item in (configuration or {}).get(section) or []:
            prefix, suffix = _filter(item)
            found.append(
                Destination(
                    kind,
                    str(item[arn_member]),
                    str(item.get("Id") or ""),
                    tuple(item.get("Events") or ()),
                    prefix,
                    suffix,
                )
            )
    return found


def check_overlaps(found: Iterable[Destination]) -> None:
    listed = list(found)
    for index, first in enumerate(listed):
        for second in listed[index + 1 :]:
            if first.overlaps(second):
                raise invalid_argument(
                    "Configurations overlap. Configurations on the same bucket cannot share a "
                    "common event type.",
                    "Event",
                    ",".join(first.events),
                )


def check_regions(found: Iterable[Destination], region: str) -> None:
    for destination in found:
        parts = destination.arn.split(":")
        if len(parts) < 6 or parts[0] != "arn":
            raise invalid_argument("The ARN is not well formed", "ARN", destination.arn)
        if parts[3] != region:
            raise invalid_argument(
                "The notification destination service region is not valid for the bucket "
                "location constraint",
                "ARN",
                destination.arn,
            )


def unable_to_validate(failures: list[tuple[str, str]]) -> AwsError:
    """S3's refusal when destinations cannot be validated, one numbered pair per failure."""
    fields: dict[str, Any] = {}
    for index, (arn, reason) in enumerate(failures, start=1):
        fields[f"ArgumentName{index}"] = arn
        fields[f"ArgumentValue{index}"] = reason
    return AwsError(
        "InvalidArgument",
        "Unable to validate the following destination configurations",
        400,
        fields=fields,
    )
