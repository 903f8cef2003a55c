import logging

logger = logging.getLogger()


def handler(event, context):
    print("plain print")
    logger.warning("warn via root")
    logger.info("info is dropped by default")
    logging.getLogger("child").error("error from %s", "child")
    return "ok"
