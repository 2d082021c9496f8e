"""The custom resource's onEvent handler for CDK's provider framework."""


def on_event(event, context):  # type: ignore[no-untyped-def]
    name = event["ResourceProperties"]["Name"]
    print(event["RequestType"], "greeting for", name)
    return {"PhysicalResourceId": f"greeting-{name}", "Data": {"Greeting": f"hello {name}"}}
