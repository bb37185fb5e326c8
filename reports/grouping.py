"""How KPI rows are grouped: by operating day, depot code or courier name, or not at all."""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING, Any

import pandas as pd

if TYPE_CHECKING:
    from pandas.core.groupby.generic import DataFrameGroupBy

ALL = "all"
NO_GROUP = "(none)"


class By(enum.StrEnum):
    DAY = "day"
    DEPOT = "depot"
    COURIER = "courier"


def group_of(data: pd.DataFrame, by: By | None) -> pd.Series:
    """The group label of each row: the day (ISO), depot code or courier name; `all` for none."""
    if by is None:
        return pd.Series(ALL, index=data.index, dtype=object)
    return data[by.value].map(lambda value: NO_GROUP if pd.isna(value) else str(value))


def grouped(data: pd.DataFrame, by: By | None) -> DataFrameGroupBy[Any, Any]:
    # A frame without rows has no group labels to compute, but must still group.
    return data.assign(group=group_of(data, by) if len(data) else []).groupby("group")


def counted(data: pd.DataFrame, by: By | None, column: str, name: str) -> pd.DataFrame:
    """Rows per group and value of `column` (renamed `reason`), most first in each group."""
    labelled = data.assign(group=group_of(data, by) if len(data) else [])
    counts = labelled.groupby(["group", column]).size().rename(name).reset_index()
    counts = counts.rename(columns={column: "reason"})
    return counts.sort_values(["group", name], ascending=[True, False], ignore_index=True)
