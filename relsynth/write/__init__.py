"""Writing the synthetic database into a target, all-or-nothing, and checking it there."""

from relsynth.write.target import write_database
from relsynth.write.verify import Check, verify_database

__all__ = ["write_database", "verify_database", "Check"]
