"""Stream records of every DynamoDB write kind, through boto3 on a real server: PutItem,
UpdateItem, DeleteItem, BatchWriteItem, TransactWriteItems and PartiQL's ExecuteStatement,
BatchExecuteStatement and ExecuteTransaction, in each view type — INSERT, MODIFY and REMOVE
with the images the view type keeps, and no record for a write that changed nothing."""

from __future__ import annotations

import math
import time
from typing import TYPE_CHECKING, Any

import pytest

from tests.services.dynamodbstreams.conftest import MakeTable, events, read_stream

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodbstreams import DynamoDBStreamsClient

VIEW_TYPES = ("KEYS_ONLY", "NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES")
A = {"pk": {"S": "a"}}
B = {"pk": {"S": "b"}}


@pytest.mark.parametrize("view_type", VIEW_TYPES)
def test_put_update_delete_in_each_view_type(
    dynamodb: DynamoDBClient,
    streams: DynamoDBStreamsClient,
    make_table: MakeTable,
    view_type: str,
) -> None:
    table, arn = make_table(view_type)
    v1 = {**A, "v": {"N": "1"}}
    v2 = {**A, "v": {"N": "2"}}
    dynamodb.put_item(TableName=table, Item=v1)  # INSERT
    dynamodb.put_item(TableName=table, Item=v1)  # the same item: nothing changed, no record
    dynamodb.put_item(TableName=table, Item=v2)  # MODIFY
    dynamodb.update_item(  # an item UpdateItem makes: one INSERT
        TableName=table,
        Key=B,
        UpdateExpression="SET w = :w",
        ExpressionAttributeValues={":w": {"S": "x"}},
    )
    dynamodb.update_item(  # sets what is there already: no record
        TableName=table,
        Key=B,
        UpdateExpression="SET w = :w",
        ExpressionAttributeValues={":w": {"S": "x"}},
    )
    dynamodb.delete_item(TableName=table, Key=A)  # REMOVE
    dynamodb.delete_item(TableName=table, Key=A)  # nothing to delete: no record
    records = read_stream(streams, arn)
    assert events(records) == [("INSERT", A), ("MODIFY", A), ("INSERT", B), ("REMOVE", A)]
    b_image = {**B, "w": {"S": "x"}}
    new = {"NEW_IMAGE", "NEW_AND_OLD_IMAGES"}
    old = {"OLD_IMAGE", "NEW_AND_OLD_IMAGES"}
    expected = [
        (v1 if view_type in new else None, None),
        (v2 if view_type in new else None, v1 if view_type in old else None),
        (b_image if view_type in new else None, None),
        (None, v2 if view_type in old else None),
    ]
    found = [(r["dynamodb"].get("NewImage"), r["dynamodb"].get("OldImage")) for r in records]
    assert found == expected
    for record in records:
        assert record["dynamodb"]["StreamViewType"] == view_type
        assert record["eventSource"] == "aws:dynamodb"
        assert record["eventVersion"] == "1.1"
        assert record["awsRegion"] == "us-east-1"
        assert len(record["eventID"]) == 32
        assert "userIdentity" not in record


def test_records_are_numbered_timed_and_sized(
    dynamodb: DynamoDBClient, streams: DynamoDBStreamsClient, make_table: MakeTable
) -> None:
    table, arn = make_table("NEW_AND_OLD_IMAGES", range_key=True)
    before = math.floor(time.time())
    for number in range(5):
        item = {"pk": {"S": "key"}, "sk": {"N": str(number)}, "text": {"S": "é" * number}}
        dynamodb.put_item(TableName=table, Item=item)
    after = time.time()
    records = read_stream(streams, arn)
    numbers = [r["dynamodb"]["SequenceNumber"] for r in records]
    assert all(number.isdigit() and 21 <= len(number) <= 40 for number in numbers)
    assert [int(n) for n in numbers] == sorted({int(n) for n in numbers})
    for number, record in enumerate(records):
        assert record["dynamodb"]["Keys"] == {"pk": {"S": "key"}, "sk": {"N": str(number)}}
        created = record["dynamodb"]["ApproximateCreationDateTime"].timestamp()
        assert before <= created <= after and created == math.floor(created)
        # as DynamoDB sizes items: names, UTF-8 strings, numbers (1 + digits / 2, rounded up)
        keys = len("pk") + len("key") + len("sk") + 2
        image = keys + len("text") + len(("é" * number).encode())
        assert record["dynamodb"]["SizeBytes"] == keys + image


def test_all_attribute_types_round_trip(
    dynamodb: DynamoDBClient, streams: DynamoDBStreamsClient, make_table: MakeTable
) -> None:
    table, arn = make_table("NEW_IMAGE")
    item: dict[str, Any] = {
        **A,
        "s": {"S": "text"},
        "n": {"N": "-12.5"},
        "b": {"B": b"\x00\xffbytes"},
        "ss": {"SS": ["x", "y"]},
        "ns": {"NS": ["1", "2"]},
        "bs": {"BS": [b"\x01", b"\x02"]},
        "m": {"M": {"inner": {"L": [{"S": "deep"}, {"N": "3"}, {"B": b"\x03"}]}}},
        "l": {"L": [{"BOOL": True}, {"NULL": True}]},
        "bool": {"BOOL": False},
    }
    dynamodb.put_item(TableName=table, Item=item)
    [record] = read_stream(streams, arn)
    image = record["dynamodb"]["NewImage"]
    for kind in ("ss", "ns", "bs"):
        image[kind] = {k: sorted(v) for k, v in image[kind].items()}
    assert image == item


