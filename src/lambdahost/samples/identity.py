"""Amazon Cognito: user pool triggers, and Cognito Sync's dataset trigger."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from .common import REGION, Catalogue, Sample


def cognito_trigger(trigger: str) -> Callable[..., dict]:
    """A user pool trigger; ``trigger`` is its ``triggerSource`` (``PreSignUp_SignUp``...)."""

    def build(user_pool: str, user_name: str, email: str, region: str) -> dict:
        return {
            "version": "1",
            "triggerSource": trigger,
            "region": region,
            "userPoolId": user_pool,
            "userName": user_name,
            "callerContext": {"awsSdkVersion": "aws-sdk-unknown-unknown", "clientId": "1example23456789"},
            "request": {"userAttributes": {"email": email, "email_verified": "true", "sub": str(uuid.uuid4())}},
            "response": {}
            if trigger.startswith("PostConfirmation")
            else {"autoConfirmUser": False, "autoVerifyEmail": False, "autoVerifyPhone": False},
        }

    return build


def cognito_sync(dataset: str, key: str, old_value: str, new_value: str, region: str) -> dict:
    """A dataset synchronised through Cognito Sync; the function may change the records it returns."""
    return {
        "version": 2,
        "eventType": "SyncTrigger",
        "region": region,
        "identityPoolId": f"{region}:{uuid.uuid4()}",
        "identityId": f"{region}:{uuid.uuid4()}",
        "datasetName": dataset,
        "datasetRecords": {key: {"oldValue": old_value, "newValue": new_value, "op": "replace"}},
    }


_USER = {"user-pool": "us-east-1_EXAMPLE", "user-name": "ada", "email": "ada@example.com", "region": REGION}

SAMPLES: Catalogue = {
    "cognito-user-pool": {
        "post-confirmation": Sample(
            cognito_trigger("PostConfirmation_ConfirmSignUp"),
            dict(_USER),
            "post confirmation trigger",
            "CognitoPostConfirmationTriggerModel",
        ),
        "pre-signup": Sample(
            cognito_trigger("PreSignUp_SignUp"), dict(_USER), "pre sign-up trigger", "CognitoPreSignupTriggerModel"
        ),
    },
    "cognito": {
        "sync-trigger": Sample(
            cognito_sync,
            {"dataset": "settings", "key": "theme", "old-value": "light", "new-value": "dark", "region": REGION},
            "Cognito Sync dataset trigger",
        )
    },
}
