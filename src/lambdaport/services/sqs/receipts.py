"""Receipt handles: opaque to clients, to us the queue id, the message's seq and the nonce
of the receive that produced it (only the latest receive's handle can delete)."""

from __future__ import annotations

import base64
import binascii
import secrets
from dataclasses import dataclass
from random import getrandbits

from lambdaport.errors import AwsError

_PREFIX = "lp1"


@dataclass(frozen=True, slots=True)
class Receipt:
    queue_id: int
    seq: int
    nonce: str


def new_nonce() -> str:
    return secrets.token_hex(8)


def encode(queue_id: int, seq: int, nonce: str) -> str:
    """The handle of one message of a receive. The nonce (a secret, one per receive) is what
    makes it the latest receive's; the random tail only makes each handle look its own, so
    it is ``getrandbits`` (no ``os.urandom`` call a message)."""
    raw = f"{_PREFIX} {queue_id} {seq} {nonce} {getrandbits(128):032x}".encode()
    return base64.b64encode(raw).decode()


def invalid_receipt(handle: str) -> AwsError:
    return AwsError(
        "ReceiptHandleIsInvalid",
        f'The input receipt handle "{handle}" is not a valid receipt handle.',
        400,
    )


def decode(handle: str) -> Receipt:
    try:
        parts = base64.b64decode(handle, validate=True).decode().split(" ")
        if len(parts) != 5 or parts[0] != _PREFIX:
            raise ValueError(handle)
        return Receipt(int(parts[1]), int(parts[2]), parts[3])
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise invalid_receipt(handle) from None
