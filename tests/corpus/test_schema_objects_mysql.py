"""Sakila and employees cloned MariaDB -> MariaDB keep every schema object exactly (issue 14):
the clone's ``mysqldump --no-data --routines --triggers --events`` is the source's, line for line
(AUTO_INCREMENT counters and definers aside), and every constraint check passes there.

sakila: 16 tables with non-unique indexes, ON UPDATE CASCADE keys, ON UPDATE CURRENT_TIMESTAMP,
a FULLTEXT index, 7 views (some on others), 3 functions, 3 procedures, 6 triggers;
employees: ON DELETE CASCADE keys, 4 views (one on another), 5 functions, 2 procedures.
"""

from __future__ import annotations

import pytest

from relsynth import api
from tests.conftest import MARIADB_URL_ENV, fresh_database
from tests.integration.test_mysql_objects import PREFIX
from tests.schema_dumps import mysql_objects, mysql_schema

pytestmark = pytest.mark.mariadb


@pytest.mark.parametrize("name", ["sakila", "employees"])
def test_a_clone_has_the_sources_objects_exactly(corpus_url, name):
    source = corpus_url(name)
    with fresh_database(MARIADB_URL_ENV, prefix=PREFIX) as target:
        result = api.clone(source, target, seed=1)
        failed = [c for c in result.checks if not c.passed]
        assert not failed, failed[:5]
        assert mysql_objects(target) == mysql_objects(source)
        assert mysql_schema(target) == mysql_schema(source)
