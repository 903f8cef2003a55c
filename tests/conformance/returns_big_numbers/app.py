def handler(event, context):
    return [2**70, -2**64, 1e16, 0.1 + 0.2, 1e-7, float(10**20)]
