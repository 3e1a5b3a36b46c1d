"""Random relational schemas for the "database in the wild" property test, on any dialect.

Hypothesis draws a small schema (2-5 tables with odd identifiers, integer / string / composite
primary keys, a composite key (foreign key, DATE) with several nearby dates per parent, single and
composite foreign keys, several foreign keys to one parent, foreign keys sharing a column,
PostgreSQL tables partitioned by range, nullable self-references, two-table
cycles through a nullable or a NOT NULL foreign key, link tables keyed by their two foreign keys,
unique and CHECK constraints, every portable column type and the dialect's own types), and
:func:`build_source` fills a SQLite file, a PostgreSQL or a MariaDB database with rows that satisfy
all of it (parents first, nullable cycle edges by UPDATE, NOT NULL cycles with the checks deferred).
"""

from __future__ import annotations

import datetime as dt
import random
import string
import uuid
import warnings
from dataclasses import MISSING, dataclass, fields, replace
from decimal import Decimal

import sqlalchemy as sa
from hypothesis import strategies as st
from sqlalchemy.dialects import mysql, postgresql
from sqlalchemy.pool import NullPool

from fixtures import build as fb

DIALECTS = ("sqlite", "postgresql", "mariadb")

# --------------------------------------------------------------------------- the schema spec

# Reserved words, spaces, mixed case, non-ASCII letters. SQLite folds ASCII case only, so names
# are kept distinct by ``str.lower`` within their namespace.
TABLE_NAMES = ["order", "select", "group", "user", "from", "Order Items", "MixedCase", "naïve table",
               "Straße", "café", "table", "where", "Key Value", "日本", "ÉTÉ", "x y z", "values", "index"]
COLUMN_NAMES = ["from", "select", "user", "group", "order", "Value", "some column", "Größe", "naïve",
                "Amount", "where", "key", "ÅÄÖ", "créé le", "count", "x", "MiXeD", "table", "desc", "limit",
                "50%", "a;b"]
KEY_NAMES = ["id", "ID", "key", "Nr", "order", "código", "user id", "select", "it's", 'say "hi"']

TYPES = ["int", "float", "numeric", "string", "text", "bool", "date", "datetime"]
NUMERIC = {"int", "float", "numeric"}
UNIQUABLE = {"int", "float", "numeric", "string", "text", "date", "datetime"}


class _Point(sa.types.UserDefinedType):
    cache_ok = True

    def get_col_spec(self, **_kw) -> str:
        return "POINT"


class _Geometry(sa.types.UserDefinedType):
    """A MariaDB spatial column, written from WKT with SRID 4326."""

    cache_ok = True

    def get_col_spec(self, **_kw) -> str:
        return "GEOMETRY"

    def bind_expression(self, bindvalue):
        return sa.func.ST_GeomFromText(bindvalue, 4326, type_=self)


def _geometry(r: random.Random) -> str:
    x, y = round(r.uniform(5, 15), 4), round(r.uniform(45, 55), 4)
    return r.choice([f"POINT({x} {y})", f"LINESTRING({x} {y},{x + 0.1} {y + 0.2})",
                     f"POLYGON(({x} {y},{x + 0.5} {y},{x + 0.5} {y + 0.3},{x} {y}))"])


def _pg_range(lo, hi):
    return postgresql.Range(lo, hi, bounds="[)")


