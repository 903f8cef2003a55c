class MyError(Exception):
    pass


def handler(event, context):
    raise MyError()
