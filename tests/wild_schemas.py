"""relsynth clone on random relational schemas, every constraint checked in the target.

Hypothesis draws a small schema (2-5 tables with odd identifiers, integer / string / composite
primary keys, single and composite foreign keys, several foreign keys to one parent, nullable
self-references, two-table cycles through a nullable foreign key, link tables keyed by their
two foreign keys, unique and CHECK constraints, every portable column type), fills an SQLite
file with rows that satisfy all of it (parents first, cycle edges by UPDATE), clones it and
asks the target, with queries built from the *source's* schema, whether every constraint holds.
"""

from __future__ import annotations

import datetime as dt
import random
import string
import warnings
from dataclasses import MISSING, dataclass, fields, replace
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import relsynth
from fixtures import build as fb

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


@dataclass(frozen=True)
class Col:
    name: str
    type: str                    # one of TYPES
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


@dataclass(frozen=True)
class Tab:
    name: str
    key: tuple[Col, ...]         # primary key columns that are not foreign key columns
    columns: tuple[Col, ...]     # non-key columns
    fks: tuple[FK, ...]
    rows: int                    # wanted rows (capped by what the parents allow)
    fk_key: tuple[str, ...] = ()  # link table: the primary key is these FK columns


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
    return {
        "int": sa.Integer(), "float": sa.Float(), "numeric": sa.Numeric(8, 2),
        "string": sa.String(col.length or 20), "text": sa.Text(), "bool": sa.Boolean(),
        "date": sa.Date(), "datetime": sa.DateTime(),
    }[col.type]


def pk_columns(spec: Spec, i: int) -> list[Col]:
    """The primary key of table ``i`` as typed columns, in order (FK columns of a link table included)."""
    t = spec.tables[i]
    if t.fk_key:
        return [fk_column_types(spec, i, key_only=True)[c] for c in t.fk_key]
    return list(t.key)


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


def metadata(spec: Spec) -> sa.MetaData:
    md = sa.MetaData()
    tables = []
    for i, t in enumerate(spec.tables):
        fk_cols = fk_column_types(spec, i)
        key_names = [c.name for c in pk_columns(spec, i)]
        cols = [sa.Column(c.name, _sa_type(c), nullable=False, autoincrement=False) for c in t.key]
        cols += [sa.Column(c.name, _sa_type(c), nullable=c.nullable and c.name not in key_names)
                 for c in fk_cols.values()]
        cols += [sa.Column(c.name, _sa_type(c), nullable=c.nullable, unique=c.unique or None) for c in t.columns]
        table = sa.Table(t.name, md, *cols, sa.PrimaryKeyConstraint(*key_names))
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
            tables[i].append_constraint(sa.ForeignKeyConstraint(list(fk.columns), refs, use_alter=fk.deferred))
    return md


# --------------------------------------------------------------------------- the data

_LETTERS = string.ascii_letters + "äöüßéçñ日本 -'"


def _text(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(_LETTERS) for _ in range(rng.randint(1, max(1, n))))


def _value(rng: random.Random, col: Col, i: int, unique: bool):
    """One value of ``col`` for row ``i``; ``unique`` values are injective in ``i``."""
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
    # how many rows each table gets: a required FK to an empty (earlier) parent leaves it empty
    for i, t in enumerate(spec.tables):
        n = t.rows
        for fk in t.fks:
            if not fk.deferred and not fk.nullable and sizes[fk.parent] == 0:
                n = 0
        if t.fk_key:
            a, b = (next(fk for fk in t.fks if fk.columns[0] == c).parent for c in t.fk_key)
            n = min(n, sizes[a] * sizes[b])
        sizes[i] = n
    for i, t in enumerate(spec.tables):
        n = sizes[i]
        fk_cols = fk_column_types(spec, i)
        rows: list[dict] = [{} for _ in range(n)]
        if t.fk_key:
            fa, fb_ = (next(fk for fk in t.fks if fk.columns[0] == c) for c in t.fk_key)
            pairs = rng.sample([(x, y) for x in keys[fa.parent] for y in keys[fb_.parent]], n)
            for row, (x, y) in zip(rows, pairs):
                row[fa.columns[0]], row[fb_.columns[0]] = x[0], y[0]
        else:
            for row, key in zip(rows, _keys(rng, list(t.key), n)):
                row.update({c.name: v for c, v in zip(t.key, key)})
        keys[i] = [tuple(row[c.name] for c in pk_columns(spec, i)) for row in rows]
        for fk in t.fks:
            if t.fk_key and fk.columns[0] in t.fk_key:
                continue
            for row in rows:
                if fk.deferred or (fk.nullable and (not keys[fk.parent] or rng.random() < 0.25)):
                    row.update({c: None for c in fk.columns})
                else:
                    row.update(dict(zip(fk.columns, rng.choice(keys[fk.parent]))))
        for c in t.columns:
            for j, row in enumerate(rows):
                row[c.name] = None if c.nullable and rng.random() < 0.15 else _value(rng, c, j, c.unique)
        assert all(set(row) == {c.name for c in t.key} | set(fk_cols) | {c.name for c in t.columns}
                   for row in rows)
        data[t.name] = rows
    updates: dict[str, list[dict]] = {}
    for i, t in enumerate(spec.tables):
        pk = [c.name for c in pk_columns(spec, i)]
        for fk in (f for f in t.fks if f.deferred):
            for row in data[t.name]:
                if keys[fk.parent] and rng.random() < 0.7:
                    updates.setdefault(t.name, []).append(
                        {"pk": [row[c] for c in pk], "set": dict(zip(fk.columns, rng.choice(keys[fk.parent])))})
    return data, updates


