"""MySQL spatial values: WKT read in MariaDB's and the ISO forms, WKB as MySQL stores it, and
the privacy rule on kinds, SRIDs and coordinates."""

from __future__ import annotations

import struct

import numpy as np

from relsynth.privacy import wkt


def test_both_multipoint_forms_and_collections_parse() -> None:
    assert wkt.parse("MULTIPOINT(1 2,3 4)") == wkt.parse("MULTIPOINT((1 2),(3 4))") == \
        ("MULTIPOINT", [[(1.0, 2.0)], [(3.0, 4.0)]])
    kind, members = wkt.parse("GEOMETRYCOLLECTION(POINT(1 2),LINESTRING(0 0,1 1))")
    assert kind == "GEOMETRYCOLLECTION" and [m for m, _ in members] == ["POINT", "LINESTRING"]


def test_wkb_carries_the_srid_first_little_endian() -> None:
    data = wkt.to_wkb("SRID=4326;POINT(1.5 -2)")
    assert data == struct.pack("<IBIdd", 4326, 1, 1, 1.5, -2.0)
    polygon = wkt.to_wkb("POLYGON((0 0,1 0,1 1,0 0))")
    assert polygon[:4] == b"\0\0\0\0" and struct.unpack("<BIII", polygon[4:17]) == (1, 3, 1, 4)


def test_rare_srids_and_kinds_are_not_kept_and_values_keep_their_kind() -> None:
    values = ["SRID=4326;POLYGON((0 0,4 0,4 3,0 0))"] * 20 + ["SRID=31467;LINESTRING(0 0,1 1)"] * 2
    fmt = wkt.learn("GEOMETRY", values, k=5)
    assert fmt["srids"]["values"] == ["4326"] and fmt["kinds"]["values"] == ["POLYGON"]
    made = wkt.make(fmt, 50, np.random.default_rng(0))
    assert all(v.startswith("SRID=4326;POLYGON((") for v in made)
    for v in made:
        ring = wkt.parse(wkt.split_srid(v)[1])[1][0]
        assert ring[0] == ring[-1] and len(set(ring)) == len(ring) - 1 >= 3


def test_a_typed_column_gets_only_its_own_kind() -> None:
    fmt = wkt.learn("MULTIPOLYGON", ["SRID=0;MULTIPOLYGON(((0 0,1 0,1 1,0 0)),((5 5,6 5,6 6,5 5)))"] * 6, k=5)
    made = wkt.make(fmt, 20, np.random.default_rng(1))
    assert all(v.startswith("SRID=0;MULTIPOLYGON(((") for v in made)
