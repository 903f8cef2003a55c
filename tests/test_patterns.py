"""EventBridge patterns (also SNS filter policies and SQS filter criteria), matcher by matcher."""

from __future__ import annotations

import pytest

from lambdahost.triggers.patterns import PatternError, matches

EVENT = {
    "source": "com.shop",
    "detail-type": "OrderPlaced",
    "detail": {
        "amount": 120,
        "state": "NY",
        "items": ["book", "pen"],
        "ip": "10.0.0.5",
        "note": None,
        "customer": {"tier": "Gold"},
    },
}


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ({"source": ["com.shop"]}, True),
        ({"source": ["com.other", "com.shop"]}, True),
        ({"source": ["com.other"]}, False),
        ({"detail": {"amount": [120]}}, True),
        ({"detail": {"amount": ["120"]}}, False),
        ({"detail": {"items": ["pen"]}}, True),
        ({"detail": {"note": [None]}}, True),
        ({"detail": {"customer": {"tier": ["Gold"]}}}, True),
        ({"detail": {"state": [{"prefix": "N"}]}}, True),
        ({"detail": {"state": [{"suffix": "Y"}]}}, True),
        ({"detail": {"state": [{"anything-but": ["CA", "NY"]}]}}, False),
        ({"detail": {"state": [{"anything-but": {"prefix": "C"}}]}}, True),
        ({"detail": {"amount": [{"numeric": [">", 100, "<=", 120]}]}}, True),
        ({"detail": {"amount": [{"numeric": ["<", 100]}]}}, False),
        ({"detail": {"missing": [{"exists": False}]}}, True),
        ({"detail": {"state": [{"exists": True}]}}, True),
        ({"detail": {"missing": [{"exists": True}]}}, False),
        ({"detail": {"customer": {"tier": [{"equals-ignore-case": "gold"}]}}}, True),
        ({"detail-type": [{"wildcard": "Order*"}]}, True),
        ({"detail": {"ip": [{"cidr": "10.0.0.0/24"}]}}, True),
        ({"detail": {"ip": [{"cidr": "192.168.0.0/16"}]}}, False),
        ({"$or": [{"source": ["x"]}, {"detail": {"amount": [120]}}]}, True),
        ({"$or": [{"source": ["x"]}, {"detail": {"amount": [1]}}]}, False),
        ({"detail": {"state": ["NY"], "amount": [1]}}, False),
    ],
)
def test_matchers(pattern: dict, expected: bool) -> None:
    assert matches(pattern, EVENT) is expected


def test_bad_patterns_are_errors() -> None:
    with pytest.raises(PatternError, match="must be a list or an object"):
        matches({"source": "com.shop"}, EVENT)
    with pytest.raises(PatternError, match="unknown matcher"):
        matches({"source": [{"regex": ".*"}]}, EVENT)
