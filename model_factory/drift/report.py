"""The outcome of a monitor run: checks, verdict, metrics JSON, terminal table, HTML page."""

from datetime import UTC, datetime
from html import escape
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure
from rich.table import Table

from model_factory import plots
from model_factory.config import StrictModel
from model_factory.drift.compare import Check
from model_factory.drift.profile import ReferenceProfile
from model_factory.paths import output_dir
from model_factory.use_case import UseCase

MAX_PLOTS = 6


class DriftReport(StrictModel):
    use_case: str
    model: str
    model_version: str
    source: str  # where the batch came from
    n_rows: int
    reference_rows: int
    checks: list[Check]
    created: str = ""

    @property
    def drifted(self) -> bool:
        return any(check.drifted for check in self.checks)

    @property
    def drifted_checks(self) -> list[str]:
        return [check.name for check in self.checks if check.drifted]

    @property
    def performance_drop(self) -> float | None:
        found = [c.value for c in self.checks if c.kind == "performance"]
        return found[0] if found else None

    def metrics(self) -> dict:
        """The metrics JSON: verdict, what drifted, per-check statistics, performance drop."""
        return {
            "use_case": self.use_case,
            "model": self.model,
            "model_version": self.model_version,
            "source": self.source,
            "n_rows": self.n_rows,
            "drifted": self.drifted,
            "drifted_checks": self.drifted_checks,
            "performance_drop": self.performance_drop,
            "checks": {
                c.name: {
                    "kind": c.kind,
                    "statistic": c.statistic,
                    "value": c.value,
                    "threshold": c.threshold,
                    "test": c.test,
                    "p_value": c.p_value,
                    "drifted": c.drifted,
                }
                for c in self.checks
            },
        }

    def summary(self) -> dict:
        """What the model version records per monitor run (small: ZenML caps metadata size)."""
        return {
            "created": self.created,
            "source": self.source,
            "n_rows": self.n_rows,
            "drifted": self.drifted,
            "drifted_checks": self.drifted_checks[:20],
            "performance_drop": self.performance_drop,
        }


def html_path(use_case: str) -> Path:
    return output_dir(use_case) / "drift_report.html"


def new_report(
    use_case: UseCase,
    profile: ReferenceProfile,
    checks: list[Check],
    version: str,
    source: str,
    n_rows: int,
) -> DriftReport:
    """The report on a batch of `n_rows` rows from `source`, checked against the profile of the
    use case's model `version`."""
    return DriftReport(
        use_case=use_case.name,
        model=use_case.model_name,
        model_version=version,
        source=source,
        n_rows=n_rows,
        reference_rows=profile.n_rows,
        checks=checks,
        created=datetime.now(UTC).isoformat(timespec="seconds"),
    )


def table(report: DriftReport) -> Table:
    """The checks as a terminal table: statistic, threshold, test p-value, verdict."""
    out = Table(
        title=f"drift of {report.model} version {report.model_version} on {report.source} "
        f"({report.n_rows:,} rows)"
    )
    for column in (
        "check",
        "kind",
        "statistic",
        "value",
        "threshold",
        "test",
        "p-value",
        "verdict",
    ):
        out.add_column(
            column, justify="right" if column in {"value", "threshold", "p-value"} else "left"
        )
    for c in report.checks:
        out.add_row(
            c.name,
            c.kind,
            c.statistic,
            f"{c.value:.4f}",
            f"{c.threshold:g}",
            c.test or "-",
            "-" if c.p_value is None else f"{c.p_value:.2g} (<{c.p_threshold:g})",
            "[bold red]DRIFT[/]" if c.drifted else "ok",
        )
    return out


