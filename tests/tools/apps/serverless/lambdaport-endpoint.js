'use strict';
// The Serverless Framework v3 talks to AWS through the AWS SDK for JavaScript v2, which reads
// no AWS_ENDPOINT_URL: this plugin sets the SDK's endpoint to it (every service on one port)
// with S3's path style, before the framework makes its first client.
class LambdaportEndpoint {
  constructor(serverless) {
    const endpoint = process.env.AWS_ENDPOINT_URL;
    if (endpoint) {
      const AWS = require('aws-sdk');
      AWS.config.update({ endpoint, s3ForcePathStyle: true });
    }
  }
}
module.exports = LambdaportEndpoint;
