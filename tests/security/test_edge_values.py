"""Values at the edges of their types are kept, or refused by name (issue 11, part 4).

Property tests draw extreme values per type (decimals at their precision limit, the first and
last timestamps, NaN / Infinity, text with NUL and odd unicode, int64 and unsigned limits), put
them in a one-table source, clone it and read the target back: the load never aborts and every
written value lies within the source's range and the column's type.
"""

from __future__ import annotations

import datetime as dt
import math
import sqlite3
import warnings
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st
from sqlalchemy.pool import NullPool

import relsynth
from relsynth.errors import TargetError
from relsynth.models import encoding
from relsynth.schema.kinds import Kind
from tests.conftest import MARIADB_URL_ENV, POSTGRES_URL_ENV, fresh_database, query

FAST = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# a clone takes seconds: few examples, and no shrinking (the failing example is printed as drawn)
CLONES = settings(max_examples=4, deadline=None, report_multiple_bugs=False,
                  phases=[Phase.explicit, Phase.reuse, Phase.generate],
                  suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])

LAST_STAMP = dt.datetime(9999, 12, 31, 23, 59, 59, 999999)
FIRST_STAMP = dt.datetime(1, 1, 1)


# --------------------------------------------------------------------------- strategies


def decimals_at_limit(precision: int, scale: int) -> st.SearchStrategy[Decimal]:
    """Decimals of NUMERIC(precision, scale), many of them a few units from its largest value."""
    top = 10 ** precision - 1
    units = st.one_of(st.integers(top - 1000, top), st.integers(-top, -top + 1000), st.integers(-top, top))
    return units.map(lambda u: Decimal(f"{u}e-{scale}"))   # from text: exact, whatever the context's precision


stamps = st.one_of(st.datetimes(min_value=LAST_STAMP - dt.timedelta(seconds=5), max_value=LAST_STAMP),
                   st.datetimes(min_value=FIRST_STAMP, max_value=FIRST_STAMP + dt.timedelta(seconds=5)),
                   st.sampled_from([LAST_STAMP, FIRST_STAMP]), st.datetimes())
odd_text = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=12) \
    | st.sampled_from(["a\x00b", "\x00", "\u202e\u0301", "\U0001f600" * 3, "é" * 20])
floats = st.one_of(st.sampled_from([math.nan, math.inf, -math.inf, -0.0, 1.7976931348623157e308, 5e-324]),
                   st.floats(allow_nan=False, allow_infinity=False))

floats32 = st.one_of(st.sampled_from([math.nan, math.inf, -math.inf, -0.0, 3.4028234663852886e38]),
                     st.floats(width=32, allow_nan=False, allow_infinity=False))


def _round_trip(series: pd.Series, kind: Kind, rng: np.random.Generator) -> tuple[dict, pd.Series]:
    """What a model does to a column: its values, smoothed and pushed past both ends, decoded."""
    meta = encoding.analyze(series, kind)
    encoded = encoding.encode(series, meta)
    spread = np.nanmax(np.abs(encoded)) if np.isfinite(encoded).any() else 1.0
    noisy = encoded + rng.normal(0, 1e-6, len(encoded)) * spread
    noisy = np.concatenate([noisy, encoded * (1 + 1e-9), encoded * (1 - 1e-9)])
    return meta, encoding.decode(noisy, meta)


# --------------------------------------------------------------------------- the codec


@FAST
@given(st.integers(16, 38).flatmap(lambda p: st.tuples(st.just(p), st.integers(0, min(p, 12)))).flatmap(
    lambda ps: st.lists(decimals_at_limit(*ps), min_size=2, max_size=30).map(lambda v: (ps, v))))
@example(((16, 3), [Decimal("0"), Decimal("0")]))   # found by hypothesis: an all-zero column
@example(((16, 3), [Decimal("0"), Decimal("1")]))   # found by hypothesis: narrow values decode as floats
def test_wide_decimals_decode_to_exact_decimals_inside_the_source_range(case: tuple) -> None:
    (precision, scale), values = case
    series = pd.Series(values + [None], dtype=object)   # as extract gives a wide NUMERIC
    meta, out = _round_trip(series, Kind.DECIMAL, np.random.default_rng(0))
    written = out.dropna()
    if any(len(v.as_tuple().digits) > 15 for v in values):   # beyond float64: exact Decimals
        assert all(isinstance(v, Decimal) for v in written)
    exact = [v for v in written if isinstance(v, Decimal)]
    floats = [Decimal(str(v)) for v in written if not isinstance(v, Decimal)]   # narrow columns decode as floats
    assert all(-v.as_tuple().exponent == scale or v == 0 for v in exact)
    assert all(v == v.quantize(Decimal(1).scaleb(-scale)) for v in floats)   # no digit past the scale
    written = exact + floats
    assert min(written) >= min(values) and max(written) <= max(values)
    assert all(v.adjusted() < precision - scale for v in written)


