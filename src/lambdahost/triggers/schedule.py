"""EventBridge schedule expressions, with AWS's exact grammar (EventBridge's schedule expression reference), and when
they fire next, in UTC.

``rate(value unit)`` counts from when the rule starts; ``cron(minutes hours day-of-month month
day-of-week year)`` fires on the minutes it names. An expression AWS rejects is rejected here
with AWS's message, ``Parameter ScheduleExpression is not valid.``
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass

INVALID = "Parameter ScheduleExpression is not valid."
_AT = re.compile(r"at\((\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\)")
_RATE = re.compile(r"rate\(([1-9][0-9]*) (minute|minutes|hour|hours|day|days)\)")
_UNITS = {"minute": 60, "hour": 3600, "day": 86400}
_MONTHS = {
    name: i
    for i, name in enumerate(["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"], 1)
}
_DAYS = {name: i for i, name in enumerate(["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"], 1)}


class ScheduleError(ValueError):
    def __init__(self, expression: str, reason: str) -> None:
        super().__init__(f"{INVALID} ({expression!r}: {reason})")
        self.reason = reason


@dataclass(frozen=True)
class Rate:
    seconds: int

    def next_after(self, moment: dt.datetime, started: dt.datetime) -> dt.datetime:
        periods = int((moment - started).total_seconds() // self.seconds) + 1
        return started + dt.timedelta(seconds=periods * self.seconds)


@dataclass(frozen=True)
class Cron:
    minutes: frozenset[int]
    hours: frozenset[int]
    days: str  # day-of-month field as written ("?" when day-of-week decides)
    months: frozenset[int]
    weekdays: str  # day-of-week field as written
    years: frozenset[int]

    def next_after(self, moment: dt.datetime, started: dt.datetime | None = None) -> dt.datetime:
        """The first whole minute after ``moment`` that this expression names (UTC)."""
        start = moment.replace(second=0, microsecond=0) + dt.timedelta(minutes=1)
        day = start.date()
        while day.year <= 2199:
            if day.year in self.years and day.month in self.months and self._day_matches(day):
                for hour in sorted(self.hours):
                    for minute in sorted(self.minutes):
                        candidate = dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=dt.timezone.utc)
                        if candidate >= start:
                            return candidate
            day += dt.timedelta(days=1)
        raise ScheduleError("cron", "it never fires again")

    def _day_matches(self, day: dt.date) -> bool:
        last = calendar.monthrange(day.year, day.month)[1]
        weekday = (day.weekday() + 1) % 7 + 1  # AWS numbers SUN as 1
        dom, dow = self.days, self.weekdays
        dom_ok = dom == "?" or _day_of_month(dom, day, last)
        dow_ok = dow == "?" or _day_of_week(dow, day, weekday, last)
        return dom_ok and dow_ok


@dataclass(frozen=True)
class At:
    """EventBridge Scheduler's one-off ``at(yyyy-mm-ddThh:mm:ss)``, in UTC here."""

    moment: dt.datetime

    def next_after(self, moment: dt.datetime, started: dt.datetime | None = None) -> dt.datetime:
        return self.moment if self.moment > moment else dt.datetime.max.replace(tzinfo=dt.timezone.utc)


Schedule = Rate | Cron | At


def parse(expression: str, scheduler: bool = False) -> Schedule:
    """A rule's schedule; ``scheduler`` also accepts EventBridge Scheduler's ``at(...)``."""
    if not isinstance(expression, str):
        raise ScheduleError(str(expression), "not a string")
    at = _AT.fullmatch(expression) if scheduler else None
    if at:
        return At(dt.datetime.fromisoformat(at[1]).replace(tzinfo=dt.timezone.utc))
    rate = _RATE.fullmatch(expression)
    if rate:
        value, unit = int(rate[1]), rate[2]
        if (value == 1) != (not unit.endswith("s")):
            raise ScheduleError(expression, "use the singular unit for 1 and the plural for more")
        return Rate(value * _UNITS[unit.rstrip("s")])
    if not (expression.startswith("cron(") and expression.endswith(")")):
        raise ScheduleError(expression, "expected rate(...) or cron(...)")
    fields = expression[5:-1].split()
    if len(fields) != 6 or expression[5:6].isspace():
        raise ScheduleError(expression, "cron takes six fields")
    minutes, hours, dom, month, dow, year = fields
    if (dom == "?") == (dow == "?") and not (dom == "?" and dow == "?"):
        raise ScheduleError(expression, "one of day-of-month and day-of-week must be ?")
    return Cron(
        minutes=_field(minutes, 0, 59, {}, expression),
        hours=_field(hours, 0, 23, {}, expression),
        days=_check_days_of_month(dom, expression),
        months=_field(month, 1, 12, _MONTHS, expression),
        weekdays=_check_days_of_week(dow, expression),
        years=_field(year, 1970, 2199, {}, expression),
    )


