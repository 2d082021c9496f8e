"""Nothing moto's services acknowledged is lost at restart (``moto_tail/durability.py``):
after a ``kill -9`` with writes in flight, every write that was answered is back, with the
ids, ARNs and timestamps it was answered with; after a clean stop the state comes from the
snapshot; ``--ephemeral`` keeps nothing."""

from __future__ import annotations

import signal
import threading
import time
import uuid
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import boto3

from lambdaport.testing.server import ServerProcess
from tests.helpers import client_options, wait_for

TABLE = "orders"


def clients(server: ServerProcess) -> dict[str, Any]:
    return {
        name: boto3.client(name, **client_options(server.endpoint, read_timeout=30))  # type: ignore[call-overload]
        for name in ("dynamodb", "secretsmanager", "iam", "ssm", "ec2", "kms")
    }


class Writer(threading.Thread):
    """Calls ``write(index)`` for index 0, 1, ... until the server is gone; ``answered``:
    what each answered call returned."""

    def __init__(self, write: Callable[[int], str]) -> None:
        super().__init__(daemon=True)
        self._write = write
        self.answered: list[str] = []

    def run(self) -> None:
        index = 0
        while True:
            try:
                answer = self._write(index)
            except Exception:  # the server was killed: this write was never answered
                return
            self.answered.append(answer)
            index += 1


def item_writer(endpoint: str) -> Writer:
    dynamodb = boto3.client("dynamodb", **client_options(endpoint, read_timeout=30))

    def put(index: int) -> str:
        dynamodb.put_item(TableName=TABLE, Item={"pk": {"S": f"item-{index}"}, "n": {"N": "1"}})
        return f"item-{index}"

    return Writer(put)


def secret_writer(endpoint: str) -> Writer:
    secrets = boto3.client("secretsmanager", **client_options(endpoint, read_timeout=30))

    def create(index: int) -> str:
        return str(secrets.create_secret(Name=f"s-{index}", SecretString=str(index))["ARN"])

    return Writer(create)


