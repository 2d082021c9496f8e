def hello(event, context):  # type: ignore[no-untyped-def]
    for record in event["Records"]:
        print("job", record["body"])
