"""EFS as a function sees it: each access point a folder of the state folder, mounted at the
function's LocalMountPath inside its environment and shared by every function that names it."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from lambdahost.runtime import ephemeral
from server import LAMBDAHOST, write_project

TEMPLATE = """
Resources:
  Files:
    Type: AWS::EFS::FileSystem
  AccessPoint:
    Type: AWS::EFS::AccessPoint
    Properties: {FileSystemId: !Ref Files}
  Writer:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src
      Handler: app.write
      FileSystemConfigs: [{Arn: !GetAtt AccessPoint.Arn, LocalMountPath: /mnt/shared}]
  Reader:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src
      Handler: app.read
      FileSystemConfigs: [{Arn: !GetAtt AccessPoint.Arn, LocalMountPath: /mnt/data}]
"""
CODE = """
import os

def write(event, context):
    with open("/mnt/shared/note.txt", "w") as note:
        note.write(event["text"])
    return sorted(os.listdir("/mnt"))

def read(event, context):
    with open("/mnt/data/note.txt") as note:
        return note.read()
"""


@pytest.mark.skipif(bool(ephemeral.probe()), reason="this machine allows no mount namespaces")
def test_functions_share_an_access_point_at_their_own_mount_paths(tmp_path: Path) -> None:
    project = write_project(tmp_path, TEMPLATE, CODE)

    def invoke(function: str, payload: dict) -> object:
        ran = subprocess.run(
            [LAMBDAHOST, "invoke", function, "--payload", json.dumps(payload)],
            cwd=project,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert ran.returncode == 0, ran.stderr
        assert "not emulated" not in ran.stderr
        return json.loads(ran.stdout)

    assert invoke("Writer", {"text": "shared"}) == ["shared"], "/mnt holds only the function's file systems"
    assert invoke("Reader", {}) == "shared"
    assert (project / ".lambdahost" / "efs" / "AccessPoint" / "note.txt").read_text() == "shared"
