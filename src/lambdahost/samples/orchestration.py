"""Workflows and jobs: a Step Functions state's error, and the inputs AWS Batch functions (the Batch
blueprints) take to submit a job or read its status."""

from __future__ import annotations

from .common import Catalogue, Sample


def stepfunctions_error(error: str, cause: str) -> dict:
    return {"Error": error, "Cause": cause}


def batch_submit_job(job_name: str, job_queue: str, job_definition: str) -> dict:
    return {"jobName": job_name, "jobQueue": job_queue, "jobDefinition": job_definition}


def batch_get_job(job_id: str) -> dict:
    return {"jobId": job_id}


SAMPLES: Catalogue = {
    "stepfunctions": {
        "error": Sample(
            stepfunctions_error,
            {"error": "States.TaskFailed", "cause": "the task failed"},
            "a state machine's error output",
        )
    },
    "batch": {
        "submit-job": Sample(
            batch_submit_job,
            {"job-name": "hello-world", "job-queue": "default", "job-definition": "hello-world:1"},
            "the job a function should submit to AWS Batch",
        ),
        "get-job": Sample(
            batch_get_job,
            {"job-id": "876da822-4198-45f2-a252-6cea32512ea8"},
            "the AWS Batch job whose status a function should read",
        ),
    },
}
