"""APIs that are not SAM events: a SAM API's OpenAPI definition, and plain CloudFormation's
API Gateway (REST: a resource tree of methods, as CDK's LambdaRestApi writes it; HTTP: routes and
integrations, or a quick-create API). Each route is served to a real client on the API port."""

from __future__ import annotations

from pathlib import Path

import httpx

from server import api_server, write_project

TEMPLATE = """
Transform: AWS::Serverless-2016-10-31
Resources:
  Echo:
    Type: AWS::Serverless::Function
    Properties: {CodeUri: src, Handler: app.handler}
  OpenApi:
    Type: AWS::Serverless::Api
    Properties:
      StageName: v1
      DefinitionBody:
        openapi: "3.0.1"
        paths:
          /openapi/items:
            get:
              x-amazon-apigateway-integration:
                type: aws_proxy
                httpMethod: POST
                uri: !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Echo.Arn}/invocations
  Rest:
    Type: AWS::ApiGateway::RestApi
    Properties: {Name: rest}
  Items:
    Type: AWS::ApiGateway::Resource
    Properties: {RestApiId: !Ref Rest, ParentId: !GetAtt Rest.RootResourceId, PathPart: items}
  Item:
    Type: AWS::ApiGateway::Resource
    Properties: {RestApiId: !Ref Rest, ParentId: !Ref Items, PathPart: "{id}"}
  ItemAny:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !Ref Rest
      ResourceId: !Ref Item
      HttpMethod: ANY
      AuthorizationType: NONE
      Integration:
        Type: AWS_PROXY
        IntegrationHttpMethod: POST
        Uri: !Join ["", ["arn:", !Ref "AWS::Partition", ":apigateway:", !Ref "AWS::Region",
                         ":lambda:path/2015-03-31/functions/", !GetAtt Echo.Arn, "/invocations"]]
  Deployment:
    Type: AWS::ApiGateway::Deployment
    Properties: {RestApiId: !Ref Rest, StageName: prod}
  Http:
    Type: AWS::ApiGatewayV2::Api
    Properties: {Name: http, ProtocolType: HTTP}
  HttpIntegration:
    Type: AWS::ApiGatewayV2::Integration
    Properties:
      {ApiId: !Ref Http, IntegrationType: AWS_PROXY, IntegrationUri: !GetAtt Echo.Arn, PayloadFormatVersion: "2.0"}
  HttpRoute:
    Type: AWS::ApiGatewayV2::Route
    Properties: {ApiId: !Ref Http, RouteKey: "GET /v2/hello", Target: !Join ["/", [integrations, !Ref HttpIntegration]]}
"""
CODE = """
import json

def handler(event, context):
    context_ = event["requestContext"]
    return {"statusCode": 200, "body": json.dumps({
        "version": event.get("version", "1.0"),
        "stage": context_.get("stage"),
        "resource": event.get("resource") or event.get("routeKey"),
        "parameters": event.get("pathParameters"),
    })}
"""


def test_openapi_and_plain_api_gateway_routes_are_served(tmp_path: Path) -> None:
    server = api_server(write_project(tmp_path, TEMPLATE, CODE))
    try:
        assert "not emulated" not in server.log()
        base = f"http://127.0.0.1:{server.api_port}"
        openapi = httpx.get(f"{base}/openapi/items", timeout=30).json()
        assert (openapi["stage"], openapi["resource"]) == ("v1", "/openapi/items")
        item = httpx.delete(f"{base}/items/42", timeout=30).json()
        assert (item["stage"], item["resource"], item["parameters"]) == ("prod", "/items/{id}", {"id": "42"})
        assert httpx.get(f"{base}/items", timeout=30).status_code in (403, 404), "/items itself has no method"
        http = httpx.get(f"{base}/v2/hello", timeout=30).json()
        assert (http["version"], http["resource"]) == ("2.0", "GET /v2/hello")
    finally:
        server.stop()


def test_a_quick_create_http_api_serves_every_path_with_its_target(tmp_path: Path) -> None:
    template = """
    Resources:
      Echo:
        Type: AWS::Serverless::Function
        Properties: {CodeUri: src, Handler: app.handler}
      Quick:
        Type: AWS::ApiGatewayV2::Api
        Properties: {Name: quick, ProtocolType: HTTP, Target: !GetAtt Echo.Arn}
    """
    server = api_server(write_project(tmp_path, template, CODE))
    try:
        answer = httpx.post(f"http://127.0.0.1:{server.api_port}/any/path", timeout=30).json()
        assert (answer["version"], answer["resource"]) == ("2.0", "$default")
    finally:
        server.stop()
