"""The key of the digests a model compares generated values with, and its public fingerprint.

A model keeps keyed 64-bit digests of real values (so a fake that happens to equal a real
e-mail, or a row on a rare combination of quasi-identifiers, is drawn again). Stored next to its
key, a digest is the value: a dictionary of names or every birth date finds it in minutes. So the
key is never written anywhere. It comes from the run's secret salt (``RELSYNTH_SALT``, the one
``relsynth mask`` uses) when one is set, and is random otherwise:

* ``relsynth clone`` trains and generates in one process: the checks always run;
* ``relsynth train`` + ``generate``: with the same salt set for both, ``generate`` derives the key
  again and runs the checks; without a salt the digests would be useless, so none are written.

The manifest keeps only a fingerprint of the key (a different keyed hash of a constant), so a wrong
salt is told apart from a right one; it reveals nothing about the key.
"""

from __future__ import annotations

import base64
import hashlib
import secrets

KEY_CHARS = 16   # pandas' hash_key: 16 bytes


def run_key(salt: bytes | None) -> str:
    """The digest key of a run: derived from ``salt``, or random when there is none."""
    raw = (hashlib.blake2b(salt, digest_size=12, person=b"relsynth-digest").digest() if salt
           else secrets.token_bytes(12))
    return base64.urlsafe_b64encode(raw).decode()   # 16 ASCII characters


def fingerprint(key: str) -> str:
    """A public check that a key is the one a model was trained with."""
    return hashlib.blake2b(b"relsynth digest key", key=key.encode(), digest_size=8).hexdigest()


__all__ = ["KEY_CHARS", "run_key", "fingerprint"]
