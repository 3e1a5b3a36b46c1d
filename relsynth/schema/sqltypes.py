"""Portable column type specs: what a column's type is, in words any dialect understands.

``describe`` turns a reflected SQLAlchemy type into a JSON-able dict that keeps both the
source's exact DDL (``native``) and a generic family (``generic``) with its parameters.
``build`` turns the dict back into a type for a target dialect: the exact native type
when the target speaks the source's dialect, the closest generic type otherwise.
"""

from __future__ import annotations

import warnings
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import mysql, postgresql
from sqlalchemy.ext.compiler import compiles

from relsynth.schema.expressions import MYSQL_SPATIAL_NAMES, PG_SPECIAL_NAMES, safe_native_type

GENERICS = ("integer", "smallint", "bigint", "float", "decimal", "boolean", "string", "text",
            "datetime", "date", "time", "interval", "uuid", "json", "binary", "enum", "other")
INTEGER_GENERICS = frozenset({"integer", "smallint", "bigint"})

# Dialect types with no generic base class, by their visit name: (generic, extra spec).
# ``special``: a value type relsynth.privacy.typed generates in its own syntax (valid PostgreSQL
# text, also kept as text on other databases); ``money`` and ``interval`` are modeled numbers.
_BY_VISIT_NAME: dict[str, tuple[str, dict[str, Any]]] = {
    "INET": ("string", {"length": 43, "special": "inet"}),          # longest IPv6 with a mask
    "CIDR": ("string", {"length": 43, "special": "cidr"}),
    "MACADDR": ("string", {"length": 17, "special": "macaddr"}),
    "MACADDR8": ("string", {"length": 23, "special": "macaddr8"}),
    "MONEY": ("decimal", {"precision": 19, "scale": 2, "money": True}),
    "HSTORE": ("text", {"special": "hstore"}),
    **{name.upper(): ("text", {"special": name}) for name in (
        "int4range", "int8range", "numrange", "daterange", "tsrange", "tstzrange",
        "int4multirange", "int8multirange", "nummultirange", "datemultirange", "tsmultirange",
        "tstzmultirange")},
    "YEAR": ("smallint", {}),
    "CITEXT": ("text", {}),
    "OID": ("bigint", {}),
    "REGCLASS": ("text", {}),
    "TSVECTOR": ("text", {"tsvector": True}),    # written as 'word':1 'other':2 from generated words
}

# MySQL text/blob sizes, so a cross-dialect MySQL target keeps room for the data.
_MYSQL_TEXT_SIZES = {"TINYTEXT": 255, "TEXT": 65535, "MEDIUMTEXT": 16777215, "LONGTEXT": None}


def describe(type_: sa.types.TypeEngine, dialect: sa.engine.Dialect) -> dict[str, Any]:
    """A JSON-able spec of ``type_`` as reflected from ``dialect``; never raises."""
    try:
        native = str(type_.compile(dialect=dialect))  # a plain str: enum names come as quoted_name
    except Exception:  # NullType and friends have no DDL
        native = ""
    spec: dict[str, Any] = {"generic": "other", "native": native, "dialect": dialect.name}
    try:
        spec.update(_classify(type_, native, dialect.name))
    except Exception as exc:  # a type we misjudge must not stop reflection
        warnings.warn(f"cannot classify column type {native or type_!r}: {exc}", stacklevel=2)
        spec["generic"] = "other"
    if spec["generic"] == "other":
        warnings.warn(f"unknown column type {native or type(type_).__name__!r}: kept as is on "
                      f"{dialect.name}, stored as text on other databases", stacklevel=2)
    return spec


def classify_quietly(type_: sa.types.TypeEngine) -> dict[str, Any]:
    """The spec's generic family and flags, without a warning ({} when the type is unknown)."""
    try:
        return _classify(type_, "", "")
    except Exception:
        return {}


