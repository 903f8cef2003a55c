def handler(event, context):
    return {key: [type(value).__name__, value] for key, value in event.items()}
