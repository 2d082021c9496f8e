import json


def lambda_handler(event, context):  # type: ignore[no-untyped-def]
    print("hello world for", event["path"])
    return {"statusCode": 200, "body": json.dumps({"message": "hello world"})}
