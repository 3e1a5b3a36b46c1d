"""Every column type is generated in its type (valid where it is written) or refused by name.

One table per type family, cloned from a real PostgreSQL or MariaDB source to the same dialect,
to SQLite and across; the target itself checks the values (casts, network(), range bounds)."""

from __future__ import annotations

import ipaddress
import json
import re
import sqlite3
from pathlib import Path

import pytest

from relsynth import api
from relsynth.errors import ConfigError
from tests.conftest import execute, MARIADB_URL_ENV, POSTGRES_URL_ENV, fresh_database, query

ROWS = 300

PG_TABLE = """
CREATE TABLE t (id serial PRIMARY KEY, dur interval NOT NULL, price money, ip inet, net cidr, mac macaddr,
  mac8 macaddr8, doc xml, pt point, bx box, seg lseg, ln line, pth path, circ circle, poly polygon,
  period tstzrange, tsr tsrange, span int4range, big int8range, nr numrange, days daterange, spans int4multirange,
  u uuid, j jsonb, h hstore, flags bit(8), vflags varbit(16), code varchar(15) NOT NULL)"""
PG_ROWS = """
INSERT INTO t (dur, price, ip, net, mac, mac8, doc, pt, bx, seg, ln, pth, circ, poly, period, tsr, span, big, nr,
  days, spans, u, j, h, flags, vflags, code)
SELECT make_interval(days => i % 30, hours => i % 24, mins => i % 60), (i * 3.17)::numeric::money,
 CASE WHEN i % 5 = 0 THEN ('2001:db8::' || to_hex(i))::inet ELSE ('10.' || (i % 256) || '.' || (i*7 % 256) || '.1/24')::inet END,
 ('10.' || (i % 256) || '.0.0/16')::cidr, ('08:00:2b:01:02:' || lpad(to_hex(i % 256), 2, '0'))::macaddr,
 ('08:00:2b:01:02:03:04:' || lpad(to_hex(i % 256), 2, '0'))::macaddr8,
 ('<order id="' || i || '"><item sku="A' || i || '">Widget ' || i || '</item><note>fast</note></order>')::xml,
 point(i, i * 2.5), box(point(i, i), point(i + 5, i + 3)), lseg(point(0, i), point(i, 0)),
 line(point(0, i), point(i + 1, 0)), path(polygon(box(point(i, i), point(i + 2, i + 2)))), circle(point(i, -i), 1 + i % 7),
 polygon(box(point(0, 0), point(i, i))),
 CASE WHEN i % 17 = 0 THEN 'empty'::tstzrange ELSE tstzrange('2024-01-01'::timestamptz - (i || ' days')::interval,
   '2024-01-01'::timestamptz - (i || ' days')::interval + (i % 9 || ' hours')::interval) END,
 tsrange('2024-01-01'::timestamp + (i || ' hours')::interval, '2024-01-01'::timestamp + (i*2 || ' hours')::interval, '[]'),
 CASE WHEN i % 23 = 0 THEN 'empty'::int4range ELSE int4range(i, i + 1 + i % 40) END,
 int8range(i * 1000000000::bigint, i * 1000000000::bigint + 5), numrange(i / 3.0, i / 2.0 + 1),
 daterange('2024-01-01'::date + i, '2024-01-01'::date + i + 1 + i % 10),
 int4multirange(int4range(i, i + 3), int4range(i + 10, i + 12)),
 gen_random_uuid(),
 jsonb_build_object('name', 'item' || i, 'qty', i % 13, 'tags', jsonb_build_array('a' || (i % 3), 'b'),
   'meta', jsonb_build_object('color', (array['red','green','blue'])[1 + i % 3], 'size', i % 5)),
 hstore(array['k', 'color'], array[(i * 7)::text, (array['red','blue'])[1 + i % 2]]),
 (i % 256)::bit(8), (i * 37 % 65536)::bit(16)::varbit(16), 'C-' || lpad(i::text, 6, '0')
FROM generate_series(1, 300) i"""




@pytest.fixture
def pg_source(pg_database_url: str) -> str:
    execute(pg_database_url, "CREATE EXTENSION IF NOT EXISTS hstore", PG_TABLE, PG_ROWS.replace("%", "%%"))
    return pg_database_url


