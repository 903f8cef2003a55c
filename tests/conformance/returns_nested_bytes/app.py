def handler(event, context):
    return {"text": b"caf\xc3\xa9", "items": [b"raw"]}
