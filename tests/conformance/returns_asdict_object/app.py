class Order:
    def _asdict(self):
        return {"id": 7, "lines": (1, 2)}


def handler(event, context):
    return {"order": Order()}
