def handler(event, context):
    public = sorted(name for name in dir(context) if not name.startswith("_"))
    return {"attributes": public, "remaining": type(context.get_remaining_time_in_millis()).__name__,
            "identity": context.identity is None, "client_context": context.client_context is None}
