"""A ``multipart/form-data`` body as browsers send POST Object uploads."""

from __future__ import annotations


def multipart_form(fields: dict[str, str], file_body: bytes, filename: str) -> tuple[bytes, str]:
    boundary = "----lambdaport-form-boundary"
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n".encode()
        + file_body
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"