def build_source(spec: Spec, path: Path) -> sa.MetaData:
    md = metadata(spec)
    data, updates = generate(spec)
    engine = fb.sqlite_engine(path)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", sa.exc.SAWarning)   # cycles: SQLite creates the FKs inline
            with engine.begin() as conn:
                md.create_all(conn)
                for t in spec.tables:
                    if data[t.name]:
                        conn.execute(md.tables[t.name].insert(), data[t.name])
                for i, t in enumerate(spec.tables):
                    table = md.tables[t.name]
                    pk = [c.name for c in pk_columns(spec, i)]
                    for u in updates.get(t.name, []):
                        conn.execute(table.update().where(*(table.c[c] == v for c, v in zip(pk, u["pk"])))
                                     .values(u["set"]))
                bad = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                assert not bad, f"the source itself violates foreign keys: {bad[:5]}"
    finally:
        engine.dispose()
    return md


# --------------------------------------------------------------------------- the strategy

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
def columns(draw, names: _Names) -> tuple[Col, ...]:
    out = []
    unique_left = True   # one unique column per table at most
    for _ in range(draw(st.integers(1, 4))):
        type_ = draw(st.sampled_from(TYPES))
        col = Col(names.take(draw(st.sampled_from(COLUMN_NAMES))), type_, nullable=draw(st.booleans()),
                  length=draw(st.integers(8, 40)) if type_ == "string" else 0)
        if unique_left and type_ in UNIQUABLE and draw(st.integers(0, 3)) == 3:   # shrinks to "no"
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
def schemas(draw) -> Spec:
    n = draw(st.integers(2, 5))
    table_names = draw(st.lists(st.sampled_from(TABLE_NAMES), min_size=n, max_size=n, unique_by=str.lower))
    tables: list[Tab] = []
    allocators: list[_Names] = []
    for i, name in enumerate(table_names):
        names = _Names()
        allocators.append(names)
        kind = draw(st.sampled_from(["int", "str", "composite", "link"] if i else ["int", "str", "composite"]))
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
        if kind != "link":
            key = draw(key_columns(names, kind))
        for p in draw(st.lists(st.integers(0, i - 1), max_size=3)) if i else []:
            cols = _fk_names(names, tables[p].name, pk_columns(spec_so_far, p))
            fks.append(FK(cols, p, nullable=draw(st.booleans())))
        if not fk_key and draw(st.integers(0, 4)) == 4:   # nullable self-reference
            parent_key = list(key)
            fks.append(FK(tuple(names.take(f"parent {c.name}") for c in parent_key), i, nullable=True,
                          deferred=True))
        rows = draw(st.integers(0, 60))
        tables.append(Tab(name, key, draw(columns(names)), tuple(fks), rows, fk_key))
    # a two-table cycle: a parent points back at one of its children through a nullable FK
    edges = [(i, fk.parent) for i, t in enumerate(tables) for fk in t.fks if fk.parent < i]
    if edges and draw(st.booleans()):
        child, parent = draw(st.sampled_from(edges))
        spec_so_far = Spec(tuple(tables))
        cols = _fk_names(allocators[parent], tables[child].name, pk_columns(spec_so_far, child))
        t = tables[parent]
        tables[parent] = replace(t, fks=t.fks + (FK(cols, child, nullable=True, deferred=True),))
    return Spec(tuple(tables), data_seed=draw(st.integers(0, 2**16)), seed=draw(st.integers(0, 100)))


