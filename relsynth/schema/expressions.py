"""SQL a model carries (CHECK, DEFAULT, a domain's check, native type names), parsed and allow-listed.

A model directory is a file someone may send: its expressions must not reach a target as text.
Each one is parsed with the source dialect's grammar (sqlglot), accepted only when it is one
expression over the table's own columns, literals, operators and a short list of functions, and
re-rendered from the parse tree, so what a target receives is what was checked. Anything else
is an :class:`UnsafeExpression` naming the table, the kind and the expression.

Native type names (``VARCHAR(60)``, ``TIMESTAMP WITH TIME ZONE``) are accepted only as words the
dialect knows as type words, integer arguments and ``[]``.
"""

from __future__ import annotations

import re
from typing import Iterable

import sqlglot
from sqlalchemy.dialects import mysql as sa_mysql
from sqlalchemy.dialects import postgresql as sa_postgresql
from sqlalchemy.dialects import sqlite as sa_sqlite
from sqlglot import exp

from relsynth.errors import UnsafeExpression

# SQLAlchemy dialect name -> sqlglot dialect
_SQLGLOT = {"postgresql": "postgres", "mysql": "mysql", "mariadb": "mysql", "sqlite": "sqlite"}

# Node types an expression may contain: structure, literals, operators, predicates.
_NODES: tuple[type[exp.Expression], ...] = (
    exp.Identifier, exp.Literal, exp.Boolean, exp.Null, exp.Paren, exp.Neg, exp.Not, exp.And, exp.Or,
    exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE, exp.NullSafeEQ, exp.NullSafeNEQ, exp.Is,
    exp.Add, exp.Sub, exp.Mul, exp.Div, exp.IntDiv, exp.Mod, exp.DPipe,
    exp.Between, exp.Like, exp.ILike, exp.RegexpLike, exp.RegexpILike, exp.Escape,
    exp.Case, exp.If, exp.Cast, exp.DataType, exp.DataTypeParam, exp.Interval,
    exp.Any, exp.All, exp.Array,
    # functions
    exp.Coalesce, exp.Nullif, exp.Length, exp.Lower, exp.Upper, exp.Trim, exp.Substring, exp.Abs,
    exp.Round, exp.Floor, exp.Ceil, exp.CurrentTimestamp, exp.CurrentDate, exp.CurrentTime, exp.Extract,
    exp.Greatest, exp.Least, exp.StrPosition, exp.Concat,
)
# Functions sqlglot leaves unnamed (``Anonymous``), by lower-case name.
_ANONYMOUS = frozenset({"char_length", "character_length", "length", "btrim", "ltrim", "rtrim", "date_part",
                        "nextval", "strpos", "instr"})
# Casts to a type sqlglot does not know are allowed to these names (and the schema's enum types).
_USER_TYPES = frozenset({"regclass"})

_MYSQL_ON_UPDATE = re.compile(r"^(?P<value>.+?)\s+ON\s+UPDATE\s+(?P<update>.+)$", re.I | re.S)


def sqlglot_dialect(dialect: str) -> str:
    try:
        return _SQLGLOT[dialect]
    except KeyError:
        raise UnsafeExpression(f"SQL expressions of dialect {dialect!r} cannot be checked",
                               hint="relsynth reads SQL expressions of sqlite, postgresql and mysql/mariadb "
                                    "sources only") from None


def safe_expression(text: str, *, dialect: str, table: str, columns: Iterable[str], kind: str,
                    types: Iterable[str] = (), target: str | None = None) -> str:
    """``text`` re-rendered from its parse tree for ``target`` (default: ``dialect``).

    ``kind`` (check, default, domain check) is named in the error; ``types``: user type names a
    cast may name (the schema's enum types).
    """
    if kind == "default" and sqlglot_dialect(dialect) == "mysql":
        on_update = _MYSQL_ON_UPDATE.match(text.strip())
        if on_update:  # MySQL reflects `DEFAULT x ON UPDATE y` as one default
            value, update = (safe_expression(on_update[part], dialect=dialect, table=table, columns=columns,
                                             kind=kind, types=types, target=target)
                             for part in ("value", "update"))
            return f"{value} ON UPDATE {update}"
    tree = parse_expression(text, dialect=dialect, table=table, columns=columns, kind=kind, types=types)
    return render(tree, dialect=target or dialect)


def parse_expression(text: str, *, dialect: str, table: str, columns: Iterable[str], kind: str,
                     types: Iterable[str] = ()) -> exp.Expression:
    """The checked parse tree of ``text``; UnsafeExpression when it is not allowed."""
    read = sqlglot_dialect(dialect)

    def refuse(why: str) -> UnsafeExpression:
        return UnsafeExpression(f"{table}: {kind} {text!r} is refused: {why}",
                                hint="a model's SQL expressions may only use the table's own columns, literals, "
                                     "operators and a few functions; train the model again from its source "
                                     "(`relsynth train SOURCE -o DIR`) or remove the expression from relsynth.json")

    if not isinstance(text, str) or not text.strip():
        raise refuse("not an SQL expression")
    try:
        statements = [s for s in sqlglot.parse(text, read=read) if s is not None]
    except sqlglot.errors.SqlglotError as exc:
        raise refuse(f"it does not parse as one {dialect} expression ({_first_line(exc)})") from None
    if len(statements) != 1:
        raise refuse("it holds more than one statement")
    tree = statements[0]
    own = {c.casefold(): c for c in columns}
    user_types = _USER_TYPES | {t.casefold() for t in types}
    for node in tree.walk():
        if node.comments:
            raise refuse("it holds a comment")
        why = _refused_node(node, own, user_types, kind)
        if why:
            raise refuse(why)
    # what is rendered must read back as what was checked
    if sqlglot.parse_one(render(tree, dialect=dialect), read=read) != tree:
        raise refuse("it does not render back to itself")
    return tree


