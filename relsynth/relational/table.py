"""One table's share of the synthesizer: what it learned, and how it makes rows again.

A table's columns fall in three groups:
* modeled columns (numbers, categories, dates...) learned jointly by the table model,
  conditioned on the context parent's modeled columns and its children summaries (latent
  columns of the parent, see :mod:`relsynth.relational.latents`);
* generated columns (identifying or near-unique text) made in the source's format, never copied;
* key columns: fresh primary keys, and foreign keys that point at generated parents.
"""

from __future__ import annotations

import inspect
import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import numpy as np
import pandas as pd

from relsynth import workspace
from relsynth.errors import ModelError, RelsynthError
from relsynth.graph import PlanStep
from relsynth.models import get_family
from relsynth.models.base import TableModel, load_model, save_model
from relsynth.privacy import personas, protect, typed
from relsynth.privacy.digests import run_key
from relsynth.privacy.fakes import generate, generate_keys, learn_format, learn_key_format
from relsynth.privacy.wordchain import DEFAULT_K as TEXT_K
from relsynth.conditions import MAX_ROUNDS, ConditionError, Conditions, encoded_value
from relsynth.models import encoding
from relsynth.relational import checks, conditioned, keys, latents, references, rules
from relsynth.relational.cardinality import CardinalityModel
from relsynth.relational.rows import RowLedger, calibrated
from relsynth.schema.detect import holds_binary
from relsynth.schema.kinds import Kind
from relsynth.schema.model import ForeignKey, Table
from relsynth.schema import partitions
from relsynth.schema.generated import computed_by_sqlite
from relsynth.schema.sqltypes import INTEGER_GENERICS

CHECK_ROUNDS = 10
REDRAW_LIMIT = 60    # rounds of drawing offending rows again, at most; past CHECK_ROUNDS ...
STALL_ROUNDS = 3     # ... stopped when this many rounds fixed none
OVERSAMPLE_ROWS = 2_000_000   # candidate rows drawn at most in one round of a range's redraws
MOVE_AFTER = 3                # rounds with a row's own parent before other parents are tried
PROBES = 16                   # children drawn per parent to see how often they meet a condition
_ASKED = "\x00asked:"     # marks the user's per-row requests while they travel in a frame
MAX_DEPTH = 2          # a table hands on its parent's and grandparent's columns: children see 3 levels up
MAX_HANDED_ON = 8      # columns of one ancestor handed on, at most
_HANDED = "\x00handed:"  # marks handed-on context columns while they travel in a frame
_NEAR = "__protect__.near"  # digests of the grid cells near real rows few real rows are near


@dataclass(frozen=True)
class Ancestor:
    """One column of a real table's ancestors, per row of that table."""

    kind: Kind
    values: pd.Series
    depth: int          # 1: the parent's column, 2: the grandparent's


def ancestry(parent: str, parent_frame: pd.DataFrame, parent_modeled: Mapping[str, Kind],
             parent_ancestry: Mapping[str, Ancestor], positions: np.ndarray) -> dict[str, Ancestor]:
    """Per row of a child, the columns of its parent and of the parent's ancestors (up to
    :data:`MAX_DEPTH` levels), named as the child's children will see them: ``parent.column``,
    ``parent.grandparent.column``. NULL where a row has no parent."""
    out = {}
    at = pd.Index(positions)
    for column in list(parent_modeled)[:MAX_HANDED_ON]:
        values = parent_frame[column].reset_index(drop=True).reindex(at).reset_index(drop=True)
        out[context_name(parent, column)] = Ancestor(Kind(parent_modeled[column]), values, 1)
    for name, anc in parent_ancestry.items():
        if anc.depth < MAX_DEPTH:
            values = anc.values.reset_index(drop=True).reindex(at).reset_index(drop=True)
            out[context_name(parent, name)] = Ancestor(anc.kind, values, anc.depth + 1)
    return out


def context_name(parent: str, column: str) -> str:
    return f"{parent}.{column}"


