from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, APIGatewayRestResolver, Response

rest = APIGatewayRestResolver()
http = APIGatewayHttpResolver()


@rest.get("/pt-rest/hello/<name>")
def rest_hello(name: str):
    return {"hello": name, "query": rest.current_event.get_query_string_value("lang", "en")}


@rest.post("/pt-rest/echo")
def rest_echo():
    return Response(status_code=202, content_type="application/json", body=rest.current_event.body)


@http.get("/pt-http/hello/<name>")
def http_hello(name: str):
    return {"hello": name, "cookies": http.current_event.cookies or []}


def rest_handler(event, context):
    return rest.resolve(event, context)


def http_handler(event, context):
    return http.resolve(event, context)
