"""Reading a CSV file into typed fields, collecting every problem with its file, row and field."""

from __future__ import annotations

import csv
import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from infra.errors import FieldProblem, Invalid

SECONDS_PER_DAY = 24 * 3600


@dataclass(frozen=True, slots=True)
class RowProblem:
    """One thing wrong with the input; `row` is the line number in the file (the header is 1)."""

    file: str
    row: int | None
    field: str | None
    why: str

    def __str__(self) -> str:
        where = self.file if self.row is None else f"{self.file}:{self.row}"
        if self.field is None:
            return f"{where}: {self.why}"
        return f"{where}: field '{self.field}': {self.why}"


class PlanInputError(Invalid):
    """The plan input files are unusable; `row_problems` lists every bad row, in file order."""

    code = "plan_input_invalid"
    title = "The plan input files are invalid"

    def __init__(self, row_problems: Sequence[RowProblem]) -> None:
        self.row_problems = tuple(row_problems)
        count = len(self.row_problems)
        heading = f"{count} problem{'s' if count != 1 else ''} in the input files:"
        super().__init__(
            "\n".join([heading, *(str(p) for p in self.row_problems)]),
            [
                FieldProblem(field=p.field or "", reason=f"{p.file}: {p.why}", row=p.row)
                for p in self.row_problems
            ],
        )


class CsvRow:
    """One data row; each accessor returns a typed value or records a problem and a placeholder.

    Callers read every field first and keep the row only if `ok`, so one pass reports all the
    problems of a row instead of stopping at the first.
    """

    def __init__(
        self, file: str, line: int, values: Mapping[str, str], problems: list[RowProblem]
    ) -> None:
        self.file = file
        self.line = line
        self._values = values
        self._problems = problems
        self._problems_before = len(problems)

    @property
    def ok(self) -> bool:
        return len(self._problems) == self._problems_before

    def fail(self, field: str | None, why: str) -> None:
        self._problems.append(RowProblem(self.file, self.line, field, why))

    def text(self, field: str) -> str:
        return (self._values.get(field) or "").strip()

    def has(self, field: str) -> bool:
        return self.text(field) != ""

    def required_text(self, field: str) -> str:
        value = self.text(field)
        if not value:
            self.fail(field, "is required")
        return value

    def real(
        self,
        field: str,
        default: float | None = None,
        *,
        low: float | None = None,
        high: float | None = None,
        positive: bool = False,
    ) -> float:
        """A finite number; `default` None makes the field required. 0.0 stands in on failure."""
        if not self.has(field):
            if default is None:
                self.fail(field, "is required")
                return 0.0
            return default
        value = self.optional_real(field, low=low, high=high, positive=positive)
        return 0.0 if value is None else value

    def optional_real(
        self,
        field: str,
        *,
        low: float | None = None,
        high: float | None = None,
        positive: bool = False,
    ) -> float | None:
        raw = self.text(field)
        if not raw:
            return None
        try:
            value = float(raw)
        except ValueError:
            hint = " (use '.' as the decimal separator)" if "," in raw else ""
            self.fail(field, f"{raw!r} is not a number{hint}")
            return None
        if not math.isfinite(value):
            self.fail(field, f"{raw!r} is not a finite number")
            return None
        why = ""
        if low is not None and high is not None and not low <= value <= high:
            why = f"must be between {low:g} and {high:g}"
        elif low is not None and value < low:
            why = "must not be negative" if low == 0 else f"must be at least {low:g}"
        elif positive and value <= 0:
            why = "must be positive"
        if why:
            self.fail(field, f"{why}, got {raw}")
            return None
        return value

    def integer(self, field: str, default: int, *, low: int | None = None) -> int:
        value = self.optional_integer(field, low=low)
        return default if value is None else value

    def optional_integer(self, field: str, *, low: int | None = None) -> int | None:
        raw = self.text(field)
        if not raw:
            return None
        try:
            value = int(raw)
        except ValueError:
            self.fail(field, f"{raw!r} is not a whole number")
            return None
        if low is not None and value < low:
            why = "must not be negative" if low == 0 else f"must be at least {low}"
            self.fail(field, f"{why}, got {raw}")
            return None
        return value

    def clock(self, field: str) -> int | None:
        """A time of day as seconds since midnight; HH:MM or HH:MM:SS, up to 24:00."""
        raw = self.text(field)
        if not raw:
            return None
        seconds = parse_clock(raw)
        if seconds is None:
            self.fail(field, f"{raw!r} is not a time of day (HH:MM, 00:00 to 24:00)")
        return seconds

    def names(self, field: str) -> frozenset[str]:
        """A `;`-separated set such as skills `chilled;fragile`; case and spaces do not matter."""
        return frozenset(name.lower() for name in self.id_list(field))

    def id_list(self, field: str) -> frozenset[str]:
        """A `;`-separated set of ids, kept as written."""
        return frozenset(part.strip() for part in self.text(field).split(";") if part.strip())


