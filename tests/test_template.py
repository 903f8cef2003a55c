"""Reading SAM / CloudFormation templates: real layouts, intrinsics, and exact error messages."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from lambdahost.model import limits
from lambdahost.template import TemplateError, load_project, parse_parameter_overrides

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def write(folder: Path, template: str, *code_dirs: str) -> Path:
    for code_dir in code_dirs:
        (folder / code_dir).mkdir(parents=True, exist_ok=True)
        (folder / code_dir / "app.py").write_text("def handler(event, context):\n    return event\n")
    path = folder / "template.yaml"
    path.write_text(textwrap.dedent(template).lstrip())
    return path


def test_sam_hello_world_layout() -> None:
    project = load_project(EXAMPLES / "sam-hello-world" / "template.yaml")
    function = project.functions["HelloWorldFunction"]
    assert function.config.name == "HelloWorldFunction"
    assert function.config.code_dir == EXAMPLES / "sam-hello-world" / "hello_world"
    assert (function.config.handler, function.config.runtime, function.config.timeout) == (
        "app.lambda_handler",
        "python3.13",
        3,
    )
    (event,) = function.events
    assert (event.name, event.type, event.properties) == ("HelloWorld", "Api", {"Path": "/hello", "Method": "get"})


FULL = """
AWSTemplateFormatVersion: 2010-09-09
Transform: AWS::Serverless-2016-10-31
Parameters:
  Stage:
    Type: String
    Default: dev
    AllowedValues: [dev, prod]
  Memory:
    Type: Number
    Default: 256
  Names:
    Type: CommaDelimitedList
    Default: "alpha,beta,gamma"
Mappings:
  StageConfig:
    dev: {LogLevel: DEBUG}
    prod: {LogLevel: WARN}
Conditions:
  IsProd: !Equals [!Ref Stage, prod]
  NotProd: !Not [!Condition IsProd]
  Both: !And [!Condition NotProd, !Or [!Equals [a, a], !Equals [a, b]]]
Globals:
  Function:
    Runtime: python3.11
    Timeout: 10
    MemorySize: !Ref Memory
    Layers: [!Ref CommonLayer]
    Environment:
      Variables:
        STAGE: !Ref Stage
        SHARED: from-globals
Resources:
  CommonLayer:
    Type: AWS::Serverless::LayerVersion
    Properties:
      LayerName: common
      ContentUri: layers/common
  ExtraLayer:
    Type: AWS::Lambda::LayerVersion
    Properties:
      Content: layers/extra
  Api:
    Type: AWS::Serverless::Function
    Properties:
      FunctionName: !Sub "${AWS::StackName}-api-${Stage}"
      CodeUri: api/
      Handler: app.handler
      Layers: [!Ref ExtraLayer]
      ReservedConcurrentExecutions: 5
      EphemeralStorage: {Size: 1024}
      LoggingConfig:
        LogFormat: JSON
        ApplicationLogLevel: !FindInMap [StageConfig, !Ref Stage, LogLevel]
      AutoPublishAlias: live
      DeadLetterQueue: {Type: SQS, TargetArn: !GetAtt Dlq.Arn}
      EventInvokeConfig:
        MaximumRetryAttempts: 1
        MaximumEventAgeInSeconds: 300
        DestinationConfig:
          OnFailure: {Type: Lambda, Destination: !GetAtt Worker.Arn}
      FunctionUrlConfig: {AuthType: NONE}
      Environment:
        Variables:
          SHARED: from-function
          WORKER_ARN: !GetAtt Worker.Arn
          WORKER_NAME: !Ref Worker
          QUEUE_URL: !Ref Dlq
          REGION_ACCOUNT: !Sub "${AWS::Region}/${AWS::AccountId}"
          JOINED: !Join ["-", [a, !Ref Stage, c]]
          SECOND: !Select [1, !Ref Names]
          SPLIT_LAST: !Select [2, !Split [",", "x,y,z"]]
          MODE: !If [IsProd, production, !If [Both, development, never]]
          LITERAL: !Sub "${!NotAVariable}"
          WITH_VARS: !Sub ["${Greeting}, ${Stage}", {Greeting: hello}]
          DROPPED: !If [IsProd, yes, !Ref AWS::NoValue]
          COUNT: 3
          FLAG: true
      Events:
        Hello:
          Type: HttpApi
          Properties: {Path: /hello, Method: GET}
        Queue:
          Type: SQS
          Properties: {Queue: !GetAtt Dlq.Arn, BatchSize: 5}
  Worker:
    Type: AWS::Lambda::Function
    Properties:
      Code: worker/
      Handler: app.handler
      Runtime: python3.12
  Inline:
    Type: AWS::Serverless::Function
    Properties:
      Handler: index.handler
      InlineCode: |
        def handler(event, context):
            return "inline"
  ProdOnly:
    Type: AWS::Serverless::Function
    Condition: IsProd
    Properties: {CodeUri: api/, Handler: app.handler}
  Dlq:
    Type: AWS::SQS::Queue
    Properties: {QueueName: dead-letters}
