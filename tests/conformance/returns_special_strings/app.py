def handler(event, context):
    return ["line\u2028sep", "tab\t", "nul\u0000", "quote\"", "emoji \U0001F600"]
