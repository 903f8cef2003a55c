// A small CDK app, synthesized into tests/cdk_project/cdk.out (see its README).
const cdk = require("aws-cdk-lib");
const lambda = require("aws-cdk-lib/aws-lambda");
const sqs = require("aws-cdk-lib/aws-sqs");
const sources = require("aws-cdk-lib/aws-lambda-event-sources");

const app = new cdk.App();
const stack = new cdk.Stack(app, "ShopStack");
const queue = new sqs.Queue(stack, "Jobs", { visibilityTimeout: cdk.Duration.seconds(60) });
const helpers = new lambda.LayerVersion(stack, "Helpers", {
  code: lambda.Code.fromAsset("layer"),
  compatibleRuntimes: [lambda.Runtime.PYTHON_3_12],
});
const worker = new lambda.Function(stack, "Worker", {
  runtime: lambda.Runtime.PYTHON_3_12,
  handler: "index.handler",
  code: lambda.Code.fromAsset("lambda"),
  layers: [helpers],
  environment: { GREETING: "hello from cdk" },
});
worker.addEventSource(new sources.SqsEventSource(queue, { batchSize: 1 }));
worker.addFunctionUrl({ authType: lambda.FunctionUrlAuthType.NONE });
new lambda.Alias(stack, "Live", { aliasName: "live", version: worker.currentVersion });
app.synth();
