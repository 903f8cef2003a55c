from collections import namedtuple

Point = namedtuple("Point", "x y")


def handler(event, context):
    return {"point": Point(1, 2), "points": [Point(3, Point(4, 5))], "pair": (6, 7)}
