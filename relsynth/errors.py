"""One error base: every failure a user can act on is a RelsynthError with a hint."""

from __future__ import annotations


class RelsynthError(Exception):
    """A failure the user can fix. ``hint`` says how; the CLI prints both on one line."""

    hint: str = ""

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        if hint is not None:
            self.hint = hint

    def __str__(self) -> str:
        message = super().__str__()
        return f"{message} (hint: {self.hint})" if self.hint else message


class ConfigError(RelsynthError):
    hint = "check the config file against `relsynth inspect URL -o config.yaml`"


class ConnectionFailed(RelsynthError):
    hint = "check the URL, that the server runs, and the credentials"


class SchemaError(RelsynthError):
    hint = "declare or exclude the offending relation in the config file (--config)"


class CycleError(SchemaError):
    """A NOT NULL self-reference: no row could be written before its parent."""

    def __init__(self, tables: list[str]) -> None:
        self.tables = tables
        super().__init__(
            "foreign-key cycle through a NOT NULL self-reference: " + " -> ".join(tables + tables[:1]),
            hint="exclude the table with `exclude:` in the config",
        )


class TargetError(RelsynthError):
    hint = "choose an empty target database, or pass --replace to overwrite its tables"


class ModelError(RelsynthError):
    hint = "run `relsynth inspect` to see the column kinds, and override the kind in the config"


class ArtifactError(RelsynthError):
    hint = "train again with `relsynth train SOURCE -o DIR`"


class UnsafeExpression(ArtifactError):
    """SQL a model carries (a check, a default, a native type) that is not one allowed expression."""

    hint = "train the model again from its source with `relsynth train SOURCE -o DIR`"


class Note(UserWarning):
    """Not a problem: how relsynth handles a shape of the source, shown as one ``info:`` line."""


class OversizedValue(RelsynthError):
    """A generated value longer than its VARCHAR(n) or wider than its NUMERIC(p, s): a bug of
    relsynth's, caught before any row of the table is written."""

    hint = "this is an internal error of relsynth: please report it with the column's type"
