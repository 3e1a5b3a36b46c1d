"""Environment variables that name databases; a module of its own so the CLI can declare them
without loading SQLAlchemy (``relsynth --help`` stays fast)."""

SOURCE_ENV = "RELSYNTH_SOURCE_URL"
TARGET_ENV = "RELSYNTH_TARGET_URL"
