import logging


def handler(event, context):
    root = logging.getLogger()
    return {"level": root.level, "handlers": len(root.handlers),
            "formats": [getattr(h.formatter, "_fmt", None) for h in root.handlers]}
