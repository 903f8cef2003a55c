"""A REST API with Powertools for AWS Lambda: routing, structured logs, tracing."""

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.event_handler import APIGatewayRestResolver
from aws_lambda_powertools.logging import correlation_paths

app = APIGatewayRestResolver()
logger = Logger()
tracer = Tracer()


@app.get("/hello")
def hello():
    return {"message": "hello, world"}


@app.get("/hello/<name>")
def hello_name(name: str):
    logger.info("greeting", extra={"visitor": name})
    return {"message": f"hello, {name}"}


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler
def lambda_handler(event, context):
    return app.resolve(event, context)
