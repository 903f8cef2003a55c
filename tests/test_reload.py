"""Hot reload in a running host: saved code and templates are served by the next invocation."""

from __future__ import annotations

import asyncio
import json
import logging
import textwrap
from pathlib import Path

from lambdahost import AsyncHost
from lambdahost.template import ProjectSource
from lambdahost.testing import eventually
from lambdahost.workspace import Workspace
from server import Server, write_project

TEMPLATE = """
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src
      Handler: app.handler
      Environment: {{Variables: {{GREETING: {greeting}}}}}
"""


def _write(folder: Path, greeting: str, body: str = "return os.environ['GREETING']") -> None:
    write_project(
        folder, TEMPLATE.format(greeting=greeting), f"import os\n\ndef handler(event, context):\n    {body}\n"
    )


async def _until(host: AsyncHost, expected: bytes, seconds: float = 15.0) -> None:
    deadline = asyncio.get_running_loop().time() + seconds
    while (await host.invoke("Fn")).payload != expected:
        assert asyncio.get_running_loop().time() < deadline, f"never served {expected!r}"
        await asyncio.sleep(0.1)


def test_code_and_template_changes_are_picked_up(tmp_path: Path, caplog) -> None:
    _write(tmp_path, "hello")

    async def scenario() -> None:
        async with AsyncHost(state_dir=tmp_path / ".lambdahost") as host:
            workspace = Workspace(host, ProjectSource(tmp_path / "template.yaml"))
            watcher = asyncio.create_task(workspace.watch())
            try:
                assert (await host.invoke("Fn")).payload == b'"hello"'
                await asyncio.sleep(0.3)  # let the watcher start

                (tmp_path / "src" / "app.py").write_text(
                    "import os\n\ndef handler(event, context):\n    return os.environ['GREETING'].upper()\n"
                )
                await _until(host, b'"HELLO"')

                _write(tmp_path, "bonjour", "return os.environ['GREETING'].upper()")
                await _until(host, b'"BONJOUR"')

                with caplog.at_level(logging.ERROR, logger="lambdahost"):
                    (tmp_path / "template.yaml").write_text("Resources:\n  Fn: [broken\n")
                    deadline = asyncio.get_running_loop().time() + 15
                    while not any("template not reloaded" in r.getMessage() for r in caplog.records):
                        assert asyncio.get_running_loop().time() < deadline, "the broken template was not reported"
                        await asyncio.sleep(0.1)
                assert (await host.invoke("Fn")).payload == b'"BONJOUR"', "the last good template keeps serving"
            finally:
                watcher.cancel()

    asyncio.run(scenario())


def test_functions_removed_from_the_template_are_removed(tmp_path: Path) -> None:
    _write(tmp_path, "hi")
    template = tmp_path / "template.yaml"
    template.write_text(
        template.read_text()
        + textwrap.dedent("""
      Second:
        Type: AWS::Serverless::Function
        Properties: {CodeUri: src, Handler: app.handler, Environment: {Variables: {GREETING: two}}}
    """)
        .replace("\n", "\n  ")
        .rstrip()
        + "\n"
    )

    async def scenario() -> list[str]:
        async with AsyncHost(state_dir=tmp_path / ".lambdahost") as host:
            workspace = Workspace(host, ProjectSource(template))
            assert json.loads((await host.invoke("Second")).payload) == "two"
            _write(tmp_path, "hi")
            workspace.reload_template()
            return [f.name for f in host.registry.functions]

    assert asyncio.run(scenario()) == ["Fn"]


def test_auto_publish_alias_publishes_a_version_when_the_code_changes_and_moves_the_alias(tmp_path: Path) -> None:
    """SAM's AutoPublishAlias, as a deploy does it: the alias exists, at a version published for
    the code it has; a code change publishes the next, a restart with no change publishes none."""
    template = """
    Resources:
      Fn:
        Type: AWS::Serverless::Function
        Properties: {CodeUri: src, Handler: app.handler, AutoPublishAlias: live}
    """
    project = write_project(tmp_path, template, "def handler(event, context):\n    return 'one'\n")
    server = Server(project, "--api-port", "0").start()
    try:
        client = server.client()
        assert [(a["Name"], a["FunctionVersion"]) for a in client.list_aliases(FunctionName="Fn")["Aliases"]] == [
            ("live", "1")
        ]
        assert client.invoke(FunctionName="Fn", Qualifier="live")["Payload"].read() == b'"one"'
        saved = project / "src" / "app.py.saving"  # saved as editors save: written whole, then renamed
        saved.write_text("def handler(event, context):\n    return 'two'\n")
        saved.replace(project / "src" / "app.py")
        eventually(
            lambda: client.get_alias(FunctionName="Fn", Name="live")["FunctionVersion"] == "2",
            "the code change published a version the alias points to",
            timeout=15,
        )
        assert client.invoke(FunctionName="Fn", Qualifier="live")["Payload"].read() == b'"two"'
        assert client.invoke(FunctionName="Fn", Qualifier="1")["Payload"].read() == b'"one"', "a version is immutable"
    finally:
        server.stop()
    again = Server(project, "--api-port", "0").start()
    try:
        versions = [v["Version"] for v in again.client().list_versions_by_function(FunctionName="Fn")["Versions"]]
        assert versions == ["$LATEST", "1", "2"], "no change, no new version"
        assert again.client().get_alias(FunctionName="Fn", Name="live")["FunctionVersion"] == "2"
    finally:
        again.stop()


def test_a_configuration_change_publishes_only_with_auto_publish_alias_all_properties(tmp_path: Path) -> None:
    """SAM publishes a new version for a new CodeUri or AutoPublishCodeSha256; a configuration
    change moves the alias only with AutoPublishAliasAllProperties (SAM's specification)."""
    template = """
    Resources:
      Code:
        Type: AWS::Serverless::Function
        Properties: {{CodeUri: src, Handler: app.handler, AutoPublishAlias: live, MemorySize: {memory}}}
      Every:
        Type: AWS::Serverless::Function
        Properties:
          {{CodeUri: src, Handler: app.handler, AutoPublishAlias: live, MemorySize: {memory},
           AutoPublishAliasAllProperties: true}}
      Pinned:
        Type: AWS::Serverless::Function
        Properties:
          {{CodeUri: src, Handler: app.handler, AutoPublishAlias: live, MemorySize: {memory},
           AutoPublishCodeSha256: {sha}}}
    """
    write_project(tmp_path, template.format(memory=128, sha="one"), "def handler(event, context):\n    return 1\n")

    def alias_versions(host: AsyncHost) -> dict[str, tuple[str, int]]:
        found = {}
        for name in ("Code", "Every", "Pinned"):
            record = host.control.record(name)
            version = record.aliases["live"].function_version
            found[name] = (version, record.versions[version].config.memory_size)
        return found

    async def scenario() -> None:
        async with AsyncHost(state_dir=tmp_path / ".lambdahost") as host:
            workspace = Workspace(host, ProjectSource(tmp_path / "template.yaml"))
            assert alias_versions(host) == {"Code": ("1", 128), "Every": ("1", 128), "Pinned": ("1", 128)}
            (tmp_path / "template.yaml").write_text(textwrap.dedent(template.format(memory=256, sha="one")))
            workspace.reload_template()
            assert alias_versions(host) == {"Code": ("1", 128), "Every": ("2", 256), "Pinned": ("1", 128)}
            (tmp_path / "template.yaml").write_text(textwrap.dedent(template.format(memory=256, sha="two")))
            workspace.reload_template()
            assert alias_versions(host)["Pinned"] == ("2", 256)

    asyncio.run(scenario())