@FAST
@given(st.lists(stamps, min_size=2, max_size=20), st.sampled_from([None, "UTC", "Asia/Tokyo", "America/Anchorage"]))
def test_timestamps_never_leave_the_source_range(values: list[dt.datetime], tz: str | None) -> None:
    series = pd.Series(pd.to_datetime(values).as_unit("us"))
    if tz:
        series = series.dt.tz_localize("UTC").dt.tz_convert(tz)
    _, out = _round_trip(series, Kind.DATETIME, np.random.default_rng(1))
    assert out.min() >= series.min() and out.max() <= series.max()


@FAST
@given(st.lists(st.one_of(st.none(), floats), min_size=4, max_size=40))
def test_nan_and_infinities_are_values_with_their_share(values: list[float | None]) -> None:
    nulls = np.array([v is None for v in values])
    floats_ = np.array([np.nan if v is None else v for v in values])
    series = pd.Series(pd.arrays.FloatingArray(floats_, nulls))   # as extract gives a column holding NaN
    meta = encoding.analyze(series, Kind.FLOAT)
    out = encoding.decode(encoding.encode(series, meta), meta)
    got = out.to_numpy(dtype=np.float64, na_value=np.nan)
    assert out.isna().sum() == nulls.sum()
    for test in (np.isposinf, np.isneginf):
        assert test(got).sum() == test(floats_).sum()
    assert (np.isnan(got) & ~out.isna().to_numpy()).sum() == (np.isnan(floats_) & ~nulls).sum()


# --------------------------------------------------------------------------- clones


def _write(url: str, ddl: str, insert: str, rows: list[tuple]) -> None:
    engine = sa.create_engine(url, poolclass=NullPool)
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql("DROP TABLE IF EXISTS edges")
            conn.exec_driver_sql(ddl)
            conn.exec_driver_sql(insert, rows)
    finally:
        engine.dispose()


def _clone(source: str, target: str) -> list[warnings.WarningMessage]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        relsynth.clone(source, target, replace=True)
    return caught


def _within(got: list, real: list) -> bool:
    present = [v for v in real if v is not None]
    return all(v is None or min(present) <= v <= max(present) for v in got)


@CLONES
@given(st.lists(st.tuples(stamps.map(lambda s: s.isoformat(sep=" ")), floats.filter(lambda f: not math.isnan(f)),
                          odd_text, st.integers(-2**63, 2**63 - 1)), min_size=25, max_size=40))
def test_sqlite_clone_keeps_edges(tmp_path_factory: pytest.TempPathFactory, rows: list[tuple]) -> None:
    folder = tmp_path_factory.mktemp("edges")
    source, target = folder / "source.db", folder / "target.db"
    with sqlite3.connect(source) as con:
        con.execute("CREATE TABLE edges (id INTEGER PRIMARY KEY, at TIMESTAMP NOT NULL, x REAL NOT NULL, "
                    "note TEXT NOT NULL, big BIGINT NOT NULL)")
        con.executemany("INSERT INTO edges (at, x, note, big) VALUES (?, ?, ?, ?)", rows)
    _clone(f"sqlite:///{source}", f"sqlite:///{target}")
    got = query(f"sqlite:///{target}", "SELECT at, x, big FROM edges")
    assert len(got) == len(rows)
    assert all(len(at) == 26 for at, _, _ in got)          # no year 10000, no lost microseconds' digits
    assert _within([at for at, _, _ in got], [r[0].ljust(26, ".").replace(".......", ".000000") for r in rows]) \
        or _within([pd.Timestamp(at) for at, _, _ in got], [pd.Timestamp(r[0]) for r in rows])
    xs = [x for _, x, _ in got]
    for special in (math.inf, -math.inf):                   # SQLite REAL holds the infinities
        assert (special in xs) == (special in [r[1] for r in rows])
    assert _within([x for x in xs if math.isfinite(x)], [r[1] for r in rows if math.isfinite(r[1])])
    assert _within([b for _, _, b in got], [r[3] for r in rows])


PG_DDL = ("CREATE TABLE edges (id integer PRIMARY KEY, amount numeric(38,10) NOT NULL, x double precision NOT NULL, "
          "y real, at timestamptz NOT NULL, day date NOT NULL, note text NOT NULL)")


@pytest.mark.postgres
@CLONES
@given(st.lists(st.tuples(decimals_at_limit(38, 10), floats, st.one_of(st.none(), floats32), stamps, stamps, odd_text),
                min_size=25, max_size=40))
