"""Calendar quarters, written 2026-Q3 (July to September)."""

import datetime
import re
from dataclasses import dataclass

QUARTER = re.compile(r"(\d{4})-Q([1-4])")


@dataclass(frozen=True, order=True)
class Quarter:
    year: int
    number: int

    @classmethod
    def parse(cls, text: str) -> "Quarter":
        found = QUARTER.fullmatch(text.strip())
        if not found:
            raise ValueError(f"“{text}” is not a quarter written YYYY-Qn (for example 2026-Q3)")
        return cls(int(found[1]), int(found[2]))

    @classmethod
    def of(cls, day: datetime.date) -> "Quarter":
        return cls(day.year, (day.month - 1) // 3 + 1)

    def __str__(self) -> str:
        return f"{self.year}-Q{self.number}"

    @property
    def first_day(self) -> datetime.date:
        return datetime.date(self.year, 3 * self.number - 2, 1)

    @property
    def last_day(self) -> datetime.date:
        return self.next().first_day - datetime.timedelta(days=1)

    @property
    def months(self) -> list[datetime.date]:
        return [datetime.date(self.year, 3 * self.number - 2 + n, 1) for n in range(3)]

    def next(self) -> "Quarter":
        return (
            Quarter(self.year + 1, 1) if self.number == 4 else Quarter(self.year, self.number + 1)
        )

    def previous(self) -> "Quarter":
        return (
            Quarter(self.year - 1, 4) if self.number == 1 else Quarter(self.year, self.number - 1)
        )
