"""The user's config file: what `relsynth inspect -o FILE` writes and `--config FILE` reads.

Only some fields steer synthesis; the rest (types, row counts, primary keys) are there so the
user sees the whole picture while editing, and are ignored on load:

    exclude: [audit_log]              # tables left out of the clone
    model: trees                      # the model family of every table without its own
    strict: true                      # fail when a column is not listed here (one added since review)
    tables:
      orders:
        context: customers            # the parent whose rows condition this table ("none": no parent)
        model: trees                  # the model family for this table
        copy: true                    # written row for row from the source (default for alembic_version ...)
        columns:
          note: {kind: text}          # override a column's logical kind
          name: {locale: ja_JP}       # this column's fakes from another locale
        foreign_keys:                 # relations the database does not declare
          - {columns: [coupon_id], parent: coupons, parent_columns: [id]}
    conditions:                       # what the generated rows must meet (see relsynth.conditions)
      retain: [customers.id]          # kept exactly as in the source
      where: ["orders.status=refunded", "orders.total>=100"]
      rebalance: ["transactions.is_fraud=true:0.5"]
      seed_rows: {orders: seeds.csv}  # one generated row per seed row
    privacy:
      k: 5                            # categories, extremes and combinations fewer real rows share never come out
      salt_env: RELSYNTH_SALT         # the environment variable holding the secret salt of pseudonyms
      qi_days: 30                     # quasi-identifier dates this many days apart point at the same person
      qi_share: 0.02                  # other quasi-identifier numbers: this share of their range (0: exact only)
      locale: auto                    # Faker locale of fake names and places (de_DE ...); auto: the source's
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from relsynth.errors import ConfigError
from relsynth.schema.kinds import Kind


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ColumnConfig(_Strict):
    kind: Kind | None = None
    locale: str | None = None  # generated names and places from this Faker locale, not the database's
    type: Any = None          # informational
    nullable: bool | None = None  # informational


class ForeignKeyConfig(_Strict):
    columns: list[str]
    parent: str
    parent_columns: list[str]
    nullable: bool | None = None
    name: str | None = None
    declared: bool | None = None  # informational: true when the database declares it


class TableConfig(_Strict):
    context: str | None = None
    model: str | None = None
    # copied row for row, never scaled (relsynth.copied); None: only migration bookkeeping tables are
    copy_rows: bool | None = Field(default=None, alias="copy")   # `copy` itself is a pydantic method
    columns: dict[str, ColumnConfig] = Field(default_factory=dict)
    foreign_keys: list[ForeignKeyConfig] = Field(default_factory=list)
    rows: int | None = None           # informational
    primary_key: list[str] | None = None  # informational


class ConditionsConfig(_Strict):
    retain: list[str] = Field(default_factory=list)
    where: list[str] = Field(default_factory=list)
    rebalance: list[str] = Field(default_factory=list)
    seed_rows: dict[str, str] = Field(default_factory=dict)


class PrivacyConfig(_Strict):
    k: int = Field(default=5, ge=1)   # a value or combination fewer real rows share never comes out
    # the environment variable holding the pseudonyms' secret salt (never the salt itself: a
    # config file is shared and committed); unset: a fresh random salt per run
    salt_env: str = "RELSYNTH_SALT"
    # a generated row near (not only equal to) quasi-identifiers fewer than k real rows are near is
    # drawn again: dates and datetimes within qi_days, other numbers within qi_share of their range
    qi_days: float = Field(default=30.0, ge=0)   # 0: exact matching only
    qi_share: float = Field(default=0.02, ge=0, le=1)  # age 18..90: +-1.4 years
    locale: str = "auto"              # Faker locale of generated names and places; auto: detected from the source


class Config(_Strict):
    source: str | None = None         # informational: where it was inspected (no password)
    schema_name: str | None = Field(default=None, alias="schema")
    exclude: list[str] = Field(default_factory=list)
    model: str | None = None          # the model family of every table without its own
    strict: bool = False              # every column must be listed here, or be a key or generated
    tables: dict[str, TableConfig] = Field(default_factory=dict)
    conditions: ConditionsConfig = Field(default_factory=ConditionsConfig)
    privacy: PrivacyConfig = Field(default_factory=PrivacyConfig)

    def column_locales(self, table: str) -> dict[str, str]:
        """The table's columns whose fakes come from a locale of their own: column -> locale."""
        columns = self.tables.get(table, TableConfig()).columns
        return {name: col.locale for name, col in columns.items() if col.locale}

    def contexts(self) -> dict[str, str | None]:
        """The context parents the user chose: table -> parent, or None for "no parent"."""
        return {name: None if t.context in (None, "none") else t.context
                for name, t in self.tables.items() if "context" in t.model_fields_set}