def test_batch_write_item_across_tables(
    dynamodb: DynamoDBClient, streams: DynamoDBStreamsClient, make_table: MakeTable
) -> None:
    streamed, arn = make_table("KEYS_ONLY")
    plain, no_stream = make_table(None)
    assert no_stream == ""
    dynamodb.put_item(TableName=streamed, Item=A)
    dynamodb.batch_write_item(
        RequestItems={
            streamed: [
                {"PutRequest": {"Item": B}},
                {"DeleteRequest": {"Key": A}},
                {"PutRequest": {"Item": {"pk": {"S": "c"}}}},
            ],
            plain: [{"PutRequest": {"Item": A}}],
        }
    )
    assert events(read_stream(streams, arn)) == [
        ("INSERT", A),
        ("INSERT", B),
        ("REMOVE", A),
        ("INSERT", {"pk": {"S": "c"}}),
    ]
    listed = streams.list_streams()["Streams"]
    assert plain not in {s["TableName"] for s in listed}


def test_transact_write_items_and_a_cancelled_transaction(
    dynamodb: DynamoDBClient, streams: DynamoDBStreamsClient, make_table: MakeTable
) -> None:
    table, arn = make_table("NEW_AND_OLD_IMAGES")
    dynamodb.put_item(TableName=table, Item={**A, "v": {"N": "1"}})
    dynamodb.transact_write_items(
        TransactItems=[
            {"Put": {"TableName": table, "Item": B}},
            {
                "Update": {
                    "TableName": table,
                    "Key": A,
                    "UpdateExpression": "SET v = :v",
                    "ExpressionAttributeValues": {":v": {"N": "2"}},
                }
            },
        ]
    )
    with pytest.raises(dynamodb.exceptions.TransactionCanceledException):
        dynamodb.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": table, "Item": {"pk": {"S": "never"}}}},
                {"Delete": {"TableName": table, "Key": B}},
                {
                    "ConditionCheck": {
                        "TableName": table,
                        "Key": A,
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                },
            ]
        )
    with pytest.raises(dynamodb.exceptions.ConditionalCheckFailedException):
        dynamodb.put_item(
            TableName=table, Item={**A, "v": {"N": "9"}}, ConditionExpression="v = :x",
            ExpressionAttributeValues={":x": {"N": "7"}},
        )  # fmt: skip
    records = read_stream(streams, arn)
    assert events(records) == [("INSERT", A), ("INSERT", B), ("MODIFY", A)]
    assert records[2]["dynamodb"]["OldImage"] == {**A, "v": {"N": "1"}}
    assert records[2]["dynamodb"]["NewImage"] == {**A, "v": {"N": "2"}}
    assert dynamodb.scan(TableName=table)["Count"] == 2


def test_partiql_writes(
    dynamodb: DynamoDBClient, streams: DynamoDBStreamsClient, make_table: MakeTable
) -> None:
    table, arn = make_table("NEW_AND_OLD_IMAGES")
    dynamodb.put_item(TableName=table, Item={**B, "v": {"N": "5"}})
    dynamodb.execute_statement(Statement=f"INSERT INTO \"{table}\" VALUE {{'pk': 'a', 'v': 'x'}}")
    dynamodb.execute_statement(
        Statement=f'UPDATE "{table}" SET v = ? WHERE pk = ?', Parameters=[{"S": "y"}, A["pk"]]
    )
    dynamodb.execute_statement(Statement=f"SELECT * FROM \"{table}\" WHERE pk = 'a'")
    dynamodb.batch_execute_statement(
        Statements=[
            {"Statement": f"INSERT INTO \"{table}\" VALUE {{'pk': 'c'}}"},
            {"Statement": f"DELETE FROM \"{table}\" WHERE pk = 'b'"},
        ]
    )
    dynamodb.execute_transaction(
        TransactStatements=[
            {"Statement": f"INSERT INTO \"{table}\" VALUE {{'pk': 'd'}}"},
            {"Statement": f"DELETE FROM \"{table}\" WHERE pk = 'a'"},
        ]
    )
    records = read_stream(streams, arn)
    assert events(records) == [
        ("INSERT", B),
        ("INSERT", A),
        ("MODIFY", A),
        ("INSERT", {"pk": {"S": "c"}}),
        ("REMOVE", B),
        ("INSERT", {"pk": {"S": "d"}}),
        ("REMOVE", A),
    ]
    assert records[2]["dynamodb"]["OldImage"] == {**A, "v": {"S": "x"}}
    assert records[2]["dynamodb"]["NewImage"] == {**A, "v": {"S": "y"}}
    assert records[4]["dynamodb"]["OldImage"] == {**B, "v": {"N": "5"}}


def test_a_table_without_a_stream_makes_no_records(
    dynamodb: DynamoDBClient, streams: DynamoDBStreamsClient, make_table: MakeTable
) -> None:
    table, arn = make_table(None)
    assert arn == ""
    dynamodb.put_item(TableName=table, Item=A)
    described = dynamodb.describe_table(TableName=table)["Table"]
    assert "LatestStreamArn" not in described and "StreamSpecification" not in described
    assert streams.list_streams(TableName=table)["Streams"] == []