def _classify(t: sa.types.TypeEngine, native: str, dialect: str) -> dict[str, Any]:
    visit = getattr(t, "__visit_name__", "").upper()
    if isinstance(t, sa.Enum):  # before String: MySQL ENUM is a string type too
        out: dict[str, Any] = {"generic": "enum", "values": list(t.enums)}
        if t.name:
            out["enum_name"] = str(t.name)
        return out
    if isinstance(t, SpatialType):   # values read as SRID=n;WKT, written as WKB on MySQL, WKT text elsewhere
        return {"generic": "text", "special": "wkt", "shape": t.name.upper()}
    if isinstance(t, PgSpecial):
        return {"generic": "text", "special": t.name}
    if visit == "BIT":   # PostgreSQL BIT(n) / BIT VARYING(n), MySQL BIT(n): a string of 0/1 digits
        length = getattr(t, "length", None) or 1
        return {"generic": "string", "special": "bit", "length": int(length),
                **({"fixed": True} if not getattr(t, "varying", False) else {})}
    if visit in _BY_VISIT_NAME:
        generic, extra = _BY_VISIT_NAME[visit]
        return {"generic": generic, **extra}
    if isinstance(t, sa.ARRAY):
        # an array is a list: JSON on databases without arrays
        return {"generic": "json", "array": True, "item": _item_spec(t)}
    if isinstance(t, sa.Boolean):
        return {"generic": "boolean"}
    if isinstance(t, sa.Integer):
        return _integer(t, visit)
    if isinstance(t, sa.Float):
        precision = getattr(t, "precision", None)
        # PostgreSQL REAL and MySQL FLOAT are 4 bytes; SQLite's REAL is 8
        single = (dialect != "sqlite" and visit in ("REAL", "FLOAT") and (precision is None or precision <= 24)
                  and "DOUBLE" not in native.upper())
        return {"generic": "float", "precision": 24 if single else 53}
    if isinstance(t, sa.Numeric):
        return _drop_none({"generic": "decimal", "precision": t.precision, "scale": t.scale})
    if isinstance(t, sa.Uuid):
        return {"generic": "uuid"}
    if isinstance(t, sa.JSON):
        return {"generic": "json"}
    if visit == "SET":  # MySQL SET: a comma-joined string of its labels
        values = list(getattr(t, "values", ()) or ())
        return {"generic": "string", "values": values,
                "length": max(1, sum(len(v) for v in values) + len(values) - 1)}
    if isinstance(t, sa.Text) or visit in _MYSQL_TEXT_SIZES:
        out = {"generic": "text"}
        if dialect == "mysql" and _MYSQL_TEXT_SIZES.get(visit):
            out["length"] = _MYSQL_TEXT_SIZES[visit]
        return out
    if isinstance(t, sa.String):
        out = _drop_none({"generic": "string", "length": t.length})
        if visit in ("CHAR", "NCHAR"):
            out["fixed"] = True
        return out
    if isinstance(t, sa.DateTime):
        return _drop_none({"generic": "datetime", "timezone": bool(getattr(t, "timezone", False)),
                           "precision": _fraction_digits(t)})
    if isinstance(t, sa.Date):
        return {"generic": "date"}
    if isinstance(t, sa.Time):
        return _drop_none({"generic": "time", "timezone": bool(getattr(t, "timezone", False)),
                           "precision": _fraction_digits(t)})
    if isinstance(t, sa.Interval) or visit == "INTERVAL":
        return {"generic": "interval"}
    if isinstance(t, sa.types._Binary):
        return _drop_none({"generic": "binary", "length": getattr(t, "length", None)})
    return {"generic": "other"}


def _item_spec(t: sa.ARRAY) -> dict[str, Any]:
    try:
        return _classify(t.item_type, "", "")
    except Exception:
        return {"generic": "other"}


def _integer(t: sa.Integer, visit: str) -> dict[str, Any]:
    unsigned = bool(getattr(t, "unsigned", False))
    if visit == "TINYINT" and getattr(t, "display_width", None) == 1:
        return {"generic": "boolean"}  # MySQL's BOOLEAN is TINYINT(1)
    if isinstance(t, sa.BigInteger) or visit == "BIGINT":
        generic = "bigint"
    elif isinstance(t, sa.SmallInteger) or visit in ("SMALLINT", "TINYINT"):
        generic = "smallint"
    else:
        generic = "integer"
    return {"generic": generic, **({"unsigned": True} if unsigned else {})}


