// A CDK app: a queue feeding a function (an event source), uploads to a bucket notifying the
// same function, and a custom resource through CDK's provider framework.
import * as path from "path";
import { App, CfnOutput, CustomResource, Duration, RemovalPolicy, Stack } from "aws-cdk-lib";
import * as lambda from "aws-cdk-lib/aws-lambda";
import { SqsEventSource } from "aws-cdk-lib/aws-lambda-event-sources";
import * as s3 from "aws-cdk-lib/aws-s3";
import * as s3n from "aws-cdk-lib/aws-s3-notifications";
import * as sqs from "aws-cdk-lib/aws-sqs";
import { Provider } from "aws-cdk-lib/custom-resources";

const app = new App();
const stack = new Stack(app, process.env.CDK_STACK_NAME ?? "LambdaportCdkApp");
const handlers = path.join(__dirname, "..", "handlers");

const queue = new sqs.Queue(stack, "Orders", { visibilityTimeout: Duration.seconds(30) });
const bucket = new s3.Bucket(stack, "Uploads", {
  removalPolicy: RemovalPolicy.DESTROY,
  autoDeleteObjects: true, // a CDK custom resource of its own (Custom::S3AutoDeleteObjects)
});

const worker = new lambda.Function(stack, "Worker", {
  runtime: lambda.Runtime.PYTHON_3_12,
  handler: "worker.handler",
  code: lambda.Code.fromAsset(handlers),
});
worker.addEventSource(new SqsEventSource(queue, { batchSize: 5 }));
bucket.addEventNotification(s3.EventType.OBJECT_CREATED, new s3n.LambdaDestination(worker));

const onEvent = new lambda.Function(stack, "Greeter", {
  runtime: lambda.Runtime.PYTHON_3_12,
  handler: "greeter.on_event",
  code: lambda.Code.fromAsset(handlers),
});
const provider = new Provider(stack, "GreeterProvider", { onEventHandler: onEvent });
const greeting = new CustomResource(stack, "Greeting", {
  serviceToken: provider.serviceToken,
  properties: { Name: "cdk" },
});

new CfnOutput(stack, "QueueUrl", { value: queue.queueUrl });
new CfnOutput(stack, "BucketName", { value: bucket.bucketName });
new CfnOutput(stack, "WorkerName", { value: worker.functionName });
new CfnOutput(stack, "GreetingText", { value: greeting.getAttString("Greeting") });