@pytest.mark.postgres
def test_postgres_types_are_valid_in_their_own_types_on_postgres(pg_source: str) -> None:
    with fresh_database(POSTGRES_URL_ENV) as target:
        api.clone(pg_source, target, seed=1)
        [row] = query(target, """SELECT count(*), count(dur), count(price), count(net), count(flags), count(span),
            bool_and(net = network(net)), bool_and(lower(span) <= upper(span) OR isempty(span)),
            bool_and(lower(period) <= upper(period) OR isempty(period)), bool_or(isempty(span)),
            bool_and(length(flags) = 8), bool_and(length(vflags) <= 16), min(price) >= 3.17::money,
            max(price) <= 951::money, bool_and(xml_is_well_formed_document(doc::text)),
            bool_and(lower_inc(tsr) AND upper_inc(tsr)), bool_and(family(ip) IN (4, 6)),
            bool_and(npoints(poly) >= 3), bool_and(radius(circ) >= 0), max(dur) <= interval '31 days',
            bool_and(jsonb_typeof(j->'tags') = 'array' AND jsonb_typeof(j->'meta') = 'object'),
            bool_and(h ? 'k'), bool_and(u::text ~ '^[0-9a-f-]{36}$')
            FROM t""")
        assert row[0] == ROWS and row[1] == ROWS       # interval NOT NULL, all there
        assert all(c > ROWS // 2 for c in row[2:6])   # money, cidr, bits, ranges not NULLed
        assert all(row[6:]), row
        types = dict(query(target, "SELECT column_name, udt_name FROM information_schema.columns "
                                   "WHERE table_name = 't'"))
        assert types["h"] == "hstore" and types["pt"] == "point" and types["period"] == "tstzrange"
        assert types["flags"] == "bit" and types["net"] == "cidr" and types["dur"] == "interval"
        tags = [json.loads(r[0]) if isinstance(r[0], str) else r[0] for r in query(target, "SELECT j->'tags' FROM t")]
        assert sum(len(t) > 0 for t in tags) > ROWS // 2     # nested arrays keep their items


@pytest.mark.postgres
def test_no_column_without_nulls_in_the_source_gets_any(pg_source: str) -> None:
    # every xml, range and hstore value here is built from a dense run of integers (ranges
    # [i, i + 10) for every i): any generated one equals a real one, and once came out NULL
    columns = [r[0] for r in query(pg_source, "SELECT column_name FROM information_schema.columns "
                                              "WHERE table_name = 't' ORDER BY ordinal_position")]
    with fresh_database(POSTGRES_URL_ENV) as target:
        api.clone(pg_source, target, seed=1)
        [counts] = query(target, "SELECT " + ", ".join(f"count({c})" for c in columns) + " FROM t")
    assert dict(zip(columns, counts)) == dict.fromkeys(columns, ROWS)


@pytest.mark.postgres
def test_postgres_types_are_valid_text_and_numbers_on_sqlite(pg_source: str, tmp_path: Path) -> None:
    path = tmp_path / "x.sqlite"
    api.clone(pg_source, f"sqlite:///{path}", seed=1)
    conn = sqlite3.connect(path)
    rows = conn.execute("SELECT dur, price, net, mac, flags, vflags, span, days, u, h FROM t").fetchall()
    assert len(rows) == ROWS
    for dur, price, net, mac, flags, vflags, span, days, u, h in rows:
        assert isinstance(dur, float) and 0 <= dur <= 31 * 86400
        assert price is None or 3.17 <= float(price) <= 951
        if net is not None:
            parsed = ipaddress.ip_network(net)          # strict: host bits zero
            assert str(parsed) == net
        assert mac is None or re.fullmatch(r"([0-9a-f]{2}:){5}[0-9a-f]{2}", mac)
        assert flags is None or re.fullmatch(r"[01]{8}", flags)
        assert vflags is None or re.fullmatch(r"[01]{0,16}", vflags)
        if span and span != "empty":
            low, high = map(int, re.fullmatch(r"\[(-?\d+),(-?\d+)\)", span).groups())
            assert low < high
        if days and days != "empty":
            assert re.fullmatch(r"\[\d{4}-\d\d-\d\d,\d{4}-\d\d-\d\d\)", days)
        assert u is None or re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", u)
        assert h is None or "=>" in h and "{" not in h
    conn.close()


@pytest.mark.postgres
@pytest.mark.mariadb
def test_postgres_types_cross_to_mariadb(pg_source: str) -> None:
    with fresh_database(MARIADB_URL_ENV) as target:
        api.clone(pg_source, target, seed=1)
        rows = query(target, "SELECT dur, price, BIN(flags), net FROM t")
        assert len(rows) == ROWS
        assert all(isinstance(r[0], float) for r in rows)
        assert all(r[2] is None or len(r[2]) <= 8 for r in rows)
        assert all(r[3] is None or str(ipaddress.ip_network(r[3])) == r[3] for r in rows)


MARIA_TABLE = """CREATE TABLE m (id INT AUTO_INCREMENT PRIMARY KEY, size ENUM('s','m','l') NOT NULL,
  tags SET('a','b','c'), yr YEAR, qty INT UNSIGNED NOT NULL, small TINYINT UNSIGNED, flags BIT(6), doc JSON)"""
MARIA_ROWS = [f"INSERT INTO m (size, tags, yr, qty, small, flags, doc) VALUES "
              f"('{'sml'[i % 3]}', '{['a', 'a,b', 'c', ''][i % 4]}', {1990 + i % 30}, {4000000000 - i * 1000}, {i % 256},"
              f" b'{i % 64:06b}', '{json.dumps({'n': i % 7, 'k': ['x', 'y'][: 1 + i % 2]})}')" for i in range(ROWS)]


@pytest.mark.mariadb
def test_mariadb_types_on_mariadb_sqlite_and_postgres(mariadb_database_url: str, tmp_path: Path) -> None:
    execute(mariadb_database_url, MARIA_TABLE, *MARIA_ROWS)
    with fresh_database(MARIADB_URL_ENV) as target:
        api.clone(mariadb_database_url, target, seed=1)
        rows = query(target, "SELECT size, tags, yr, qty, small, BIN(flags) FROM m")
        assert len(rows) == ROWS
        assert {r[0] for r in rows} <= {"s", "m", "l"}
        assert all(r[1] is None or set(filter(None, r[1].split(","))) <= {"a", "b", "c"} for r in rows)
        assert all(r[2] is None or 1990 <= r[2] <= 2019 for r in rows)
        assert all(r[3] > 2**31 for r in rows)          # the unsigned range, past a signed INT
        assert all(r[5] is None or len(r[5]) <= 6 for r in rows)
    path = tmp_path / "m.sqlite"
    api.clone(mariadb_database_url, f"sqlite:///{path}", seed=1)
    conn = sqlite3.connect(path)
    rows = conn.execute("SELECT qty, flags FROM m").fetchall()
    assert all(q > 2**31 for q, _ in rows)
    assert all(f is None or re.fullmatch(r"[01]{6}", f) for _, f in rows)
    conn.close()


@pytest.mark.mariadb
@pytest.mark.postgres
def test_mariadb_types_cross_to_postgres(mariadb_database_url: str) -> None:
    execute(mariadb_database_url, MARIA_TABLE, *MARIA_ROWS)
    with fresh_database(POSTGRES_URL_ENV) as target:
        api.clone(mariadb_database_url, target, seed=1)
        [row] = query(target, "SELECT count(*), bool_and(length(flags) = 6), min(qty) > 2147483647, "
                              "bool_and(jsonb_typeof(doc::jsonb) = 'object') FROM m")
        assert row == (ROWS, True, True, True)


@pytest.mark.postgres
def test_an_unsupported_type_is_refused_before_training_naming_the_column(pg_database_url: str) -> None:
    execute(pg_database_url, "CREATE TABLE q (id serial PRIMARY KEY, query tsquery)",
         "INSERT INTO q (query) SELECT ('word' || i)::tsquery FROM generate_series(1, 20) i")
    with fresh_database(POSTGRES_URL_ENV) as target:
        with pytest.raises(ConfigError, match=r"q\.query has type TSQUERY") as caught:
            api.clone(pg_database_url, target, seed=1)
        assert "exclude" in (caught.value.hint or "")
        assert query(target, "SELECT count(*) FROM information_schema.tables WHERE table_name = 'q'") == [(0,)]


SPATIAL_TABLE = """CREATE TABLE places (id INT AUTO_INCREMENT PRIMARY KEY, spot POINT NOT NULL,
  route LINESTRING, area POLYGON, shape GEOMETRY, spots MULTIPOINT, areas MULTIPOLYGON, bag GEOMETRYCOLLECTION,
  SPATIAL INDEX (spot))"""
SPATIAL_KINDS = {"spot": "POINT", "route": "LINESTRING", "area": "POLYGON", "spots": "MULTIPOINT",
                 "areas": "MULTIPOLYGON", "bag": "GEOMETRYCOLLECTION"}


def _spatial_rows() -> list[str]:
    rows = []
    for i in range(ROWS):
        x, y = 2 + i % 40 * 0.25, 48 + i % 30 * 0.125
        shape = ["POINT({x} {y})", "LINESTRING({x} {y},{x1} {y1})", "POLYGON(({x} {y},{x1} {y},{x1} {y1},{x} {y}))"][i % 3]
        values = {"spot": f"POINT({x} {y})", "route": f"LINESTRING({x} {y},{x + 1} {y},{x + 1} {y + 1})",
                  "area": f"POLYGON(({x} {y},{x + 2} {y},{x + 2} {y + 1},{x} {y + 1},{x} {y}))",
                  "shape": shape.format(x=x, y=y, x1=x + 0.5, y1=y + 0.5),
                  "spots": f"MULTIPOINT({x} {y},{x + 3} {y + 3})",
                  "areas": f"MULTIPOLYGON((({x} {y},{x + 1} {y},{x + 1} {y + 1},{x} {y})),"
                           f"(({x + 5} {y},{x + 6} {y},{x + 6} {y + 1},{x + 5} {y})))",
                  "bag": f"GEOMETRYCOLLECTION(POINT({x} {y}),LINESTRING({x} {y},{x + 1} {y + 1}))"}
        nullable = {"route", "shape", "bag"} if i % 10 == 0 else set()
        sql = ", ".join("NULL" if c in nullable else f"ST_GeomFromText('{w}', 4326)" for c, w in values.items())
        rows.append(f"INSERT INTO places (spot, route, area, shape, spots, areas, bag) VALUES ({sql})")
    return rows


@pytest.mark.mariadb
def test_mariadb_spatial_columns_are_valid_geometry_of_their_kind_and_srid(mariadb_database_url: str) -> None:
    execute(mariadb_database_url, SPATIAL_TABLE, *_spatial_rows())
    with fresh_database(MARIADB_URL_ENV) as target:
        api.clone(mariadb_database_url, target, seed=1)
        [(functions,)] = query(target, "SELECT count(*) FROM information_schema.routines "
                                       "WHERE routine_name = 'ST_IsValid'")
        has_valid = bool(query(target, "SELECT 1 FROM information_schema.SQL_FUNCTIONS "
                                       "WHERE FUNCTION = 'ST_ISVALID'")) if functions else False
        for column, kind in {**SPATIAL_KINDS, "shape": None}.items():
            checks = (f"SELECT count(*), (SELECT count(*) FROM places), sum(ST_SRID({column}) = 4326), "
                      f"sum(ST_GeometryType({column}) = '{kind}'), sum(ST_IsEmpty({column}) = 0), "
                      f"sum(ST_Dimension({column}) < 2 OR ST_Area({column}) > 0), "
                      f"sum(ST_GeometryType({column}) NOT IN ('LINESTRING', 'POLYGON') OR ST_IsSimple({column}))"
                      + (f", sum(ST_IsValid({column}))" if has_valid else "") + f" FROM places WHERE {column} IS NOT NULL")
            [row] = query(target, checks)
            present = row[0]
            assert row[1] == ROWS and present > ROWS // 2, (column, row)
            expected = [present] * (len(row) - 2)
            if kind is None:       # GEOMETRY: points, lines and polygons as the source holds them
                expected[1] = row[3]
                kinds = {k for (k,) in query(target, "SELECT DISTINCT ST_GeometryType(shape) FROM places "
                                                     "WHERE shape IS NOT NULL")}
                assert kinds == {"POINT", "LINESTRING", "POLYGON"}
            assert list(row[2:]) == expected, (column, row)
        assert query(target, "SELECT count(*) FROM places WHERE spot IS NULL") == [(0,)]
        # the parts of a multipolygon never overlap
        assert query(target, "SELECT count(*) FROM places WHERE ST_Intersects(ST_GeometryN(areas, 1), "
                             "ST_GeometryN(areas, 2))") == [(0,)]


@pytest.mark.mariadb
def test_mariadb_spatial_columns_are_wkt_text_on_sqlite(mariadb_database_url: str, tmp_path: Path) -> None:
    execute(mariadb_database_url, SPATIAL_TABLE, *_spatial_rows())
    path = tmp_path / "g.sqlite"
    api.clone(mariadb_database_url, f"sqlite:///{path}", seed=1)
    conn = sqlite3.connect(path)
    rows = conn.execute(f"SELECT {', '.join(SPATIAL_KINDS)} FROM places").fetchall()
    conn.close()
    assert len(rows) == ROWS
    texts = [(kind, value) for row in rows for kind, value in zip(SPATIAL_KINDS.values(), row) if value is not None]
    assert all(value.startswith(kind + "(") for kind, value in texts)
    # the source server parses every value back as the kind it was
    sample = texts[::7]
    parsed = query(mariadb_database_url, " UNION ALL ".join(
        f"SELECT ST_GeometryType(ST_GeomFromText('{value}'))" for _, value in sample))
    assert [p for (p,) in parsed] == [kind for kind, _ in sample]


@pytest.mark.mariadb
@pytest.mark.postgres
def test_mariadb_spatial_columns_are_wkt_text_on_postgres(mariadb_database_url: str) -> None:
    execute(mariadb_database_url, SPATIAL_TABLE, *_spatial_rows())
    with fresh_database(POSTGRES_URL_ENV) as target:
        api.clone(mariadb_database_url, target, seed=1)
        rows = query(target, f"SELECT {', '.join(SPATIAL_KINDS)} FROM places")
        types = dict(query(target, "SELECT column_name, data_type FROM information_schema.columns "
                                   "WHERE table_name = 'places'"))
    assert len(rows) == ROWS and types["spot"] == "text" and types["areas"] == "text"
    assert all(value is None or (value.startswith(kind + "(") and "SRID" not in value)
               for row in rows for kind, value in zip(SPATIAL_KINDS.values(), row))