def _fraction_digits(t: Any) -> int | None:
    for attr in ("precision", "fsp"):
        value = getattr(t, attr, None)
        if isinstance(value, int):
            return value
    return None


def _drop_none(d: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if v is not None}


class PgSpecial(sa.types.UserDefinedType):
    """A PostgreSQL type SQLAlchemy does not know (xml and the geometric types), so reflection
    keeps its name instead of NullType."""

    cache_ok = True

    def __init__(self, name: str) -> None:
        self.name = name

    def get_col_spec(self, **kw: Any) -> str:
        return self.name.upper()


class SpatialType(PgSpecial):
    """A MySQL / MariaDB spatial type (GEOMETRY, POINT, ..., GEOMETRYCOLLECTION), kept by name:
    one subclass per name, as MySQL's reflection wants a class."""

    cache_ok = True
    name = "geometry"

    def __init__(self, *args: Any, **kw: Any) -> None:
        pass


_SPATIAL_CLASSES = {name: type(f"Spatial_{name}", (SpatialType,), {"name": name, "cache_ok": True})
                    for name in MYSQL_SPATIAL_NAMES}


def teach_dialect(dialect: sa.engine.Dialect) -> None:
    """Let ``dialect`` reflect PostgreSQL's xml and geometric types, or MySQL's spatial types,
    by name (its instance only)."""
    if "point" in getattr(dialect, "ischema_names", {}):
        return
    if dialect.name == "postgresql":
        extra = {name: (lambda name=name: PgSpecial(name)) for name in PG_SPECIAL_NAMES}
    elif dialect.name in ("mysql", "mariadb"):
        extra = dict(_SPATIAL_CLASSES)
    else:
        return
    dialect.ischema_names = {**dialect.ischema_names, **extra}


# --------------------------------------------------------------------------- build


class Native(sa.types.UserDefinedType):
    """The source's own DDL text, used verbatim on a target of the same dialect."""

    cache_ok = True

    def __init__(self, native: str) -> None:
        self.native = native

    def get_col_spec(self, **kw: Any) -> str:
        return self.native


class NativeInteger(sa.Integer):
    """An integer rendered with the source's DDL text but still an integer to SQLAlchemy,
    so it can be an identity / AUTO_INCREMENT column."""

    def __init__(self, native: str) -> None:
        self.native = native


@compiles(NativeInteger)
def _compile_native_integer(type_: NativeInteger, compiler: Any, **kw: Any) -> str:
    return type_.native


def build(spec: dict[str, Any], dialect: sa.engine.Dialect, *, key: bool = False,
          name: str | None = None, where: str | None = None) -> sa.types.TypeEngine:
    """The type to create on ``dialect`` for a column described by ``spec``.

    ``key``: the column is part of a primary, foreign or unique key (MySQL cannot index TEXT).
    ``name``: a fallback enum type name when the spec carries none (PostgreSQL needs one).
    ``where``: the table and column, named when the native type is refused (UnsafeExpression).
    """
    generic = spec.get("generic", "other")
    same = spec.get("dialect") == dialect.name and bool(spec.get("native"))
    if generic == "enum":
        return _enum(spec, dialect, name)
    if same and _is_mysql_set(spec):
        return mysql.SET(*[str(v) for v in spec["values"]])   # its labels quoted by SQLAlchemy, never as text
    if same:
        native = safe_native_type(spec["native"], dialect=dialect.name, where=where or name or "a column")
        if generic in INTEGER_GENERICS:
            return NativeInteger(native)
        return Native(native)
    return _generic(spec, dialect, key)


def native_ddl(spec: dict[str, Any]) -> str | None:
    """The native text ``build`` puts into DDL on the spec's own dialect (None: built from values)."""
    if spec.get("generic") == "enum" or _is_mysql_set(spec) or not spec.get("native"):
        return None
    return str(spec["native"])