def _refused_node(node: exp.Expression, own: dict[str, str], user_types: set[str], kind: str) -> str | None:
    if isinstance(node, exp.Column):
        if node.table or node.args.get("db") or node.args.get("catalog"):
            return f"{node.sql()} names another table"
        name = node.name
        if kind == "domain check" and name.casefold() == "value":
            return None
        if not isinstance(node.this, exp.Identifier) or name.casefold() not in own:
            return f"{node.sql()} is not a column of the table"
        return None
    if isinstance(node, exp.Var):     # a bare word is only a unit: EXTRACT(YEAR FROM x), INTERVAL '1' DAY
        parent = node.parent
        return None if isinstance(parent, (exp.Extract, exp.Interval)) and parent.args.get("unit") is node \
            or isinstance(parent, exp.Extract) and parent.this is node else f"{node.sql()} is not allowed"
    if isinstance(node, exp.Anonymous):
        name = node.name.casefold()
        if name in ("any", "all"):   # x <> ALL (ARRAY[...]): how PostgreSQL shows NOT IN
            return None if array_operand(node) is not None and isinstance(node.parent, _COMPARISONS) \
                else f"{node.name} takes one array"
        if name not in _ANONYMOUS:
            return f"function {node.name} is not allowed"
        if name == "nextval" and not _sequence_name(node):
            return "nextval takes a sequence name only"
        return None
    if isinstance(node, exp.DataType):
        if node.this == exp.DataType.Type.USERDEFINED:
            kind_ = node.args.get("kind")
            if not (isinstance(kind_, exp.Identifier) and kind_.name.casefold() in user_types):
                return f"a cast to {node.sql()} is not allowed"
        return None
    if isinstance(node, exp.In):
        if node.args.get("query") or node.args.get("unnest") or node.args.get("field"):
            return "IN takes a list of literals only"
        if not all(_literal(e) for e in node.expressions):
            return "IN takes a list of literals only"
        return None
    if isinstance(node, exp.Literal) and not node.is_string and not _NUMBER.fullmatch(node.this):
        return f"{node.sql()} is not a literal"
    if isinstance(node, _NODES):
        return None
    return f"{type(node).__name__.lower()} {node.sql()[:60]!r} is not allowed"


_NUMBER = re.compile(r"\d+(\.\d*)?([eE][-+]?\d+)?|\.\d+([eE][-+]?\d+)?")


_COMPARISONS = (exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE)


def array_operand(node: exp.Expression) -> exp.Array | None:
    """The ARRAY[...] of ``= ANY (...)`` / ``<> ALL (...)``, under its casts and parentheses."""
    args = [node.this] if isinstance(node, (exp.Any, exp.All)) else node.expressions
    if len(args) != 1:
        return None
    item = args[0]
    while isinstance(item, (exp.Paren, exp.Cast)):
        item = item.this
    return item if isinstance(item, exp.Array) else None


def _literal(node: exp.Expression) -> bool:
    while isinstance(node, (exp.Cast, exp.Paren, exp.Neg)):
        node = node.this
    return isinstance(node, (exp.Literal, exp.Boolean, exp.Null))


def _sequence_name(node: exp.Anonymous) -> bool:
    args = node.expressions
    return len(args) == 1 and _literal(args[0])


def render(tree: exp.Expression, *, dialect: str) -> str:
    return tree.sql(dialect=sqlglot_dialect(dialect), comments=False)


# Nodes left after the rewrites below that other dialects read differently or not at all.
_UNPORTABLE = (exp.RegexpLike, exp.RegexpILike, exp.ILike, exp.Any, exp.All, exp.Array, exp.Interval,
               exp.Anonymous)


def translate(tree: exp.Expression, target: str) -> str | None:
    """A checked expression (``parse_expression``) of another dialect, rendered for ``target``
    (an SQLAlchemy dialect name); None when it can't be.

    Best effort: casts go, ``x = ANY (ARRAY[...])`` becomes ``x IN (...)`` (``<> ALL``: NOT IN),
    and the target's own quotes and functions are rendered. Anything still dialect-specific
    gives None; the target database is the final judge.
    """
    portable = tree.copy()
    for cast in list(portable.find_all(exp.Cast)):
        portable = cast.this if cast is portable else portable
        cast.replace(cast.this)
    for node in list(portable.find_all(exp.EQ, exp.NEQ)):
        items = array_operand(node.expression) if _quantifier(node.expression) == \
            ("any" if isinstance(node, exp.EQ) else "all") else None
        if items is not None:
            found = exp.In(this=node.this, expressions=items.expressions)
            found = found if isinstance(node, exp.EQ) else exp.Not(this=found)
            portable = found if node is portable else portable   # the root has no parent to replace it in
            node.replace(found)
    if any(isinstance(node, _UNPORTABLE) for node in portable.walk()):
        return None
    return render(portable, dialect=target)


