"""Filter-pattern syntax: a table of patterns by events (AWS's documented examples)."""

from __future__ import annotations

import pytest

from lambdaport.services.logs.patterns import InvalidPatternError, compile_pattern

ACCESS = '127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326'
NOT_FOUND = '127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /index.html HTTP/1.0" 404 512'
SERVER_ERROR = '10.0.0.7 - - [10/Oct/2000:13:55:36 -0700] "POST /api HTTP/1.1" 503 10'
ERROR_TEXT = "[ERROR 404] frank: Exiting with code 2"
WARN_TEXT = "[WARN] retrying the request"
JSON_EVENT = (
    '{"eventType": "UpdateTrail", "sourceIPAddress": "123.123.123.123", "latency": 12.5, '
    '"user": {"id": "u-1", "groups": ["admin", "dev"]}, "error": true, "gone": null, '
    '"count": 3, "code": "200"}'
)
JSON_OTHER = '{"eventType": "DeleteTrail", "latency": 2, "error": false, "count": 30}'
EVENTS = {
    "access": ACCESS,
    "not_found": NOT_FOUND,
    "server_error": SERVER_ERROR,
    "error_text": ERROR_TEXT,
    "warn_text": WARN_TEXT,
    "json": JSON_EVENT,
    "json_other": JSON_OTHER,
}

# pattern -> the names of the events it matches
TABLE: list[tuple[str, set[str]]] = [
    ("", set(EVENTS)),
    ("   ", set(EVENTS)),
    ("[]", set(EVENTS)),  # the space-delimited pattern of no fields, as AWS takes it
    ("[ ]", set(EVENTS)),
    # terms: all must occur, case-sensitive
    ("ERROR", {"error_text"}),
    ("error", {"json", "json_other"}),
    ("Error", set()),
    ("frank GET", {"access", "not_found"}),
    ('"Exiting with code"', {"error_text"}),
    ('"with Exiting"', set()),
    ("?ERROR ?WARN", {"error_text", "warn_text"}),
    ("?404 ?503", {"not_found", "server_error", "error_text"}),
    ("frank -ERROR", {"access", "not_found"}),
    ("-frank", {"server_error", "warn_text", "json", "json_other"}),
    ("%[45]0[0-9]%", {"not_found", "server_error", "error_text"}),
    ("%^\\[WARN\\]%", {"warn_text"}),
    # JSON patterns
    ('{ $.eventType = "UpdateTrail" }', {"json"}),
    ("{ $.eventType = UpdateTrail }", {"json"}),
    ('{ $.eventType = "*Trail" }', {"json", "json_other"}),
    ("{ $.eventType != UpdateTrail }", {"json_other"}),
    ("{ $.latency > 5 }", {"json"}),
    ("{ $.latency <= 2 }", {"json_other"}),
    ("{ $.count >= 3 && $.count < 4 }", {"json"}),
    ("{ $.count = 3.0 }", {"json"}),
    ("{ $.count = 3e0 }", {"json"}),
    ("{ $.latency > 10 || $.error IS FALSE }", {"json", "json_other"}),
    ("{ ($.latency > 10 || $.count > 10) && $.error IS TRUE }", {"json"}),
    ("{ $.error IS TRUE }", {"json"}),
    ("{ $.gone IS NULL }", {"json"}),
    ("{ $.gone NOT EXISTS }", {"json_other"}),
    ("{ $.user.id EXISTS }", {"json"}),
    ('{ $.user.id = "u-*" }', {"json"}),
    ("{ $.user.groups[0] = admin }", {"json"}),
    ("{ $.user.groups[1] = admin }", set()),
    ("{ $.user.groups[*] = dev }", {"json"}),
    ("{ $.sourceIPAddress = 123.123.* }", {"json"}),
    ("{ $.eventType = %^Up% }", {"json"}),
    ('{ $.code = "200" }', {"json"}),
    ("{ $.missing = 1 }", set()),
    # space-delimited patterns
    (
        "[ip, user, username, timestamp, request, status_code, bytes]",
        {"access", "not_found", "server_error"},
    ),
    ("[ip, user, username, timestamp, request, status_code = 404, bytes]", {"not_found"}),
    ("[ip, user, username, timestamp, request = *.html*, status_code, bytes]", {"not_found"}),
    (
        "[ip, user, username, timestamp, request, status_code = 4* || status_code = 5*, bytes]",
        {"not_found", "server_error"},
    ),
    ("[ip = *.*.*.*, ..., status_code != 200, bytes]", {"not_found", "server_error"}),
    ("[..., bytes > 1000]", {"access"}),
    ("[..., status_code >= 400 && status_code < 500, bytes]", {"not_found"}),
    ("[ip = 10.*, ...]", {"server_error"}),
    ("[ip, user, username = frank, ...]", {"access", "not_found"}),
    (
        '[ip, user, username, timestamp = "10/Oct/2000*", ...]',
        {"access", "not_found", "server_error"},
    ),
    ("[ip, user, username, timestamp, request = %POST%, ...]", {"server_error"}),
    ("[level, message]", set()),
    ("[w1, ...]", set(EVENTS)),
    ("[w1]", set()),
]


@pytest.mark.parametrize(("pattern", "expected"), TABLE, ids=[p or "<empty>" for p, _ in TABLE])
def test_pattern_table(pattern: str, expected: set[str]) -> None:
    matcher = compile_pattern(pattern)
    matched = {name for name, message in EVENTS.items() if matcher.matches(message)}
    assert matched == expected


@pytest.mark.parametrize(
    "pattern",
    [
        "{ $.a = }",
        "{ $.a > abc }",
        "{ a = 1 }",
        "{ ($.a = 1 }",
        "{ $.a IS MAYBE }",
        '"unclosed',
        "[a, , b]",
        "[a = ]",
        "{ $.a = %(% }",
    ],
)
def test_invalid_patterns_are_refused(pattern: str) -> None:
    with pytest.raises(InvalidPatternError):
        compile_pattern(pattern)


def test_non_json_events_never_match_json_patterns() -> None:
    assert not compile_pattern("{ $.a NOT EXISTS }").matches("plain text")
    assert not compile_pattern("{ $.a NOT EXISTS }").matches("[1, 2]")
    assert compile_pattern("{ $.a NOT EXISTS }").matches('{"b": 1}')
