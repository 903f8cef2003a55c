"""Run with `pytest`: lambdahost's plugin serves template.yaml (the bucket in its local S3, which
notifies the function) and the `lambdahost` fixture talks to it."""

from lambdahost.testing import eventually


def test_an_object_put_in_the_bucket_is_processed(lambdahost, aws_client):
    s3 = aws_client("s3")
    (bucket,) = [b["Name"] for b in s3.list_buckets()["Buckets"]]
    s3.put_object(Bucket=bucket, Key="report.csv", Body=b"a,b\n1,2\n")
    eventually(
        lambda: lambdahost.logs("__ID__", contains="report.csv: 8 bytes, 2 lines"), "the function processed the object"
    )
