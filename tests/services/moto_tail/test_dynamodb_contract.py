"""Contract tests of hook 12 (``moto_tail/hooks.py``): what the DynamoDB Streams hooks read of
moto's DynamoDB tables and items, through the tail's own ``call`` (moto's server-mode app)."""

from __future__ import annotations

import base64
import uuid
from typing import Any

from lambdaport.services.moto_tail import MotoTail, hooks, snapshot
from lambdaport.services.moto_tail.dynamodb import (
    _item,
    _items,
    _key_of,
    image,
    key_schema,
    moto_table,
    partiql_target,
)
from tests.services.moto_tail.test_durability_contract import moto_json
from tests.services.moto_tail.test_hooks import authorization, json_request

ACCOUNT = "515151515151"


def ddb(tail: MotoTail, operation: str, body: object) -> Any:
    return moto_json(tail, "dynamodb", f"DynamoDB_20120810.{operation}", body, ACCOUNT)


def make_table(tail: MotoTail) -> str:
    name = f"t-{uuid.uuid4().hex[:10]}"
    ddb(
        tail,
        "CreateTable",
        {
            "TableName": name,
            "KeySchema": [
                {"AttributeName": "pk", "KeyType": "HASH"},
                {"AttributeName": "sk", "KeyType": "RANGE"},
            ],
            "AttributeDefinitions": [
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "N"},
            ],
            "BillingMode": "PAY_PER_REQUEST",
        },
    )
    return name


ITEM = {
    "pk": {"S": "a"},
    "sk": {"N": "1"},
    "blob": {"B": base64.b64encode(b"\x00\x01").decode()},
    "blobs": {"BS": [base64.b64encode(b"x").decode()]},
    "map": {"M": {"list": {"L": [{"N": "2"}, {"S": "s"}, {"BOOL": True}, {"NULL": True}]}}},
    "set": {"SS": ["p", "q"]},
}


def test_tables_items_and_images_are_read_as_dynamodb_json(tail: MotoTail) -> None:
    name = make_table(tail)
    ddb(tail, "PutItem", {"TableName": name, "Item": ITEM})
    table = moto_table(ACCOUNT, "us-east-1", name)
    assert table is not None
    assert moto_table(ACCOUNT, "us-east-1", f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/{name}")
    assert key_schema(table) == [("pk", "HASH"), ("sk", "RANGE")]
    key = _key_of(table, {"pk": {"S": "a"}, "sk": {"N": "1"}})
    assert key is not None
    item = _item(table, key)
    assert item is not None
    found = image(item)
    assert {k: v for k, v in found.items() if k != "set"} == {
        k: v for k, v in ITEM.items() if k != "set"
    }
    assert sorted(found["set"]["SS"]) == ["p", "q"]
    assert list(_items(table)) == [key]
    assert _key_of(table, {"pk": {"S": "a"}}) is None  # the range key is missing
    missing = _key_of(table, {"pk": {"S": "b"}, "sk": {"N": "1"}})
    assert missing is not None
    assert _item(table, missing) is None


def test_update_item_changes_the_stored_item_in_place(tail: MotoTail) -> None:
    name = make_table(tail)
    ddb(tail, "PutItem", {"TableName": name, "Item": {"pk": {"S": "a"}, "sk": {"N": "1"}}})
    table = moto_table(ACCOUNT, "us-east-1", name)
    before = next(iter(_items(table).values()))
    ddb(
        tail,
        "UpdateItem",
        {
            "TableName": name,
            "Key": {"pk": {"S": "a"}, "sk": {"N": "1"}},
            "UpdateExpression": "SET v = :v",
            "ExpressionAttributeValues": {":v": {"N": "5"}},
        },
    )
    assert next(iter(_items(table).values())) is before  # the same object, changed
    assert image(before)["v"] == {"N": "5"}


def test_put_and_partiql_replace_the_item_object(tail: MotoTail) -> None:
    name = make_table(tail)
    ddb(tail, "PutItem", {"TableName": name, "Item": {"pk": {"S": "a"}, "sk": {"N": "1"}}})
    table = moto_table(ACCOUNT, "us-east-1", name)
    first = dict(_items(table))
    ddb(tail, "PutItem", {"TableName": name, "Item": {"pk": {"S": "a"}, "sk": {"N": "1"}}})
    second = dict(_items(table))
    assert [second[k] is first[k] for k in first] == [False]
    assert image(next(iter(first.values()))) == image(next(iter(second.values())))
    statement = f'UPDATE "{name}" SET v = ? WHERE pk = ? AND sk = ?'
    assert partiql_target(statement) == name
    ddb(
        tail,
        "ExecuteStatement",
        {"Statement": statement, "Parameters": [{"S": "x"}, {"S": "a"}, {"N": "1"}]},
    )
    third = dict(_items(table))
    assert [third[k] is second[k] for k in second] == [False]
    assert image(next(iter(second.values()))) == {"pk": {"S": "a"}, "sk": {"N": "1"}}
    assert image(next(iter(third.values())))["v"] == {"S": "x"}


def test_a_failed_transaction_puts_a_copy_of_the_table_back(tail: MotoTail) -> None:
    name = make_table(tail)
    ddb(tail, "PutItem", {"TableName": name, "Item": {"pk": {"S": "a"}, "sk": {"N": "1"}}})
    before = moto_table(ACCOUNT, "us-east-1", name)
    body = {
        "TransactItems": [
            {"Put": {"TableName": name, "Item": {"pk": {"S": "b"}, "sk": {"N": "2"}}}},
            {
                "ConditionCheck": {
                    "TableName": name,
                    "Key": {"pk": {"S": "a"}, "sk": {"N": "1"}},
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
        ]
    }
    headers = {"authorization": authorization("test", "us-east-1", "dynamodb")}
    request = json_request("DynamoDB_20120810.TransactWriteItems", body, headers)
    response = tail.call("dynamodb", request, {hooks.ACCOUNT_HEADER: ACCOUNT})
    assert response.status == 400
    after = moto_table(ACCOUNT, "us-east-1", name)
    assert after is not before
    assert [image(item)["pk"] for item in _items(after).values()] == [{"S": "a"}]


def test_looking_creates_no_backend(tail: MotoTail) -> None:
    before = snapshot.region_backends()
    assert moto_table("626262626262", "us-east-1", "nothing") is None
    assert snapshot.region_backends() == before