@dataclass
class TableSynth:
    table: Table
    step: PlanStep
    modeled: dict[str, Kind] = field(default_factory=dict)
    context_kinds: dict[str, Kind] = field(default_factory=dict)
    formats: dict[str, dict] = field(default_factory=dict)       # generated columns
    key_formats: dict[str, dict] = field(default_factory=dict)   # fresh key columns
    relations: dict[str, dict] = field(default_factory=dict)     # non-context FKs: null share, popularity
    orphan_ratio: float = 0.0        # rows without a context parent, per row with one
    family: str = "trees"
    # keyed digests of the real values of generated columns: a fake equal to a real value is redrawn
    exclusions: dict[str, np.ndarray] = field(default_factory=dict)
    digest_key: str | None = None   # never stored (privacy/digests.py): None, the checks cannot run
    model: TableModel | None = None
    cardinality: CardinalityModel | None = None   # only without a count summary in the parent
    latents: dict[str, Kind] = field(default_factory=dict)  # own children summaries, modeled last
    count_from: str | None = None    # the parent's summary holding this table's children count
    filled: list[str] = field(default_factory=list)   # context summaries never NaN with children
    # non-context FKs chosen to fit the row: wanted parent columns and the parent's room latent
    references: dict[str, dict] = field(default_factory=dict)
    copies: dict[str, dict] = field(default_factory=dict)    # columns equal to a parent's column
    orders: list[dict] = field(default_factory=list)         # date columns never before another
    key_order: str | None = None     # the date column the integer primary key follows
    # context columns handed on to this table's children: its parent's and grandparent's columns
    passes_down: list[str] = field(default_factory=list)
    # conditional generation: columns conditioned on come first in the chain; kept real values
    leading: list[str] = field(default_factory=list)
    column_metas: dict[str, dict] = field(default_factory=dict)   # value ranges and categories
    retained: pd.DataFrame | None = None
    # value protection: rows too close to few real people are drawn again
    quasi: list[str] = field(default_factory=list)      # quasi-identifier columns
    protect_k: int = 0
    value_k: int = 1   # the model stores no number fewer than this many rows share (not saved: fit only)
    near: dict[str, float] = field(default_factory=dict)  # numeric quasi-identifiers: tolerance, encoded units

    # ------------------------------------------------------------------ fit

    @classmethod
    def fit(cls, table: Table, step: PlanStep, frame: pd.DataFrame, *, family: str,
            parents: Mapping[str, pd.DataFrame], rng: np.random.Generator,
            parent_kinds: Mapping[str, Mapping[str, Kind]] | None = None,
            conditions: Conditions | None = None, protect_k: int = 0, qi_days: float = 0.0,
            qi_share: float = 0.0, locale: str | None = None,
            column_locales: Mapping[str, str] | None = None, digest_key: str | None = None,
            dialect: str | None = None) -> "TableSynth":
        """Everything but the joint model: column kinds, formats, keys, non-context relations,
        and the rules the rows keep (:mod:`relsynth.relational.rules`).

        ``parents[name]`` holds the real parent's keys and modeled columns, ``parent_kinds[name]``
        the kinds of those modeled columns. The model comes with :meth:`fit_model`, once the
        summaries of this table's children are known. ``conditions``: the columns they name are
        learned first; retained columns are kept with their real values. ``protect_k``: rows
        matching, or lying near (dates within ``qi_days``, other numbers within ``qi_share`` of
        their range; 0: equal only), quasi-identifiers fewer real rows share are drawn again.
        ``locale``: the Faker locale of generated names and places, kept in each format
        (``column_locales`` per column). ``dialect``: the source's; generated columns whose
        expression SQLite can compute are not learned (None: every column is).
        """
        parent_kinds = parent_kinds or {}
        conditions = conditions or Conditions()
        synth = cls(table=table, step=step, family=family, digest_key=digest_key or run_key(None),
                    value_k=max(protect_k, 1))
        fk_columns = table.fk_columns
        writes_text = getattr(get_family(family), "handles_text", False)  # e.g. autoregressive
        text_k = protect_k if protect_k >= 1 else TEXT_K    # words free text may keep: used by >= text_k rows
        for col in table.columns:
            if col.name in fk_columns:
                continue
            if dialect is not None and col.name not in table.key_columns and computed_by_sqlite(table, col, dialect):
                continue    # the target computes it (or SQLite does, for a plain column): never learned
            if col.kind == Kind.KEY:
                synth.key_formats[col.name] = _learn_key(col, frame[col.name], table)
            elif col.kind.modeled or (col.kind == Kind.TEXT and writes_text):
                synth.modeled[col.name] = col.kind
            else:
                synth.formats[col.name] = learn_format(col.kind, frame[col.name], max_length=col.type.get("length"),
                                                       k=text_k, spec=col.type)
                chosen = (column_locales or {}).get(col.name, locale)
                if chosen:  # in the format, so a saved model generates the same way after loading
                    synth.formats[col.name]["locale"] = chosen
                synth.exclusions[col.name] = _real_digests(frame[col.name], synth.formats[col.name],
                                                           max(text_k, 2), synth.digest_key)
        for fk in step.others:
            synth.relations[fk.label] = _relation_stats(frame, fk, parents[fk.parent])
            wanted = references.wanted_columns(dict(parent_kinds.get(fk.parent, {})))
            presence = fk.nullable and synth.relations[fk.label]["null_share"] > 0
            if wanted or presence:
                synth.references[fk.label] = {"kinds": {c: k.value for c, k in wanted.items()},
                                              "presence": presence, "room": None}
        synth.column_metas = {c: encoding.analyze(frame[c], k) for c, k in synth.modeled.items() if k.modeled}
        synth.leading = [c for c in conditions.leading(table.name) if c in synth.modeled]
        kept = list(conditions.retain.get(table.name, ()))
        if kept:
            context_columns = list(step.context.columns) if step.context is not None else []
            synth.retained = frame[list(dict.fromkeys(kept + context_columns))].reset_index(drop=True).copy()
        if protect_k > 1 and synth.retained is None and len(frame) >= protect.MIN_ROWS:
            # rows that equal a combination few real people share are drawn again
            synth.protect_k = protect_k
            synth.quasi = protect.quasi_identifiers(synth.learned)
            for name, columns in synth._combinations():
                synth.exclusions[name] = protect.rare_combinations(frame, columns, k=protect_k, key=synth.digest_key)
            if len(synth.quasi) >= 2:
                synth.near = protect.tolerances(synth.quasi, synth.column_metas, days=qi_days, share=qi_share)
                synth.exclusions[_NEAR] = protect.rare_neighbourhoods(frame, synth.quasi, synth.column_metas,
                                                                       synth.near, k=protect_k, key=synth.digest_key)
        related = synth._related(frame, parents, parent_kinds)
        synth.copies = rules.learn_copies(related)
        synth.orders = rules.learn_orders(related, k=max(protect_k, 1), rng=rng)
        if len(table.primary_key) == 1 and synth.key_formats.get(table.primary_key[0], {}).get("type") == "integer":
            synth.key_order = rules.learn_key_order(frame, table.primary_key[0], synth.modeled)
        return synth

    @property
    def learned(self) -> dict[str, Kind]:
        """The modeled columns a child may be conditioned on (free text written by the model is not)."""
        return {c: k for c, k in self.modeled.items() if k.modeled}

    def _related(self, frame: pd.DataFrame, parents: Mapping[str, pd.DataFrame],
                 parent_kinds: Mapping[str, Mapping[str, Kind]]) -> rules.Related:
        """The rows with their parents, through the context and the other (non-cycle) foreign keys."""
        related = rules.Related(frame, self.modeled)
        fks = ([self.step.context] if self.step.context is not None else []) + list(self.step.others)
        for fk in fks:
            parent = parents[fk.parent]
            positions = keys.locate_parents(frame[list(fk.columns)], parent[list(fk.parent_columns)])
            kinds = {c: Kind(k) for c, k in parent_kinds.get(fk.parent, {}).items() if c in parent.columns}
            related.add_parent(fk.label, positions, parent, kinds)
        return related

    def wanted_kinds(self) -> dict[str, Kind]:
        """The model's columns that describe the parents a row wants (they come first)."""
        out = {}
        for label, ref in self.references.items():
            if ref["presence"]:
                out[references.wanted_name(label)] = Kind.BOOLEAN
            out.update({references.wanted_name(label, c): Kind(k) for c, k in ref["kinds"].items()})
        return out

    def wanted_data(self, frame: pd.DataFrame, parents: Mapping[str, pd.DataFrame]
                    ) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
        """Per real row, the modeled columns of the parents it points at (see :meth:`wanted_kinds`),
        and per such column each row's parent position (-1: none)."""
        parts, groups = [], {}
        for fk in self.step.others:
            ref = self.references.get(fk.label)
            if ref is None:
                continue
            parent = parents[fk.parent]
            positions = keys.locate_parents(frame[list(fk.columns)], parent[list(fk.parent_columns)])
            parts.append(references.wanted_frame(fk.label, parent, ref["kinds"], positions,
                                                 with_presence=ref["presence"]))
            groups.update({references.wanted_name(fk.label, c): positions for c in ref["kinds"]})
        return (pd.concat(parts, axis=1) if parts else pd.DataFrame(index=pd.RangeIndex(len(frame)))), groups

    def fit_model(self, data: pd.DataFrame, *, rng: np.random.Generator,
                  summaries: list[latents.Summary] | None = None, positions: np.ndarray | None = None,
                  parent: pd.DataFrame | None = None, parent_modeled: Mapping[str, Kind] | None = None,
                  parent_summaries: list[latents.Summary] | None = None,
                  summarized_as: list[latents.Summary] | None = None,
                  parent_ancestry: Mapping[str, Ancestor] | None = None,
                  groups: Mapping[str, np.ndarray] | None = None) -> None:
        """The joint model of the modeled columns (``data``) and of this table's own children
        ``summaries``, conditioned on the context parent.

        With a context: ``positions`` is each row's parent row in ``parent`` (the real parent's
        keys and modeled columns), ``parent_summaries`` the parent's children summaries, and
        ``summarized_as`` those that summarize this table (the count first): the count decides
        how many rows each generated parent gets. ``parent_ancestry`` holds the parent's own
        ancestors' columns (see :func:`ancestry`): this table is conditioned on them too.
        """
        context = None
        if self.step.context is not None:
            name = self.step.context.parent
            parent_summaries = parent_summaries or []
            counts = keys.children_counts(positions, len(parent))
            with_parent = int((positions >= 0).sum())
            self.orphan_ratio = (len(positions) - with_parent) / with_parent if with_parent else 0.0
            self.context_kinds = {context_name(name, c): k for c, k in (parent_modeled or {}).items()}
            self.context_kinds.update({context_name(name, s.name): s.kind for s in parent_summaries})
            parent_ancestry = parent_ancestry or {}
            self.context_kinds.update({context_name(name, a): anc.kind for a, anc in parent_ancestry.items()})
            self.passes_down = [context_name(name, c) for c in (parent_modeled or {})][:MAX_HANDED_ON] + \
                [context_name(name, a) for a, anc in parent_ancestry.items() if anc.depth < MAX_DEPTH]
            parent_context = _context_frame(parent, {**{s.name: s.values for s in parent_summaries},
                                                     **{a: anc.values for a, anc in parent_ancestry.items()}},
                                            name, self.context_kinds)
            if summarized_as:
                self.count_from = summarized_as[0].name
                has_children = counts > 0
                self.filled = [context_name(name, s.name) for s in summarized_as[1:]
                               if not np.isnan(s.values[has_children]).any()]
            else:
                self.cardinality = CardinalityModel()
                self.cardinality.fit(parent_context, self.context_kinds, counts, rng=rng, k=self.value_k)
            if self.context_kinds:
                context = parent_context.reindex(positions).reset_index(drop=True)
        self.latents = {s.name: s.kind for s in summaries or []}
        wanted = self.wanted_kinds()
        if not self.modeled and not self.latents and not wanted:
            return
        # columns conditioned on first, then the wanted parents: the row's other columns are drawn
        # knowing both
        order = self.leading + list(wanted) + [c for c in self.modeled if c not in self.leading]
        table = data[order].reset_index(drop=True)
        # kept in the model directory: categories and extremes of the protected columns, not the real
        # ones (categorical quasi-identifiers keep the codes their near-match digests were made with)
        protected = {c: k for c, k in self.learned.items() if c not in self.quasi or k != Kind.CATEGORICAL}
        self.column_metas.update({c: encoding.analyze(table[c], k) for c, k in protected.items()})
        self.column_metas.update({c: {**m, "min": None, "max": None} if "min" in m else m   # a parent's, per child row
                                  for c, m in ((c, encoding.analyze(table[c], k)) for c, k in wanted.items())})
        if self.latents:
            own = pd.DataFrame({s.name: s.values for s in summaries}, index=table.index)
            table = pd.concat([table, own], axis=1)
        self.model = get_family(self.family)()
        self.model.fit(table, kinds={**wanted, **self.modeled, **self.latents}, context=context,
                       context_kinds=self.context_kinds or None, rng=rng,
                       **_privacy_arguments(self.model, k=self.value_k, groups=groups,
                                            exact={s.name for s in summaries or [] if s.column is None}))

    def learn_deferred(self, frame: pd.DataFrame, parents: Mapping[str, pd.DataFrame]) -> None:
        """Cycle edges: their parent may come later in the plan, so they are learned last."""
        for fk in self.step.deferred:
            parent = parents[fk.parent]
            self.relations[fk.label] = _relation_stats(frame, fk, parent)
            if fk.parent == self.table.name:  # a hierarchy: keep how deep it goes
                positions = keys.locate_parents(frame[list(fk.columns)], parent[list(fk.parent_columns)])
                self.relations[fk.label]["depths"] = np.bincount(keys.hierarchy_depths(positions)).tolist()

    # ------------------------------------------------------------------ sample

    def sample(self, *, rows: int, frames: Mapping[str, pd.DataFrame], summaries: Mapping[str, pd.DataFrame],
               rng: np.random.Generator, conditions: Conditions | None = None,
               ledger: RowLedger | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
        """About ``rows`` rows for this table, and their children summaries (never written).

        ``frames`` holds the generated tables sampled before it, ``summaries`` their summaries;
        ``conditions`` what the user asks of the rows (:mod:`relsynth.conditions`); ``ledger``
        counts the rows dropped, per cause.
        """
        ledger = ledger if ledger is not None else RowLedger()
        table, step = self.table, self.step
        out: dict[str, Any] = {}
        context = None
        forced = conditioned.forced_rows(table.name, conditions, self.retained)
        if step.context is not None:
            fk = step.context
            parent = frames[fk.parent]
            parent_summaries = summaries.get(fk.parent)
            parent_context = _context_frame(parent, parent_summaries, fk.parent, self.context_kinds)
            if self.count_from is not None:
                counts = latents.counts_of(parent_summaries[self.count_from])
            else:
                counts = self.cardinality.sample(parent_context, rng=rng)
            one_to_one = fk.columns in table.unique_sets()
            if one_to_one:
                counts = np.minimum(counts, 1)  # one child at most per parent (one-to-one)
            with_parent = int(round(rows / (1 + self.orphan_ratio)))
            if forced is None:  # the table's size is not left to the sum of random counts
                counts = calibrated(counts, with_parent, rng, cap=1 if one_to_one else None)
            if self.filled:
                parent_context = latents.fill_missing(parent_context, self.filled, counts, rng)
            if forced is None and conditions and self.model is not None and self.context_kinds:
                counts = self._fitting_parents(parent_context, counts, conditions, rng)
            if forced is None:
                _check_room(table, float(np.sum(counts, dtype=np.float64)))
                positions = np.repeat(np.arange(len(parent)), counts)
                orphans = max(rows - with_parent, 0)
                positions = np.concatenate([positions, np.full(orphans, -1, dtype=np.int64)])
            else:
                positions = self._forced_positions(fk, parent, counts, forced, conditions, rng)
            n = len(positions)
            if self.context_kinds:
                context = parent_context.reindex(positions).reset_index(drop=True)
        else:
            n = forced if forced is not None else rows
            _check_room(table, n)
        request = conditioned.request(table, conditions, modeled=self.modeled, metas=self.column_metas,
                                      retained=self.retained, count=n, rng=rng) if conditions else None
        asked = request.frame if request is not None else pd.DataFrame(index=pd.RangeIndex(n))
        self._warn_unled(request)

        if self.model is not None:
            movable = None
            if context is not None and forced is None and step.context is not None:  # rows may move parent
                movable = (parent_context, positions, np.bincount(positions[positions >= 0],
                                                                  minlength=len(parent_context)) + 1.0)
            sampled = self._draw(context, asked, request, rng, parents=movable)
            if movable is not None:
                context = parent_context.reindex(positions).reset_index(drop=True)
            out.update({c: sampled[c] for c in sampled.columns})
        if step.context is not None:
            out.update(_gather(frames[step.context.parent], step.context.parent_columns, step.context.columns,
                               positions))
        unique_singles = {s[0] for s in table.unique_sets() if len(s) == 1}
        # one fake person and one place per row (names, e-mails, usernames, cities, countries agree)
        made = personas.generate_columns(self.formats, n, rng, unique=table.unique_sets(), given=out,
                                         is_real=self._matches_real)
        for name, fmt in self.formats.items():
            out[name] = made[name] if name in made else self._generate(name, fmt, n, rng, unique=name in unique_singles)
        frame = pd.DataFrame(out, index=pd.RangeIndex(n))
        frame = frame.assign(**{_ASKED + c: asked[c].to_numpy() for c in asked.columns})  # travels with the rows

        weights = {}
        orphaned = np.zeros(n, dtype=bool)
        chosen = {}
        assigned = set(step.context.columns) if step.context is not None else set()
        repaired = np.zeros(n, dtype=bool)
        for fk in self._others_widest_first():
            parent = frames[fk.parent]
            weights[fk.label] = self._popularity(fk, len(parent), summaries, rng)
            if fk.label in self.references and self.model is not None:
                positions = self._choose_parents(fk, frame, parent, weights[fk.label], rng)
            else:
                positions = keys.draw_parents(n, weights[fk.label], rng,
                                              null_share=self.relations[fk.label]["null_share"])
            positions, unmatched = _agreeing(fk, frame, parent, positions, weights[fk.label], assigned, rng)
            repaired |= unmatched
            if fk.label in self.references and self.model is not None:
                chosen[fk.label] = positions
            frame = frame.assign(**_gather(parent, fk.parent_columns, fk.columns, positions))
            assigned |= set(fk.columns)
            if not fk.nullable:
                orphaned |= positions < 0  # the parent table came out empty
        if repaired.any():
            warnings.warn(f"{table.name}: {int(repaired.sum())} rows took another parent's key: no parent of a "
                          "foreign key agreed with the columns it shares with another", stacklevel=2)
        if chosen:  # the row's own columns again, given the parents it got rather than those it wanted
            again = self._given_parents(chosen, frames, context, asked, request, rng)
            frame = frame.assign(**{c: again[c].to_numpy() for c in again.columns})
        if orphaned.any():
            ledger.drop(table.name, "whose required parent table is empty", int(orphaned.sum()))
            frame = frame[~orphaned].reset_index(drop=True)
            context = context[~orphaned].reset_index(drop=True) if context is not None else None
            n = len(frame)
        for fk in step.deferred:  # filled in once every table exists
            for col in fk.columns:
                frame[col] = pd.Series([None] * n, dtype=object)

        if self.passes_down and context is not None:  # travels with the rows (dropped, sorted)
            frame = frame.assign(**{_HANDED + c: context[c].to_numpy() for c in self.passes_down})
        frame = self._keep_rules(frame, frames, rng)
        if self.key_order is not None:  # ids follow time, as in the source
            order = frame[self.key_order].reset_index(drop=True).sort_values(kind="stable").index.to_numpy()
            frame = frame.iloc[order].reset_index(drop=True)
            context = context.iloc[order].reset_index(drop=True) if context is not None else None
        frame = self._fill_keys(frame, rng)
        frame = _apply_given(frame)
        frame = self._enforce_constraints(frame, context, frames, weights, rng, request, ledger)
        frame = self._keep_rules(frame, frames, rng)  # for the rows drawn again
        frame = self.settle_uniques(frame, frames, rng, ledger)
        if partitions.into_bounds(frame, self.table, rng):   # a learned date order moved a key out
            frame = self.settle_uniques(frame, frames, rng, ledger)
        broken = self._dangling(frame, frames)
        if broken.any():   # never written: the target would refuse the whole write
            ledger.drop(table.name, "whose foreign keys sharing columns matched no parent", int(broken.sum()))
            frame = frame[~broken].reset_index(drop=True)
        for name in [c for c in table.column_names if c not in frame.columns]:   # generated columns: computed later
            frame[name] = pd.Series([None] * len(frame), dtype=object)
        handed = [c for c in self.passes_down if _HANDED + c in frame.columns]
        summary = frame[list(self.latents) + [_HANDED + c for c in handed]]
        return frame[list(table.column_names)], summary.set_axis(list(self.latents) + handed, axis=1)

    def _others_widest_first(self) -> list[ForeignKey]:
        """Non-context foreign keys, those of more columns first: a narrower one sharing columns
        with them then picks among the parents that agree."""
        return sorted(self.step.others, key=lambda fk: -len(fk.columns))

    def _dangling(self, frame: pd.DataFrame, frames: Mapping[str, pd.DataFrame]) -> np.ndarray:
        """Rows a foreign key of which (context or other, sharing columns with another) matches no
        generated parent."""
        bad = np.zeros(len(frame), dtype=bool)
        fks = ([self.step.context] if self.step.context is not None else []) + list(self.step.others)
        for fk in fks:
            shares = any(set(fk.columns) & set(other.columns) for other in fks if other is not fk)
            if shares and fk.declared and fk.parent in frames:
                bad |= keys.dangling(frame, fk.columns, frames[fk.parent], fk.parent_columns)
        return bad

    def _popularity(self, fk: ForeignKey, n_parents: int, summaries: Mapping[str, pd.DataFrame],
                    rng: np.random.Generator) -> np.ndarray:
        """How many rows each generated parent should get: its room latent when the parent model
        learned one, else a random draw from the real children-per-parent histogram."""
        room = self.references.get(fk.label, {}).get("room")
        parent_summaries = summaries.get(fk.parent)
        if room is not None and parent_summaries is not None and room in parent_summaries.columns:
            return latents.counts_of(parent_summaries[room]).astype(np.float64)
        return keys.popularity(self.relations[fk.label]["histogram"], n_parents, rng)

    def _choose_parents(self, fk: ForeignKey, rows: pd.DataFrame, parent: pd.DataFrame, weights: np.ndarray,
                        rng: np.random.Generator) -> np.ndarray:
        """Each row's parent through ``fk``: the nearest generated parent to the one it wants,
        each parent taking about its share of ``weights`` (see :mod:`relsynth.relational.references`)."""
        ref = self.references[fk.label]
        n = len(rows)
        has = np.ones(n, dtype=bool)
        if ref["presence"]:
            has = np.asarray(rows[references.wanted_name(fk.label)], dtype=object) == True  # noqa: E712
        positions = np.full(n, -1, dtype=np.int64)
        chosen = np.flatnonzero(has)
        if not len(parent) or not chosen.size:
            return positions
        kinds = {c: Kind(k) for c, k in ref["kinds"].items()}
        wanted = pd.DataFrame({c: rows[references.wanted_name(fk.label, c)].to_numpy()[chosen] for c in kinds},
                              index=pd.RangeIndex(chosen.size))
        here, there = references.distance_space(wanted, parent[list(kinds)].reset_index(drop=True), kinds)
        room = references.apportion(weights, chosen.size, rng)
        positions[chosen] = references.assign(here, there, room, rng)
        return positions

    def _given_parents(self, chosen: Mapping[str, np.ndarray], frames: Mapping[str, pd.DataFrame],
                       context: pd.DataFrame | None, asked: pd.DataFrame, request: conditioned.Request | None,
                       rng: np.random.Generator) -> pd.DataFrame:
        """The model's columns drawn with the wanted columns fixed to the chosen parents' values
        (and the user's requests for these rows kept)."""
        n = len(asked)
        fixed = {}
        for fk in self.step.others:
            if fk.label not in chosen:
                continue
            ref, positions = self.references[fk.label], chosen[fk.label]
            actual = references.wanted_frame(fk.label, frames[fk.parent], ref["kinds"], positions,
                                             with_presence=ref["presence"])
            fixed.update({c: self._learned_range(c, actual[c]) for c in actual.columns})
        return self._draw(context, asked, request, rng, extra=pd.DataFrame(fixed, index=pd.RangeIndex(n)))

    def _learned_range(self, column: str, values: pd.Series) -> pd.Series:
        """A generated parent's values as the model learned them: numbers and times clipped to the
        range seen in training, categories it never saw left free (a model may refuse the rest)."""
        meta = self.column_metas.get(column)
        if meta is None:
            return values
        codes = encoding.encode(values.reset_index(drop=True), meta)
        return encoding.decode(codes, meta, name=column)  # decode clips, unknown categories are NaN

    def _draw(self, context: pd.DataFrame | None, asked: pd.DataFrame, request: conditioned.Request | None,
              rng: np.random.Generator, *, extra: pd.DataFrame | None = None,
              parents: tuple[pd.DataFrame, np.ndarray, np.ndarray] | None = None) -> pd.DataFrame:
        """The model's columns for ``len(asked)`` rows, keeping the requested cells (and ``extra``
        fixed cells). Rows that miss a requested comparison are drawn again, several candidates
        each, more every round; with ``parents`` = (every parent's context, each row's parent
        position, parent weights), later rounds also try other parents, and a row that passes
        with another parent moves to it (``positions`` is updated in place). Rows still missing
        after :data:`MAX_ROUNDS` rounds make a clear error, never a silent shortfall."""
        n = len(asked)

        def draw(rows: np.ndarray, repeat: int, movers: np.ndarray | None = None) -> pd.DataFrame:
            picked = np.repeat(rows, repeat)
            fixed = [f for f in (request.fixed(asked.iloc[picked]) if request else None,
                                 extra.iloc[picked].reset_index(drop=True) if extra is not None else None)
                     if f is not None]
            fixed_frame = pd.concat(fixed, axis=1) if fixed else None
            if movers is not None:
                row_context = parents[0].iloc[movers].reset_index(drop=True)
            elif context is not None:
                row_context = context.iloc[picked].reset_index(drop=True)
            else:
                return self.model.sample(n=picked.size, fixed=fixed_frame, rng=rng)
            return self.model.sample(context=row_context, fixed=fixed_frame, rng=rng)

        sampled = draw(np.arange(n), 1)
        if request is None or not request.checks:
            return sampled
        bad = np.flatnonzero(request.failing(sampled, asked, self.column_metas))
        for round_ in range(MAX_ROUNDS):
            if not bad.size:
                return sampled
            tries = min(2 ** (round_ + 1), max(1, OVERSAMPLE_ROWS // bad.size))
            movers = None
            if parents is not None and round_ >= MOVE_AFTER and len(parents[0]):
                weights = parents[2] / parents[2].sum()
                movers = rng.choice(len(parents[0]), size=bad.size * tries, p=weights)
            candidates = draw(bad, tries, movers)
            passing = ~request.failing(candidates, asked.iloc[np.repeat(bad, tries)], self.column_metas)
            first = passing.reshape(bad.size, tries).argmax(axis=1)
            found = passing.reshape(bad.size, tries).any(axis=1)
            take = np.flatnonzero(found) * tries + first[found]
            for column in sampled.columns:
                _set_rows(sampled, column, bad[found], candidates[column].to_numpy()[take])
            if movers is not None:
                parents[1][bad[found]] = movers[take]
            bad = bad[~found]
        bad = self._force(sampled, bad, asked, request, context, parents, rng)
        if bad.size:
            missed = [c.label for i, c in enumerate(request.checks)
                      if asked[f"{conditioned.CHECK}{i}"].to_numpy(dtype=bool)[bad].any()]
            raise ConditionError(f"{self.table.name}: {bad.size} of {n} rows still miss {', '.join(missed)} after "
                                 f"{MAX_ROUNDS} rounds of redraws",
                                 hint="the model reaches it too rarely: widen the range, or give seed rows "
                                      "(--seed-rows) whose other values make it likely")
        return sampled

    def _force(self, sampled: pd.DataFrame, bad: np.ndarray, asked: pd.DataFrame, request: conditioned.Request,
               context: pd.DataFrame | None, parents, rng: np.random.Generator) -> np.ndarray:
        """Rows that missed only checks with a forced value: drawn again with those values fixed
        (in their latest parent). Returns the rows still missing."""
        forcible = [i for i, c in enumerate(request.checks) if c.forced is not None]
        if not bad.size or not forcible:
            return bad
        rows_asked = asked.iloc[bad].reset_index(drop=True)
        values = {}
        for i in forcible:
            applies = rows_asked[f"{conditioned.CHECK}{i}"].to_numpy(dtype=bool)
            column = request.checks[i].column
            values.setdefault(column, np.full(bad.size, None, dtype=object))[applies] = request.checks[i].forced
        if parents is not None:
            context = parents[0].reindex(parents[1]).reset_index(drop=True)
        fixed = request.fixed(rows_asked)
        fixed = pd.DataFrame(values) if fixed is None else fixed.assign(**values)
        redo = self._draw(context.iloc[bad].reset_index(drop=True) if context is not None else None,
                          rows_asked, None, rng, extra=fixed)
        for column in sampled.columns:
            _set_rows(sampled, column, bad, redo[column].to_numpy())
        return bad[request.failing(redo, rows_asked.assign(**{f"{conditioned.CHECK}{i}": False for i in forcible}),
                                   self.column_metas)]

    def _fitting_parents(self, parent_context: pd.DataFrame, counts: np.ndarray, conditions: Conditions,
                         rng: np.random.Generator) -> np.ndarray:
        """Children counts moved towards the parents whose children meet the table's value
        conditions (a refund goes to an account that gets refunds): each parent's rate is probed
        with a few unconditioned children, and the same number of rows is spread over the parents
        in proportion to count x rate."""
        asked = [c for c in conditions.for_table(self.table.name).where if c.equality and c.column in self.column_metas]
        if not asked or not len(parent_context) or counts.sum() == 0:
            return counts
        probe = self.model.sample(context=parent_context.iloc[np.repeat(np.arange(len(parent_context)), PROBES)]
                                  .reset_index(drop=True), rng=rng)
        meets = np.ones(len(probe), dtype=bool)
        for condition in asked:
            meta = self.column_metas[condition.column]
            meets &= encoding.encode(probe[condition.column], meta) == encoded_value(condition.value, meta,
                                                                                     what=str(condition))
        hits = meets.reshape(-1, PROBES).sum(axis=1)
        # shrunk towards the overall rate by one pseudo-probe: never zero, a guess rather than a verdict
        rate = (hits + max(meets.mean(), 1.0 / meets.size)) / (PROBES + 1)
        return references.apportion(counts * rate, int(counts.sum()), rng)

    def _forced_positions(self, fk: ForeignKey, parent: pd.DataFrame, counts: np.ndarray, rows: int,
                          conditions: Conditions, rng: np.random.Generator) -> np.ndarray:
        """Parents of kept or seeded rows: a kept row keeps its real parent when the parent's key is
        kept too; otherwise the rows are spread over the generated parents by their children counts."""
        kept_parent = set(fk.parent_columns) <= set(conditions.retain.get(fk.parent, ()))
        if kept_parent and self.retained is not None:
            return keys.locate_parents(self.retained[list(fk.columns)], parent[list(fk.parent_columns)])
        return rng.permutation(np.repeat(np.arange(len(parent)), references.apportion(counts, rows, rng)))

    def _warn_unled(self, request: conditioned.Request | None) -> None:
        """A column fixed now that was not learned first: the columns before it cannot follow it."""
        if request is None:
            return
        fixed = [c[len(conditioned.FIXED):] for c in request.frame.columns if c.startswith(conditioned.FIXED)]
        unled = [c for c in fixed if c not in self.leading]
        if unled:
            warnings.warn(f"{self.table.name}: {', '.join(unled)} conditioned on at generation only: the columns "
                          "learned before them do not follow them; pass the same conditions to train (or clone)",
                          stacklevel=3)

    def _keep_rules(self, frame: pd.DataFrame, frames: Mapping[str, pd.DataFrame],
                    rng: np.random.Generator) -> pd.DataFrame:
        """Copies from parents and date orders learned from the source (:mod:`rules`)."""
        if not self.copies and not self.orders:
            return frame
        related = self._related(frame, frames, {})
        frame = rules.apply_copies(frame, self.copies, related)
        return rules.apply_orders(frame, self.orders, related, rng)

    def fill_deferred(self, frame: pd.DataFrame, frames: Mapping[str, pd.DataFrame],
                      rng: np.random.Generator) -> pd.DataFrame:
        """Point the cycle-breaking foreign keys at rows that now exist."""
        n = len(frame)
        for fk in self.step.deferred:
            stats = self.relations[fk.label]
            if fk.parent == self.table.name:
                positions = keys.tree_parents(n, stats["depths"], rng)
            else:
                parent = frames[fk.parent]
                weights = keys.popularity(stats["histogram"], len(parent), rng)
                positions = keys.draw_parents(n, weights, rng, null_share=stats["null_share"])
            frame = frame.assign(**_gather(frames[fk.parent], fk.parent_columns, fk.columns, positions))
            for unique in self.table.unique_sets():  # a unique deferred FK: clashes become NULL
                if set(fk.columns) <= set(unique):
                    clash = keys.duplicated_rows(frame, unique)
                    for col in fk.columns:
                        _set_rows(frame, col, clash, None)
        return frame

    def _matches_real(self, name: str, values: np.ndarray) -> np.ndarray:
        """Which ``values`` of column ``name`` equal a real one (by keyed digest; all False when the
        model has no digests of the column or no key to compare them with)."""
        excluded = self.exclusions.get(name)
        if excluded is None or not len(excluded) or self.digest_key is None:
            return np.zeros(len(values), dtype=bool)
        series = pd.Series(values, dtype=object)
        return np.isin(_digests(series, self.digest_key), excluded) & series.notna().to_numpy()

    def _generate(self, name: str, fmt: dict, n: int, rng: np.random.Generator, *, unique: bool) -> np.ndarray:
        """Values in the column's format, none equal to a real one (checked by keyed digest)."""
        values = generate(fmt, n, rng, unique=unique).to_numpy().copy()
        excluded = self.exclusions.get(name)
        if excluded is None or not len(excluded) or self.digest_key is None:
            return values
        real = self._matches_real(name, values)
        for _ in range(keys.REDRAW_ROUNDS):
            bad = (real | keys.duplicated_rows(pd.DataFrame({"v": values}), ["v"])) if unique else real
            if not bad.any():
                return values
            values[bad] = generate({**fmt, "null_share": 0.0}, int(bad.sum()), rng, unique=unique).to_numpy()
            real[bad] = self._matches_real(name, values[bad])  # only the redrawn rows are hashed again
        if self.table.column(name).nullable:   # never silent: the user sees the NULLs
            warnings.warn(f"{self.table.name}.{name}: {int(bad.sum())} generated values kept equalling a real one "
                          "and are written as NULL", stacklevel=2)
            values[bad] = None
            return values
        fresh = keys.suffix_strings(pd.Series(values, dtype=object), bad, self.table.column(name).type.get("length"))
        if fresh is None:
            raise ModelError(f"{self.table.name}.{name}: no value of its length is left that no real row holds")
        values[bad] = fresh[bad]
        return values

    def _fill_keys(self, frame: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
        pk = self.table.primary_key
        fk_in_pk = [c for c in pk if c in self.table.fk_columns]
        for name, fmt in self.key_formats.items():
            n = len(frame)
            if fmt["type"] == "numbered":
                frame[name] = keys.numbered_within(frame[fk_in_pk], start=fmt.get("start", 1))
            elif fmt["type"] == "integer":
                frame[name] = keys.integer_keys(n, start=fmt.get("start", 1))
            else:
                frame[name] = generate_keys(fmt["format"], n, rng).to_numpy()
        return frame

    def _enforce_constraints(self, frame: pd.DataFrame, context: pd.DataFrame | None,
                             frames: Mapping[str, pd.DataFrame], weights: Mapping[str, np.ndarray],
                             rng: np.random.Generator, request: conditioned.Request | None,
                             ledger: RowLedger) -> pd.DataFrame:
        """Unique sets and check constraints, together: fixing one must not break the other.

        Offending rows are drawn again (values with the same parent, other parents anew) for as
        long as each few rounds fix some of them: most rows near a rare real one move away in a
        round or two, a few need twenty. A clash left over gets fresh values in a free column of
        its unique set; a row that still breaks a constraint is dropped, and counted.
        """
        history: list[int] = []
        for _ in range(REDRAW_LIMIT):
            bad = self._clashes(frame) | self._violations(frame) | self._too_close(frame)
            history.append(int(bad.sum()))
            stalled = len(history) > CHECK_ROUNDS and history[-1] >= history[-1 - STALL_ROUNDS]
            if not bad.any() or stalled:
                break
            self._redraw(frame, np.flatnonzero(bad), context, frames, weights, rng, request)
        keep = self._repair_clashes(frame, frames, rng)
        partitions.into_bounds(frame, self.table, rng)   # a key of another row rather than a lost row
        keep &= ~self._violations(frame)
        close = self._too_close(frame) & keep
        if close.any():  # never written: a row that points at a real person
            ledger.drop(self.table.name, f"near a real row fewer than {self.protect_k} share",
                        int(close.sum()))
            keep &= ~close
        ledger.drop(self.table.name, "breaking a unique or check constraint", int((~keep).sum() - close.sum()))
        if not keep.all():
            frame = frame[keep].reset_index(drop=True)
        return frame

    def _repair_clashes(self, frame: pd.DataFrame, frames: Mapping[str, pd.DataFrame],
                        rng: np.random.Generator) -> np.ndarray:
        """Fresh values in a free column of each unique set that repeats (in place); the rows
        that cannot be repaired are False in the mask returned.

        A free column beside foreign-key columns only needs to be distinct per parent (the date
        of a salary per employee); it moves forward within its parent, keeping learned orders."""
        keep = np.ones(len(frame), dtype=bool)
        for unique in self.table.unique_sets():
            clash = keys.duplicated_rows(frame, unique)
            if not clash.any():
                continue
            free = [c for c in unique if c not in self.table.fk_columns]
            fresh = self._fresh_in_set(frame, unique, free[-1], clash, rng) if free else None
            if fresh is not None:
                frame[free[-1]] = fresh
            elif not free and self._other_parents(frame, unique, clash, frames, rng):
                continue
            elif any(self.table.column(c).nullable for c in unique):
                for col in unique:
                    if self.table.column(col).nullable:
                        _set_rows(frame, col, clash, None)
            else:
                keep &= ~clash  # e.g. more children than distinct parents allow
        return keep

    def _other_parents(self, frame: pd.DataFrame, unique: tuple[str, ...], clash: np.ndarray,
                       frames: Mapping[str, pd.DataFrame], rng: np.random.Generator) -> bool:
        """A unique set made of foreign keys only (a link table's pair): each clashing row gets, for
        one of its non-context foreign keys, a parent no row of the same other keys has yet (in
        place); True when every clash is gone. Clashes are few, so the loop is over them only."""
        fk = next((f for f in self.step.others if set(f.columns) <= set(unique) and f.parent in frames
                   and len(frames[f.parent])), None)
        if fk is None:
            return False
        rest = [c for c in unique if c not in fk.columns]
        offered = frames[fk.parent][list(fk.parent_columns)].drop_duplicates().to_numpy(dtype=object)
        taken: dict[tuple, set[tuple]] = {}
        for key, mine in zip(frame[rest].itertuples(index=False, name=None),
                             frame[list(fk.columns)].itertuples(index=False, name=None)):
            taken.setdefault(key, set()).add(mine)
        for row in np.flatnonzero(clash):
            key = tuple(frame.iloc[row][rest])
            used = taken.setdefault(key, set())
            tries = (tuple(p) for p in offered[rng.permutation(len(offered))])  # a random free one
            choice = next((p for p in tries if p not in used), None)
            if choice is None:
                return False
            used.add(choice)
            for column, value in zip(fk.columns, choice):
                frame.iloc[row, frame.columns.get_loc(column)] = value
        return not keys.duplicated_rows(frame, unique).any()

    def _fresh_in_set(self, frame: pd.DataFrame, unique: tuple[str, ...], column: str, clash: np.ndarray,
                      rng: np.random.Generator) -> pd.Series | None:
        spec = self.table.column(column).type
        beside = [c for c in unique if c in self.table.fk_columns]
        if beside:
            within = keys.fresh_within(frame[column], frame[[c for c in unique if c != column]], spec)
            if within is not None:
                return within
        return keys.fresh_values(frame[column], clash, spec, rng)

    def settle_uniques(self, frame: pd.DataFrame, frames: Mapping[str, pd.DataFrame],
                       rng: np.random.Generator, ledger: RowLedger) -> pd.DataFrame:
        """Every primary key and unique set checked again after the last repair (the learned
        date orders move values after the constraints were met): repaired, the orders kept,
        and any row still repeating a key dropped and counted, never left for the target."""
        for _ in range(CHECK_ROUNDS):
            if not self._clashes(frame).any():
                return frame
            keep = self._repair_clashes(frame, frames, rng)
            if not keep.all():
                ledger.drop(self.table.name, "repeating a key", int((~keep).sum()))
                frame = frame[keep].reset_index(drop=True)
            frame = self._keep_rules(frame, frames, rng)
        clash = self._clashes(frame)
        if clash.any():
            ledger.drop(self.table.name, "repeating a key", int(clash.sum()))
            frame = frame[~clash].reset_index(drop=True)
        return frame

    def _combinations(self) -> list[tuple[str, list[str]]]:
        """The column sets whose rare real combinations a generated row must not repeat: the
        quasi-identifiers together (two or more), and the whole modeled row (three columns or more:
        one or two values are the categories' and extremes' business)."""
        out = []
        if len(self.quasi) >= 2:
            out.append(("__protect__.quasi", self.quasi))
        if len(self.learned) >= 3:
            out.append(("__protect__.row", list(self.learned)))
        return out

    def _too_close(self, frame: pd.DataFrame) -> np.ndarray:
        """Rows whose quasi-identifiers (or whole modeled row) equal a combination fewer than k
        real rows share, or whose quasi-identifiers lie within the tolerances of a real row fewer
        than k real rows are near (compared by keyed digest)."""
        bad = np.zeros(len(frame), dtype=bool)
        if self.digest_key is None:
            return bad
        for name, columns in self._combinations():
            rare = self.exclusions.get(name)
            if rare is not None and rare.size and columns and all(c in frame.columns for c in columns):
                bad |= np.isin(protect.combination_digests(frame, columns, self.digest_key), rare)
        rare = self.exclusions.get(_NEAR)
        if self.near and rare is not None and rare.size and all(c in frame.columns for c in self.quasi):
            bad |= protect.near_rare(frame, self.quasi, self.column_metas, self.near, rare, key=self.digest_key)
        return bad

    def _clashes(self, frame: pd.DataFrame) -> np.ndarray:
        bad = np.zeros(len(frame), dtype=bool)
        for unique in self.table.unique_sets():
            bad |= keys.duplicated_rows(frame, unique)
        return bad

    def _violations(self, frame: pd.DataFrame) -> np.ndarray:
        bad = partitions.outside(frame, self.table)     # drawn again when in no partition
        for check in self.table.checks:
            found = checks.violations(frame, check.sqltext, label=check.name or "")
            if found is not None:
                bad |= found
        return bad

    def _redraw(self, frame: pd.DataFrame, rows: np.ndarray, context: pd.DataFrame | None,
                frames: Mapping[str, pd.DataFrame], weights: Mapping[str, np.ndarray],
                rng: np.random.Generator, request: conditioned.Request | None = None) -> None:
        """Draw ``rows`` again in place: modeled values with the same parent, other parents anew
        (the user's requests for these rows kept)."""
        fresh: dict[str, Any] = {}
        redo = None
        asked = _asked(frame).iloc[rows].reset_index(drop=True)
        row_context = context.iloc[rows].reset_index(drop=True) if context is not None else None
        if self.model is not None:
            redo = self._draw(row_context, asked, request, rng)
            fresh.update({c: redo[c].to_numpy() for c in redo.columns})
        chosen = {}
        assigned = set(self.step.context.columns) if self.step.context is not None else set()
        for fk in self._others_widest_first():
            if fk.label in self.references and redo is not None:
                positions = self._choose_parents(fk, redo, frames[fk.parent], weights[fk.label], rng)
            else:
                positions = keys.draw_parents(len(rows), weights[fk.label], rng,
                                              null_share=self.relations[fk.label]["null_share"])
            current = frame.iloc[rows].reset_index(drop=True)[list(fk.columns)].assign(
                **{c: fresh[c] for c in fk.columns if c in fresh})
            positions, _ = _agreeing(fk, current, frames[fk.parent], positions, weights[fk.label], assigned, rng)
            if fk.label in self.references and redo is not None:
                chosen[fk.label] = positions
            fresh.update({c: v.to_numpy() for c, v in
                          _gather(frames[fk.parent], fk.parent_columns, fk.columns, positions).items()})
            assigned |= set(fk.columns)
        if chosen:
            again = self._given_parents(chosen, frames, row_context, asked, request, rng)
            fresh.update({c: again[c].to_numpy() for c in again.columns})
        given = _asked(frame.iloc[rows].reset_index(drop=True))
        for column in [c for c in given.columns if c.startswith(conditioned.GIVEN)]:
            keep = given[column].notna().to_numpy()
            name = column[len(conditioned.GIVEN):]
            if name in fresh and keep.any():
                fresh[name] = np.where(keep, given[column].to_numpy(), np.asarray(fresh[name], dtype=object))
        for col, values in fresh.items():
            _set_rows(frame, col, rows, values)

    # ------------------------------------------------------------------ persistence

    def save(self, directory: Path, position: int, *, digests: bool) -> dict:
        """Write this table's files (named by :mod:`relsynth.workspace` from ``position``) and
        return its manifest entry; the entry says which parts exist, never where. ``digests``:
        write the keyed digests of real values (only worth it when the key can be derived again)."""
        meta = {"table": self.table.name, "family": self.family,
                "modeled": {k: v.value for k, v in self.modeled.items()},
                "context_kinds": {k: v.value for k, v in self.context_kinds.items()},
                "formats": self.formats, "key_formats": self.key_formats, "relations": self.relations,
                "orphan_ratio": self.orphan_ratio,
                "latents": {k: v.value for k, v in self.latents.items()}, "count_from": self.count_from,
                "filled": self.filled, "references": self.references, "copies": self.copies,
                "orders": self.orders, "key_order": self.key_order, "passes_down": self.passes_down,
                "leading": self.leading, "column_metas": self.column_metas, "retained": self.retained is not None,
                "quasi": self.quasi, "protect_k": self.protect_k, "near": self.near,
                "model": self.model is not None, "cardinality": self.cardinality is not None}
        np.savez_compressed(directory / workspace.file_name(position, "exclusions", "npz"),
                            **(self.exclusions if digests else {}))
        if self.retained is not None:  # the user asked to keep these real values: they are stored
            workspace.write_rows(self.retained, directory / workspace.file_name(position, "retained", "json"))
        if self.model is not None:
            save_model(self.model, directory, workspace.stem(position, "model"))
        if self.cardinality is not None:
            save_model(self.cardinality, directory, workspace.stem(position, "cardinality"))
        return meta

    @classmethod
    def load(cls, meta: dict, table: Table, step: PlanStep, directory: Path, position: int) -> "TableSynth":
        """The table saved at ``position``; anything that does not fit ``table`` is a ValueError
        (or a :class:`relsynth.workspace.DamagedModel` for its files)."""
        if not isinstance(meta, dict) or meta.get("table") != table.name:
            raise ValueError(f"the entry of table {table.name!r} is not this table's")
        parts = {part: meta.get(part) for part in ("retained", "model", "cardinality")}
        if not all(isinstance(v, bool) for v in parts.values()):
            raise ValueError(f"table {table.name!r}: parts must be flagged true or false, not named")
        synth = cls(table=table, step=step, family=str(meta["family"]),
                    modeled={k: Kind(v) for k, v in meta["modeled"].items()},
                    context_kinds={k: Kind(v) for k, v in meta["context_kinds"].items()},
                    formats=dict(meta["formats"]), key_formats=dict(meta["key_formats"]),
                    relations=dict(meta["relations"]), orphan_ratio=float(meta["orphan_ratio"]),
                    latents={k: Kind(v) for k, v in meta.get("latents", {}).items()}, count_from=meta.get("count_from"),
                    filled=list(meta.get("filled", [])), references=dict(meta.get("references", {})),
                    copies=dict(meta.get("copies", {})), orders=list(meta.get("orders", [])),
                    key_order=meta.get("key_order"), passes_down=list(meta.get("passes_down", [])),
                    leading=list(meta.get("leading", [])), column_metas=dict(meta.get("column_metas", {})),
                    quasi=list(meta.get("quasi", [])), protect_k=int(meta.get("protect_k", 0)),
                    near=dict(meta.get("near", {})))
        unknown = sorted((set(synth.modeled) | set(synth.formats) | set(synth.key_formats)) - set(table.column_names))
        if unknown:
            raise ValueError(f"table {table.name!r} has no column(s) {', '.join(map(repr, unknown))}")
        if not 0 <= synth.orphan_ratio <= workspace.MAX_ROWS:
            raise ValueError(f"table {table.name!r}: orphan ratio {synth.orphan_ratio!r} out of range")
        if parts["retained"]:
            synth.retained = workspace.read_rows(directory / workspace.file_name(position, "retained", "json"),
                                                 table.name, table.column_names)
        exclusions = workspace.read_arrays(directory / workspace.file_name(position, "exclusions", "npz"))
        for name in exclusions:   # digests of real values (per column, and protect's rows and cells)
            workspace.expect(exclusions, name, kinds="u")
        synth.exclusions = exclusions
        if parts["model"]:
            synth.model = load_model(directory, workspace.stem(position, "model"), family=synth.family)
        if parts["cardinality"]:
            synth.cardinality = load_model(directory, workspace.stem(position, "cardinality"),
                                           family=CardinalityModel.family, cls=CardinalityModel)
        return synth


def _privacy_arguments(model: Any, **arguments: Any) -> dict[str, Any]:
    """The privacy arguments of ``TableModel.fit`` a family takes; a family registered before
    they existed is warned about once and fitted without them."""
    accepted = inspect.signature(model.fit).parameters
    if all(name in accepted for name in arguments) or any(p.kind == p.VAR_KEYWORD for p in accepted.values()):
        return arguments
    warnings.warn(f"model family {model.family!r} does not take {', '.join(arguments)}: it may store real values "
                  "that few rows share", stacklevel=3)
    return {}


CELL_BYTES = 64   # a cell's share of memory while its table is drawn, checked and written (a round upper guess)


def _check_room(table: Table, rows: float) -> None:
    """Refuse a table that cannot fit in memory before allocating it (a row count of 1e12 from a
    crafted model, or a --scale too large), instead of dying with MemoryError."""
    need = rows * max(len(table.columns), 1) * CELL_BYTES
    have = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    if need > have:
        raise RelsynthError(f"table {table.name}: {rows:,.0f} rows would need about {need / 2**30:,.0f} GiB of "
                            f"memory, and this machine has {have / 2**30:,.0f} GiB",
                            hint="lower --scale: rows are generated in memory")


def _asked(frame: pd.DataFrame) -> pd.DataFrame:
    """The per-row requests travelling in ``frame``, under their own names."""
    names = [c for c in frame.columns if c.startswith(_ASKED)]
    return frame[names].set_axis([c[len(_ASKED):] for c in names], axis=1)


def _apply_given(frame: pd.DataFrame) -> pd.DataFrame:
    """Kept keys and given text, where the request has them."""
    asked = _asked(frame)
    for column in [c for c in asked.columns if c.startswith(conditioned.GIVEN)]:
        name = column[len(conditioned.GIVEN):]
        keep = asked[column].notna().to_numpy()
        if keep.any():
            _set_rows(frame, name, np.flatnonzero(keep), asked[column].to_numpy()[keep])
    return frame


def _set_rows(frame: pd.DataFrame, col: str, rows: np.ndarray, values) -> None:
    """Replace some rows of a column, widening its dtype when the new values need it.

    Works on a copy: pandas may hand out read-only arrays (copy-on-write)."""
    current = frame[col]
    new_dtype = np.asarray(values).dtype if values is not None else np.dtype(object)
    if values is None or current.dtype != new_dtype:
        current = current.astype(object)
    updated = current.to_numpy(copy=True)
    updated[rows] = values
    frame[col] = updated


def _digests(values: pd.Series, key: str) -> np.ndarray:
    return pd.util.hash_pandas_object(_hashable(values), index=False, hash_key=key).to_numpy()


def _hashable(values: pd.Series) -> pd.Series:
    """Text as str; binary values as their own bytes (a PNG is not UTF-8: never decoded)."""
    present = values.dropna()
    if holds_binary(present):
        return values.map(bytes, na_action="ignore").fillna(b"")
    return values.astype(str)


def _real_digests(values: pd.Series, fmt: dict, k: int, key: str) -> np.ndarray:
    """The real values a generated one must never equal: all of them, but for text walked along
    the column's own word chain only those fewer than ``k`` rows share ('Gift wrap, please.'
    written by 20 customers may come out again; a note only 3 wrote may not)."""
    present = values.dropna()
    if fmt.get("special") and not typed.identifies(str(fmt["special"])):
        present = present.iloc[:0]   # made of learned numbers and shared structures: see typed.identifies
    if fmt.get("chain") or fmt.get("top") == "array" or fmt.get("special"):   # arrays of common labels,
        # an 'empty' range or a /24 network many rows hold, repeat like notes
        counts = present.astype(str).value_counts()
        present = pd.Series(counts.index[counts < k], dtype=object)
    return np.unique(_digests(present, key))


def _learn_key(col, values: pd.Series, table: Table) -> dict:
    generic = col.type.get("generic")
    if generic in INTEGER_GENERICS:
        numbers = pd.to_numeric(values, errors="coerce").dropna()
        start = int(numbers.min()) if len(numbers) else 1
        in_composite = len(table.primary_key) > 1 and set(table.primary_key) & table.fk_columns
        return {"type": "numbered" if in_composite else "integer", "start": max(start, 0) if in_composite
                else max(start, 1)}
    return {"type": "string", "format": learn_key_format(values)}


def _relation_stats(frame: pd.DataFrame, fk: ForeignKey, parent: pd.DataFrame) -> dict:
    positions = keys.locate_parents(frame[list(fk.columns)], parent[list(fk.parent_columns)])
    counts = keys.children_counts(positions, len(parent))
    is_null = frame[list(fk.columns)].isna().any(axis=1).to_numpy()
    return {"null_share": float(is_null.mean()) if len(frame) else 0.0,
            "histogram": np.bincount(counts).tolist() if len(counts) else [1]}


def _context_frame(parent: pd.DataFrame, summaries: Mapping[str, Any] | None, parent_name: str,
                   kinds: Mapping[str, Kind]) -> pd.DataFrame:
    """The context columns named in ``kinds`` (``parent.column``): the parent's modeled columns
    from its frame, its children summaries from ``summaries`` (arrays or a frame, row-aligned)."""
    cut = len(parent_name) + 1
    columns = {}
    for name in kinds:
        column = name[cut:]
        values = parent[column] if column in parent.columns else summaries[column]
        columns[name] = values.reset_index(drop=True) if isinstance(values, pd.Series) else np.asarray(values)
    return pd.DataFrame(columns, index=pd.RangeIndex(len(parent)))


def _agreeing(fk: ForeignKey, frame: pd.DataFrame, parent: pd.DataFrame, positions: np.ndarray,
              weights: np.ndarray, assigned: set[str], rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """``positions`` moved to parents agreeing with the columns ``fk`` shares with the foreign keys
    drawn before it (``assigned``), and the rows none agreed with (see ``keys.agreeing_parents``)."""
    shared = [(c, p) for c, p in zip(fk.columns, fk.parent_columns) if c in assigned]
    if not shared:
        return positions, np.zeros(len(positions), dtype=bool)
    return keys.agreeing_parents(frame[[c for c, _ in shared]].reset_index(drop=True),
                                 parent[[p for _, p in shared]].reset_index(drop=True), positions, weights, rng)


def _gather(parent: pd.DataFrame, parent_columns, columns, positions: np.ndarray) -> dict[str, pd.Series]:
    """Key values of the parents at ``positions`` (NULL where -1), under the child's column names."""
    out = {}
    valid = positions >= 0
    for src, dst in zip(parent_columns, columns):
        values = parent[src].to_numpy()
        if valid.all():
            out[dst] = pd.Series(values[positions])
            continue
        taken = values[np.where(valid, positions, 0)] if len(values) else np.empty(len(positions), dtype=object)
        series = pd.Series(taken).astype(object)
        series[~valid] = None
        if pd.api.types.is_integer_dtype(parent[src].dtype):
            series = series.astype("Int64")
        out[dst] = series
    return out
