"""A model directory is untrusted input: `relsynth generate` on a crafted one refuses it in one
line, exit 1, before the target is touched; nothing outside the directory is read.

Each test damages a genuine model the way an attacker (or a bad copy) would.
"""

from __future__ import annotations

import json
import os
import resource

import numpy as np
import pytest

from tests.security.conftest import relsynth, snapshot

DAMAGED = "is damaged or not a relsynth model"


def refused(crafted, tmp_path, *expected: str) -> str:
    """Run generate into a new SQLite file; assert the clean refusal and an untouched disk."""
    before = snapshot(tmp_path)
    target = tmp_path / "target.sqlite"
    out = relsynth("generate", str(crafted.path), str(target))
    assert out.returncode == 1, out.stdout + out.stderr
    lines = [line for line in out.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), out.stderr
    assert "Traceback" not in out.stderr
    for text in expected:
        assert text in lines[0], lines[0]
    assert not target.exists()
    assert snapshot(tmp_path) == before
    return lines[0]


def test_the_genuine_model_generates(crafted, tmp_path):
    out = relsynth("generate", str(crafted.path), str(tmp_path / "target.sqlite"))
    assert out.returncode == 0, out.stderr


@pytest.mark.parametrize("where", ["../outside/stolen", "/etc/passwd", "t000.model"])
def test_file_names_never_come_from_the_json(crafted, tmp_path, where):
    outside = tmp_path / "outside"
    outside.mkdir()
    np.savez(outside / "stolen.npz", offsets=np.zeros(1))
    (outside / "stolen.json").write_text('{"family": "trees", "format": 1, "meta": {}}')

    def point_away(m):
        m["tables"]["orders"]["model"] = where
    crafted.edit_manifest(point_away)
    refused(crafted, tmp_path, DAMAGED, "orders")


def test_a_retained_path_is_never_followed(crafted, tmp_path):
    crafted.edit_manifest(lambda m: m["tables"]["coupons"].update(retained="/etc/passwd"))
    refused(crafted, tmp_path, DAMAGED, "coupons")


def test_a_symlinked_file_is_refused(crafted, tmp_path):
    stem = crafted.stem("orders")
    secret = tmp_path / "secret.json"
    secret.write_text((crafted.path / f"{stem}.model.json").read_text())
    (crafted.path / f"{stem}.model.json").unlink()
    (crafted.path / f"{stem}.model.json").symlink_to(secret)
    refused(crafted, tmp_path, DAMAGED, f"{stem}.model.json")


def test_a_zip_bomb_is_refused_before_it_inflates(crafted, tmp_path):
    crafted.bomb(f"{crafted.stem('orders')}.model.npz", "offsets", gigabytes=4.4)
    assert (crafted.path / f"{crafted.stem('orders')}.model.npz").stat().st_size < 10 * 2**20
    refused(crafted, tmp_path, DAMAGED, "inflates")
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    assert peak_kb < 2 * 2**20, f"a child process peaked at {peak_kb / 2**20:.1f} GiB"


def test_a_small_bomb_is_refused_by_its_ratio(crafted, tmp_path):
    crafted.bomb(f"{crafted.stem('orders')}.model.npz", "offsets", gigabytes=0.2)
    refused(crafted, tmp_path, DAMAGED, "inflates")


def test_a_huge_row_count_is_refused_before_memory_runs_out(crafted, tmp_path):
    crafted.edit_manifest(lambda m: crafted.schema_table(m, "customers").update(row_count=10**12))
    line = refused(crafted, tmp_path, "customers")
    assert "GiB" in line and "--scale" in line


def test_a_row_count_that_is_not_a_count_is_refused(crafted, tmp_path):
    crafted.edit_manifest(lambda m: crafted.schema_table(m, "customers").update(row_count=1e12))
    refused(crafted, tmp_path, DAMAGED, "row count")


@pytest.mark.parametrize("dtype", ["float64", "<U8"])
def test_arrays_of_the_wrong_dtype_are_refused(crafted, tmp_path, dtype):
    stem = crafted.stem("orders")
    name = next(k for k in crafted.arrays(f"{stem}.model.npz") if k.endswith(".left"))
    crafted.edit_array(f"{stem}.model.npz", name, lambda a: a.astype(dtype))
    refused(crafted, tmp_path, DAMAGED, stem)


def test_out_of_range_tree_indices_are_refused(crafted, tmp_path):
    stem = crafted.stem("orders")
    arrays = crafted.arrays(f"{stem}.model.npz")
    name = max((k for k in arrays if k.endswith(".left")), key=lambda k: arrays[k].size)
    assert arrays[name].size > 1  # a tree with inner nodes

    def far(a):
        a = a.copy()
        a[0] = 10**6
        return a
    crafted.edit_array(f"{stem}.model.npz", name, far)
    refused(crafted, tmp_path, DAMAGED, "is not a tree")


