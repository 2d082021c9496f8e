"""The trace header's Lineage as the invoker reads and writes it (``invoke/recursion.py``),
including a header as botocore sends it from inside a function (``|`` percent-encoded)."""

from __future__ import annotations

from urllib.parse import quote

from lambdaport.invoke.recursion import MAX_INVOCATIONS, carried, function_hash, is_recursive

ARN = "arn:aws:lambda:us-east-1:000000000000:function:loop"
ROOT = "Root=1-6567a1b2-0123456789abcdef01234567;Parent=0123456789abcdef;Sampled=0"


def test_a_first_invocation_starts_the_lineage() -> None:
    header, before = carried(ROOT, ARN)
    assert (header, before) == (f"{ROOT};Lineage=1:{function_hash(ARN)}:0", 0)


def test_each_function_is_counted_apart_and_the_sdk_encoding_is_read() -> None:
    own = function_hash(ARN)
    sent = quote(f"{ROOT};Lineage=1:0badf00d:4|{own}:2", safe="-=;:+&[]{}\"',")
    assert "%7C" in sent  # what botocore's recursion-detection header looks like
    header, before = carried(sent, ARN)
    assert before == 3
    assert header == f"{ROOT};Lineage=1:0badf00d:4|{own}:3"


def test_old_style_entries_without_a_version_are_read() -> None:
    header, before = carried(f"{ROOT};Lineage={function_hash(ARN)}:7", ARN)
    assert before == 8 and header.endswith(f"Lineage=1:{function_hash(ARN)}:8")


def test_the_17th_run_is_recursive() -> None:
    assert not is_recursive(MAX_INVOCATIONS - 1)
    assert is_recursive(MAX_INVOCATIONS)
    assert MAX_INVOCATIONS == 16
