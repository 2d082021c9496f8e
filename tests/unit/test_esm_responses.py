"""Partial batch responses read as AWS reads them (services-sqs-errorhandling): which
responses succeed whole, which name failures, which fail the whole batch."""

from __future__ import annotations

import pytest

from lambdaport.esm.responses import failed_items

BATCH = ("a", "b", "c")


@pytest.mark.parametrize(
    "payload",
    [b"", b"null", b"{}", b'{"batchItemFailures": []}', b'{"batchItemFailures": null}', b'"ok"'],
)
def test_complete_success(payload: bytes) -> None:
    assert failed_items(payload, BATCH) == frozenset()


def test_named_failures_only() -> None:
    payload = b'{"batchItemFailures": [{"itemIdentifier": "b"}, {"itemIdentifier": "c"}]}'
    assert failed_items(payload, BATCH) == {"b", "c"}


@pytest.mark.parametrize(
    "payload",
    [
        b"not json",
        b'{"batchItemFailures": [{"itemIdentifier": ""}]}',
        b'{"batchItemFailures": [{"itemIdentifier": null}]}',
        b'{"batchItemFailures": [{"itemIdentifer": "a"}]}',
        b'{"batchItemFailures": [{"itemIdentifier": "z"}]}',
        b'{"batchItemFailures": ["a"]}',
        b'{"batchItemFailures": "a"}',
    ],
)
def test_a_malformed_response_fails_the_whole_batch(payload: bytes) -> None:
    assert failed_items(payload, BATCH) == set(BATCH)
