"""Open the real and the synthetic database read-only and read the real schema's tables from both.

The real database's reflected schema drives everything: tables and columns are matched by name,
a table or column the synthetic database lacks is read as empty / all-NULL and named in
``problems``, and extra synthetic tables or columns are ignored.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import sqlalchemy as sa

from relsynth.config import Config, load_config
from relsynth.extract import read_table
from relsynth.schema.model import Schema, Table
from relsynth.schema.reflect import reflect, reflect_metadata
from relsynth.urls import resolve_url, shown, source_engine


@dataclass
class Loaded:
    schema: Schema                       # the real database's
    real: dict[str, pd.DataFrame]
    synthetic: dict[str, pd.DataFrame]
    real_url: str                        # passwords hidden
    synthetic_url: str
    problems: list[str] = field(default_factory=list)


def as_url(value: str | sa.URL) -> sa.URL:
    return value if isinstance(value, sa.URL) else resolve_url(value)


def load(real: str | sa.URL, synthetic: str | sa.URL, *, config: Config | str | Path | None = None) -> Loaded:
    """Both databases' tables; ``config`` (as for ``clone``: excluded tables, kinds, schema) shapes
    the real schema the way the synthesizer saw it. The synthetic tables are read from the
    synthetic database's default schema, where ``clone`` writes them."""
    config = config if isinstance(config, Config) else load_config(config)
    real_url, synth_url = as_url(real), as_url(synthetic)
    real_engine = source_engine(real_url)
    try:
        synth_engine = source_engine(synth_url)
        try:
            schema = reflect(real_engine, config=config)
            real_md = reflect_metadata(real_engine, schema_name=schema.name)
            synth_md = reflect_metadata(synth_engine)
            loaded = Loaded(schema=schema, real={}, synthetic={}, real_url=shown(real_url),
                            synthetic_url=shown(synth_url))
            for table in schema:
                sa_table = real_md.tables[_key(schema.name, table.name)]
                loaded.real[table.name] = read_table(real_engine, sa_table)
                loaded.synthetic[table.name] = _read_synthetic(synth_engine, synth_md, table, loaded.problems)
            return loaded
        finally:
            synth_engine.dispose()
    finally:
        real_engine.dispose()


def _key(schema_name: str | None, name: str) -> str:
    return f"{schema_name}.{name}" if schema_name else name


def _read_synthetic(engine: sa.Engine, md: sa.MetaData, table: Table, problems: list[str]) -> pd.DataFrame:
    sa_table = md.tables.get(table.name)
    if sa_table is None:  # matched case-insensitively: MySQL on Windows / case-folding servers
        sa_table = next((t for t in md.tables.values() if t.name.lower() == table.name.lower()), None)
    if sa_table is None:
        problems.append(f"table {table.name} is missing from the synthetic database")
        return pd.DataFrame({c: pd.Series(dtype=object) for c in table.column_names})
    present = {c.name.lower(): c.name for c in sa_table.columns}
    found = [present[c.lower()] for c in table.column_names if c.lower() in present]
    frame = read_table(engine, sa_table, columns=found)
    frame = frame.rename(columns={present[c.lower()]: c for c in table.column_names if c.lower() in present})
    for column in table.column_names:
        if column not in frame.columns:
            problems.append(f"column {table.name}.{column} is missing from the synthetic database")
            frame[column] = pd.Series([None] * len(frame), dtype=object)
    return frame[list(table.column_names)]