# The dialect's own types: name -> (column type, one value for row i). Named "<dialect>:<type>".
NATIVE = {
    "postgresql:interval": (postgresql.INTERVAL, lambda r, i: dt.timedelta(days=r.randint(0, 30),
                                                                         seconds=r.randint(0, 86399))),
    "postgresql:money": (postgresql.MONEY, lambda r, i: f"{r.randint(0, 10**6) / 100:.2f}"),
    "postgresql:inet": (postgresql.INET, lambda r, i: f"10.{r.randint(0, 255)}.{r.randint(0, 255)}.{r.randint(1, 254)}"),
    "postgresql:cidr": (postgresql.CIDR, lambda r, i: f"10.{r.randint(0, 255)}.0.0/16"),
    "postgresql:macaddr": (postgresql.MACADDR, lambda r, i: "08:00:2b:" + ":".join(
        f"{r.randint(0, 255):02x}" for _ in range(3))),
    "postgresql:uuid": (postgresql.UUID, lambda r, i: uuid.UUID(int=r.getrandbits(128), version=4)),
    "postgresql:jsonb": (postgresql.JSONB, lambda r, i: {"n": r.randint(0, 9), "tags": ["a", "b"][: r.randint(0, 2)],
                                                         "meta": {"ok": r.random() < 0.5}}),
    "postgresql:int4range": (postgresql.INT4RANGE, lambda r, i: _pg_range(lo := r.randint(-100, 100),
                                                                         lo + r.randint(1, 50))),
    "postgresql:daterange": (postgresql.DATERANGE, lambda r, i: _pg_range(
        d := dt.date(2020, 1, 1) + dt.timedelta(days=r.randint(0, 900)), d + dt.timedelta(days=r.randint(1, 30)))),
    "postgresql:bit8": (lambda: postgresql.BIT(8), lambda r, i: f"{r.getrandbits(8):08b}"),
    "postgresql:point": (_Point, lambda r, i: f"({r.uniform(-90, 90):.4f},{r.uniform(-180, 180):.4f})"),
    "postgresql:text[]": (lambda: postgresql.ARRAY(sa.Text()), lambda r, i: [f"w{r.randint(0, 9)}"
                                                                             for _ in range(r.randint(0, 3))]),
    "mariadb:enum": (lambda: mysql.ENUM("small", "medium", "large"), lambda r, i: r.choice(["small", "medium", "large"])),
    "mariadb:set": (lambda: mysql.SET("a", "b", "c"), lambda r, i: ",".join(sorted(r.sample("abc", r.randint(0, 3))))),
    "mariadb:year": (mysql.YEAR, lambda r, i: r.randint(1990, 2030)),
    "mariadb:unsigned": (lambda: mysql.INTEGER(unsigned=True), lambda r, i: r.randint(3_000_000_000, 4_000_000_000)),
    "mariadb:bit5": (lambda: mysql.BIT(5), lambda r, i: r.getrandbits(5)),
    "mariadb:geometry": (_Geometry, lambda r, i: _geometry(r)),
    "mariadb:json": (mysql.JSON, lambda r, i: {"k": r.choice(["x", "y"]), "n": r.randint(0, 99), "l": [1, 2]}),
}


def types_for(dialect: str) -> list[str]:
    """The portable types and the dialect's own."""
    return TYPES + [t for t in NATIVE if t.startswith(dialect + ":")]


def uniquable(dialect: str) -> set[str]:
    return UNIQUABLE - {"text"} if dialect == "mariadb" else UNIQUABLE   # MariaDB: no UNIQUE on TEXT


@dataclass(frozen=True)
class Col:
    name: str
    type: str                    # one of TYPES or a key of NATIVE
    nullable: bool = True
    length: int = 0              # String(length)
    unique: bool = False
    check: str | None = None     # None, "nonneg" (col >= 0) or "range" (col BETWEEN 0 AND 500)


@dataclass(frozen=True)
class FK:
    columns: tuple[str, ...]
    parent: int                  # index of the parent table
    nullable: bool
    deferred: bool = False       # written NULL, then set by UPDATE (self-references, cycle edges)
    cycle: bool = False          # NOT NULL edge of a cycle: written with the row, checks deferred


@dataclass(frozen=True)
class Tab:
    name: str
    key: tuple[Col, ...]         # primary key columns that are not foreign key columns
    columns: tuple[Col, ...]     # non-key columns
    fks: tuple[FK, ...]
    rows: int                    # wanted rows (capped by what the parents allow)
    fk_key: tuple[str, ...] = ()  # the primary key starts with these FK columns (link table, dated key)
    partition_by: str = ""       # PostgreSQL: PARTITION BY RANGE on this primary key column (int or date)
    partitions: int = 2          # ... into this many ranges
    default_partition: bool = False   # ... and a DEFAULT partition for the values past the last range


@dataclass(frozen=True)
class Spec:
    tables: tuple[Tab, ...]
    data_seed: int = 0
    seed: int = 0                # relsynth's seed

    def __repr__(self) -> str:   # valid Python, one table a line: paste it into an @example
        tables = "".join(f"\n    {t!r}," for t in self.tables)
        return f"Spec(({tables}\n), data_seed={self.data_seed}, seed={self.seed})"