def _quantifier(node: exp.Expression) -> str | None:
    if isinstance(node, (exp.Any, exp.All)):
        return type(node).__name__.lower()
    return node.name.casefold() if isinstance(node, exp.Anonymous) else None


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


# --------------------------------------------------------------------------- native type names

_TYPE_TOKENS = re.compile(r"\s+|[A-Za-z_][A-Za-z0-9_]*|\d+|[(),\[\]]|.", re.S)
_MODIFIERS = frozenset({"UNSIGNED", "ZEROFILL", "WITH", "WITHOUT", "TIME", "ZONE", "VARYING", "PRECISION",
                        "NATIONAL", "CHARACTER", "VARCHAR", "NVARCHAR", "CHAR", "NCHAR", "TEXT", "CLOB",
                        "INTEGER", "INT", "SMALLINT", "BIGINT", "NUMERIC", "DECIMAL", "FLOAT", "REAL",
                        "DOUBLE", "DATE", "DATETIME", "TIMESTAMP", "BOOLEAN", "BLOB", "BINARY", "VARBINARY",
                        "UUID", "JSON", "INTERVAL"})
_NAMES_FOLLOW = frozenset({"SET", "COLLATE"})    # CHARACTER SET utf8mb4, COLLATE utf8mb4_bin: a plain name
_DIALECT_TYPES = {"postgresql": sa_postgresql.dialect.ischema_names, "mysql": sa_mysql.dialect.ischema_names,
                  "mariadb": sa_mysql.dialect.ischema_names, "sqlite": sa_sqlite.dialect.ischema_names}


# PostgreSQL types SQLAlchemy's dialect does not name (reflected by sqltypes.PgSpecial)
PG_SPECIAL_NAMES = ("xml", "point", "box", "lseg", "line", "path", "polygon", "circle")
# MySQL / MariaDB spatial types, which SQLAlchemy's dialect does not name either (sqltypes.SpatialType)
MYSQL_SPATIAL_NAMES = ("geometry", "point", "linestring", "polygon", "multipoint", "multilinestring",
                       "multipolygon", "geometrycollection", "geomcollection")

# type names MySQL accepts as synonyms, which SQLAlchemy renders (sa.Boolean -> BOOL) but does not reflect
MYSQL_SYNONYMS = ("bool", "boolean")


def type_words(dialect: str) -> frozenset[str]:
    names = _DIALECT_TYPES.get(dialect, {})
    extra = {n.upper() for n in PG_SPECIAL_NAMES} if dialect == "postgresql" else \
        {n.upper() for n in (*MYSQL_SPATIAL_NAMES, *MYSQL_SYNONYMS)} if dialect in ("mysql", "mariadb") else set()
    return _MODIFIERS | extra | {w.upper() for name in names for w in name.split()}


def safe_native_type(native: str, *, dialect: str, where: str) -> str:
    """``native`` when it is a type name ``dialect`` knows, with integer arguments only.
    ``where``: the table and column, for the error."""
    def refuse(why: str) -> UnsafeExpression:
        return UnsafeExpression(f"{where}: native type {native!r} is refused: {why}",
                                hint="a model's native types may only be type names the database knows with "
                                     "numeric arguments; train the model again from its source")

    words = type_words(dialect)
    tokens = [t for t in _TYPE_TOKENS.findall(native) if not t.isspace()]
    if not tokens or not tokens[0][:1].isalpha():
        raise refuse("not a type name")
    depth, after_name = 0, False
    for i, token in enumerate(tokens):
        if after_name:          # the name after CHARACTER SET / COLLATE
            if not re.fullmatch(r"[A-Za-z0-9_]+", token):
                raise refuse(f"{token!r} is not a character set or collation name")
            after_name = False
        elif token == "(":
            if depth:
                raise refuse("nested parentheses")
            depth = 1
        elif token == ")":
            if not depth:
                raise refuse("unbalanced parentheses")
            depth = 0
        elif token == ",":
            if not depth:
                raise refuse("a comma outside the type's arguments")
        elif token.isdigit():
            if not depth:
                raise refuse("a number outside the type's arguments")
        elif token in ("[", "]"):
            if depth or (token == "[" and tokens[i + 1:i + 2] != ["]"]):
                raise refuse("only [] may follow a type")
        elif depth:
            raise refuse("a type's arguments must be numbers")
        elif token.upper() in _NAMES_FOLLOW and i:
            after_name = True
        elif token.upper() not in words:
            raise refuse(f"{token!r} is not a {dialect} type word")
    if depth or after_name:
        raise refuse("it ends half way")
    return native.strip()