# --------------------------------------------------------------------------- the property

def _badly_typed(col: sa.Column) -> sa.ColumnElement[bool]:
    """Values SQLite stores but the declared type (and any stricter target) would refuse."""
    raw = sa.type_coerce(col, sa.String())
    kind = sa.func.typeof(raw)
    if isinstance(col.type, sa.Boolean):
        return sa.type_coerce(col, sa.Integer()).not_in([0, 1])
    if isinstance(col.type, sa.Integer):
        return kind != "integer"
    if isinstance(col.type, (sa.Numeric, sa.Float)):   # Numeric(8, 2) holds less than 10**6
        wrong = kind.not_in(["integer", "real"])
        if col.type.precision is not None and not isinstance(col.type, sa.Float):
            limit = 10 ** (col.type.precision - col.type.scale)
            wrong = sa.or_(wrong, sa.func.abs(sa.type_coerce(col, sa.Float())) >= limit)
        return wrong
    if isinstance(col.type, sa.DateTime):
        return sa.or_(kind != "text", sa.func.julianday(raw).is_(None))
    if isinstance(col.type, sa.Date):
        return sa.or_(kind != "text", sa.func.date(raw).is_(None), sa.func.date(raw) != raw)
    if isinstance(col.type, sa.String):    # Text too
        wrong = kind != "text"
        if col.type.length:
            wrong = sa.or_(wrong, sa.func.length(raw) > col.type.length)
        return wrong
    raise AssertionError(col.type)


def _uniques(table: sa.Table) -> set[tuple[str, ...]]:
    sets = {tuple(sorted(c.name for c in u.columns)) for u in table.constraints
            if isinstance(u, sa.UniqueConstraint) and not isinstance(u, sa.PrimaryKeyConstraint)}
    return sets | {tuple(sorted(c.name for c in i.columns)) for i in table.indexes if i.unique}


def _checks(table: sa.Table) -> list[sa.CheckConstraint]:
    return [c for c in table.constraints if isinstance(c, sa.CheckConstraint)]


def assert_clone_holds(md: sa.MetaData, source: Path, target: Path) -> None:
    """Every constraint of the *source* schema, asked of the target with the source's tables."""
    src, dst = fb.sqlite_engine(source), fb.sqlite_engine(target)
    try:
        with src.connect() as sconn, dst.connect() as tconn:
            tmd = sa.MetaData()
            tmd.reflect(tconn)
            assert set(tmd.tables) == set(md.tables)
            for table in md.tables.values():
                twin = tmd.tables[table.name]
                assert [c.name for c in twin.columns] == [c.name for c in table.columns], table.name
                assert {c.name for c in twin.primary_key} == {c.name for c in table.primary_key}, table.name
                assert ({(tuple(e.parent.name for e in f.elements), f.referred_table.name) for f in
                         twin.foreign_key_constraints}
                        == {(tuple(e.parent.name for e in f.elements), f.referred_table.name) for f in
                            table.foreign_key_constraints}), table.name
                assert [c.name for c in twin.columns if not c.nullable] == \
                       [c.name for c in table.columns if not c.nullable], table.name
                assert _uniques(twin) == _uniques(table), table.name
                assert len(_checks(twin)) == len(_checks(table)), table.name
            orphans = fb.orphan_counts(tconn, md)
            assert all(v == 0 for v in orphans.values()), orphans
            checks = fb.check_violations(tconn, md)
            assert all(v == 0 for v in checks.values()), checks
            for table in md.tables.values():
                for col in table.columns:
                    if not col.nullable:
                        nulls = tconn.execute(sa.select(sa.func.count()).where(col.is_(None))).scalar_one()
                        assert nulls == 0, f"NULLs in NOT NULL {table.name}.{col.name}"
                unique_sets = [tuple(table.primary_key.columns)]
                unique_sets += [tuple(c.columns) for c in table.constraints
                                if isinstance(c, sa.UniqueConstraint) and not isinstance(c, sa.PrimaryKeyConstraint)]
                for cols in unique_sets:
                    dup = tconn.execute(sa.select(*cols, sa.func.count()).where(*(c.is_not(None) for c in cols))
                                        .group_by(*cols).having(sa.func.count() > 1)).first()
                    assert dup is None, f"duplicate {table.name}{[c.name for c in cols]}: {dup}"
                for col in table.columns:
                    bad = _badly_typed(col)
                    n = tconn.execute(sa.select(sa.func.count()).select_from(table)
                                      .where(col.is_not(None), bad)).scalar_one()
                    assert n == 0, f"{n} values of {table.name}.{col.name} are not {col.type}"
                if not table.foreign_keys:   # a root table is copied at its exact size
                    real = sconn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
                    rows = tconn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
                    assert rows == real, (table.name, rows, real)
            assert not tconn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    finally:
        src.dispose()
        dst.dispose()


