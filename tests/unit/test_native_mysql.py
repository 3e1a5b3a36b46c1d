"""The text edits made to MariaDB/MySQL's own DDL: never inside a string or a body."""

from __future__ import annotations

from relsynth.schema.native_mysql import session_sql, trigger_unqualified, without_auto_increment, without_definer
from relsynth.schema.objects import POST, SchemaObject
from relsynth.write.mysql_objects import described, split_session, staged_sql

CHILD = """CREATE TABLE `child` (
  `id` int(11) NOT NULL AUTO_INCREMENT,
  `parent_id` int(11) DEFAULT NULL COMMENT 'REFERENCES `parent` here is text',
  `other` int(11) DEFAULT NULL,
  PRIMARY KEY (`id`),
  CONSTRAINT `child_parent` FOREIGN KEY (`parent_id`) REFERENCES `parent` (`id`) ON DELETE CASCADE,
  CONSTRAINT `child_other` FOREIGN KEY (`other`) REFERENCES `elsewhere`.`parent` (`id`),
  CONSTRAINT `positive` CHECK (`id` > 0)
) ENGINE=InnoDB AUTO_INCREMENT=17 DEFAULT CHARSET=utf8mb4 COMMENT='AUTO_INCREMENT=3'"""


def test_the_counter_option_goes_and_the_comment_stays() -> None:
    sql = without_auto_increment(CHILD)
    assert sql.endswith(") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COMMENT='AUTO_INCREMENT=3'")
    assert "`id` int(11) NOT NULL AUTO_INCREMENT," in sql


def test_staging_names_reach_the_table_and_its_references_only() -> None:
    staged = {"child": "_rs0a0b0c_child", "parent": "_rs0a0b0c_parent"}
    names = {"child_parent": None, "child_other": "child_other_0a0b0c"}
    sql = staged_sql(CHILD + ";", staged, lambda kind, name, table: names.get(name, name), "child")
    assert sql.startswith("CREATE TABLE `_rs0a0b0c_child` (")
    assert "  FOREIGN KEY (`parent_id`) REFERENCES `_rs0a0b0c_parent` (`id`) ON DELETE CASCADE," in sql  # server-named
    assert "CONSTRAINT `child_other_0a0b0c` FOREIGN KEY (`other`) REFERENCES `elsewhere`.`parent`" in sql
    assert "COMMENT 'REFERENCES `parent` here is text'" in sql
    assert "CONSTRAINT `positive` CHECK" in sql and not sql.endswith(";")


def test_definers_go_before_the_name_only() -> None:
    assert without_definer("CREATE ALGORITHM=UNDEFINED DEFINER=`root`@`%` SQL SECURITY DEFINER VIEW `v` AS "
                           "select 1") == "CREATE ALGORITHM=UNDEFINED SQL SECURITY DEFINER VIEW `v` AS select 1"
    assert without_definer("CREATE DEFINER=root@localhost TRIGGER t BEFORE INSERT ON x FOR EACH ROW "
                           "SET @a = 'DEFINER=`u`@`h`'") == \
        "CREATE TRIGGER t BEFORE INSERT ON x FOR EACH ROW SET @a = 'DEFINER=`u`@`h`'"
    assert without_definer("CREATE DEFINER=`app``s`@`10.0.0.%` PROCEDURE `p`() BEGIN END") == "CREATE PROCEDURE `p`() BEGIN END"
    assert without_definer("CREATE DEFINER=CURRENT_USER EVENT e ON SCHEDULE EVERY 1 DAY DO SET @a = 1") == \
        "CREATE EVENT e ON SCHEDULE EVERY 1 DAY DO SET @a = 1"


def test_the_session_line_and_the_one_statement_come_apart() -> None:
    line = session_sql({"sql_mode": "ANSI_QUOTES,O'DD", "character_set_client": "latin1",
                        "collation_connection": "latin1_swedish_ci"})
    assert line == "SET SESSION sql_mode = 'ANSI_QUOTES,O''DD', character_set_client = latin1, " \
                   "collation_connection = latin1_swedish_ci;"
    body = "CREATE PROCEDURE p()\nBEGIN\n  SELECT 1;\n  SELECT 2;\nEND"
    assert split_session(line + "\n" + body + ";") == (line, body)
    assert split_session("CREATE VIEW v AS select 1;") == (None, "CREATE VIEW v AS select 1")


def test_dropped_objects_are_named_by_kind() -> None:
    objects = [SchemaObject("VIEW", n, "", POST) for n in ("a", "b")] + [SchemaObject("TRIGGER", "t", "", POST)]
    assert described(objects) == "2 views (a, b), 1 trigger (t)"


def test_a_trigger_never_names_the_source_database() -> None:
    assert trigger_unqualified("CREATE TRIGGER `shop`.`t` BEFORE INSERT ON shop.orders FOR EACH ROW "
                               "INSERT INTO shop.log VALUES (1)") == \
        "CREATE TRIGGER `t` BEFORE INSERT ON orders FOR EACH ROW INSERT INTO shop.log VALUES (1)"
    plain = "CREATE TRIGGER t AFTER DELETE ON `film` FOR EACH ROW DELETE FROM film_text WHERE film_id = OLD.film_id"
    assert trigger_unqualified(plain) == plain