def _is_mysql_set(spec: dict[str, Any]) -> bool:
    return spec.get("dialect") in ("mysql", "mariadb") and bool(spec.get("values")) \
        and str(spec.get("native", "")).upper().startswith("SET(")


def _enum(spec: dict[str, Any], dialect: sa.engine.Dialect, name: str | None) -> sa.types.TypeEngine:
    values = [str(v) for v in spec.get("values") or ()]
    if dialect.name == "postgresql":
        return postgresql.ENUM(*values, name=spec.get("enum_name") or name or "relsynth_enum")
    # elsewhere an enum is ENUM(...) (MySQL) or a VARCHAR with a CHECK (SQLite)
    return sa.Enum(*values, native_enum=True, create_constraint=dialect.name != "mysql",
                   length=max((len(v) for v in values), default=1))


def _generic(spec: dict[str, Any], dialect: sa.engine.Dialect, key: bool) -> sa.types.TypeEngine:
    generic = spec.get("generic", "other")
    is_mysql = dialect.name in ("mysql", "mariadb")
    length = spec.get("length")
    if spec.get("special") == "bit":
        if dialect.name == "postgresql":
            return postgresql.BIT(int(length or 1), varying=not spec.get("fixed"))
        if is_mysql and spec.get("fixed") and int(length or 1) <= 64:
            return mysql.BIT(int(length or 1))
    if generic in INTEGER_GENERICS:
        widened = {"smallint": "integer", "integer": "bigint", "bigint": "decimal"}
        if spec.get("unsigned"):  # the unsigned range needs the next size up
            generic = widened[generic]
            if generic == "decimal":
                return sa.Numeric(20, 0)
        return {"integer": sa.Integer, "smallint": sa.SmallInteger, "bigint": sa.BigInteger}[generic]()
    if generic == "float":
        return sa.Float(precision=24) if spec.get("precision", 53) <= 24 else sa.Double()
    if generic == "decimal":
        precision, scale = spec.get("precision"), spec.get("scale")
        if is_mysql:  # MySQL's default DECIMAL(10,0) would drop every fraction
            precision = min(precision or 65, 65)
            scale = min(scale if scale is not None else 30, 30, precision)
        return sa.Numeric(precision, scale)
    if generic == "boolean":
        return sa.Boolean()
    if generic in ("string", "text", "other"):
        return _text(generic, length, bool(spec.get("fixed")), is_mysql, key)
    if generic == "datetime":
        tz = bool(spec.get("timezone"))
        if is_mysql:
            return mysql.DATETIME(fsp=6)  # MySQL has no zone: values are stored in UTC
        return sa.DateTime(timezone=tz)
    if generic == "date":
        return sa.Date()
    if generic == "time":
        if is_mysql:
            return mysql.TIME(fsp=6)
        return sa.Time(timezone=bool(spec.get("timezone")))
    if generic == "interval":   # seconds elsewhere: a number any query can compare and sum
        return sa.Interval() if dialect.name == "postgresql" else sa.Double()
    if generic == "uuid":       # hyphenated text elsewhere, as the source writes it
        return sa.Uuid() if dialect.name == "postgresql" else sa.String(36)
    if generic == "json":
        return sa.JSON()
    if generic == "binary":
        if is_mysql:
            if key or (length and length <= 255):
                return mysql.VARBINARY(length or 255)
            return mysql.LONGBLOB()
        return sa.LargeBinary(length)
    return sa.Text()


def _text(generic: str, length: int | None, fixed: bool, is_mysql: bool, key: bool) -> sa.types.TypeEngine:
    if is_mysql:
        # MySQL indexes only bounded strings, and a VARCHAR row holds at most 64 KB
        if key:
            return sa.String(min(length or 255, 768))
        if generic == "string" and length and length <= 16383:
            return sa.CHAR(length) if fixed else sa.String(length)
        return mysql.LONGTEXT()
    if generic == "string" and length:
        return sa.CHAR(length) if fixed else sa.String(length)
    if generic == "string":
        return sa.String()
    return sa.Text()
