def handler(event, context):
    raise KeyboardInterrupt()