def test_out_of_range_donor_slices_are_refused(crafted, tmp_path):
    stem = crafted.stem("orders")
    name = next(k for k in crafted.arrays(f"{stem}.model.npz") if k.endswith(".start"))
    crafted.edit_array(f"{stem}.model.npz", name, lambda a: a + 10**9)
    refused(crafted, tmp_path, DAMAGED, "donor")


def test_a_plan_step_removed_is_refused(crafted, tmp_path):
    def drop_reviews(m):
        m["plan"]["steps"] = [s for s in m["plan"]["steps"] if s["table"] != "product_reviews"]
        del m["tables"]["product_reviews"]
    crafted.edit_manifest(drop_reviews)
    refused(crafted, tmp_path, DAMAGED, "product_reviews")


def test_a_plan_out_of_order_is_refused(crafted, tmp_path):
    crafted.edit_manifest(lambda m: m["plan"]["steps"].reverse())
    refused(crafted, tmp_path, DAMAGED, "before its parent")


def test_another_format_version_is_refused(crafted, tmp_path):
    crafted.edit_manifest(lambda m: m.update(format=99, relsynth="9.9.9"))
    refused(crafted, tmp_path, DAMAGED, "format 99", "train it again")


def test_a_model_file_of_another_format_is_refused(crafted, tmp_path):
    crafted.edit_model_meta("orders", lambda d: d.update(format=7))
    refused(crafted, tmp_path, DAMAGED, "format 7")


def test_an_unknown_family_is_refused(crafted, tmp_path):
    crafted.edit_manifest(lambda m: m["tables"]["orders"].update(family="os"))
    refused(crafted, tmp_path, DAMAGED, "'os'")


def test_a_model_file_of_another_family_is_refused(crafted, tmp_path):
    crafted.edit_model_meta("orders", lambda d: d.update(family="gan"))
    refused(crafted, tmp_path, DAMAGED, "'gan'", "'trees'")


def test_a_foreign_key_to_a_missing_column_is_refused(crafted, tmp_path):
    def bad_fk(m):
        table = crafted.schema_table(m, "orders")
        table["foreign_keys"][0]["parent_columns"] = ["nope"]
    crafted.edit_manifest(bad_fk)
    refused(crafted, tmp_path, DAMAGED, "orders")


def test_a_manifest_that_is_not_json_is_refused(crafted, tmp_path):
    (crafted.path / "relsynth.json").write_bytes(os.urandom(512))
    refused(crafted, tmp_path, DAMAGED, "relsynth.json")


@pytest.mark.parametrize("family", ["gan", "autoregressive"])
def test_a_crafted_network_size_allocates_nothing(tmp_path, family):
    """A neural family's layer width comes from its JSON: a width of a million is refused before
    the network is built (it would need terabytes), by comparing it with the stored weights."""
    import pandas as pd

    from relsynth.models import get_family
    from relsynth.models.base import load_model, save_model
    from relsynth.schema.kinds import Kind
    from relsynth.workspace import DamagedModel

    rng = np.random.default_rng(0)
    table = pd.DataFrame({"kind": rng.choice(["a", "b"], 200), "amount": rng.normal(10, 2, 200)})
    small = {"gan": {"min_steps": 2, "max_steps": 2, "width": 8},
             "autoregressive": {"target_steps": 2, "min_epochs": 1, "max_epochs": 1, "width": 8}}[family]
    model = get_family(family)(**small)
    model.fit(table, kinds={"kind": Kind.CATEGORICAL, "amount": Kind.FLOAT}, rng=rng)
    save_model(model, tmp_path, "m")
    document = json.loads((tmp_path / "m.json").read_text())
    document["meta"]["params"]["width"] = 10**6
    (tmp_path / "m.json").write_text(json.dumps(document))
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(DamagedModel, match="weights do not fit"):
        load_model(tmp_path, "m")
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 200 * 2**10  # KiB


def test_network_weights_that_are_not_numbers_are_refused(tmp_path):
    """NaN weights made the autoregressive sampler crash in torch.multinomial (found by fuzzing)."""
    import pandas as pd

    from relsynth.models.autoregressive import AutoregressiveModel
    from relsynth.models.base import load_model, save_model
    from relsynth.schema.kinds import Kind
    from relsynth.workspace import DamagedModel

    rng = np.random.default_rng(0)
    table = pd.DataFrame({"kind": rng.choice(["a", "b"], 200)})
    model = AutoregressiveModel(target_steps=2, min_epochs=1, max_epochs=1, width=8)
    model.fit(table, kinds={"kind": Kind.CATEGORICAL}, rng=rng)
    save_model(model, tmp_path, "m")
    with np.load(tmp_path / "m.npz") as stored:
        arrays = {k: stored[k] for k in stored.files}
    head = next(k for k in arrays if k.startswith("net.") and k.endswith("bias"))
    arrays[head] = arrays[head] * np.nan
    np.savez_compressed(tmp_path / "m.npz", **arrays)
    with pytest.raises(DamagedModel, match="not numbers"):
        load_model(tmp_path, "m")
