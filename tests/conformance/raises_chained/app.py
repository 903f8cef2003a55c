def handler(event, context):
    try:
        {}["x"]
    except KeyError as exc:
        raise RuntimeError("wrapped") from exc
