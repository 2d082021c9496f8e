"""Request ids and X-Ray trace headers, made cheaply on the invoke path.

Both are random, not secret: ``random.getrandbits`` (seeded from the OS at start and again in
every forked child) is about three times cheaper than ``uuid.uuid4()``, which reads
``os.urandom`` and builds a ``UUID`` object for every request.
"""

from __future__ import annotations

import time
from random import getrandbits

# Version 4 and the RFC 4122 variant, as uuid.uuid4() sets them.
_CLEAR = ~((0xF << 76) | (0x3 << 62))
_SET = (0x4 << 76) | (0x2 << 62)


def new_request_id() -> str:
    """A random version-4 UUID in its canonical text form."""
    h = f"{(getrandbits(128) & _CLEAR) | _SET:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def new_trace_header() -> str:
    """An X-Ray trace header for a call that came without one (not sampled)."""
    bits = getrandbits(160)
    return (
        f"Root=1-{int(time.time()):08x}-{bits >> 64:024x};"
        f"Parent={bits & 0xFFFFFFFFFFFFFFFF:016x};Sampled=0"
    )
