def handler(event, context):
    raise KeyError("missing")