def _short_repr(self) -> str:
    """The constructor call without the fields left at their defaults."""
    args = []
    for f in fields(self):
        value = getattr(self, f.name)
        if f.default is MISSING:
            args.append(repr(value))
        elif value != f.default:
            args.append(f"{f.name}={value!r}")
    return f"{type(self).__name__}({', '.join(args)})"


for _cls in (Col, FK, Tab):
    _cls.__repr__ = _short_repr
for _cls in (Col, FK, Tab, Spec):
    _cls._repr_pretty_ = lambda self, p, cycle: p.text(repr(self))   # Hypothesis prints with it


def _sa_type(col: Col) -> sa.types.TypeEngine:
    if col.type in NATIVE:
        return NATIVE[col.type][0]()
    return {
        "int": sa.Integer(), "float": sa.Float(), "numeric": sa.Numeric(8, 2),
        "string": sa.String(col.length or 20), "text": sa.Text(), "bool": sa.Boolean(),
        "date": sa.Date(), "datetime": sa.DateTime(),
    }[col.type]


def pk_columns(spec: Spec, i: int) -> list[Col]:
    """The primary key of table ``i`` as typed columns, in order (its FK columns first)."""
    t = spec.tables[i]
    typed = fk_column_types(spec, i, key_only=True) if t.fk_key else {}
    return [typed[c] for c in t.fk_key] + list(t.key)


def fk_column_types(spec: Spec, i: int, key_only: bool = False) -> dict[str, Col]:
    """Every FK column of table ``i`` typed like the parent key column it points at."""
    out: dict[str, Col] = {}
    for fk in spec.tables[i].fks:
        if key_only and fk.columns[0] not in spec.tables[i].fk_key:
            continue
        parent_key = pk_columns(spec, fk.parent) if fk.parent != i else list(spec.tables[i].key)
        for name, pcol in zip(fk.columns, parent_key):
            out[name] = Col(name, pcol.type, nullable=fk.nullable, length=pcol.length)
    return out


_PG_QUOTE = postgresql.dialect().identifier_preparer.quote


