"""Raw database columns survive the trip to float64 and back, in their own types."""

import datetime as dt
import json
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from relsynth.errors import ModelError
from relsynth.models import encoding
from relsynth.schema.kinds import Kind


def round_trip(series, kind):
    meta = encoding.analyze(series, kind)
    json.dumps(meta, allow_nan=False)  # meta goes into a JSON file
    values = encoding.encode(series, meta)
    assert values.dtype == np.float64 and values.shape == (len(series),)
    return meta, values, encoding.decode(values, meta)


def test_integers_come_back_as_integers_and_nullable_ones_as_Int64():
    _, values, out = round_trip(pd.Series([3, 1, 7]), "integer")
    assert out.dtype == np.int64 and out.tolist() == [3, 1, 7]
    _, values, out = round_trip(pd.Series([3, None, 7], dtype="Int64"), "integer")
    assert np.isnan(values[1])
    assert str(out.dtype) == "Int64" and out.isna().tolist() == [False, True, False]


def test_integers_are_rounded_and_kept_within_the_observed_range():
    meta = encoding.analyze(pd.Series([10, 20, 30]), "integer")
    out = encoding.decode(np.array([4.6, 21.4, 99.0]), meta)
    assert out.tolist() == [10, 21, 30]


def test_decimals_keep_their_scale():
    series = pd.Series([Decimal("1.50"), None, Decimal("12.25"), Decimal("3")], dtype=object)
    meta, values, out = round_trip(series, "decimal")
    assert meta["scale"] == 2
    assert out.dtype == np.float64
    assert out.iloc[[0, 2, 3]].tolist() == [1.5, 12.25, 3.0] and np.isnan(out.iloc[1])
    # synthetic values in between are rounded to the source's decimal places
    assert encoding.decode(np.array([2.123456]), meta).tolist() == [2.12]


def test_decimal_scale_is_found_in_float_columns_too():
    meta = encoding.analyze(pd.Series([1.5, 2.125, 3.0]), "decimal")
    assert meta["scale"] == 3


def test_float_columns_holding_cents_are_rounded_to_cents_but_measurements_are_not():
    meta = encoding.analyze(pd.Series([9.99, 12.5, 100.0]), "float")
    assert meta["scale"] == 2
    assert encoding.decode(np.array([10.123456]), meta).tolist() == [10.12]
    meta = encoding.analyze(pd.Series(np.random.default_rng(0).normal(size=50)), "float")
    assert meta["scale"] is None
    assert encoding.decode(np.array([0.123456789]), meta).tolist() == [0.123456789]


def test_booleans_keep_nulls():
    _, _, out = round_trip(pd.Series([True, False, True]), "boolean")
    assert out.dtype == bool and out.tolist() == [True, False, True]
    _, _, out = round_trip(pd.Series([True, None, False], dtype=object), "boolean")
    assert str(out.dtype) == "boolean" and out.isna().tolist() == [False, True, False]
    assert bool(out.iloc[0]) is True and bool(out.iloc[2]) is False


def test_categories_are_ordered_by_frequency_and_decode_to_the_original_values():
    series = pd.Series(["b", "a", "b", None, "c", "b", "a"])
    meta, values, out = round_trip(series, "categorical")
    assert meta["categories"] == ["b", "a", "c"]
    assert values[0] == 0 and np.isnan(values[3])
    assert out.tolist()[:3] == ["b", "a", "b"] and out.iloc[3] is None


def test_unseen_categories_encode_as_missing_and_codes_never_invent_a_value():
    meta = encoding.analyze(pd.Series(["x", "y"]), "categorical")
    assert np.isnan(encoding.encode(pd.Series(["z"]), meta)[0])
    out = encoding.decode(np.array([-3.0, 0.0, 1.0, 57.0]), meta)
    assert set(out) <= {"x", "y"}


def test_numeric_and_non_json_categories_come_back_as_themselves():
    _, _, out = round_trip(pd.Series([5, 7, 5], dtype="Int64"), "categorical")
    assert out.tolist() == [5, 7, 5] and out.dtype == np.int64
    dates = pd.Series([dt.date(2020, 1, 1), dt.date(2021, 6, 1)], dtype=object)
    _, _, out = round_trip(dates, "categorical")
    assert out.tolist() == dates.tolist()
    money = pd.Series([Decimal("1.10"), Decimal("2.00")], dtype=object)
    _, _, out = round_trip(money, "categorical")
    assert out.tolist() == [Decimal("1.10"), Decimal("2.00")]