def with_models(config: Config, choices: list[str]) -> Config:
    """``--model`` choices applied to ``config``: ``FAMILY`` for every table, ``TABLE=FAMILY`` for one."""
    tables = dict(config.tables)
    default = config.model
    for choice in choices:
        table, sep, family = choice.partition("=")
        if not sep:
            default = choice.strip()
            continue
        table, family = table.strip(), family.strip()
        current = tables.get(table, TableConfig())
        tables[table] = current.model_copy(update={"model": family})
    return config.model_copy(update={"tables": tables, "model": default})


def unreviewed_columns(config: Config, schema) -> list[str]:
    """Columns whose values a model learns from, yet that the config does not list: after a
    schema change, a new column (a national id stored as a number) would otherwise be learned
    unseen. Keys and generated (identifying) columns never carry real values into the copy."""
    out = []
    for table in schema:
        listed = config.tables.get(table.name, TableConfig()).columns
        out += [f"{table.name}.{c.name} ({c.kind.value})" for c in table.columns
                if c.name not in listed and c.kind != Kind.KEY and not c.kind.identifying]
    return out


def check_strict(config: Config, schema) -> None:
    """With ``strict``, fail (before anything is written) naming every unreviewed column."""
    if not config.strict:
        return
    unreviewed = unreviewed_columns(config, schema)
    if unreviewed:
        listed = ", ".join(unreviewed[:10]) + (f" and {len(unreviewed) - 10} more" if len(unreviewed) > 10 else "")
        raise ConfigError(f"strict: {len(unreviewed)} column(s) neither reviewed in the config nor generated: "
                          f"{listed}",
                          hint="check them, then list them under tables.T.columns (relsynth inspect -o writes "
                               "every column) or give them a generated kind")


def load_config(path: str | Path | None) -> Config:
    if path is None:
        return Config()
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except FileNotFoundError:
        raise ConfigError(f"config file {path} not found", hint="write one with `relsynth inspect URL -o FILE`") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"config file {path} is not valid YAML: {exc}".splitlines()[0]) from None
    try:
        return Config.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"])
        raise ConfigError(f"config file {path}: {where}: {err['msg']}") from None


def config_from_schema(schema, plan, *, source: str | None = None, locale: str | None = None,
                       copied: Any = ()) -> dict[str, Any]:
    """The whole reflected picture in config form: edit it, pass it back with --config.
    ``locale``: the one chosen for generated names and places, written so the user sees it;
    ``copied``: the tables copied row for row (written ``copy: true``)."""
    tables: dict[str, Any] = {}
    for step in plan.steps:
        table = schema[step.table]
        entry: dict[str, Any] = {"rows": table.row_count, "primary_key": list(table.primary_key),
                                 "context": step.context.parent if step.context else "none", "model": "trees",
                                 "columns": {c.name: {"kind": c.kind.value, "type": c.type.get("native"),
                                                      "nullable": c.nullable} for c in table.columns}}
        if table.name in copied:
            entry["copy"] = True
        if table.foreign_keys:
            entry["foreign_keys"] = [{**fk.to_dict(), "declared": fk.declared} for fk in table.foreign_keys]
        tables[table.name] = entry
    out = {"source": source, "schema": schema.name, "exclude": [], "tables": tables}
    if locale:
        out["privacy"] = {"locale": locale}
    return out


def dump_config(data: dict[str, Any]) -> str:
    header = ("# relsynth config: edit, then pass back with --config FILE.\n"
              "# Steering fields: exclude, tables.T.context, tables.T.model, tables.T.copy, tables.T.columns.C.kind\n"
              "# (and .locale), tables.T.foreign_keys entries the database does not declare, and privacy.\n"
              "# The rest is for reading.\n")
    data = json.loads(json.dumps(data, default=str))  # plain values only: names may be str subclasses
    return header + yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=120,
                                   default_flow_style=None)  # one line per column
