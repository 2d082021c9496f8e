"""Each S3 upload and each queued message is put in the table, by the function it reached."""

import os

import boto3

table = boto3.resource("dynamodb").Table(os.environ["TABLE"])


def on_upload(event, context):  # type: ignore[no-untyped-def]
    for record in event["Records"]:
        key = record["s3"]["object"]["key"]
        print("uploaded", key)
        table.put_item(Item={"id": f"s3:{key}", "by": context.function_name})


def on_order(event, context):  # type: ignore[no-untyped-def]
    for record in event["Records"]:
        print("order", record["body"])
        table.put_item(Item={"id": f"sqs:{record['body']}", "by": context.function_name})
