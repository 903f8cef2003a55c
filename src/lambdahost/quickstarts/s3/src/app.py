"""Called for each object put in the bucket: reads it and logs what it holds."""

import urllib.parse

import boto3

s3 = boto3.client("s3")


def handler(event, context):
    sizes = {}
    for record in event["Records"]:
        bucket = record["s3"]["bucket"]["name"]
        key = urllib.parse.unquote_plus(record["s3"]["object"]["key"])
        body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        lines = body.count(b"\n")
        print(f"{key}: {len(body)} bytes, {lines} lines")
        sizes[key] = len(body)
    return sizes
