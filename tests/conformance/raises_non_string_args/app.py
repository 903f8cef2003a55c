def handler(event, context):
    raise ValueError("a", 2)
