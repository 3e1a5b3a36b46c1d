"""Output paths that cannot be written fail before any reading or training, in one line
(issue 11, part 3), not with an OSError after the whole run."""

from __future__ import annotations

import time

from tests.security.conftest import FIXTURES, relsynth

COMPANY = str(FIXTURES / "company.sqlite")


def test_missing_or_read_only_output_paths_fail_up_front_in_one_line(tmp_path):
    missing = tmp_path / "no" / "such"
    read_only = "/proc"          # exists, and no one (root included) can create files in it
    (tmp_path / "stuff").mkdir()
    (tmp_path / "stuff" / "notes.txt").write_text("mine")
    runs = {
        "train into a missing folder": (["train", COMPANY, "-o", str(missing / "model")], "does not exist"),
        "train into a read-only folder": (["train", COMPANY, "-o", f"{read_only}/model"], "cannot be written"),
        "train into another folder's files": (["train", COMPANY, "-o", str(tmp_path / "stuff")], "not empty"),
        "inspect -o into a missing folder": (["inspect", COMPANY, "-o", str(missing / "c.yaml")], "does not exist"),
        "report -o into a read-only folder": (["report", COMPANY, COMPANY, "-o", f"{read_only}/r.html"],
                                              "cannot be written"),
        "report --json into a missing folder": (["report", COMPANY, COMPANY, "--json", str(missing / "r.json")],
                                                "does not exist"),
        "impute into a missing folder": (["impute", COMPANY, str(missing / "e.csv"), "-t", "employees"],
                                         "does not exist"),
    }
    problems = []
    for label, (args, says) in runs.items():
        started = time.monotonic()
        out = relsynth(*args, "-q") if args[0] in ("train", "impute") else relsynth(*args)
        lines = [ln for ln in out.stderr.splitlines() if ln.strip()]
        if out.returncode != 1 or len(lines) != 1 or says not in out.stderr or not lines[0].startswith("error:"):
            problems.append(f"{label}: exit {out.returncode}, {out.stderr.strip()[-300:]!r}")
        if "Traceback" in out.stderr or time.monotonic() - started > 15:
            problems.append(f"{label}: not refused up front")
    assert not problems, "\n".join(problems)
    assert not (tmp_path / "no").exists()
    assert sorted(p.name for p in (tmp_path / "stuff").iterdir()) == ["notes.txt"]