"""


@pytest.fixture
def full(tmp_path: Path) -> Path:
    for layer in ("layers/common/python", "layers/extra/python"):
        (tmp_path / layer).mkdir(parents=True)
    return write(tmp_path, FULL, "api", "worker")


def test_globals_parameters_intrinsics_and_conditions(full: Path) -> None:
    project = load_project(full, inline_code_dir=full.parent / "state" / "inline")
    assert set(project.functions) == {"Api", "Worker", "Inline"}, "ProdOnly's condition is false"
    api = project.functions["Api"].config
    assert api.name == "lambdahost-api-dev"
    assert (api.runtime, api.timeout, api.memory_size) == ("python3.11", 10, 256)
    assert (api.reserved_concurrency, api.ephemeral_storage) == (5, 1024)
    assert [p.name for p in api.layers] == ["common", "extra"], "Globals lists come first"
    assert (api.logging.log_format, api.logging.application_log_level) == ("JSON", "DEBUG")
    assert api.environment == {
        "STAGE": "dev",
        "SHARED": "from-function",
        "WORKER_ARN": "arn:aws:lambda:us-east-1:123456789012:function:Worker",
        "WORKER_NAME": "Worker",
        "QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/123456789012/dead-letters",
        "REGION_ACCOUNT": "us-east-1/123456789012",
        "JOINED": "a-dev-c",
        "SECOND": "beta",
        "SPLIT_LAST": "z",
        "MODE": "development",
        "LITERAL": "${NotAVariable}",
        "WITH_VARS": "hello, dev",
        "COUNT": "3",
        "FLAG": "true",
    }
    definition = project.functions["Api"]
    assert definition.auto_publish_alias == "live"
    assert definition.dead_letter_queue == {
        "Type": "SQS",
        "TargetArn": "arn:aws:sqs:us-east-1:123456789012:dead-letters",
    }
    assert definition.event_invoke_config["DestinationConfig"]["OnFailure"]["Destination"].endswith(":function:Worker")
    assert definition.function_url_config == {"AuthType": "NONE"}
    assert [(e.name, e.type) for e in definition.events] == [("Hello", "HttpApi"), ("Queue", "SQS")]
    worker = project.functions["Worker"].config
    assert (worker.runtime, worker.timeout, worker.layers) == ("python3.12", 3, ()), "Globals skip AWS::Lambda"
    inline = project.functions["Inline"].config
    assert (inline.code_dir / "index.py").read_text().startswith("def handler(event, context):")
    assert project.find("lambdahost-api-dev") is definition
    served = load_project(
        full, inline_code_dir=full.parent / "state" / "inline", queue_endpoint="http://127.0.0.1:3001"
    )
    queue_url = served.functions["Api"].config.environment["QUEUE_URL"]
    assert queue_url == "http://127.0.0.1:3001/123456789012/dead-letters", "a served queue's URL is the endpoint's"


def test_parameter_overrides_change_values_and_conditions(full: Path) -> None:
    overrides = parse_parameter_overrides(["Stage=prod Memory=512", "ParameterKey=Names,ParameterValue=x,y"])
    assert overrides == {"Stage": "prod", "Memory": "512", "Names": "x,y"}
    project = load_project(full, parameter_overrides=overrides, inline_code_dir=full.parent / "inline")
    assert "ProdOnly" in project.functions
    api = project.functions["Api"].config
    assert (api.name, api.memory_size) == ("lambdahost-api-prod", 512)
    assert api.environment["MODE"] == "production"
    assert api.environment["DROPPED"] == "true"
    assert api.environment["SECOND"] == "y"
    assert api.logging.application_log_level == "WARN"


def test_env_vars_file_overrides_and_adds_variables_for_all_or_one_function(full: Path) -> None:
    env_vars = {
        "Parameters": {"STAGE": "from-parameters", "EVERYWHERE": "x"},
        "Api": {"SHARED": "from-file", "ONLY_API": "y"},
    }
    project = load_project(full, env_vars=env_vars, inline_code_dir=full.parent / "inline")
    api = project.functions["Api"].config.environment
    assert (api["STAGE"], api["SHARED"]) == ("from-parameters", "from-file")
    assert (api["EVERYWHERE"], api["ONLY_API"]) == ("x", "y"), "a variable the template does not declare is added"
    others = [f.config.environment for name, f in project.functions.items() if name != "Api"]
    assert others and all(env["EVERYWHERE"] == "x" and "ONLY_API" not in env for env in others)


def test_json_templates_use_the_long_forms(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    path = tmp_path / "template.json"
    path.write_text("""{"Parameters": {"Size": {"Type": "Number", "Default": 512}},
      "Resources": {"Fn": {"Type": "AWS::Serverless::Function",
        "Properties": {"CodeUri": "src", "Handler": "app.handler", "MemorySize": {"Ref": "Size"},
                       "Environment": {"Variables": {"ARN": {"Fn::GetAtt": ["Fn", "Arn"]},
                                                     "SUB": {"Fn::Sub": "${AWS::Partition}"}}}}}}}""")
    config = load_project(path).functions["Fn"].config
    assert config.memory_size == 512
    assert config.environment == {"ARN": "arn:aws:lambda:us-east-1:123456789012:function:Fn", "SUB": "aws"}


BAD = [
    (
        "yaml syntax",
        "Resources:\n  Fn:\n    Type: [unclosed\n",
        "{path}:4: not valid YAML: expected ',' or ']', but got '<stream end>'",
    ),
    ("no resources", "Parameters: {}\n", "{path}: the template has no Resources"),
    (
        "timeout",
        """
        Resources:
          Fn:
            Type: AWS::Serverless::Function
            Properties:
              CodeUri: src
              Handler: app.handler
              Timeout: 0
     """,
        "{path}:7: Fn.Timeout: 1 validation error detected: Value '0' at 'timeout' failed to satisfy "
        "constraint: Member must have value greater than or equal to 1",
    ),
    (
        "runtime",
        """
        Resources:
          Fn:
            Type: AWS::Serverless::Function
            Properties: {CodeUri: src, Handler: app.handler, Runtime: cobol85}
     """,
        "{path}:4: Fn.Runtime: 1 validation error detected: Value 'cobol85' at 'runtime' failed to satisfy "
        f"constraint: Member must satisfy enum value set: [{', '.join(limits.lambda_runtimes())}]",
    ),
    (
        "missing handler",
        """
        Resources:
          Fn:
            Type: AWS::Serverless::Function
            Properties:
              CodeUri: src
     """,
        "{path}:4: Fn.Handler: is required",
    ),
    (
        "missing code folder",
        """
        Resources:
          Fn:
            Type: AWS::Serverless::Function
            Properties:
              Handler: app.handler
              CodeUri: nowhere/
     """,
        "{path}:6: Fn.CodeUri: folder 'nowhere/' does not exist (looked in {folder}/nowhere)",
    ),
    (
        "code in s3",
        """
        Resources:
          Fn:
            Type: AWS::Serverless::Function
            Properties:
              Handler: app.handler
              CodeUri: {Bucket: my-bucket, Key: code.zip}
     """,
        '{path}:6: Fn.CodeUri: must be a local folder; {{"Bucket": "my-bucket", "Key": "code.zip"}} points to '
        "S3, which lambdahost does not fetch",
    ),
    (
        "import value",
        """
        Resources:
          Fn:
            Type: AWS::Serverless::Function
            Properties:
              CodeUri: src
              Handler: app.handler
              Environment:
                Variables:
                  URL: !ImportValue other-stack-url
     """,
        "{path}:7: Fn.Environment: Fn::ImportValue reads an export of another stack, which does not exist "
        "locally; pass the value as a parameter instead (--parameter-overrides)",
    ),
    (
        "unknown ref",
        """
        Resources:
          Fn:
            Type: AWS::Serverless::Function
            Properties:
              CodeUri: src
              Handler: !Ref Nope
     """,
        "{path}:6: Fn.Handler: Ref to 'Nope', which is neither a parameter nor a resource of this template",
    ),
    (
        "event type",
        """
        Resources:
          Fn:
            Type: AWS::Serverless::Function
            Properties:
              CodeUri: src
              Handler: app.handler
              Events:
                Tick:
                  Type: Cron
     """,
        "{path}:7: Fn.Events.Tick: Type 'Cron' is not a SAM event type; expected one of Api, HttpApi, SQS, S3, "
        "SNS, Schedule, ScheduleV2, DynamoDB, Kinesis, EventBridgeRule, CloudWatchEvent, CloudWatchLogs, "
        "IoTRule, AlexaSkill, Cognito, MSK, MQ, SelfManagedKafka, DocumentDB",
    ),
    (
        "event property",
        """
        Resources:
          Fn:
            Type: AWS::Serverless::Function
            Properties:
              CodeUri: src
              Handler: app.handler
              Events:
                Web:
                  Type: Api
                  Properties: {Path: /x}
     """,
        "{path}:7: Fn.Events.Web: a Api event needs Method",
    ),
    (
        "parameter without value",
        """
        Parameters:
          Table: {Type: String}
        Resources:
          Fn:
            Type: AWS::Serverless::Function
            Properties: {CodeUri: src, Handler: app.handler}
     """,
        "{path}:2: Parameters.Table: has no Default and no value in --parameter-overrides",
    ),
    (
        "allowed values",
        """
        Parameters:
          Stage: {Type: String, Default: qa, AllowedValues: [dev, prod]}
        Resources:
          Fn:
            Type: AWS::Serverless::Function
            Properties: {CodeUri: src, Handler: app.handler}
     """,
        "{path}:2: Parameters.Stage: value 'qa' is not one of AllowedValues ['dev', 'prod']",
    ),
    (
        "image",
        """
        Resources:
          Fn:
            Type: AWS::Serverless::Function
            Properties: {PackageType: Image, ImageUri: repo/image:latest}
     """,
        "{path}:4: Fn.PackageType: container image functions need Docker; lambdahost runs Zip functions",
    ),
    (
        "duplicate key",
        """
        Resources:
          Fn:
            Type: AWS::Serverless::Function
            Properties: {CodeUri: src, Handler: app.handler}
          Fn:
            Type: AWS::Serverless::Function
     """,
        "{path}:5: duplicate key 'Fn'",
    ),
    (
        "reserved variable",
        """
        Resources:
          Fn:
            Type: AWS::Serverless::Function
            Properties:
              CodeUri: src
              Handler: app.handler
              Environment: {Variables: {AWS_REGION: eu-west-1}}
     """,
        "{path}:4: Fn: Lambda was unable to configure your environment variables because the environment "
        "variables you have provided contains reserved keys that are currently not supported for modification. "
        "Reserved keys used in this request: AWS_REGION",
    ),
    (
        "recursive loop",
        """
        Resources:
          Fn:
            Type: AWS::Serverless::Function
            Properties: {CodeUri: src, Handler: app.handler, RecursiveLoop: allow}
     """,
        "{path}:4: Fn.RecursiveLoop: RecursiveLoop must be Allow or Terminate, not 'allow'",
    ),
]


@pytest.mark.parametrize(("case", "template", "message"), BAD, ids=[case for case, _, _ in BAD])
def test_malformed_templates_get_one_clear_message(tmp_path: Path, case: str, template: str, message: str) -> None:
    path = write(tmp_path, template, "src")
    with pytest.raises(TemplateError) as caught:
        load_project(path)
    assert str(caught.value) == message.format(path=path, folder=tmp_path)


def test_unknown_parameter_override_is_refused(full: Path) -> None:
    with pytest.raises(TemplateError, match="--parameter-overrides names Nope, which the template does not declare"):
        load_project(full, parameter_overrides={"Nope": "1"})


def test_snap_start(tmp_path: Path) -> None:
    template = """
    Globals:
      Function: {Runtime: python3.12}
    Resources:
      Snappy:
        Type: AWS::Serverless::Function
        Properties: {CodeUri: src, Handler: app.handler, SnapStart: {ApplyOn: PublishedVersions}}
      Plain:
        Type: AWS::Serverless::Function
        Properties: {CodeUri: src, Handler: app.handler, SnapStart: {ApplyOn: "None"}}
    """
    project = load_project(write(tmp_path, template, "src"))
    assert project.find("Snappy").config.snap_start and not project.find("Plain").config.snap_start
    with pytest.raises(TemplateError, match="ApplyOn must be PublishedVersions or None"):
        load_project(write(tmp_path, template.replace("ApplyOn: PublishedVersions", "ApplyOn: Always"), "src"))
    with pytest.raises(TemplateError, match="SnapStart is not supported for runtime python3.11"):
        load_project(write(tmp_path, template.replace("python3.12", "python3.11"), "src"))


def test_tenancy_config(tmp_path: Path) -> None:
    template = """
    Resources:
      Isolated:
        Type: AWS::Serverless::Function
        Properties: {CodeUri: src, Handler: app.handler, TenancyConfig: {TenantIsolationMode: PER_TENANT}}
      Shared:
        Type: AWS::Serverless::Function
        Properties: {CodeUri: src, Handler: app.handler}
    """
    project = load_project(write(tmp_path, template, "src"))
    assert project.find("Isolated").config.tenant_isolation and not project.find("Shared").config.tenant_isolation
    with pytest.raises(TemplateError, match="TenantIsolationMode must be PER_TENANT"):
        load_project(write(tmp_path, template.replace("PER_TENANT", "SHARED"), "src"))


def test_a_layer_from_elsewhere_never_blocks_the_template_and_is_said(tmp_path: Path) -> None:
    """A public layer that is no package (the Lambda Web Adapter), or one deployed elsewhere: the
    functions run without it, and the one line of what is not emulated names it and who uses it."""
    (tmp_path / "src").mkdir()
    public = "arn:aws:lambda:us-east-1:753240598075:layer:LambdaAdapterLayerX86:24"  # an extension
    (tmp_path / "template.yaml").write_text(
        textwrap.dedent(f"""
        Globals:
          Function: {{CodeUri: src, Handler: app.handler, Layers: [{public}]}}
        Resources:
          One: {{Type: AWS::Serverless::Function}}
          Two: {{Type: AWS::Serverless::Function}}
        """)
    )
    project = load_project(tmp_path / "template.yaml")
    assert [list(f.config.layers) for f in project.functions.values()] == [[], []]
    assert project.unemulated == (f"layer {public}, not in the template (One, Two)",)


def test_powertools_public_layer_is_its_package(tmp_path: Path) -> None:
    """Powertools' public layer is a release of its package: the package stands in for it."""
    (tmp_path / "src").mkdir()
    layer = "arn:aws:lambda:us-east-1:017000801446:layer:AWSLambdaPowertoolsPythonV3-python311-x86_64:7"
    (tmp_path / "template.yaml").write_text(
        textwrap.dedent(f"""
        Resources:
          Fn:
            Type: AWS::Serverless::Function
            Properties: {{CodeUri: src, Handler: app.handler, Layers: [{layer}]}}
        """)
    )
    project = load_project(tmp_path / "template.yaml")
    assert project.functions["Fn"].config.layer_packages == ("aws-lambda-powertools[parser,tracer,validation]>=3,<4",)
    assert project.unemulated == ()


