"""Run with `pytest`: lambdahost's plugin serves template.yaml (the API on its API port, the table
in its local DynamoDB) and the `lambdahost` fixture talks to it."""


def test_an_item_posted_can_be_read_back(lambdahost):
    created = lambdahost.request("POST", "/items", {"name": "first"})
    assert created.status == 201
    item = created.json()
    read = lambdahost.request("GET", f"/items/{item['id']}")
    assert read.status == 200 and read.json() == item


def test_the_item_is_in_the_table(lambdahost, aws_client):
    item = lambdahost.request("POST", "/items", {"name": "second"}).json()
    (table,) = aws_client("dynamodb").list_tables()["TableNames"]
    stored = aws_client("dynamodb").get_item(TableName=table, Key={"id": {"S": item["id"]}})["Item"]
    assert stored["name"] == {"S": "second"}


def test_an_unknown_item_is_404(lambdahost):
    assert lambdahost.request("GET", "/items/nothing-here").status == 404
