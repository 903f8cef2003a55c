def handler(event, context):
    return "done"
