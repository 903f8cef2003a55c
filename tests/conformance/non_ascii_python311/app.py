def handler(event, context):
    return {"greeting": "héllo ☃"}
