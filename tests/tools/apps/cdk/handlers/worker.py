"""Prints what reached it: each queued message's body, each upload's key."""


def handler(event, context):  # type: ignore[no-untyped-def]
    for record in event["Records"]:
        if "s3" in record:
            print("uploaded", record["s3"]["object"]["key"])
        else:
            print("order", record["body"])
