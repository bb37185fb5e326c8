"""A KPI report as files: one CSV per table, one Excel workbook with a sheet per table."""

from __future__ import annotations

import io
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

# Excel limits sheet names to 31 characters.
_SHEET_NAME_MAX = 31


def csv_text(table: pd.DataFrame) -> str:
    """The table as CSV (UTF-8, a header row, empty cells where a ratio has no value)."""
    text: str = table.to_csv(index=False, lineterminator="\n")
    return text


def xlsx_bytes(tables: Mapping[str, pd.DataFrame]) -> bytes:
    """An Excel workbook (openpyxl) with one sheet per table, named after it."""
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        for name, table in tables.items():
            table.to_excel(writer, sheet_name=name[:_SHEET_NAME_MAX], index=False)
    return buffer.getvalue()


def write_csv(table: pd.DataFrame, path: Path) -> Path:
    path.write_text(csv_text(table), encoding="utf-8")
    return path


def write_xlsx(tables: Mapping[str, pd.DataFrame], path: Path) -> Path:
    path.write_bytes(xlsx_bytes(tables))
    return path