def test_a_function_on_a_runtime_not_run_here_does_not_block_the_template(tmp_path: Path) -> None:
    """A Ruby authorizer before Python functions, say: the template loads, and the one line of
    what is not emulated names it."""
    (tmp_path / "src").mkdir()
    (tmp_path / "template.yaml").write_text(
        textwrap.dedent("""
        Resources:
          Authorizer:
            Type: AWS::Serverless::Function
            Properties: {CodeUri: src, Handler: index.handler, Runtime: ruby3.3}
          Api:
            Type: AWS::Serverless::Function
            Properties: {CodeUri: src, Handler: app.handler, Runtime: python3.11}
        """)
    )
    project = load_project(tmp_path / "template.yaml")
    assert set(project.functions) == {"Authorizer", "Api"}
    assert project.unemulated == ("ruby3.3 functions, not run here yet (Authorizer)",)


PROPERTIES = """
Resources:
  Sam:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src
      Handler: app.handler
      Architectures: [arm64]
      Tracing: Active
      Role: arn:aws:iam::123456789012:role/orders
      Tags: {team: orders}
      CodeSigningConfigArn: arn:aws:lambda:us-east-1:123456789012:code-signing-config:csc-1
      RuntimeManagementConfig: {UpdateRuntimeOn: Manual}
      KmsKeyArn: arn:aws:kms:us-east-1:123456789012:key/1
  Plain:
    Type: AWS::Lambda::Function
    Properties:
      Code: src
      Handler: app.handler
      Runtime: python3.12
      Role: !GetAtt PlainRole.Arn
      TracingConfig: {Mode: PassThrough}
      DeadLetterConfig: {TargetArn: arn:aws:sqs:us-east-1:123456789012:dead}
      Tags: [{Key: team, Value: billing}]
  PlainRole: {Type: AWS::IAM::Role, Properties: {AssumeRolePolicyDocument: {}}}
"""


