def inner():
    raise ValueError("bad value")


def handler(event, context):
    inner()
