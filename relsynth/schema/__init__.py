"""The database's shape as plain frozen values: reflected once, edited in YAML, planned from."""

from relsynth.schema.model import Column, ForeignKey, Schema, Table, TableKey, UniqueConstraint, CheckConstraint
from relsynth.schema.kinds import Kind

__all__ = ["Column", "ForeignKey", "Schema", "Table", "TableKey", "UniqueConstraint", "CheckConstraint", "Kind"]