def _value(token: str, low: int, high: int, names: dict[str, int], expression: str) -> int:
    value = names.get(token.upper()) if names and not token.isdigit() else None
    if value is None:
        if not token.isdigit():
            raise ScheduleError(expression, f"{token!r} is not a value")
        value = int(token)
    if not low <= value <= high:
        raise ScheduleError(expression, f"{value} is outside {low}-{high}")
    return value


def _field(text: str, low: int, high: int, names: dict[str, int], expression: str) -> frozenset[int]:
    values: set[int] = set()
    for part in text.split(","):
        base, _, step = part.partition("/")
        if step and not step.isdigit() or step == "0":
            raise ScheduleError(expression, f"bad increment in {part!r}")
        if base == "*":
            first, last = low, high
        elif "-" in base:
            a, _, b = base.partition("-")
            first, last = _value(a, low, high, names, expression), _value(b, low, high, names, expression)
        else:
            first = _value(base, low, high, names, expression)
            last = high if step else first
        values.update(range(first, last + 1, int(step) if step else 1))
    if not values:
        raise ScheduleError(expression, f"{text!r} names no value")
    return frozenset(values)


def _check_days_of_month(text: str, expression: str) -> str:
    if text in ("?", "L", "LW"):
        return text
    if re.fullmatch(r"\d{1,2}W", text):
        _value(text[:-1], 1, 31, {}, expression)
        return text
    _field(text, 1, 31, {}, expression)
    return text


def _check_days_of_week(text: str, expression: str) -> str:
    if text in ("?", "L"):
        return text
    if text.count("#") > 1 or ("#" in text and "," in text):
        raise ScheduleError(expression, "only one # expression is allowed")
    if "#" in text:
        day, _, nth = text.partition("#")
        _value(day, 1, 7, _DAYS, expression)
        _value(nth, 1, 5, {}, expression)
        return text
    if text.endswith("L") and len(text) > 1:
        _value(text[:-1], 1, 7, _DAYS, expression)
        return text
    _field(text, 1, 7, _DAYS, expression)
    return text


def _day_of_month(text: str, day: dt.date, last: int) -> bool:
    if text == "L":
        return day.day == last
    if text.endswith("W"):
        target = last if text == "LW" else min(int(text[:-1]), last)
        return day.day == _nearest_weekday(day.replace(day=target), last).day
    return day.day in _field(text, 1, 31, {}, text)


def _nearest_weekday(target: dt.date, last: int) -> dt.date:
    if target.weekday() == 5:  # Saturday: Friday, unless that leaves the month
        return target - dt.timedelta(days=1) if target.day > 1 else target + dt.timedelta(days=2)
    if target.weekday() == 6:  # Sunday: Monday, unless that leaves the month
        return target + dt.timedelta(days=1) if target.day < last else target - dt.timedelta(days=2)
    return target


def _day_of_week(text: str, day: dt.date, weekday: int, last: int) -> bool:
    if text == "L":
        return weekday == 7
    if "#" in text:
        wanted, _, nth = text.partition("#")
        return weekday == _value(wanted, 1, 7, _DAYS, text) and (day.day - 1) // 7 + 1 == int(nth)
    if text.endswith("L"):
        return weekday == _value(text[:-1], 1, 7, _DAYS, text) and day.day + 7 > last
    return weekday in _field(text, 1, 7, _DAYS, text)
