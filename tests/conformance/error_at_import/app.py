raise RuntimeError("cannot start")


def handler(event, context):
    return 1
