"""Relations in frames: children per parent, columns of a parent (or grandparent) joined to child
rows, children aggregated onto parent rows, and the detection features of one table.

Frames here are one side's *prepared* tables (``relsynth.report.build``): modeled columns in the
comparable form of ``relsynth.report.values``, key columns as read. Keys are joined as text
(``10``, ``10.0`` and ``"10"`` are the same key) so a nullable integer FK read as float still
finds its parent; a child row with a NULL in its FK has no parent.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from relsynth.report.values import FREE_TEXT, NUMERIC, as_text, family
from relsynth.schema.kinds import Kind
from relsynth.schema.model import ForeignKey, Schema, Table


@dataclass(frozen=True)
class Link:
    """One foreign key, with the table that holds it."""
    child: str
    fk: ForeignKey

    @property
    def label(self) -> str:
        return f"{self.child}({', '.join(self.fk.columns)}) -> {self.fk.parent}({', '.join(self.fk.parent_columns)})"


def modeled_columns(table: Table) -> dict[str, str]:
    """Modeled columns with their family (numeric / category). Key columns have the kind ``key``;
    a modeled column inside a composite key (``courses.dept_code``) is modeled, so compared."""
    return {col.name: fam for col in table.columns if (fam := family(col.kind)) is not None}


def key_frame(frame: pd.DataFrame, columns: tuple[str, ...]) -> pd.DataFrame:
    return pd.DataFrame({f"k{i}": as_text(frame[c]) for i, c in enumerate(columns)}, index=frame.index)


def _key_index(keys: pd.DataFrame) -> pd.Index:
    return pd.Index(keys["k0"]) if keys.shape[1] == 1 else pd.MultiIndex.from_frame(keys)


def _group(keys: pd.DataFrame):
    return list(keys.columns) if keys.shape[1] > 1 else "k0"


def children_per_parent(child: pd.DataFrame, fk: ForeignKey, parent: pd.DataFrame) -> np.ndarray:
    """Number of child rows pointing at each parent row (zeros included), in parent row order."""
    keys = key_frame(child, fk.columns).dropna()
    counts = keys.groupby(_group(keys)).size()
    parent_keys = key_frame(parent, fk.parent_columns)
    return counts.reindex(_key_index(parent_keys), fill_value=0).to_numpy(dtype=np.int64)


def join_parent(child: pd.DataFrame, fk: ForeignKey, parent: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """``parent[columns]`` of each child row's parent (NaN without one), aligned with ``child``."""
    child_keys = key_frame(child, fk.columns).reset_index(drop=True)
    parent_keys = key_frame(parent, fk.parent_columns).reset_index(drop=True)
    values = parent[columns].reset_index(drop=True)
    values.columns = [f"v{i}" for i in range(len(columns))]
    right = pd.concat([parent_keys, values], axis=1).dropna(subset=list(parent_keys.columns))
    right = right.drop_duplicates(subset=list(parent_keys.columns))
    merged = child_keys.merge(right, how="left", on=list(parent_keys.columns), sort=False)
    out = merged[list(values.columns)]
    out.columns = columns
    out.index = child.index
    return out


def child_aggregates(parent: pd.DataFrame, link: Link, child: pd.DataFrame, child_table: Table) -> pd.DataFrame:
    """Per parent row: number of children, mean of their numeric columns, distinct count of their
    category columns (columns named ``<child>(<fk>) count`` / ``mean x`` / ``distinct x``)."""
    fk = link.fk
    keys = key_frame(child, fk.columns)
    cols = modeled_columns(child_table)
    data = pd.concat([keys, child[list(cols)].set_axis([f"v{i}" for i in range(len(cols))], axis=1)], axis=1)
    data = data.dropna(subset=list(keys.columns))
    grouped = data.groupby(_group(keys))
    prefix = f"{link.child}({', '.join(fk.columns)})"
    parts = {f"{prefix} count": grouped.size()}
    for i, (name, fam) in enumerate(cols.items()):
        if fam == NUMERIC:
            parts[f"{prefix} mean {name}"] = grouped[f"v{i}"].mean()
        else:
            parts[f"{prefix} distinct {name}"] = grouped[f"v{i}"].nunique()
    agg = pd.DataFrame(parts)
    out = agg.reindex(_key_index(key_frame(parent, fk.parent_columns)))
    for column in out.columns:
        if not column.startswith(f"{prefix} mean "):
            out[column] = out[column].fillna(0)
    out.index = parent.index
    return out.astype(float)


def parent_paths(schema: Schema, name: str) -> list[tuple[Link, ...]]:
    """Every FK of the table (one hop), and every FK of each parent after it (two hops)."""
    paths: list[tuple[Link, ...]] = []
    for fk in schema[name].foreign_keys:
        first = Link(name, fk)
        paths.append((first,))
        paths += [(first, Link(fk.parent, up)) for up in schema[fk.parent].foreign_keys]
    return paths


def ancestor_columns(frames: dict[str, pd.DataFrame], rows: pd.DataFrame, path: tuple[Link, ...],
                     columns: list[str]) -> pd.DataFrame:
    """``columns`` of the last table of ``path``, reached from ``rows`` hop by hop."""
    current = rows
    for i, link in enumerate(path):
        last = i == len(path) - 1
        wanted = columns if last else list(path[i + 1].fk.columns)
        current = join_parent(current, link.fk, frames[link.fk.parent], wanted)
    return current


def detection_features(schema: Schema, name: str, frames: dict[str, pd.DataFrame],
                       rows: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, str]]:
    """What the classifier sees of each row: the table's modeled columns and text columns (the
    family ``text``: seen through their words when free text, see ``relsynth.report.words``), each
    parent's modeled columns, and the row's children aggregated (every FK pointing at the table).
    Keys and the other identifying columns are left out. Returns the features and their families."""
    table = schema[name]
    own = {**modeled_columns(table), **{c.name: FREE_TEXT for c in table.columns if c.kind == Kind.TEXT}}
    parts = [rows[list(own)]]
    families = dict(own)
    for fk in table.foreign_keys:
        parent_cols = modeled_columns(schema[fk.parent])
        if not parent_cols:
            continue
        joined = join_parent(rows, fk, frames[fk.parent], list(parent_cols))
        names = [f"{fk.parent}.{c} via ({', '.join(fk.columns)})" for c in parent_cols]
        parts.append(joined.set_axis(names, axis=1))
        families.update(zip(names, parent_cols.values()))
    for child_table in schema:
        for fk in child_table.foreign_keys:
            if fk.parent != name:
                continue
            agg = child_aggregates(rows, Link(child_table.name, fk), frames[child_table.name], child_table)
            parts.append(agg)
            families.update({c: NUMERIC for c in agg.columns})
    features = pd.concat(parts, axis=1)
    features = features.loc[:, ~features.columns.duplicated()]
    return features, {c: families[c] for c in features.columns}

