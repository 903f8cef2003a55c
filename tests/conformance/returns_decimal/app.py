from decimal import Decimal


def handler(event, context):
    return {"price": Decimal("1.10"), "big": Decimal("12345678901234567890.000001"), "nan": Decimal("NaN")}
