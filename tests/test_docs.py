"""The documentation site: it builds with ``mkdocs build --strict`` (no broken link, no missing
page, the reference generated from the docstrings), and the code on its pages runs."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from server import LAMBDAHOST

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"


def code_blocks(page: str, language: str = "python") -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```", (DOCS / page).read_text(), re.M | re.S)


def test_the_site_builds_strict(tmp_path: Path) -> None:
    built = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        timeout=300,
    )
    assert built.returncode == 0, built.stderr
    reference = (tmp_path / "site" / "reference" / "index.html").read_text()
    assert "LocalLambda" in reference and "send_message" in reference, "the reference is generated from docstrings"


def test_the_python_api_page_runs() -> None:
    (block,) = code_blocks("python-api.md")
    subprocess.run([sys.executable, "-c", block], cwd=ROOT, check=True, timeout=120)


def test_the_testing_pages_examples_pass(tmp_path: Path) -> None:
    """Its full example is an api-dynamodb project's tests; the wait for a queue's message runs
    against the sqs quick start; and LocalLambda without pytest."""
    full, waited, without_pytest = code_blocks("testing.md")
    for quickstart, test in (("api-dynamodb", full), ("sqs", waited)):
        folder = tmp_path / quickstart
        folder.mkdir()
        subprocess.run([LAMBDAHOST, "init", "order-consumer", "--template", quickstart], cwd=folder, check=True)
        project = folder / "order-consumer"  # (its function: OrderConsumer)
        (project / "tests" / "test_from_the_docs.py").write_text(test)
        tested = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/test_from_the_docs.py"],
            cwd=project,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert tested.returncode == 0 and " passed" in tested.stdout, tested.stdout
    script = without_pytest.replace("path/to/project", str(ROOT / "examples" / "sam-hello-world"))
    ran = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert ran.returncode == 0 and "'statusCode': 200" in ran.stdout, ran.stderr
