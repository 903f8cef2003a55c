from __future__ import annotations

import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from lambdahost import FunctionConfig, Host


@pytest.fixture
def host(tmp_path: Path) -> Iterator[Host]:
    with Host(state_dir=tmp_path / "state") as host:
        yield host


@pytest.fixture
def make_function(host: Host, tmp_path: Path):
    """Write ``code`` as ``app.py`` in a fresh folder and add a function running it."""
    counter = iter(range(1000))

    def make(code: str, handler: str = "app.handler", name: str | None = None, **config) -> FunctionConfig:
        name = name or f"fn{next(counter)}"
        code_dir = tmp_path / name
        code_dir.mkdir()
        (code_dir / "app.py").write_text(textwrap.dedent(code))
        function = FunctionConfig(name=name, handler=handler, code_dir=code_dir, **config)
        host.add_function(function)
        return function

    return make
