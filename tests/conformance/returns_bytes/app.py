def handler(event, context):
    return b"\x00raw bytes, not JSON"
