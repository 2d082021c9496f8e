"""The AWS CLI (v1) against S3: ``aws s3 mb/cp/ls/sync/rm/rb`` (multipart with a lowered
threshold) and ``aws s3api`` calls."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import uuid
from pathlib import Path
from typing import Any

from lambdaport.testing.server import Server
from tests.helpers import REGION, aws, cli_env


def _aws(endpoint: str, config_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The AWS CLI with multipart thresholds lowered to 5 MB (so 11 MB is three parts)."""
    config = config_dir / "config"
    config.write_text(
        f"[default]\nregion = {REGION}\ns3 =\n  multipart_threshold = 5MB\n"
        "  multipart_chunksize = 5MB\n"
    )
    done = aws(endpoint, *args, env=cli_env(AWS_CONFIG_FILE=str(config)), timeout=120)
    assert done.returncode == 0, done.stderr
    return done


def _json(done: subprocess.CompletedProcess[str]) -> Any:
    return json.loads(done.stdout) if done.stdout.strip() else None


def test_aws_s3_commands(server: Server, tmp_path: Path) -> None:
    bucket = f"cli-{uuid.uuid4().hex[:12]}"
    endpoint = server.endpoint
    _aws(endpoint, tmp_path, "s3", "mb", f"s3://{bucket}")
    small = tmp_path / "small.txt"
    small.write_text("small file\n")
    big = tmp_path / "big.bin"
    big.write_bytes(os.urandom(11 * 1024 * 1024))
    _aws(endpoint, tmp_path, "s3", "cp", str(small), f"s3://{bucket}/docs/small.txt")
    _aws(endpoint, tmp_path, "s3", "cp", str(big), f"s3://{bucket}/data/big.bin")
    top = _aws(endpoint, tmp_path, "s3", "ls", f"s3://{bucket}/").stdout
    assert "PRE docs/" in top and "PRE data/" in top
    listing = _aws(endpoint, tmp_path, "s3", "ls", "--recursive", f"s3://{bucket}").stdout
    assert "docs/small.txt" in listing and "data/big.bin" in listing
    assert bucket in _aws(endpoint, tmp_path, "s3", "ls").stdout
    back = tmp_path / "back.bin"
    _aws(endpoint, tmp_path, "s3", "cp", f"s3://{bucket}/data/big.bin", str(back))
    assert hashlib.sha256(back.read_bytes()).digest() == hashlib.sha256(big.read_bytes()).digest()
    head = _json(
        _aws(
            endpoint, tmp_path, "s3api", "head-object", "--bucket", bucket, "--key", "data/big.bin"
        )
    )
    assert head["ETag"].endswith('-3"') and head["ContentLength"] == big.stat().st_size
    synced = tmp_path / "synced"
    _aws(endpoint, tmp_path, "s3", "sync", f"s3://{bucket}/docs", str(synced))
    assert (synced / "small.txt").read_text() == "small file\n"
    _aws(endpoint, tmp_path, "s3", "rb", "--force", f"s3://{bucket}")
    assert bucket not in _aws(endpoint, tmp_path, "s3", "ls").stdout


def test_aws_s3api_commands(server: Server, tmp_path: Path) -> None:
    bucket = f"api-{uuid.uuid4().hex[:12]}"
    endpoint = server.endpoint
    _aws(endpoint, tmp_path, "s3api", "create-bucket", "--bucket", bucket)
    body = tmp_path / "body.json"
    body.write_text('{"a": 1}')
    put = _json(
        _aws(
            endpoint,
            tmp_path,
            "s3api",
            "put-object",
            "--bucket",
            bucket,
            "--key",
            "k.json",
            "--body",
            str(body),
            "--content-type",
            "application/json",
            "--tagging",
            "x=y",
        )
    )
    assert put["ETag"] == f'"{hashlib.md5(body.read_bytes()).hexdigest()}"'
    listed = _json(_aws(endpoint, tmp_path, "s3api", "list-objects-v2", "--bucket", bucket))
    assert [o["Key"] for o in listed["Contents"]] == ["k.json"]
    tags = _json(
        _aws(
            endpoint, tmp_path, "s3api", "get-object-tagging", "--bucket", bucket, "--key", "k.json"
        )
    )
    assert tags["TagSet"] == [{"Key": "x", "Value": "y"}]
    out = tmp_path / "out.json"
    got = _json(
        _aws(
            endpoint,
            tmp_path,
            "s3api",
            "get-object",
            "--bucket",
            bucket,
            "--key",
            "k.json",
            str(out),
        )
    )
    assert got["ContentType"] == "application/json" and out.read_text() == '{"a": 1}'
    _aws(endpoint, tmp_path, "s3api", "delete-object", "--bucket", bucket, "--key", "k.json")
    _aws(endpoint, tmp_path, "s3api", "delete-bucket", "--bucket", bucket)
