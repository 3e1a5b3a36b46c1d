"""The report as one self-contained HTML page: inline CSS and SVG, no script, nothing fetched."""

from __future__ import annotations

from relsynth import __version__
from relsynth.report import svg
from relsynth.report.result import FAMILIES, IDEAL, TITLES, Report, TableReport
from relsynth.report.svg import esc, percent

TOP_PAIRS = 10          # worst column pairs and parent-child pairs listed per table
MAX_COLUMN_CHARTS = 60  # columns drawn per table (worst first); the rest are listed in a table
BASIS = {"ks": "1 − KS", "tvd": "1 − TVD", "length_ks": "1 − KS of lengths",
         "word_tvd": "1 − TVD of words", "null_share": "NULL share"}

CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;margin:0;color:#222;background:#f6f7f9}
main{max-width:1240px;margin:0 auto;padding:20px}
h1{margin:0 0 4px}h2{margin:0 0 8px;font-size:1.3em}h3{margin:16px 0 6px;font-size:1.05em}
.muted{color:#666;font-size:.9em}
.cards{display:flex;flex-wrap:wrap;gap:10px;margin:14px 0}
.card{background:#fff;border-radius:8px;padding:10px 14px;min-width:130px;box-shadow:0 1px 2px #0002}
.card .v{font-size:1.6em;font-weight:600}.card .t{font-size:.85em;color:#555}
section.table{background:#fff;border-radius:8px;padding:16px;margin:18px 0;box-shadow:0 1px 2px #0002}
table{border-collapse:collapse;font-size:.9em}td,th{padding:3px 8px;border-bottom:1px solid #eee;text-align:left}
th{background:#fafafa}td.n{text-align:right;font-variant-numeric:tabular-nums}
.grid{display:flex;flex-wrap:wrap;gap:12px}
.col{border:1px solid #eee;border-radius:6px;padding:6px 8px;width:392px}
.col .h{display:flex;justify-content:space-between;font-size:.9em;margin-bottom:2px}
.good{color:#1a7f37}.fair{color:#b26b00}.poor{color:#c62828}.na{color:#999}
td.good,td.fair,td.poor{font-weight:600}
.problems{background:#fff3cd;border-radius:6px;padding:8px 14px}
"""


def grade(family: str, value: float | None, baseline: float | None = None) -> str:
    """good / fair / poor: how far from the ideal (detection, DCR: distance from 0.5)."""
    if value is None:
        return "na"
    if family == "detection_auc":
        gap = abs(value - 0.5)
        return "good" if gap <= 0.1 else "fair" if gap <= 0.25 else "poor"
    if family == "dcr_share":
        gap = abs(value - 0.5)
        return "good" if gap <= 0.1 else "fair" if gap <= 0.2 else "poor"
    if family == "exact_match_share":
        excess = value - (baseline or 0.0)
        return "good" if excess <= 0.05 else "fair" if excess <= 0.2 else "poor"
    return "good" if value >= 0.9 else "fair" if value >= 0.75 else "poor"


def fmt(value: float | None, digits: int = 3) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def render(report: Report) -> str:
    overall = report.overall
    baseline = _mean_baseline(report)
    cards = "".join(
        f'<div class="card"><div class="t">{esc(TITLES[f])}</div>'
        f'<div class="v {grade(f, overall[f], baseline)}">{fmt(overall[f])}</div>'
        f'<div class="t">ideal {IDEAL[f]:g}</div></div>' for f in FAMILIES)
    problems = ""
    if report.problems:
        problems = '<div class="problems"><b>Problems</b><ul>' + "".join(
            f"<li>{esc(p)}</li>" for p in report.problems) + "</ul></div>"
    body = [
        "<header>",
        "<h1>relsynth report</h1>",
        f'<div class="muted">real <b>{esc(report.real)}</b> vs synthetic <b>{esc(report.synthetic)}</b> · '
        f"at most {report.max_rows:,} sampled rows per table · seed {report.seed} · "
        f"{report.seconds:.1f} s · relsynth {esc(__version__)}</div>",
        f'<div class="cards">{cards}</div>',
        problems,
        _summary_table(report),
        _real_values_summary(report),
        _definitions(),
        "</header>",
    ]
    body += [_table_section(i, t) for i, t in enumerate(report.tables)]
    return ("<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>relsynth report: {esc(report.synthetic)}</title>"
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<style>{CSS}</style></head><body><main>" + "\n".join(body) + "</main></body></html>\n")


def _mean_baseline(report: Report) -> float | None:
    values = [t.privacy.exact_match_baseline for t in report.tables if t.privacy.exact_match_baseline is not None]
    return sum(values) / len(values) if values else None


def _summary_table(report: Report) -> str:
    head = "".join(f"<th>{esc(TITLES[f])}</th>" for f in FAMILIES)
    rows = []
    for i, t in enumerate(report.tables):
        scores = t.scores
        cells = "".join(f'<td class="n {grade(f, scores[f], t.privacy.exact_match_baseline)}">{fmt(scores[f])}</td>'
                        for f in FAMILIES)
        rows.append(f'<tr><td><a href="#t{i}">{esc(t.name)}</a></td><td class="n">{t.rows_real:,}</td>'
                    f'<td class="n">{t.rows_synthetic:,}</td>{cells}</tr>')
    return (f"<table><tr><th>table</th><th>rows real</th><th>rows synthetic</th>{head}</tr>"
            + "".join(rows) + "</table>")


BASES = {"identity": "identity: any real value of its kind in the database",
         "rare": "a real value of the column fewer than k real rows hold",
         "quasi": "within a day of (or equal to) a value fewer than k real rows hold, beyond chance"}


def _real_values_summary(report: Report) -> str:
    """Every column where real values were found, over all tables (or that none was)."""
    found = report.real_values
    if report.pii_found is None:
        return ""
    if not found:
        return ('<h3>Exact real values</h3><p class="good">No real value of an identifying, quasi-identifying '
                "or free-text column was found in the synthetic database.</p>")
    return ('<h3>Exact real values</h3><p>Synthetic values equal to real ones (counted: what '
            f'<i>real values found</i> sums, <b class="{"good" if not report.pii_found else "poor"}">'
            f"{report.pii_found:,}</b> in all):</p>" + _real_values_table(found, with_table=True))


def _real_values_table(rows, *, with_table: bool) -> str:
    head = ("<tr>" + ("<th>table</th>" if with_table else "") + "<th>column</th><th>kind</th><th>basis</th>"
            "<th>checked</th><th>exact</th><th>case-folded</th><th>a day off</th><th>inside text</th>"
            "<th>by chance</th><th>counted</th><th>examples (masked)</th></tr>")
    body = []
    for table, c in rows:
        expected = "–" if c.expected is None else f"{c.expected:.1f}"
        body.append("<tr>" + (f"<td>{esc(table)}</td>" if with_table else "")
                    + f'<td>{esc(c.column)}</td><td>{esc(c.kind)}</td><td title="{esc(BASES.get(c.basis, ""))}">'
                    f'{esc(c.basis)}</td><td class="n">{c.checked:,}</td><td class="n">{c.exact:,}</td>'
                    f'<td class="n">{c.folded:,}</td><td class="n">{c.near:,}</td><td class="n">{c.inside:,}</td>'
                    f'<td class="n">{expected}</td>'
                    f'<td class="n {"good" if not c.counted else "poor"}">{c.counted:,}</td>'
                    f'<td>{esc(", ".join(c.examples))}</td></tr>')
    return f"<table>{head}{''.join(body)}</table>"


def _definitions() -> str:
    return ('<details><summary class="muted">How the scores are computed</summary><ul class="muted">'
            "<li><b>column shapes</b>: 1 − Kolmogorov–Smirnov distance (numbers, dates, times; NULL below every "
            "value), 1 − total variation distance (categories, booleans; NULL its own category); generated "
            "columns by the length of their values, free text (values mostly with spaces) also by its words (1 − TVD "
            "over the real column's 200 most frequent words found in 5 rows or more, the rest as one), nullable "
            "foreign keys by their NULL share.</li>"
            "<li><b>column pair trends</b>: 1 − |Spearman<sub>real</sub> − Spearman<sub>synthetic</sub>| / 2 for two "
            "numeric columns, else 1 − TVD of the joint distribution (numbers in real quantile bins).</li>"
            "<li><b>cardinality</b>: 1 − KS distance of children per parent (zeros included), per foreign key.</li>"
            "<li><b>parent-child trends</b>: the pair trend between each column and each column of its parent "
            "and grandparent, through the foreign keys.</li>"
            "<li><b>detection AUC</b>: cross-validated ROC AUC of a gradient-boosted classifier telling real rows "
            "from synthetic ones (parents' columns joined, children aggregated, free text through its length, "
            "its words and which of the real column's frequent words it holds); 0.5 = indistinguishable.</li>"
            "<li><b>exact-match share</b>: synthetic rows equal to a real row (modeled columns); the baseline is "
            "the same share among real rows (a 20% holdout against the rest).</li>"
            "<li><b>DCR share</b>: synthetic rows closer to a training part of the real rows than to an equally "
            "large holdout; 0.5 is right when the holdout was not used for training.</li>"
            "<li><b>exact real values</b>: per identifying, quasi-identifying and free-text column, the synthetic "
            "values equal to real ones, exactly or case-folded (phones, ids, cards by their digits; dates also a "
            "day off). Identities (e-mails, full names, phones, addresses, ids, organizations, secrets, URLs...) "
            "count when they equal any real value of their kind; free text, places and large categories when "
            "fewer than <i>k</i> real rows hold the value (a value k rows share is a common category, not a "
            "leak); quasi-identifiers when fewer than k real rows lie within a day, beyond the level that real "
            "rows reach among themselves by chance. A lone first or last name is not counted; a row's first "
            "and last name together are, beyond what the synthetic first and last names paired at random would "
            "meet. Examples are masked.</li></ul></details>")


def _table_section(index: int, t: TableReport) -> str:
    scores = t.scores
    line = " · ".join(f'{esc(TITLES[f])} <b class="{grade(f, scores[f], t.privacy.exact_match_baseline)}">'
                      f"{fmt(scores[f])}</b>" for f in FAMILIES if scores[f] is not None)
    parts = [f'<section class="table" id="t{index}"><h2>{esc(t.name)}</h2>',
             f'<div class="muted">{t.rows_real:,} real rows, {t.rows_synthetic:,} synthetic rows</div>',
             f"<p>{line}</p>"]
    parts.append(_columns(t))
    if t.correlations is not None:
        c = t.correlations
        parts.append("<h3>Correlations (Spearman)</h3><div class=\"grid\">"
                     + svg.heatmap(c.columns, c.real, title="real")
                     + svg.heatmap(c.columns, c.synthetic, title="synthetic") + "</div>")
    if t.pairs:
        parts.append(f"<h3>Column pairs, worst {min(TOP_PAIRS, len(t.pairs))} of {len(t.pairs)}</h3>")
        parts.append(_pair_table([(f"{p.columns[0]} × {p.columns[1]}", "", p.score, p.corr_real, p.corr_synthetic)
                                  for p in t.pairs[:TOP_PAIRS]], via=False))
    if t.cardinality:
        parts.append('<h3>Children per parent</h3><div class="grid">')
        for c in t.cardinality:
            parts.append(f'<div class="col"><div class="h"><span>{esc(c.foreign_key)}</span>'
                         f'<b class="{grade("cardinality", c.score)}">{fmt(c.score)}</b></div>'
                         f'<div class="muted">mean {c.mean_real:.2f} real, {c.mean_synthetic:.2f} synthetic; '
                         f"max {c.max_real} / {c.max_synthetic}</div>"
                         + svg.vertical_bars(c.histogram, title=f"children per parent: {c.foreign_key}",
                                             every_label=True) + "</div>")
        parts.append("</div>")
    if t.parent_child:
        parts.append(f"<h3>Parent-child trends, worst {min(TOP_PAIRS, len(t.parent_child))} "
                     f"of {len(t.parent_child)}</h3>")
        parts.append(_pair_table([(f"{link.column} × {link.ancestor}", " → ".join(link.via), link.score,
                                   link.corr_real, link.corr_synthetic) for link in t.parent_child[:TOP_PAIRS]],
                                 via=True))
    parts.append(_detection_privacy(t))
    parts.append("</section>")
    return "\n".join(parts)


def _columns(t: TableReport) -> str:
    if not t.columns:
        return ""
    cards = []
    for c in t.columns[:MAX_COLUMN_CHARTS]:
        chart = ""
        if c.histogram is not None:
            title = f"{t.name}.{c.name}"
            chart = (svg.horizontal_bars(c.histogram, title=title) if c.basis in ("tvd", "word_tvd")
                     else svg.vertical_bars(c.histogram, title=title))
        basis = BASIS[c.basis]
        cards.append(f'<div class="col"><div class="h"><span><b>{esc(c.name)}</b> '
                     f'<span class="muted">{esc(c.kind)} · {esc(basis)}</span></span>'
                     f'<b class="{grade("column_shapes", c.score)}">{fmt(c.score)}</b></div>'
                     f'<div class="muted">NULL {percent(c.null_real)} real, {percent(c.null_synthetic)} synthetic</div>'
                     f"{chart}</div>")
    rest = ""
    if len(t.columns) > MAX_COLUMN_CHARTS:
        rest = "<p class=\"muted\">Not drawn: " + ", ".join(
            f"{esc(c.name)} {fmt(c.score)}" for c in t.columns[MAX_COLUMN_CHARTS:]) + "</p>"
    return '<h3>Columns, worst first</h3><div class="grid">' + "".join(cards) + "</div>" + rest


def _pair_table(rows: list[tuple[str, str, float, float | None, float | None]], *, via: bool) -> str:
    head = "<tr><th>columns</th>" + ("<th>via</th>" if via else "") + \
        "<th>score</th><th>Spearman real</th><th>Spearman synthetic</th></tr>"
    body = "".join(
        f"<tr><td>{esc(name)}</td>" + (f'<td class="muted">{esc(path)}</td>' if via else "")
        + f'<td class="n {grade("column_pairs", score)}">{fmt(score)}</td>'
        f'<td class="n">{fmt(cr, 2)}</td><td class="n">{fmt(cs, 2)}</td></tr>'
        for name, path, score, cr, cs in rows)
    return f"<table>{head}{body}</table>"


def _detection_privacy(t: TableReport) -> str:
    d, p = t.detection, t.privacy
    if d is None:
        detection = '<span class="na">not computed (too few rows or no comparable columns)</span>'
    else:
        detection = (f'AUC <b class="{grade("detection_auc", d.auc)}">{d.auc:.3f}</b> ± {d.auc_std:.3f} '
                     f"({d.folds} folds, {d.features} features, {d.rows_real:,} real and "
                     f"{d.rows_synthetic:,} synthetic rows; ideal 0.5)")
    if p.exact_match_share is None:
        privacy = '<span class="na">no modeled columns to compare</span>'
    else:
        exact = grade("exact_match_share", p.exact_match_share, p.exact_match_baseline)
        privacy = (f'exact-match share <b class="{exact}">{fmt(p.exact_match_share)}</b> '
                   f"(real baseline {fmt(p.exact_match_baseline)})")
        if p.dcr_share is not None:
            if p.quasi_near is not None:
                privacy += (f' · rows near a real person few are near <b class="{"good" if not p.quasi_near else "poor"}">'
                            f"{p.quasi_near}</b>")
            if p.nndr_median is not None:
                privacy += f' · NNDR median {fmt(p.nndr_median)} (real rows: {fmt(p.nndr_real_median)})'
            privacy += (f' · DCR share <b class="{grade("dcr_share", p.dcr_share)}">{fmt(p.dcr_share)}</b> '
                        f"(ideal 0.5) · median distance to closest record: synthetic {fmt(p.dcr_synthetic_median)}, "
                        f"real holdout {fmt(p.dcr_real_median)}")
    if p.pii_found is not None:   # whatever the table's size: northwind's 9 employees leaked too
        privacy += (f' · real identifying values found <b class="{"good" if not p.pii_found else "poor"}">'
                    f"{p.pii_found}</b>")
    real = ""
    if p.real_values:
        real = ("<h3>Exact real values</h3>"
                + _real_values_table([(t.name, c) for c in p.real_values], with_table=False))
    return f"<h3>Detection</h3><p>{detection}</p><h3>Privacy</h3><p>{privacy}</p>{real}"