def make_state(aws: dict[str, Any]) -> dict[str, Any]:
    """Writes to each service; what they were answered."""
    aws["dynamodb"].create_table(
        TableName=TABLE,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    secrets = aws["secretsmanager"]
    started = time.time()
    secret = secrets.create_secret(Name="db-password", SecretString="first")
    secret_window = (started, time.time())
    second = secrets.put_secret_value(SecretId=secret["ARN"], SecretString="second")
    started = time.time()
    role = aws["iam"].create_role(RoleName="worker", AssumeRolePolicyDocument="{}")["Role"]
    role_window = (started, time.time())
    aws["ssm"].put_parameter(Name="/app/flag", Value="on", Type="String")
    put = aws["ssm"].put_parameter(Name="/app/flag", Value="off", Type="String", Overwrite=True)
    key = aws["kms"].create_key()["KeyMetadata"]["KeyId"]  # key material from os.urandom
    ciphertext = aws["kms"].encrypt(KeyId=key, Plaintext=b"kept")["CiphertextBlob"]
    return {
        "ciphertext": ciphertext,
        "secret_arn": secret["ARN"],
        "secret_versions": {secret["VersionId"], second["VersionId"]},
        "secret_current": second["VersionId"],
        "secret_created": secret_window,
        "role": (role["RoleId"], role["Arn"]),
        "role_created": role_window,
        "parameter_version": put["Version"],
        "default_vpc": aws["ec2"].describe_vpcs()["Vpcs"][0]["VpcId"],
    }


def assert_state(aws: dict[str, Any], made: dict[str, Any]) -> None:
    secrets = aws["secretsmanager"]
    value = secrets.get_secret_value(SecretId="db-password")
    assert (value["ARN"], value["VersionId"], value["SecretString"]) == (
        made["secret_arn"],
        made["secret_current"],
        "second",
    )
    versions = secrets.list_secret_version_ids(SecretId="db-password")["Versions"]
    assert {v["VersionId"] for v in versions} == made["secret_versions"]
    created = secrets.describe_secret(SecretId="db-password")["CreatedDate"]
    assert_during(created, made["secret_created"], resolution=1.0)
    role = aws["iam"].get_role(RoleName="worker")["Role"]
    assert (role["RoleId"], role["Arn"]) == made["role"]
    assert_during(role["CreateDate"], made["role_created"])
    parameter = aws["ssm"].get_parameter(Name="/app/flag")["Parameter"]
    assert (parameter["Value"], parameter["Version"]) == ("off", made["parameter_version"])
    assert aws["ec2"].describe_vpcs()["Vpcs"][0]["VpcId"] == made["default_vpc"]
    assert aws["kms"].decrypt(CiphertextBlob=made["ciphertext"])["Plaintext"] == b"kept"


def assert_during(stamp: datetime, window: tuple[float, float], resolution: float = 0.0) -> None:
    """``stamp`` is a time during the original call (not the time of a replay), to the
    resolution the service answers in."""
    started, answered = window
    assert started - resolution <= stamp.timestamp() <= answered, (stamp, window)


def test_answered_writes_survive_kill_9(data_dir: Path) -> None:
    server = ServerProcess(data_dir)
    server.start()
    try:
        made = make_state(clients(server))
        writers = [item_writer(server.endpoint), secret_writer(server.endpoint)]
        for writer in writers:
            writer.start()
        wait_for(lambda: all(len(w.answered) >= 20 for w in writers), 60, "answered writes")
        server.stop(signal.SIGKILL)  # while each writer's next call is in flight
        for writer in writers:
            writer.join(30)
            assert not writer.is_alive()
    finally:
        server.stop()
    items, secret_arns = (list(writer.answered) for writer in writers)
    with ServerProcess(data_dir) as restarted:
        aws = clients(restarted)
        assert_state(aws, made)
        dynamodb = aws["dynamodb"]
        for key in items:
            item = dynamodb.get_item(TableName=TABLE, Key={"pk": {"S": key}}, ConsistentRead=True)
            assert "Item" in item, f"{key} was answered, then lost"
        for index, arn in enumerate(secret_arns):  # the same random ARN suffix
            assert aws["secretsmanager"].describe_secret(SecretId=f"s-{index}")["ARN"] == arn
        # The replayed state goes on: new writes and reads as before.
        dynamodb.put_item(TableName=TABLE, Item={"pk": {"S": "after"}, "n": {"N": "-1"}})
    with ServerProcess(data_dir) as again:  # and the state after that restart is kept too
        aws = clients(again)
        assert_state(aws, made)
        assert "Item" in aws["dynamodb"].get_item(TableName=TABLE, Key={"pk": {"S": "after"}})


def test_a_clean_stop_leaves_a_snapshot_and_nothing_to_replay(data_dir: Path) -> None:
    with ServerProcess(data_dir) as server:
        made = make_state(clients(server))
    snapshot = data_dir / "moto" / "snapshot"
    assert snapshot.exists()
    segments = list((data_dir / "moto" / "journal").glob("*.log"))
    assert [path.stat().st_size for path in segments] == [0]
    with ServerProcess(data_dir) as restarted:
        assert_state(clients(restarted), made)
    assert "moto state back: 0 journal entries replayed" in restarted.log()


def test_ephemeral_keeps_nothing(tmp_path: Path) -> None:
    name = f"gone-{uuid.uuid4().hex[:8]}"
    data_dir = tmp_path / "ignored"
    with ServerProcess(data_dir, extra_args=("--ephemeral",)) as server:
        clients(server)["secretsmanager"].create_secret(Name=name, SecretString="v")
    assert not (data_dir / "moto").exists()
    with ServerProcess(data_dir, extra_args=("--ephemeral",)) as server:
        listed = clients(server)["secretsmanager"].list_secrets()["SecretList"]
        assert name not in [secret["Name"] for secret in listed]
