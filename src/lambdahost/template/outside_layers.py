"""Layers a template names by ARN but does not hold: deployed in an AWS account, public ones
above all (Powertools, the Lambda Web Adapter, a team's shared layer).

A layer that is also a package (Powertools for AWS Lambda Python) is provided from the package.
Any other is downloaded as ``sam local`` does it: ``GetLayerVersionByArn`` with the caller's
AWS credentials, then the archive its ``Content.Location`` points at, unpacked once into a cache
every project shares (``~/.cache/lambdahost/layers``). A layer version never changes, so a cached
one is used with no credentials and no network. Without either, the layer is skipped and the
line of what is not emulated names it.
"""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path

from ..errors import LambdaError
from ..model.layers import LAYER_VERSION_ARN

log = logging.getLogger("lambdahost")

# Powertools for AWS Lambda (Python) publishes its layers from this account; each is a release of
# the package (its layer number maps to a version we do not keep: the newest of the major is
# installed, UNCONFIRMED for old layer numbers), with the extras the layer bundles.
_POWERTOOLS = re.compile(r"arn:aws[\w-]*:lambda:[\w-]+:017000801446:layer:AWSLambdaPowertoolsPython(V\d)?\b.*")
_POWERTOOLS_MAJOR = {None: "<2", "V2": ">=2,<3", "V3": ">=3,<4"}
DOWNLOAD_TIMEOUT = 60  # seconds, for the call and for the archive


class LayerUnavailable(Exception):
    """Why a layer cannot be provided: said in the line of what is not emulated."""


def public_layer_package(arn: str) -> str | None:
    """The requirement that stands in for a public layer that is a package, if it is one."""
    found = _POWERTOOLS.fullmatch(arn)
    if found is None or found[1] not in _POWERTOOLS_MAJOR:
        return None
    return f"aws-lambda-powertools[parser,tracer,validation]{_POWERTOOLS_MAJOR[found[1]]}"


def cache_root() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "lambdahost" / "layers"


class LayerDownloads:
    """Layer versions from AWS, each fetched once. ``profile``: whose credentials (botocore's
    usual chain without one); the Lambda endpoint is botocore's (``AWS_ENDPOINT_URL_LAMBDA``
    points it elsewhere)."""

    def __init__(self, cache: Path | None = None, profile: str | None = None) -> None:
        self.cache = cache or cache_root()
        self.profile = profile
        self._failed: dict[str, str] = {}  # ARN -> why, asked once per process

    def folder(self, arn: str) -> Path:
        match = LAYER_VERSION_ARN.fullmatch(arn)
        if match is None:
            raise LayerUnavailable("not a layer version ARN")
        region, account = arn.split(":")[3:5]
        folder = self.cache / region / account / match["name"] / match["number"]
        if folder.is_dir():
            return folder
        if arn not in self._failed:
            try:
                self._download(arn, region, folder)
            except LayerUnavailable as exc:
                self._failed[arn] = str(exc)
        if arn in self._failed:
            raise LayerUnavailable(self._failed[arn])
        return folder

    def _download(self, arn: str, region: str, folder: Path) -> None:
        import urllib.request

        import boto3
        import botocore.config
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            session = boto3.session.Session(profile_name=self.profile, region_name=region)
            if session.get_credentials() is None:
                raise LayerUnavailable("no AWS credentials to download it with")
            config = botocore.config.Config(
                connect_timeout=5, read_timeout=DOWNLOAD_TIMEOUT, retries={"total_max_attempts": 2}
            )
            location = session.client("lambda", config=config).get_layer_version_by_arn(Arn=arn)["Content"]["Location"]
        except ClientError as exc:
            raise LayerUnavailable(f"AWS answered {exc.response['Error'].get('Code')}") from None
        except BotoCoreError as exc:
            raise LayerUnavailable(f"cannot ask AWS: {exc}") from None
        log.info("downloading the layer %s", arn)
        try:
            with urllib.request.urlopen(location, timeout=DOWNLOAD_TIMEOUT) as response:
                data = response.read()
        except OSError as exc:
            raise LayerUnavailable(f"cannot download it: {exc}") from None
        from ..store.code import unpack_zip  # (here: reading a template needs no state store)

        try:
            unpack_zip(folder, data)
        except LambdaError as exc:
            raise LayerUnavailable(f"its archive: {exc.message}") from None
        except OSError as exc:
            if not folder.is_dir():  # not unpacked by another process meanwhile
                raise LayerUnavailable(f"cannot unpack it: {exc}") from None
