"""Function configuration is validated with AWS's rules, and errors name the field and the rule."""

from __future__ import annotations

from pathlib import Path

import pytest

from lambdahost import (
    FunctionConfig,
    InvalidParameterValueException,
    LoggingConfig,
    ValidationException,
)
from lambdahost.model import limits


@pytest.fixture
def code(tmp_path: Path) -> Path:
    return tmp_path


def test_defaults_are_awss(code: Path) -> None:
    config = FunctionConfig(name="f", handler="app.handler", code_dir=code)
    assert (config.timeout, config.memory_size, config.ephemeral_storage) == (3, 128, 512)
    assert config.runtime.startswith("python3.")
    assert config.log_group == "/aws/lambda/f"
    assert config.logging.log_format == "Text"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        (
            "timeout",
            0,
            "Value '0' at 'timeout' failed to satisfy constraint: Member must have value greater than or equal to 1",
        ),
        (
            "timeout",
            901,
            "Value '901' at 'timeout' failed to satisfy constraint: Member must have value less than or equal to 900",
        ),
        (
            "memory_size",
            64,
            "Value '64' at 'memorySize' failed to satisfy constraint: "
            "Member must have value greater than or equal to 128",
        ),
        (
            "memory_size",
            10241,
            "Value '10241' at 'memorySize' failed to satisfy constraint: "
            "Member must have value less than or equal to 10240",
        ),
        (
            "ephemeral_storage",
            100,
            "Value '100' at 'ephemeralStorage.size' failed to satisfy constraint: "
            "Member must have value greater than or equal to 512",
        ),
        (
            "runtime",
            "cobol85",
            "Value 'cobol85' at 'runtime' failed to satisfy constraint: Member must satisfy "
            f"enum value set: [{', '.join(limits.lambda_runtimes())}]",  # every runtime Lambda knows (botocore)
        ),
        (
            "handler",
            "has space.handler",
            "Value 'has space.handler' at 'handler' failed to satisfy constraint: "
            r"Member must satisfy regular expression pattern: [^\s]+",
        ),
        (
            "reserved_concurrency",
            -1,
            "Value '-1' at 'reservedConcurrentExecutions' failed to satisfy constraint: "
            "Member must have value greater than or equal to 0",
        ),
    ],
)
def test_out_of_range_values_are_refused_with_awss_message(code: Path, field: str, value, message: str) -> None:
    options = {"name": "f", "handler": "app.handler", "code_dir": code, field: value}
    with pytest.raises(ValidationException) as caught:
        FunctionConfig(**options)
    assert str(caught.value) == f"1 validation error detected: {message}"


def test_several_violations_are_reported_together(code: Path) -> None:
    with pytest.raises(ValidationException) as caught:
        FunctionConfig(name="bad name!", handler="app.handler", code_dir=code, timeout=0, memory_size=1)
    assert str(caught.value).startswith("3 validation errors detected: Value 'bad name!' at 'functionName'")
    assert len(caught.value.violations) == 3


@pytest.mark.parametrize("name", ["", "x" * 65, "has.dot", "a/b"])
def test_function_names_follow_the_pattern(code: Path, name: str) -> None:
    with pytest.raises(ValidationException, match="at 'functionName'"):
        FunctionConfig(name=name, handler="app.handler", code_dir=code)


def test_reserved_environment_keys_are_refused(code: Path) -> None:
    with pytest.raises(InvalidParameterValueException) as caught:
        FunctionConfig(name="f", handler="a.b", code_dir=code, environment={"AWS_REGION": "x", "OK": "y"})
    assert caught.value.message.endswith("Reserved keys used in this request: AWS_REGION")


def test_environment_key_pattern(code: Path) -> None:
    with pytest.raises(ValidationException, match=r"Value '1BAD' at 'environment.variables'.*Map keys must"):
        FunctionConfig(name="f", handler="a.b", code_dir=code, environment={"1BAD": "x"})


def test_environment_is_limited_to_4_kb(code: Path) -> None:
    FunctionConfig(name="f", handler="a.b", code_dir=code, environment={"BIG": "x" * 4093})
    with pytest.raises(InvalidParameterValueException, match="exceeded the 4KB limit"):
        FunctionConfig(name="f", handler="a.b", code_dir=code, environment={"BIG": "x" * 4094})


def test_log_levels_need_the_json_format(code: Path) -> None:
    with pytest.raises(
        InvalidParameterValueException, match='LogLevel is not supported when LogFormat is set to "Text"'
    ):
        FunctionConfig(name="f", handler="a.b", code_dir=code, logging=LoggingConfig(application_log_level="DEBUG"))
    with pytest.raises(ValidationException, match="at 'loggingConfig.applicationLogLevel'"):
        FunctionConfig(
            name="f",
            handler="a.b",
            code_dir=code,
            logging=LoggingConfig(log_format="JSON", application_log_level="LOUD"),
        )


def test_missing_code_or_layer_folder_is_named(tmp_path: Path) -> None:
    with pytest.raises(InvalidParameterValueException, match="Code folder '.*nowhere' of function 'f'"):
        FunctionConfig(name="f", handler="a.b", code_dir=tmp_path / "nowhere")
    with pytest.raises(InvalidParameterValueException, match="Layer folder '.*missing-layer'"):
        FunctionConfig(name="f", handler="a.b", code_dir=tmp_path, layers=[tmp_path / "missing-layer"])


def test_at_most_five_layers(tmp_path: Path) -> None:
    with pytest.raises(ValidationException, match="at 'layers'"):
        FunctionConfig(name="f", handler="a.b", code_dir=tmp_path, layers=[tmp_path] * 6)
