"""From a `Schema` to a `Plan`: the order tables are generated in, and each table's relations.

Each table gets at most one *context* parent: its rows are generated per row of that parent and
conditioned on it. Its other foreign keys are assigned after sampling. Cycles (self-references
included) are broken at a nullable foreign key, which is written as NULL and filled in afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Collection, Mapping

from relsynth.errors import ConfigError, CycleError
from relsynth.schema.model import ForeignKey, Schema

if TYPE_CHECKING:      # networkx loads when a plan is made, not when a saved one is read (generate)
    import networkx as nx


@dataclass(frozen=True)
class PlanStep:
    table: str
    context: ForeignKey | None = None           # the parent whose rows condition this table
    others: tuple[ForeignKey, ...] = ()         # assigned after sampling
    deferred: tuple[ForeignKey, ...] = ()       # cycle edges: NULL on insert, UPDATE afterwards

    def to_dict(self) -> dict[str, Any]:
        return {"table": self.table, "context": self.context.to_dict() if self.context else None,
                "others": [f.to_dict() for f in self.others], "deferred": [f.to_dict() for f in self.deferred]}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "PlanStep":
        return cls(table=d["table"], context=ForeignKey.from_dict(d["context"]) if d.get("context") else None,
                   others=tuple(ForeignKey.from_dict(f) for f in d.get("others", [])),
                   deferred=tuple(ForeignKey.from_dict(f) for f in d.get("deferred", [])))


@dataclass(frozen=True)
class Plan:
    steps: tuple[PlanStep, ...]

    @property
    def order(self) -> tuple[str, ...]:
        return tuple(s.table for s in self.steps)

    @property
    def deferred(self) -> tuple[tuple[str, ForeignKey], ...]:
        return tuple((s.table, fk) for s in self.steps for fk in s.deferred)

    def step(self, table: str) -> PlanStep:
        for s in self.steps:
            if s.table == table:
                return s
        raise KeyError(table)

    def check(self, schema: Schema) -> None:
        """Raise ValueError unless this is a plan of ``schema`` (one read from a file may not be):
        every table once, each foreign key of the schema in its table's step, parents first."""
        if sorted(self.order) != sorted(t.name for t in schema):
            missing = sorted(set(t.name for t in schema) ^ set(self.order))
            raise ValueError(f"the plan does not cover the schema's tables once each (differs on {missing})")
        done: set[str] = set()
        for step in self.steps:
            own = [fk for fk in schema[step.table].foreign_keys if fk.parent in schema]
            planned = [fk for fk in (step.context, *step.others, *step.deferred) if fk is not None]
            if sorted(map(repr, planned)) != sorted(map(repr, own)):
                raise ValueError(f"the plan's foreign keys of table {step.table!r} are not the schema's")
            early = [fk.parent for fk in (step.context, *step.others) if fk is not None and fk.parent not in done]
            if early:
                raise ValueError(f"the plan generates {step.table!r} before its parent {early[0]!r}")
            done.add(step.table)

    def to_dict(self) -> dict[str, Any]:
        return {"steps": [s.to_dict() for s in self.steps]}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Plan":
        return cls(steps=tuple(PlanStep.from_dict(s) for s in d["steps"]))


def fk_graph(schema: Schema) -> nx.MultiDiGraph:
    """parent -> child, one edge per foreign key (``fk`` attribute), self-references included."""
    import networkx as nx

    graph = nx.MultiDiGraph()
    graph.add_nodes_from(t.name for t in schema)
    for table in schema:
        for fk in table.foreign_keys:
            graph.add_edge(fk.parent, table.name, fk=fk)
    return graph


def plan(schema: Schema, *, contexts: Mapping[str, str | None] | None = None,
         copied: Collection[str] = ()) -> Plan:
    """``contexts`` maps a table to the parent chosen as its context (None: no context).
    ``copied`` tables are never a context: their rows are the source's, not drawn per child."""
    import networkx as nx

    graph = fk_graph(schema)
    deferred = _break_cycles(graph, schema)
    position = {t.name: i for i, t in enumerate(schema)}
    order = list(nx.lexicographical_topological_sort(graph, key=lambda n: position[n]))
    steps = []
    for name in order:
        fks = [fk for fk in schema[name].foreign_keys if (name, fk) not in deferred]
        context = _context(name, fks, schema, contexts or {}, frozenset(copied))
        steps.append(PlanStep(table=name, context=context,
                              others=tuple(fk for fk in fks if fk is not context),
                              deferred=tuple(fk for fk in schema[name].foreign_keys if (name, fk) in deferred)))
    return Plan(steps=tuple(steps))


def _break_cycles(graph: nx.MultiDiGraph, schema: Schema) -> set[tuple[str, ForeignKey]]:
    """Remove one edge per cycle (a nullable one when there is one) until the graph is acyclic;
    return the removed ones."""
    import networkx as nx

    deferred: set[tuple[str, ForeignKey]] = set()
    while True:
        try:
            cycle = nx.find_cycle(graph)
        except nx.NetworkXNoCycle:
            return deferred
        edges = [(parent, child, key, graph.edges[parent, child, key]["fk"]) for parent, child, key in cycle]
        # a nullable edge is written NULL and updated; else a NOT NULL one between two tables is
        # written whole with the target's foreign-key checks deferred (as dump tools load)
        breakable = [e for e in edges if e[3].nullable] or [e for e in edges if e[0] != e[1]]
        if not breakable:  # a NOT NULL self-reference: every row would need a parent before it
            raise CycleError([child for _, child, _, _ in edges])
        # Never a foreign key inside its table's primary key: other tables copy that key before
        # the deferred columns are filled. Then fewer rows to UPDATE afterwards when the broken
        # edge belongs to the smaller table.
        parent, child, key, fk = min(breakable, key=lambda e: (bool(set(e[3].columns) & set(schema[e[1]].primary_key)),
                                                               schema[e[1]].row_count, e[1]))
        graph.remove_edge(parent, child, key)
        deferred.add((child, fk))


def _context(name: str, fks: list[ForeignKey], schema: Schema,
             contexts: Mapping[str, str | None], copied: frozenset[str]) -> ForeignKey | None:
    if name in contexts:
        wanted = contexts[name]
        if wanted is None:
            return None
        if wanted in copied and name not in copied:
            raise ConfigError(f"context of {name} is {wanted!r}, which is copied from the source",
                              hint=f"a copied table is never a context: choose another parent of {name}, or none")
        chosen = [fk for fk in fks if fk.parent == wanted]
        if not chosen:
            raise ConfigError(f"context of {name} is {wanted!r}, which is not one of its parents",
                              hint="parents are: " + (", ".join(sorted({f.parent for f in fks})) or "(none)"))
        return chosen[0]
    # an empty parent holds none of the rows: as a context it would leave the table empty
    candidates = [fk for fk in fks if fk.parent != name and schema[fk.parent].row_count
                  and (fk.parent not in copied or name in copied)]
    if not candidates:
        return None
    # The owning parent: a required relation first, then the parent with the most rows
    # (an order item belongs to its order, not to its product).
    return min(candidates, key=lambda fk: (fk.nullable, -schema[fk.parent].row_count))