def test_datetimes_keep_their_time_zone_and_resolution():
    stamps = pd.Series(pd.to_datetime(["2021-03-01 10:00:00", "2022-07-15 23:59:59", None]).tz_localize("UTC"))
    stamps = stamps.dt.tz_convert("Europe/Paris")
    meta, _, out = round_trip(stamps, "datetime")
    assert meta["tz"] == "Europe/Paris" and meta["resolution_us"] == 1_000_000
    assert str(out.dtype) == "datetime64[ns, Europe/Paris]"
    assert out.iloc[:2].tolist() == stamps.iloc[:2].tolist() and pd.isna(out.iloc[2])


def test_naive_datetimes_from_python_objects_decode_to_datetime64():
    series = pd.Series([dt.datetime(2020, 1, 2, 3, 4, 5, 600000), None], dtype=object)
    meta, _, out = round_trip(series, "datetime")
    assert str(out.dtype) == "datetime64[ns]"
    assert out.iloc[0] == pd.Timestamp("2020-01-02 03:04:05.6") and pd.isna(out.iloc[1])
    # decoding rounds synthetic values to the source resolution (here 0.1 s granularity -> ms)
    assert meta["resolution_us"] == 1000


def test_dates_decode_as_date_objects_even_far_in_the_future():
    series = pd.Series([dt.date(2020, 2, 29), None, dt.date(9999, 12, 31)], dtype=object)
    _, values, out = round_trip(series, "date")
    assert out.dtype == object
    assert out.tolist() == [dt.date(2020, 2, 29), None, dt.date(9999, 12, 31)]
    assert all(type(v) is dt.date for v in out.dropna())


def test_dates_from_timestamps_are_normalized_to_the_day():
    meta = encoding.analyze(pd.Series(pd.to_datetime(["2020-01-01 18:00", "2020-01-03 00:00"])), "date")
    out = encoding.decode(np.array([18262.4]), meta)
    assert out.tolist() == [dt.date(2020, 1, 1)]


def test_times_decode_as_time_objects_and_mysql_timedeltas_as_timedeltas():
    series = pd.Series([dt.time(8, 30), None, dt.time(23, 59, 59, 250000)], dtype=object)
    _, values, out = round_trip(series, "time")
    assert values[0] == 8.5 * 3600
    assert out.tolist() == [dt.time(8, 30), None, dt.time(23, 59, 59, 250000)]
    deltas = pd.Series(pd.to_timedelta(["01:00:00", "30:00:00"]))
    _, _, out = round_trip(deltas, "time")
    assert out.tolist() == deltas.tolist()


def test_empty_and_all_null_columns_do_not_crash():
    for kind in ("integer", "float", "decimal", "boolean", "categorical", "datetime", "date", "time"):
        for series in (pd.Series([], dtype=object), pd.Series([None, None], dtype=object)):
            meta = encoding.analyze(series, kind)
            json.dumps(meta, allow_nan=False)
            values = encoding.encode(series, meta)
            assert np.isnan(values).all()
            out = encoding.decode(np.full(3, np.nan), meta)
            assert len(out) == 3 and out.isna().all()


def test_an_unmodeled_kind_is_refused():
    with pytest.raises(ModelError):
        encoding.encode(pd.Series(["a@b.c"]), {"kind": "email"})


def test_prices_keep_their_endings():
    prices = pd.Series(np.round(np.random.default_rng(0).lognormal(3, 1, 500)) + 0.99)
    meta = encoding.analyze(prices, Kind.DECIMAL)
    assert meta["endings"] == [0.99]
    out = encoding.decode(np.array([0.5, 3.2, 3.6, 12.01, np.nan]), meta)
    assert out.iloc[:4].tolist() == [0.99, 2.99, 3.99, 11.99] and np.isnan(out.iloc[4])


def test_spread_out_endings_are_left_alone():
    amounts = pd.Series(np.round(np.random.default_rng(1).normal(50, 10, 500), 2))
    assert encoding.analyze(amounts, Kind.FLOAT)["endings"] is None
