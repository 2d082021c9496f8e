"""The shared content-filter engine (``events.patterns``): every operator, arrays, nesting,
``$or``, and the validation errors."""

from __future__ import annotations

from typing import Any

import pytest

from lambdaport.events.patterns import PatternError, compile_pattern


def matches(pattern: dict[str, Any], event: Any) -> bool:
    return compile_pattern(pattern).matches(event)


def test_exact_strings_are_ored_and_keys_anded() -> None:
    pattern = {"color": ["red", "blue"], "size": ["L"]}
    assert matches(pattern, {"color": "red", "size": "L"})
    assert matches(pattern, {"color": "blue", "size": "L", "other": 1})
    assert not matches(pattern, {"color": "green", "size": "L"})
    assert not matches(pattern, {"color": "red"})
    assert not matches(pattern, {"color": "RED", "size": "L"})


def test_numbers_match_numerically_and_not_as_strings() -> None:
    assert matches({"n": [100]}, {"n": 100.0})
    assert matches({"n": [1.5]}, {"n": 1.5})
    assert not matches({"n": [100]}, {"n": "100"})
    assert not matches({"n": ["100"]}, {"n": 100})


def test_null_and_booleans() -> None:
    assert matches({"a": [None]}, {"a": None})
    assert not matches({"a": [None]}, {})
    assert matches({"a": [True]}, {"a": True})
    assert not matches({"a": [True]}, {"a": 1})
    assert not matches({"a": [False]}, {"a": 0})


def test_arrays_in_the_event_match_when_any_element_does() -> None:
    assert matches({"tags": ["b"]}, {"tags": ["a", "b"]})
    assert not matches({"tags": ["c"]}, {"tags": ["a", "b"]})
    assert not matches({"tags": ["c"]}, {"tags": []})


def test_prefix_suffix_and_their_ignore_case_forms() -> None:
    assert matches({"r": [{"prefix": "us-"}]}, {"r": "us-east-1"})
    assert not matches({"r": [{"prefix": "us-"}]}, {"r": "eu-west-1"})
    assert not matches({"r": [{"prefix": "1"}]}, {"r": 12})
    assert matches({"f": [{"suffix": ".png"}]}, {"f": "a.png"})
    assert not matches({"f": [{"suffix": ".png"}]}, {"f": "a.PNG"})
    assert matches({"f": [{"suffix": {"equals-ignore-case": ".png"}}]}, {"f": "a.PNG"})
    assert matches({"f": [{"prefix": {"equals-ignore-case": "IMG"}}]}, {"f": "img1.png"})


def test_equals_ignore_case_and_wildcard() -> None:
    assert matches({"n": [{"equals-ignore-case": "Alice"}]}, {"n": "aLiCe"})
    assert not matches({"n": [{"equals-ignore-case": "Alice"}]}, {"n": "Alicia"})
    assert matches({"k": [{"wildcard": "dir/*.png"}]}, {"k": "dir/sub/x.png"})
    assert not matches({"k": [{"wildcard": "dir/*.png"}]}, {"k": "other/x.png"})
    assert matches({"k": [{"wildcard": "a.b"}]}, {"k": "a.b"})
    assert not matches({"k": [{"wildcard": "a.b"}]}, {"k": "axb"})


def test_anything_but_values_lists_and_prefix_suffix() -> None:
    pattern = {"s": [{"anything-but": ["rugby", "tennis"]}]}
    assert matches(pattern, {"s": "baseball"})
    assert not matches(pattern, {"s": "rugby"})
    assert matches(pattern, {"s": ["rugby", "baseball"]})  # contains a value that isn't listed
    assert not matches(pattern, {})  # anything-but needs the field
    assert matches({"n": [{"anything-but": 5}]}, {"n": 6})
    assert not matches({"n": [{"anything-but": [5, 6]}]}, {"n": 6.0})
    assert matches({"s": [{"anything-but": {"prefix": "init"}}]}, {"s": "started"})
    assert not matches({"s": [{"anything-but": {"prefix": "init"}}]}, {"s": "initial"})
    assert matches({"s": [{"anything-but": {"suffix": ".tmp"}}]}, {"s": "a.txt"})
    assert not matches({"s": [{"anything-but": {"suffix": ".tmp"}}]}, {"s": "a.tmp"})
    ignore_case = {"s": [{"anything-but": {"equals-ignore-case": ["A", "b"]}}]}
    assert not matches(ignore_case, {"s": "B"})
    assert matches(ignore_case, {"s": "c"})


def test_anything_but_combined_with_exists_false() -> None:
    pattern = {"s": [{"anything-but": ["x"]}, {"exists": False}]}
    assert matches(pattern, {})
    assert matches(pattern, {"s": "y"})
    assert not matches(pattern, {"s": "x"})