def parse_clock(raw: str) -> int | None:
    parts = raw.strip().split(":")
    if len(parts) not in (2, 3) or not all(p.isdigit() and len(p) <= 2 for p in parts):
        return None
    hours, minutes = int(parts[0]), int(parts[1])
    seconds = int(parts[2]) if len(parts) == 3 else 0
    if minutes > 59 or seconds > 59:
        return None
    total = hours * 3600 + minutes * 60 + seconds
    return total if total <= SECONDS_PER_DAY else None


def read_csv_rows(
    path: Path,
    *,
    display_name: str,
    required: Sequence[str],
    optional: Sequence[str],
    problems: list[RowProblem],
    warnings: list[str],
) -> Iterator[CsvRow]:
    """Yield the data rows of a comma-separated UTF-8 file with a header row.

    Header names are matched case-insensitively. Missing required columns, unreadable files and
    malformed rows become problems; unknown columns become warnings. Blank rows are skipped.
    """
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        problems.append(
            RowProblem(
                display_name, None, None, f"is not UTF-8 text ({exc.reason} at byte {exc.start})"
            )
        )
        return
    except OSError as exc:
        problems.append(RowProblem(display_name, None, None, f"cannot be read: {exc.strerror}"))
        return
    reader = csv.reader(text.splitlines(keepends=True))
    try:
        header = next(reader, None)
    except csv.Error as exc:
        problems.append(RowProblem(display_name, 1, None, f"malformed CSV: {exc}"))
        return
    if header is None or not any(h.strip() for h in header):
        problems.append(RowProblem(display_name, 1, None, "the file is empty (no header row)"))
        return
    columns = [h.strip().lower() for h in header]
    if not _header_ok(display_name, columns, required, optional, problems, warnings):
        return
    line = reader.line_num
    while True:
        start = line + 1
        try:
            fields = next(reader, None)
        except csv.Error as exc:
            problems.append(RowProblem(display_name, start, None, f"malformed CSV: {exc}"))
            return
        if fields is None:
            return
        line = reader.line_num
        if not any(f.strip() for f in fields):
            continue
        if len(fields) > len(columns):
            problems.append(
                RowProblem(
                    display_name,
                    start,
                    None,
                    f"has {len(fields)} fields but the header has {len(columns)} columns",
                )
            )
            continue
        yield CsvRow(display_name, start, dict(zip(columns, fields, strict=False)), problems)


def _header_ok(
    display_name: str,
    columns: list[str],
    required: Sequence[str],
    optional: Sequence[str],
    problems: list[RowProblem],
    warnings: list[str],
) -> bool:
    before = len(problems)
    seen: set[str] = set()
    for column in columns:
        if column in seen:
            problems.append(RowProblem(display_name, 1, column, "the column appears twice"))
        seen.add(column)
    missing = [c for c in required if c not in seen]
    hint = ""
    if len(columns) == 1 and ";" in columns[0]:
        hint = " (the header seems to use ';' as separator; save the file with ',')"
    for column in missing:
        problems.append(RowProblem(display_name, 1, column, "required column is missing" + hint))
    known = set(required) | set(optional)
    unknown = [c for c in columns if c and c not in known]
    if unknown:
        names = ", ".join(repr(c) for c in unknown)
        warnings.append(f"{display_name}: ignoring unknown column(s) {names}")
    return len(problems) == before
