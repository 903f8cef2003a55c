"""Machine learning: images arriving for Amazon Rekognition (an S3 notification), and SageMaker
Ground Truth's custom labeling workflow functions."""

from __future__ import annotations

from .common import REGION, Catalogue, Sample, arn
from .storage import S3_OPTIONS, s3_event


def ground_truth_pre_human(labeling_job: str, source_ref: str, region: str) -> dict:
    """Before a worker sees a data object: the function returns the task's input for the template."""
    return {
        "version": "2018-10-16",
        "labelingJobArn": arn("sagemaker", region, f"labeling-job/{labeling_job}"),
        "dataObject": {"source-ref": source_ref},
    }


def ground_truth_consolidation(
    labeling_job: str, label_attribute: str, output_path: str, role: str, iteration: str, region: str
) -> dict:
    """After workers answered: the function reads their annotations from S3 and consolidates them."""
    uri = f"{output_path.rstrip('/')}/{labeling_job}/annotations/worker-response/{iteration}.json"
    return {
        "version": "2018-10-16",
        "labelingJobArn": arn("sagemaker", region, f"labeling-job/{labeling_job}"),
        "labelAttributeName": label_attribute,
        "roleArn": arn("iam", "", f"role/{role}"),
        "payload": {"s3Uri": uri},
    }


SAMPLES: Catalogue = {
    "rekognition": {
        "s3-request": Sample(
            s3_event("ObjectCreated:Put"),
            {**S3_OPTIONS, "key": "images/photo.jpg"},
            "an image put in S3, for a function that calls Rekognition",
            "S3Model",
        )
    },
    "sagemaker": {
        "ground-truth-pre-human": Sample(
            ground_truth_pre_human,
            {"labeling-job": "example-job", "source-ref": "s3://example-bucket/images/photo.jpg", "region": REGION},
            "Ground Truth pre-annotation request",
        ),
        "ground-truth-annotation-consolidation": Sample(
            ground_truth_consolidation,
            {
                "labeling-job": "example-job",
                "label-attribute": "example-attribute",
                "output-path": "s3://example-bucket/output",
                "role": "sagemaker-role",
                "iteration": "iteration-1/0/2026-01-01_12:00:00",
                "region": REGION,
            },
            "Ground Truth annotation consolidation request",
        ),
    },
}