@pytest.mark.parametrize(
    ("condition", "value", "expected"),
    [
        ([">", 0, "<=", 5], 5, True),
        ([">", 0, "<=", 5], 0, False),
        ([">", 0, "<=", 5], 5.01, False),
        ([">=", 10], 10, True),
        (["<", 10], 9.99, True),
        (["=", 3], 3.0, True),
        (["=", 3], 4, False),
        ([">", 0], "5", False),
    ],
)
def test_numeric_ranges(condition: list[Any], value: Any, expected: bool) -> None:
    assert matches({"n": [{"numeric": condition}]}, {"n": value}) is expected


def test_exists() -> None:
    assert matches({"a": [{"exists": True}]}, {"a": "x"})
    assert not matches({"a": [{"exists": True}]}, {"b": "x"})
    assert not matches({"a": [{"exists": True}]}, {"a": None})
    assert matches({"a": [{"exists": False}]}, {"b": "x"})
    assert not matches({"a": [{"exists": False}]}, {"a": "x"})


def test_cidr_for_ipv4_and_ipv6() -> None:
    assert matches({"ip": [{"cidr": "10.0.0.0/24"}]}, {"ip": "10.0.0.255"})
    assert not matches({"ip": [{"cidr": "10.0.0.0/24"}]}, {"ip": "10.0.1.1"})
    assert not matches({"ip": [{"cidr": "10.0.0.0/24"}]}, {"ip": "not an ip"})
    assert matches({"ip": [{"cidr": "2001:db8::/32"}]}, {"ip": "2001:db8::1"})


def test_nested_keys() -> None:
    pattern = {"detail": {"state": ["running"], "meta": {"zone": [{"prefix": "us"}]}}}
    assert matches(pattern, {"detail": {"state": "running", "meta": {"zone": "us-1"}}})
    assert not matches(pattern, {"detail": {"state": "running", "meta": {"zone": "eu-1"}}})
    assert not matches(pattern, {"detail": "running"})
    assert matches({"d": {"x": [{"exists": False}]}}, {})
    assert matches({"items": {"id": [2]}}, {"items": [{"id": 1}, {"id": 2}]})


def test_or_groups() -> None:
    pattern = {
        "source": ["app"],
        "$or": [{"level": ["error"]}, {"latency": [{"numeric": [">", 5]}]}],
    }
    assert matches(pattern, {"source": "app", "level": "error"})
    assert matches(pattern, {"source": "app", "latency": 9})
    assert not matches(pattern, {"source": "app", "level": "info", "latency": 1})
    assert not matches(pattern, {"source": "web", "level": "error"})
    nested = {"d": {"$or": [{"a": ["1"]}, {"b": ["2"]}]}}
    assert matches(nested, {"d": {"b": "2"}})
    assert not matches(nested, {"d": {"c": "3"}})


def test_pattern_measures() -> None:
    root = compile_pattern({"a": ["1", "2"], "b": {"c": ["3", "4", "5"]}}).root
    assert root.leaf_keys() == 2
    assert root.combinations() == 6
    assert root.depth() == 2
    ored = compile_pattern({"$or": [{"a": ["1"]}, {"b": ["2", "3"]}]}).root
    assert ored.combinations() == 3


@pytest.mark.parametrize(
    ("pattern", "message"),
    [
        ("not json", "not valid JSON"),
        ("[1]", "must be a JSON object"),
        ("{}", "can not be empty"),
        ({"a": "b"}, "must be an object or an array"),
        ({"a": []}, "Empty arrays"),
        ({"a": [{"nope": 1}]}, "Unrecognized match type nope"),
        ({"a": [{"prefix": 1}]}, "prefix match pattern must be a string"),
        ({"a": [{"numeric": [">"]}]}, "numeric"),
        ({"a": [{"numeric": ["!", 1]}]}, "Unrecognized numeric range operator"),
        ({"a": [{"numeric": [">", 5, "<", 1]}]}, "Bottom must be less than top"),
        ({"a": [{"exists": "yes"}]}, "exists match pattern must be either true or false"),
        ({"a": [{"cidr": "nope"}]}, "Malformed CIDR"),
        ({"a": [{"anything-but": ["x", 1]}]}, "only strings or only numbers"),
        ({"a": [{"anything-but": {"numeric": [">", 1]}}]}, "Unsupported anything-but"),
        ({"$or": [{"a": ["1"]}]}, "at least 2"),
        ({"a": [[1]]}, "match value must be"),
    ],
)
def test_invalid_patterns_are_refused(pattern: Any, message: str) -> None:
    with pytest.raises(PatternError, match=message):
        compile_pattern(pattern)