def figure(report: DriftReport) -> Figure:
    """Each check's statistic against its threshold, then reference vs batch of the
    distributions (shares per bin; weekly profiles: residual per weekday) that moved most."""
    shown = sorted(
        (c for c in report.checks if c.bins and c.kind != "performance"),
        key=lambda c: c.value / c.threshold,
        reverse=True,
    )[:MAX_PLOTS]
    rows = 1 + (len(shown) + 2) // 3
    fig = Figure(figsize=(15, 3.2 + 3.4 * (rows - 1)), layout="constrained")
    grid = fig.add_gridspec(rows, 3)
    overview = fig.add_subplot(grid[0, :])
    ratio = [c.value / c.threshold for c in report.checks]
    colours = ["crimson" if c.drifted else "0.6" for c in report.checks]
    overview.bar(range(len(ratio)), ratio, color=colours)
    overview.axhline(1.0, color="black", linewidth=0.8, linestyle="--")
    overview.set_xticks(
        range(len(ratio)), [c.name for c in report.checks], rotation=60, ha="right", fontsize=7
    )
    overview.set_ylabel("statistic / threshold")
    verdict = "DRIFT" if report.drifted else "no drift"
    overview.set_title(
        f"{report.model} version {report.model_version}: {verdict} "
        f"(red: drifted; a drift also needs its p-value below threshold)"
    )
    for index, check in enumerate(shown):
        ax = fig.add_subplot(grid[1 + index // 3, index % 3])
        x = np.arange(len(check.bins))
        ax.bar(x - 0.2, check.reference, width=0.4, label="reference", color="0.6")
        ax.bar(
            x + 0.2,
            check.batch,
            width=0.4,
            label="batch",
            color="crimson" if check.drifted else "steelblue",
        )
        ax.set_xticks(x, check.bins, rotation=60, ha="right", fontsize=6)
        ax.set_title(f"{check.name}: {check.statistic} {check.value:.3f}", fontsize=9)
        ax.legend(fontsize=7)
    return fig


# The page must read at 1280 px and on a phone: the figure scales to the page width, the wide
# table scrolls inside its own box instead of widening the page.
STYLE = """
body{font-family:system-ui,sans-serif;margin:0 auto;padding:1rem;max-width:1200px;color:#222}
h1{font-size:1.4rem}h2{font-size:1.15rem}h1,h2,p{overflow-wrap:anywhere}
.verdict{display:inline-block;padding:.2rem .6rem;border-radius:.3rem;background:#e7f3e7}
.verdict.drift{background:#fbe3e3;color:#900}
.scroll{overflow-x:auto}table{border-collapse:collapse;font-size:.9rem}
th,td{padding:.3rem .6rem;text-align:left;border-bottom:1px solid #ddd;white-space:nowrap}
td.num{text-align:right;font-variant-numeric:tabular-nums}tr.drift{color:#b00;font-weight:600}
img{display:block;max-width:100%;height:auto;margin-top:1rem}
"""


def html(report: DriftReport) -> str:
    """A self-contained page: verdict, the table of checks and the figure."""
    rows = "".join(
        "<tr{}><td>{}</td><td>{}</td><td>{}</td><td class=num>{:.4f}</td><td class=num>{:g}</td>"
        "<td>{}</td><td class=num>{}</td><td>{}</td></tr>".format(
            " class=drift" if c.drifted else "",
            escape(c.name),
            c.kind,
            escape(c.statistic),
            c.value,
            c.threshold,
            c.test or "-",
            "-" if c.p_value is None else f"{c.p_value:.2g}",
            "DRIFT" if c.drifted else "ok",
        )
        for c in report.checks
    )
    title = escape(f"Drift: {report.model} version {report.model_version}")
    verdict = "DRIFT: " + ", ".join(report.drifted_checks) if report.drifted else "no drift"
    return (
        "<!doctype html><html lang=en><head><meta charset='utf-8'>"
        "<meta name=viewport content='width=device-width,initial-scale=1'>"
        f"<title>{title}</title><style>{STYLE}</style></head><body><h1>{title}</h1>"
        f"<p>Batch {escape(report.source)}: {report.n_rows:,} rows; "
        f"reference {report.reference_rows:,} rows; {escape(report.created)}.</p>"
        f"<h2 class='verdict{' drift' if report.drifted else ''}'>{escape(verdict)}</h2>"
        "<div class=scroll><table><tr><th>check</th><th>kind</th><th>statistic</th>"
        "<th>value</th><th>threshold</th><th>test</th><th>p-value</th><th>verdict</th></tr>"
        f"{rows}</table></div>{plots.img_tag(figure(report), title)}</body></html>"
    )
