from decimal import Decimal


def handler(event, context):
    return [Decimal("-NaN"), Decimal("sNaN"), Decimal("Infinity"), Decimal("-0"), Decimal("1E+3"), Decimal("0.000")]