def test_postgres_clone_keeps_edges(rows: list[tuple]) -> None:
    rows = [(i, a, x, y, at.replace(tzinfo=dt.timezone.utc), day.date(), note.replace("\x00", ""))
            for i, (a, x, y, at, day, note) in enumerate(rows)]
    with fresh_database(POSTGRES_URL_ENV) as source, fresh_database(POSTGRES_URL_ENV) as target:
        _write(source, PG_DDL, "INSERT INTO edges VALUES (%s, %s, %s, %s, %s, %s, %s)", rows)
        _clone(source, target)
        got = query(target, "SELECT amount, x, y, at, day FROM edges")
        held = query(source, "SELECT id, amount, x, y, at, day FROM edges")  # as the server holds them (real
    assert len(got) == len(rows)                                            # is float4: compare what it keeps)
    amounts = [r[0] for r in got]
    assert all(isinstance(a, Decimal) and a.as_tuple().exponent == -10 for a in amounts)
    assert _within(amounts, [r[1] for r in rows])
    for position, column in ((1, 2), (2, 3)):               # NaN and the infinities are kept as values
        real, synth = [r[column] for r in held], [r[position] for r in got]
        for name, test in (("nan", math.isnan), ("inf", lambda v: v == math.inf), ("-inf", lambda v: v == -math.inf)):
            assert any(v is not None and test(v) for v in real) == any(v is not None and test(v) for v in synth), name
        assert _within([v for v in synth if v is not None and math.isfinite(v)],
                       [v for v in real if v is not None and math.isfinite(v)])
    assert _within([r[3] for r in got], [r[4] for r in rows])
    assert _within([r[4] for r in got], [r[5] for r in rows])


MARIA_DDL = ("CREATE TABLE edges (id int PRIMARY KEY, amount decimal(65,30) NOT NULL, "
             "big bigint unsigned NOT NULL, at datetime(6) NOT NULL, note varchar(40) NOT NULL)")


@pytest.mark.mariadb
@CLONES
@given(st.lists(st.tuples(decimals_at_limit(65, 30), st.integers(2**64 - 1000, 2**64 - 1) | st.integers(0, 2**64 - 1),
                          stamps, odd_text.map(lambda t: t.replace("\x00", "")[:40])), min_size=25, max_size=40))
def test_mariadb_clone_keeps_edges(rows: list[tuple]) -> None:
    rows = [(i, *r) for i, r in enumerate(rows)]
    with fresh_database(MARIADB_URL_ENV) as source, fresh_database(MARIADB_URL_ENV) as target:
        _write(source, MARIA_DDL, "INSERT INTO edges VALUES (%s, %s, %s, %s, %s)", rows)
        _clone(source, target)
        got = query(target, "SELECT amount, big, at FROM edges")
    assert len(got) == len(rows)
    assert _within([r[0] for r in got], [r[1] for r in rows])
    assert _within([r[1] for r in got], [r[2] for r in rows])
    assert _within([r[2] for r in got], [r[3].replace(tzinfo=None) for r in rows])


# --------------------------------------------------------------------------- what a target cannot hold


@pytest.mark.postgres
def test_nul_characters_going_to_postgresql_are_replaced_and_named(tmp_path: Path, pg_database_url: str) -> None:
    source = tmp_path / "nul.db"
    with sqlite3.connect(source) as con:
        con.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL)")
        con.executemany("INSERT INTO notes (body) VALUES (?)", [("on\x00",), ("on",), ("\x00off",)] * 20)
    caught = _clone(f"sqlite:///{source}", pg_database_url)
    bodies = [b for (b,) in query(pg_database_url, "SELECT body FROM notes")]
    assert len(bodies) == 60 and not any("\x00" in b for b in bodies)
    assert set(bodies) <= {"on\ufffd", "on", "\ufffdoff"} and "on\ufffd" in bodies
    assert any("notes.body" in str(w.message) and "U+FFFD" in str(w.message) for w in caught)


@pytest.mark.mariadb
def test_infinity_mariadb_cannot_hold_is_null_or_refused_by_name(tmp_path: Path, mariadb_database_url: str) -> None:
    source = tmp_path / "inf.db"
    with sqlite3.connect(source) as con:
        con.execute("CREATE TABLE readings (id INTEGER PRIMARY KEY, loose REAL, strict REAL NOT NULL)")
        con.executemany("INSERT INTO readings (loose, strict) VALUES (?, ?)",
                        [(math.inf if i % 3 == 0 else 1.5, 2.5) for i in range(30)])
    caught = _clone(f"sqlite:///{source}", mariadb_database_url)
    loose = [v for (v,) in query(mariadb_database_url, "SELECT loose FROM readings")]
    assert None in loose and all(v is None or v == 1.5 for v in loose)
    assert any("readings.loose" in str(w.message) and "NULL" in str(w.message) for w in caught)

    with sqlite3.connect(source) as con:
        con.execute("UPDATE readings SET strict = -9e999 WHERE id % 2 = 0")   # -Infinity in a NOT NULL column
    with pytest.raises(TargetError, match=r"readings\.strict .*-Infinity.*NOT NULL"):
        relsynth.clone(f"sqlite:///{source}", mariadb_database_url, replace=True)
    assert len(query(mariadb_database_url, "SELECT * FROM readings")) == 30   # the earlier clone is untouched