def test_each_function_property_has_its_local_meaning(tmp_path: Path) -> None:
    """SAM's function properties, one by one (docs/templates.md lists them): what GetFunction
    answers (architecture, tracing, role, tags as a deploy leaves them, CloudFormation's
    DeadLetterConfig), and what is not emulated said in the one line."""
    project = load_project(write(tmp_path, PROPERTIES, "src"))
    sam, plain = project.functions["Sam"], project.functions["Plain"]
    assert (sam.config.architectures, sam.config.tracing) == (("arm64",), "Active")
    assert sam.role == "arn:aws:iam::123456789012:role/orders"
    assert sam.tags == {
        "team": "orders",
        "aws:cloudformation:stack-name": "lambdahost",
        "aws:cloudformation:logical-id": "Sam",
        "lambda:createdBy": "SAM",
    }
    assert (plain.config.architectures, plain.config.tracing) == (("x86_64",), "PassThrough")
    assert plain.role.startswith("arn:aws:iam::123456789012:role/") and plain.tags["team"] == "billing"
    assert "lambda:createdBy" not in plain.tags
    assert plain.dead_letter_queue == {"TargetArn": "arn:aws:sqs:us-east-1:123456789012:dead"}
    assert project.unemulated == ("CodeSigningConfigArn (Sam)", "RuntimeManagementConfig (Sam)")

    with pytest.raises(TemplateError, match="Architectures.*at 'architectures' failed"):
        load_project(write(tmp_path, PROPERTIES.replace("[arm64]", "[sparc]"), "src"))
    with pytest.raises(TemplateError, match="ImageUri.*need Docker"):
        load_project(write(tmp_path, PROPERTIES.replace("Tracing: Active", "ImageUri: repo:tag"), "src"))


def test_function_properties_reach_get_function(tmp_path: Path) -> None:
    from server import Server

    write(tmp_path, PROPERTIES, "src")
    server = Server(tmp_path, "--api-port", "0").start()
    try:
        client = server.client()
        answer = client.get_function(FunctionName="Sam")
        configuration = answer["Configuration"]
        assert configuration["Architectures"] == ["arm64"] and configuration["TracingConfig"] == {"Mode": "Active"}
        assert configuration["Role"] == "arn:aws:iam::123456789012:role/orders"
        assert answer["Tags"]["team"] == "orders" and answer["Tags"]["lambda:createdBy"] == "SAM"
        plain = client.get_function_configuration(FunctionName="Plain")
        assert plain["DeadLetterConfig"] == {"TargetArn": "arn:aws:sqs:us-east-1:123456789012:dead"}
        assert client.invoke(FunctionName="Sam", Payload=b'{"a": 1}')["Payload"].read() == b'{"a": 1}'
    finally:
        server.stop()
