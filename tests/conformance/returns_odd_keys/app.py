def handler(event, context):
    return {1: "int", None: "none", True: "bool", 2.5: "float"}
