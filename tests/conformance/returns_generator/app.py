def handler(event, context):
    return (n for n in range(3))