def partition_ddl(spec: Spec, data: dict[str, list[dict]]) -> list[str]:
    """CREATE TABLE ... PARTITION OF for each partitioned table: ranges split at the quantiles of
    the rows' key values (the first from MINVALUE; the last to MAXVALUE, or a DEFAULT partition
    holding the values past it), so every row has a partition."""
    out = []
    for i, t in enumerate(spec.tables):
        if not t.partition_by:
            continue
        type_ = next(c.type for c in pk_columns(spec, i) if c.name == t.partition_by)
        values = sorted({row[t.partition_by] for row in data[t.name]})
        wanted = t.partitions if t.default_partition else t.partitions - 1
        picks = [values[len(values) * (j + 1) // (wanted + 1)] for j in range(wanted)] if values else []
        splits = sorted(set(picks))
        start = splits[-1] if splits else dt.date(2020, 1, 1) if type_ == "date" else 0
        while len(splits) < wanted:       # too few distinct values: ranges past them
            start = start + (dt.timedelta(days=1) if isinstance(start, dt.date) else 1)
            splits.append(start)
        literal = [f"'{v.isoformat()}'" if isinstance(v, dt.date) else str(int(v)) for v in splits]
        bounds = ["MINVALUE"] + literal + ([] if t.default_partition else ["MAXVALUE"])
        for j in range(len(bounds) - 1):
            out.append(f"CREATE TABLE {_PG_QUOTE(f'{t.name} p{j}')} PARTITION OF {_PG_QUOTE(t.name)} "
                       f"FOR VALUES FROM ({bounds[j]}) TO ({bounds[j + 1]})")
        if t.default_partition:
            out.append(f"CREATE TABLE {_PG_QUOTE(f'{t.name} rest')} PARTITION OF {_PG_QUOTE(t.name)} DEFAULT")
    return out


def metadata(spec: Spec, dialect: str = "sqlite") -> sa.MetaData:
    md = sa.MetaData()
    tables = []
    for i, t in enumerate(spec.tables):
        fk_cols = fk_column_types(spec, i)
        key_names = [c.name for c in pk_columns(spec, i)]
        cols = [sa.Column(c.name, _sa_type(c), nullable=False, autoincrement=False) for c in t.key]
        cols += [sa.Column(c.name, _sa_type(c), nullable=c.nullable and c.name not in key_names)
                 for c in fk_cols.values()]
        cols += [sa.Column(c.name, _sa_type(c), nullable=c.nullable, unique=c.unique or None) for c in t.columns]
        options = {"postgresql_partition_by": f"RANGE ({_PG_QUOTE(t.partition_by)})"} \
            if t.partition_by and dialect == "postgresql" else {}
        table = sa.Table(t.name, md, *cols, sa.PrimaryKeyConstraint(*key_names), **options)
        for c in t.columns:
            if c.check == "nonneg":
                table.append_constraint(sa.CheckConstraint(table.c[c.name] >= 0))
            elif c.check == "range":
                table.append_constraint(sa.CheckConstraint(table.c[c.name].between(0, 500)))
        tables.append(table)
    for i, t in enumerate(spec.tables):
        for fk in t.fks:
            parent = tables[fk.parent]
            refs = [parent.c[c.name] for c in pk_columns(spec, fk.parent)]
            late = {"deferrable": True, "initially": "DEFERRED"} if fk.cycle and dialect == "postgresql" else {}
            tables[i].append_constraint(sa.ForeignKeyConstraint(list(fk.columns), refs,
                                                                use_alter=fk.deferred or fk.cycle, **late))
    return md


# --------------------------------------------------------------------------- the data

_LETTERS = string.ascii_letters + "äöüßéçñ日本 -'"


def _text(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(_LETTERS) for _ in range(rng.randint(1, max(1, n))))


def _value(rng: random.Random, col: Col, i: int, unique: bool):
    """One value of ``col`` for row ``i``; ``unique`` values are injective in ``i``."""
    if col.type in NATIVE:
        return NATIVE[col.type][1](rng, i)
    lo, hi = (0, 500) if col.check == "range" else (0, 10_000) if col.check == "nonneg" else (-10_000, 10_000)
    if col.type == "int":
        return lo + i * 7 if unique else rng.randint(lo, hi)
    if col.type == "float":
        return lo + i * 0.5 + 0.25 if unique else round(rng.uniform(lo, hi), 3)
    if col.type == "numeric":
        cents = lo * 100 + i * 3 if unique else rng.randint(lo * 100, hi * 100)
        return Decimal(cents).scaleb(-2)
    if col.type == "string":
        if unique:
            return f"{i:03d}{_text(rng, (col.length or 20) - 3)}"[: col.length or 20]
        return _text(rng, col.length or 20)
    if col.type == "text":
        return f"{i}: {_text(rng, 30)}" if unique else _text(rng, 60)
    if col.type == "bool":
        return rng.random() < 0.5
    if col.type == "date":
        return dt.date(2001, 1, 1) + dt.timedelta(days=i * 3 if unique else rng.randint(0, 9000))
    if col.type == "datetime":
        return dt.datetime(2001, 1, 1) + dt.timedelta(seconds=i * 3607 if unique else rng.randint(0, 10**9))
    raise AssertionError(col.type)


def _keys(rng: random.Random, cols: list[Col], n: int) -> list[tuple]:
    """``n`` distinct primary key tuples."""
    per_col = []
    for c in cols:
        if c.type == "int":
            per_col.append(rng.sample(range(-50, 10 * n + 200), n))
        else:
            width = max(4, c.length or 20)
            per_col.append([f"K{j:03d}-{_text(rng, width - 5)}"[:width] for j in range(n)])
    if len(cols) == 2:  # composite: repeat the first column's values so the second must tell them apart
        first = per_col[0]
        per_col[0] = [first[j // 3] for j in range(n)]
    return list(zip(*per_col))


def generate(spec: Spec) -> tuple[dict[str, list[dict]], dict[str, list[dict]]]:
    """Rows per table (deferred FKs NULL) and the UPDATEs that set the deferred FKs afterwards."""
    rng = random.Random(spec.data_seed)
    keys: dict[int, list[tuple]] = {}
    data: dict[str, list[dict]] = {}
    sizes = [0] * len(spec.tables)
    # how many rows each table gets: a required FK to an empty parent leaves it empty (a NOT NULL
    # cycle edge points forward, hence the second pass)
    for round_ in range(3):
        for i, t in enumerate(spec.tables):
            n = sizes[i] if round_ else t.rows
            for fk in t.fks:
                if not fk.deferred and not fk.nullable and (fk.parent < i or round_) and sizes[fk.parent] == 0:
                    n = 0
            if t.fk_key and not t.key:
                a, b = (next(fk for fk in t.fks if fk.columns[0] == c).parent for c in t.fk_key)
                n = min(n, sizes[a] * sizes[b])
            sizes[i] = n
    for i, t in enumerate(spec.tables):
        n = sizes[i]
        rows: list[dict] = [{} for _ in range(n)]
        if t.fk_key and t.key:   # (FK, date): a few rows per parent, a few days apart
            owner = t.fks[0]
            start: dict[tuple, dt.date] = {}
            for row in rows:
                parent = rng.choice(keys[owner.parent])
                day = start.get(parent, dt.date(2019, 1, 1) + dt.timedelta(days=rng.randint(0, 2000)))
                start[parent] = day + dt.timedelta(days=rng.randint(1, 3))
                row.update(dict(zip(owner.columns, parent)))
                row[t.key[0].name] = day
        elif t.fk_key:
            fa, fb_ = (next(fk for fk in t.fks if fk.columns[0] == c) for c in t.fk_key)
            pairs = rng.sample([(x, y) for x in keys[fa.parent] for y in keys[fb_.parent]], n)
            for row, (x, y) in zip(rows, pairs):
                row[fa.columns[0]], row[fb_.columns[0]] = x[0], y[0]
        else:
            for row, key in zip(rows, _keys(rng, list(t.key), n)):
                row.update({c.name: v for c, v in zip(t.key, key)})
        keys[i] = [tuple(row[c.name] for c in pk_columns(spec, i)) for row in rows]
        for fk in t.fks:
            if t.fk_key and fk.columns[0] in t.fk_key or fk.cycle:
                continue
            for row in rows:
                if fk.deferred or (fk.nullable and (not keys[fk.parent] or rng.random() < 0.25)):
                    row.update({c: None for c in fk.columns})
                else:
                    row.update(dict(zip(fk.columns, rng.choice(keys[fk.parent]))))
        for c in t.columns:
            for j, row in enumerate(rows):
                row[c.name] = None if c.nullable and rng.random() < 0.15 else _value(rng, c, j, c.unique)
        data[t.name] = rows
    for i, t in enumerate(spec.tables):   # NOT NULL cycle edges, once every key exists
        for fk in (f for f in t.fks if f.cycle):
            for row in data[t.name]:
                row.update(dict(zip(fk.columns, rng.choice(keys[fk.parent]))))
    for i, t in enumerate(spec.tables):
        names = {c.name for c in t.key} | set(fk_column_types(spec, i)) | {c.name for c in t.columns}
        assert all(set(row) == names for row in data[t.name])
    updates: dict[str, list[dict]] = {}
    for i, t in enumerate(spec.tables):
        pk = [c.name for c in pk_columns(spec, i)]
        for fk in (f for f in t.fks if f.deferred):
            for row in data[t.name]:
                if keys[fk.parent] and rng.random() < 0.7:
                    updates.setdefault(t.name, []).append(
                        {"pk": [row[c] for c in pk], "set": dict(zip(fk.columns, rng.choice(keys[fk.parent])))})
    return data, updates


def dialect_of(url: str) -> str:
    name = sa.make_url(url).get_backend_name()
    return "mariadb" if name in ("mysql", "mariadb") else name


def build_source(spec: Spec, url: str) -> sa.MetaData:
    """The schema of ``spec`` and its rows in the (empty) database at ``url``; its metadata."""
    dialect = dialect_of(url)
    md = metadata(spec, dialect)
    data, updates = generate(spec)
    engine = fb.sqlite_engine(sa.make_url(url).database) if dialect == "sqlite" else \
        sa.create_engine(url, poolclass=NullPool)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", sa.exc.SAWarning)   # cycles: SQLite creates the FKs inline
            with engine.begin() as conn:
                md.create_all(conn)
                for statement in partition_ddl(spec, data) if dialect == "postgresql" else ():
                    conn.exec_driver_sql(statement.replace("%", "%%"))
            with engine.begin() as conn:
                if dialect == "sqlite":
                    conn.exec_driver_sql("PRAGMA defer_foreign_keys = ON")
                elif dialect == "mariadb":
                    conn.exec_driver_sql("SET FOREIGN_KEY_CHECKS = 0")
                for t in spec.tables:        # PostgreSQL: the cycle's constraints are DEFERRABLE
                    if data[t.name]:
                        conn.execute(md.tables[t.name].insert(), data[t.name])
                for i, t in enumerate(spec.tables):
                    table = md.tables[t.name]
                    pk = [c.name for c in pk_columns(spec, i)]
                    for u in updates.get(t.name, []):
                        conn.execute(table.update().where(*(table.c[c] == v for c, v in zip(pk, u["pk"])))
                                     .values(u["set"]))
                if dialect == "mariadb":
                    conn.exec_driver_sql("SET FOREIGN_KEY_CHECKS = 1")
            with engine.connect() as conn:
                orphans = {k: v for k, v in fb.orphan_counts(conn, md).items() if v}
                assert not orphans, f"the source itself violates foreign keys: {orphans}"
    finally:
        engine.dispose()
    return md


# --------------------------------------------------------------------------- the strategy

# Key shapes drawn by ``schemas``: per table "int", "str", "composite", "link", "dated"; a
# PostgreSQL table partitioned by RANGE on an int or date key column (2-3 ranges, maybe a DEFAULT
# partition); overlapping foreign keys a -> P and (a, t) -> Q(P's key, t) sharing column a (all
# dialects); per schema a nullable or NOT NULL two-table cycle.

class _Names:
    """Distinct (case-insensitively) names within one table."""

    def __init__(self) -> None:
        self.taken: set[str] = set()

    def take(self, name: str) -> str:
        out, k = name, 2
        while out.lower() in self.taken:
            out, k = f"{name} {k}", k + 1
        self.taken.add(out.lower())
        return out


@st.composite
def columns(draw, names: _Names, dialect: str = "sqlite") -> tuple[Col, ...]:
    out = []
    unique_left = True   # one unique column per table at most
    for _ in range(draw(st.integers(1, 4))):
        type_ = draw(st.sampled_from(types_for(dialect)))
        col = Col(names.take(draw(st.sampled_from(COLUMN_NAMES))), type_, nullable=draw(st.booleans()),
                  length=draw(st.integers(8, 40)) if type_ == "string" else 0)
        if unique_left and type_ in uniquable(dialect) and draw(st.integers(0, 3)) == 3:   # shrinks to "no"
            col, unique_left = replace(col, unique=True), False
        if type_ in NUMERIC and draw(st.integers(0, 2)) == 2:
            col = replace(col, check=draw(st.sampled_from(["nonneg", "range"])))
        out.append(col)
    return tuple(out)


@st.composite
def key_columns(draw, names: _Names, kind: str) -> tuple[Col, ...]:
    def col(type_: str) -> Col:
        return Col(names.take(draw(st.sampled_from(KEY_NAMES))), type_, nullable=False,
                   length=draw(st.integers(8, 24)) if type_ == "string" else 0)

    if kind == "int":
        return (col("int"),)
    if kind == "str":
        return (col("string"),)
    return (col(draw(st.sampled_from(["int", "string"]))), col(draw(st.sampled_from(["int", "string"]))))


def _fk_names(names: _Names, parent_name: str, parent_key: list[Col]) -> tuple[str, ...]:
    return tuple(names.take(f"{parent_name} {c.name}") for c in parent_key)


@st.composite
def schemas(draw, dialect: str = "sqlite") -> Spec:
    n = draw(st.integers(2, 5))
    table_names = draw(st.lists(st.sampled_from(TABLE_NAMES), min_size=n, max_size=n, unique_by=str.lower))
    tables: list[Tab] = []
    allocators: list[_Names] = []
    for i, name in enumerate(table_names):
        names = _Names()
        allocators.append(names)
        kind = draw(st.sampled_from(["int", "str", "composite", "link", "dated"] if i else ["int", "str", "composite"]))
        fks: list[FK] = []
        fk_key: tuple[str, ...] = ()
        spec_so_far = Spec(tuple(tables))
        if kind == "link":   # the primary key is two required FKs (to one parent or two)
            key: tuple[Col, ...] = ()
            single = [j for j in range(i) if len(pk_columns(spec_so_far, j)) == 1]
            if not single:
                kind = "int"
            else:
                a, b = draw(st.sampled_from(single)), draw(st.sampled_from(single))
                for p in (a, b):
                    cols = _fk_names(names, tables[p].name, pk_columns(spec_so_far, p))
                    fks.append(FK(cols, p, nullable=False))
                    fk_key += cols
        if kind == "dated":   # the primary key is (a required FK, a DATE): several dates per parent
            p = draw(st.integers(0, i - 1))
            fk_key = _fk_names(names, tables[p].name, pk_columns(spec_so_far, p))
            fks.append(FK(fk_key, p, nullable=False))
            key = (Col(names.take(draw(st.sampled_from(["day", "date", "valid from", "Datum"]))), "date",
                       nullable=False),)
        elif kind != "link":
            key = draw(key_columns(names, kind))
        for p in draw(st.lists(st.integers(0, i - 1), max_size=3)) if i else []:
            cols = _fk_names(names, tables[p].name, pk_columns(spec_so_far, p))
            fks.append(FK(cols, p, nullable=draw(st.booleans())))
        if not fk_key and draw(st.integers(0, 4)) == 4:   # nullable self-reference
            parent_key = list(key)
            fks.append(FK(tuple(names.take(f"parent {c.name}") for c in parent_key), i, nullable=True,
                          deferred=True))
        rows = 0 if draw(st.integers(0, 9)) == 9 else draw(st.integers(30, 80))
        table = Tab(name, key, draw(columns(names, dialect)), tuple(fks), rows, fk_key)
        if dialect == "postgresql" and draw(st.integers(0, 3)) == 3:   # partitioned by a key column
            keyed = [c.name for c in pk_columns(Spec(tuple(tables) + (table,)), i) if c.type in ("int", "date")]
            if keyed:   # a unique constraint of a partitioned table would have to hold the partition key
                table = replace(table, columns=tuple(replace(c, unique=False) for c in table.columns),
                                partition_by=draw(st.sampled_from(keyed)), partitions=draw(st.integers(2, 3)),
                                default_partition=draw(st.booleans()))
        tables.append(table)
    # overlapping foreign keys: a table with a -> P and (a, t) -> Q(P's key, t), Q a dated table of P
    spec_so_far = Spec(tuple(tables))
    dated = [q for q, t in enumerate(tables) if t.fk_key and t.key and len(pk_columns(spec_so_far, t.fks[0].parent)) == 1]
    free = [name for name in TABLE_NAMES if name.lower() not in {n.lower() for n in table_names}]
    if dated and draw(st.booleans()):
        q = draw(st.sampled_from(dated))
        p = tables[q].fks[0].parent
        names = _Names()
        allocators.append(names)
        key = draw(key_columns(names, "int"))
        a = names.take(f"{tables[p].name} {pk_columns(spec_so_far, p)[0].name}")
        day = names.take(f"{tables[q].name} {tables[q].key[0].name}")
        fks = (FK((a,), p, nullable=False), FK((a, day), q, nullable=False))   # the wider one sets a's values
        tables.append(Tab(draw(st.sampled_from(free)), key, draw(columns(names, dialect)), fks,
                          draw(st.integers(30, 80))))
    # a two-table cycle: a parent points back at one of its children through a nullable FK, or
    # through a NOT NULL one while the child's FK to the parent is NOT NULL too
    edges = [(i, k) for i, t in enumerate(tables) for k, fk in enumerate(t.fks) if fk.parent < i]
    cycle = draw(st.sampled_from(["none", "nullable", "not null"])) if edges else "none"
    if cycle != "none":
        child, k = draw(st.sampled_from(edges))
        parent = tables[child].fks[k].parent
        required = cycle == "not null"
        if required:
            fks = list(tables[child].fks)
            fks[k] = replace(fks[k], nullable=False)
            tables[child] = replace(tables[child], fks=tuple(fks))
        spec_so_far = Spec(tuple(tables))
        cols = _fk_names(allocators[parent], tables[child].name, pk_columns(spec_so_far, child))
        t = tables[parent]
        back = FK(cols, child, nullable=not required, deferred=not required, cycle=required)
        tables[parent] = replace(t, fks=t.fks + (back,))
    return Spec(tuple(tables), data_seed=draw(st.integers(0, 2**16)), seed=draw(st.integers(0, 100)))


