"""SQLite targets behave like the servers (issue 11, part 3): any file name opens that very file
(read-only for a source), ``--replace`` replaces this schema's tables only, a second writer is
refused, SIGTERM is Ctrl-C, and what a killed run left is cleaned up by the next one."""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from tests.security.conftest import FIXTURES, relsynth

ODD = "a?b#c%41 d.sqlite"


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def sqlite_tables(path: Path) -> list[str]:
    """The file's tables (sqlite3 with a plain file name: '?' and '#' are part of it)."""
    con = sqlite3.connect(path)
    try:
        return sorted(r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'"))
    finally:
        con.close()


def _with_other_table(path: Path) -> None:
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE keepme (note TEXT)")
    con.execute("INSERT INTO keepme VALUES ('mine')")
    con.commit()
    con.close()


def test_a_file_name_with_question_mark_hash_and_percent_opens_that_very_file(tmp_path):
    source, target = tmp_path / ODD, tmp_path / ("out " + ODD)
    shutil.copy(FIXTURES / "company.sqlite", source)
    before = _digest(source)
    out = relsynth("clone", str(source), str(target), "-q")
    assert out.returncode == 0, out.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([source.name, target.name])
    assert _digest(source) == before
    assert sqlite_tables(target) == ["departments", "employees"]


def test_replace_keeps_the_tables_of_the_file_that_are_not_in_the_schema(tmp_path):
    target = tmp_path / "t.sqlite"
    _with_other_table(target)
    first = relsynth("clone", str(FIXTURES / "company.sqlite"), str(target), "-q", "--replace")
    again = relsynth("clone", str(FIXTURES / "company.sqlite"), str(target), "-q", "--replace", "--seed", "2")
    assert first.returncode == 0 and again.returncode == 0, first.stderr + again.stderr
    assert sqlite_tables(target) == ["departments", "employees", "keepme"]
    con = sqlite3.connect(target)
    assert con.execute("SELECT note FROM keepme").fetchall() == [("mine",)]
    con.close()


def test_a_run_holding_the_lock_refuses_a_second_writer(tmp_path):
    target = tmp_path / "locked.sqlite"
    with open(str(target) + ".relsynth-lock", "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        out = relsynth("clone", str(FIXTURES / "company.sqlite"), str(target), "-q")
    assert out.returncode == 1 and "another relsynth run is writing" in out.stderr, out.stderr
    assert not target.exists()


def test_sigterm_is_handled_like_ctrl_c_and_leaves_the_target_as_it_was(tmp_path):
    target = tmp_path / "t.sqlite"
    _with_other_table(target)
    before = _digest(target)
    started = time.monotonic()
    # scaled up so the write lasts; the signal goes as soon as the write holds its lock (a fixed
    # delay landed after the end once startup got faster)
    run = subprocess.Popen([sys.executable, "-m", "relsynth.cli", "clone", str(FIXTURES / "company.sqlite"),
                            str(target), "--replace", "-q", "--scale", "20"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lock = Path(str(target) + ".relsynth-lock")
    while not lock.exists() and run.poll() is None and time.monotonic() - started < 120:
        time.sleep(0.005)
    run.send_signal(signal.SIGTERM)
    code, err = run.wait(timeout=120), run.stderr.read()
    assert code == 143, (code, err, time.monotonic() - started)
    assert "interrupted: the target was left as it was" in err
    assert _digest(target) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.sqlite"]


def test_sigterm_while_starting_up_exits_143_with_nothing_written(tmp_path):
    target = tmp_path / "t.sqlite"
    _with_other_table(target)
    before = _digest(target)
    run = subprocess.Popen([sys.executable, "-m", "relsynth.cli", "clone", str(FIXTURES / "company.sqlite"),
                            str(target), "--replace", "-q"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(0.2)         # still importing
    run.send_signal(signal.SIGTERM)
    code, err = run.wait(timeout=120), run.stderr.read()
    assert code == 143 and "interrupted: the target was left as it was" in err, (code, err)
    assert _digest(target) == before


def test_the_leftovers_of_a_killed_run_are_removed_by_the_next_with_a_line_saying_so(tmp_path):
    target = tmp_path / "t.sqlite"
    # what a run killed with -9 leaves: its lock file (the kernel released the lock), a temp file
    # of the former whole-file writer, and a hot journal of a transaction never committed
    (tmp_path / "t.sqlite.relsynth-lock").write_text("12345")
    (tmp_path / ".t.sqlite.0badc0de.relsynth-tmp").write_bytes(os.urandom(3 * 2**20))
    _with_other_table(target)
    killed = subprocess.run([sys.executable, "-c", (
        "import os, sqlite3, sys\n"
        "con = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
        "con.execute('BEGIN IMMEDIATE')\n"
        "con.execute('DELETE FROM keepme')\n"
        "con.execute('CREATE TABLE half (x)')\n"
        "con.executemany('INSERT INTO half VALUES (?)', [(b'x' * 1000,)] * 5000)\n"
        "os.kill(os.getpid(), 9)\n"), str(target)])
    assert killed.returncode == -9 and (tmp_path / "t.sqlite-journal").exists()
    out = relsynth("clone", str(FIXTURES / "company.sqlite"), str(target), "-q", "--replace")
    assert out.returncode == 0, out.stderr
    assert "an earlier relsynth run writing" in out.stderr and "was killed" in out.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.sqlite"]
    assert sqlite_tables(target) == ["departments", "employees", "keepme"]
    con = sqlite3.connect(target)
    assert con.execute("SELECT note FROM keepme").fetchall() == [("mine",)]
    con.close()
