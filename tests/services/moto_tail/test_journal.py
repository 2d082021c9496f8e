"""The journal's file format and its rule of what is journaled (``moto_tail/journal.py``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from lambdaport.protocol import load_service_model
from lambdaport.services.moto_tail.catalog import MOTO_APPS
from lambdaport.services.moto_tail.journal import (
    STATEFUL_READS,
    UNREPEATABLE,
    Journal,
    JournalEntry,
    is_read_only,
)
from lambdaport.services.moto_tail.wsgi import WsgiRequest


def entry(seq: int, body: bytes = b'{"TableName": "t"}') -> JournalEntry:
    request = WsgiRequest(
        "POST", "/", "a=1", (("x-amz-target", "DynamoDB_20120810.PutItem"),), body, "h", "81"
    )
    extra = (("x-moto-account-id", "000000000000"),)
    return JournalEntry(seq, 1700000000.25, 2**62 + seq, "dynamodb", "PutItem", request, extra)


def test_entries_come_back_whole_and_in_order(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "journal")
    journal.open(1)
    written = [entry(1), entry(2, bytes(range(256))), entry(3)]
    for one in written:
        journal.append(one)
    journal.close()
    assert list(Journal(tmp_path / "journal").entries()) == written


def test_an_unfinished_record_is_cut_off_and_appending_goes_on(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "journal")
    journal.open(1)
    journal.append(entry(1))
    journal.close()
    (segment,) = (path for _, path in journal.segments())
    whole = segment.stat().st_size
    with segment.open("ab") as file:  # the process died in the middle of a write
        file.write(entry(2).encode()[:-5])
    reopened = Journal(tmp_path / "journal")
    assert [e.seq for e in reopened.entries()] == [1]
    reopened.open(2)
    assert segment.stat().st_size == whole
    reopened.append(entry(2))
    reopened.close()
    assert [e.seq for e in Journal(tmp_path / "journal").entries()] == [1, 2]


def test_rotation_and_dropping_what_a_snapshot_covers(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "journal")
    journal.open(1)
    journal.append(entry(1))
    journal.append(entry(2))
    journal.rotate(3)
    journal.append(entry(3))
    assert [first for first, _ in journal.segments()] == [1, 3]
    journal.drop_before(3)
    journal.close()
    assert [e.seq for e in Journal(tmp_path / "journal").entries()] == [3]


@pytest.mark.parametrize(
    ("service", "operation", "read_only"),
    [
        ("dynamodb", "GetItem", True),
        ("dynamodb", "Query", True),
        ("dynamodb", "BatchGetItem", True),
        ("secretsmanager", "ListSecrets", True),
        ("ec2", "DescribeVpcs", True),
        ("dynamodb", "PutItem", False),
        ("dynamodb", "BatchWriteItem", False),
        ("dynamodb", "ExecuteStatement", False),  # PartiQL may write: not known read-only
        ("sts", "AssumeRole", False),
        ("cognito-identity", "GetId", False),  # creates the identity
        ("cognito-identity", "ListIdentities", True),
    ],
)
def test_what_is_read_only(service: str, operation: str, read_only: bool) -> None:
    assert is_read_only(service, operation) is read_only


def test_the_operations_named_by_the_rules_exist() -> None:
    for service, operation in STATEFUL_READS | UNREPEATABLE:
        assert service in MOTO_APPS, service
        assert operation in load_service_model(service).operation_names, (service, operation)
