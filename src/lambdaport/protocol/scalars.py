"""Scalar conversions shared by every protocol: timestamps, booleans, numbers, blobs.

Text-borne scalars (URI labels, query strings, headers, XML text, query-protocol form
fields) are converted by the functions returned from :func:`text_reader`; the wire form
of a value going out is produced by :func:`text_writer`. Timestamps come in as aware UTC
``datetime`` objects and go out in the format the model (or the protocol default) asks for.
"""

from __future__ import annotations

import base64
import binascii
import math
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any

from lambdaport.errors import AwsError

TextReader = Callable[[str], Any]
TextWriter = Callable[[Any], str]

ISO8601 = "iso8601"
UNIX_TIMESTAMP = "unixtimestamp"
RFC822 = "rfc822"


def serialization_error(message: str) -> AwsError:
    return AwsError("SerializationException", message, 400)


def timestamp_format(shape: Any, default: str) -> str:
    fmt = shape.serialization.get("timestampFormat")
    return str(fmt).lower() if fmt else default


def parse_timestamp(value: Any) -> datetime:
    """Any wire form of a timestamp (epoch number, ISO 8601, RFC 822) as an aware UTC datetime."""
    if isinstance(value, bool):
        raise serialization_error(f"Cannot convert {value!r} to a timestamp")
    if isinstance(value, int | float):
        return _from_epoch(value)
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    text = str(value).strip()
    try:
        seconds = float(text)
    except ValueError:
        pass
    else:
        return _from_epoch(seconds)
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        try:
            parsed = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError) as exc:
            raise serialization_error(f"Cannot convert '{text}' to a timestamp") from exc
    return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _from_epoch(seconds: float) -> datetime:
    try:
        return datetime.fromtimestamp(seconds, tz=UTC)
    except (OverflowError, OSError, ValueError) as exc:  # out of datetime's range, NaN
        raise serialization_error(f"Cannot convert {seconds!r} to a timestamp") from exc


def to_datetime(value: Any) -> datetime | None:
    """A result's timestamp (datetime, epoch seconds or ISO text) as an aware datetime."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    try:
        return parse_timestamp(value)
    except AwsError:
        return None


def format_timestamp(value: Any, fmt: str) -> Any:
    """The wire form of a timestamp; unknown text is passed through untouched."""
    moment = to_datetime(value)
    if moment is None:
        return value
    if fmt == UNIX_TIMESTAMP:
        seconds = moment.timestamp()
        return int(seconds) if seconds.is_integer() else round(seconds, 6)
    if fmt == RFC822:
        return format_datetime(moment.astimezone(UTC), usegmt=True)
    moment = moment.astimezone(UTC)
    if moment.microsecond:
        return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def decode_base64(text: str | bytes) -> bytes:
    try:
        return base64.b64decode(text, validate=False)
    except (binascii.Error, ValueError) as exc:
        raise serialization_error("Invalid base64 value") from exc


def encode_base64(value: bytes | bytearray | str) -> str:
    raw = value.encode() if isinstance(value, str) else bytes(value)
    return base64.b64encode(raw).decode("ascii")


def parse_boolean(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered == "true":
        return True
    if lowered == "false":
        return False
    raise serialization_error(f"Cannot convert '{text}' to a boolean")


def parse_integer(text: str) -> int:
    try:
        return int(text)
    except ValueError as exc:
        raise serialization_error(f"Cannot convert '{text}' to an integer") from exc


def parse_float(text: str) -> float:
    try:
        return float(text)
    except ValueError as exc:
        raise serialization_error(f"Cannot convert '{text}' to a number") from exc


def format_float(value: Any) -> str:
    number = float(value)
    if math.isnan(number):
        return "NaN"
    if math.isinf(number):
        return "Infinity" if number > 0 else "-Infinity"
    return str(int(number)) if number.is_integer() and abs(number) < 1e16 else repr(number)


def _identity(text: str) -> str:
    return text


def text_reader(shape: Any, default_timestamp: str) -> TextReader:
    """A converter from a text form (URI, query, header, XML text) to the shape's type."""
    kind = shape.type_name
    if kind in ("integer", "long"):
        return parse_integer
    if kind in ("double", "float"):
        return parse_float
    if kind == "boolean":
        return parse_boolean
    if kind == "timestamp":
        return parse_timestamp
    if kind == "blob":
        return decode_base64
    return _identity


def text_writer(shape: Any, default_timestamp: str) -> TextWriter:
    """A converter from a value of the shape's type to its text form."""
    kind = shape.type_name
    if kind == "boolean":
        return lambda value: "true" if value else "false"
    if kind in ("double", "float"):
        return format_float
    if kind == "timestamp":
        fmt = timestamp_format(shape, default_timestamp)
        return lambda value: str(format_timestamp(value, fmt))
    if kind == "blob":
        return encode_base64
    return str