def clone_and_check(spec: Spec, workdir: Path) -> None:
    workdir.mkdir(parents=True, exist_ok=True)
    source, target = workdir / "source.sqlite", workdir / "target.sqlite"
    for p in (source, target):
        p.unlink(missing_ok=True)
    md = build_source(spec, source)
    result = relsynth.clone(str(source), str(target), seed=spec.seed)
    failed = [c for c in result.checks if not c.passed]
    assert result.passed, failed
    assert_clone_holds(md, source, target)


# --------------------------------------------------------------------------- hand-picked shapes

def _c(name, type_="int", **kw) -> Col:
    return Col(name, type_, nullable=kw.pop("nullable", False), **kw)


# (a) reserved words with spaces for the table and every column, a unique and a check among them
RESERVED = Spec((
    Tab("select from", (_c("order by"),),
        (_c("group", "string", length=12, unique=True), _c("user", "numeric", check="nonneg", nullable=True),
         _c("from where", "date", nullable=True)), (), 30),
    Tab("order", (_c("select"), _c("table", "string", length=10)),
        (_c("limit", "float", check="range"), _c("desc", "bool", nullable=True)),
        (FK(("select from order by",), 0, nullable=False),), 40),
), data_seed=1, seed=1)

# (b) a table with a composite key that references itself (nullable, composite FK)
SELF_COMPOSITE = Spec((
    Tab("Régions", (_c("Land", "string", length=8), _c("Nr")),
        (_c("Name", "text"), _c("Fläche", "float", check="nonneg", nullable=True)),
        (FK(("parent Land", "parent Nr"), 0, nullable=True, deferred=True),), 40),
    Tab("user", (_c("id"),), (_c("Value", "datetime", nullable=True),),
        (FK(("Régions Land", "Régions Nr"), 0, nullable=False),), 50),
), data_seed=2, seed=2)

# (c) two tables pointing at each other, one FK nullable
CYCLE = Spec((
    Tab("Department", (_c("id"),), (_c("name", "string", length=20, unique=True),),
        (FK(("manager id",), 1, nullable=True, deferred=True),), 12),
    Tab("Employee", (_c("id", "string", length=10),), (_c("salary", "numeric", check="nonneg"),),
        (FK(("Department id",), 0, nullable=False),), 40),
), data_seed=3, seed=3)

# (d) a link table keyed by two FKs to one small parent: distinct pairs must survive
LINK = Spec((
    Tab("Tag", (_c("id"),), (_c("label", "string", length=12, unique=True),), (), 4),
    Tab("tag link", (), (_c("weight", "float", nullable=True),),
        (FK(("from",), 0, nullable=False), FK(("to",), 0, nullable=False)), 10, fk_key=("from", "to")),
), data_seed=4, seed=4)


@pytest.mark.parametrize("spec", [RESERVED, SELF_COMPOSITE, CYCLE, LINK], ids=["reserved", "self-composite",
                                                                              "cycle", "link"])
def test_hand_picked_shapes(spec, tmp_path):
    clone_and_check(spec, tmp_path)


def test_the_link_shape_is_what_it_claims(tmp_path):
    """The hand-picked link table really is 10 distinct pairs over 4 parents."""
    md = build_source(LINK, tmp_path / "s.sqlite")
    engine = fb.sqlite_engine(tmp_path / "s.sqlite")
    try:
        with engine.connect() as conn:
            link = md.tables["tag link"]
            assert conn.execute(sa.select(sa.func.count()).select_from(link)).scalar_one() == 10
            assert {c.name for c in link.primary_key} == {"from", "to"}
    finally:
        engine.dispose()


@settings(max_examples=25, deadline=None, report_multiple_bugs=False,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(spec=schemas())
def test_random_schemas_clone_with_every_constraint(spec, tmp_path_factory):
    clone_and_check(spec, tmp_path_factory.mktemp("random"))
