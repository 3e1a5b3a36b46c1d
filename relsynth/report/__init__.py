"""``relsynth report REAL SYNTH``: how close a synthetic database is to the real one.

```python
from relsynth.report import build_report
report = build_report("fixtures/shop.sqlite", "shop.synth.sqlite", seed=0)
report.summary_rows()          # [(table, metric, score), ...], "(overall)" first
report.to_dict()               # JSON-able
report.write_html("report.html")
```

Modules: ``load`` (both databases, read-only) → ``values`` (comparable columns) → ``metrics``
(scores on arrays), ``relational`` (joins, children counts, detection features), ``detection``,
``privacy``, ``leaks`` (the exact real values found per column) → ``build`` (per table) → ``result``
(frozen report) → ``charts``/``svg``/``html``.
"""

from relsynth.report.build import build_report
from relsynth.report.result import FAMILIES, IDEAL, Report, TableReport

__all__ = ["FAMILIES", "IDEAL", "Report", "TableReport", "build_report"]
