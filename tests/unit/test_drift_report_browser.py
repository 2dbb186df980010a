"""The HTML drift report in a real browser: headless Chromium lays it out at a laptop's and a
phone's width, and the page must not scroll sideways (the table scrolls in its own box).

Headless Chromium opens no window narrower than 500 px, so the report is measured inside an
iframe of the width under test, which is its viewport as a phone's screen would be."""

import shutil
import subprocess

import pytest

from model_factory.bank.use_case import USE_CASE as BANK
from model_factory.drift.compare import Check
from model_factory.drift.profile import ReferenceProfile
from model_factory.drift.report import html, new_report

# Runs in the report once it has loaded (the figure is an inline PNG) and sends what it measured
# to the outer page, which writes it into the DOM that --dump-dom prints.
MEASURE = """<script>window.addEventListener('load', () => {
  const img = document.querySelector('img').getBoundingClientRect();
  parent.postMessage(JSON.stringify({
    page: document.documentElement.scrollWidth, window: window.innerWidth, image: img.width
  }), '*');
});</script>"""
OUTER = """<!doctype html><html><body style='margin:0'>
<iframe src='report.html' style='width:{width}px;height:900px;border:0'></iframe>
<script>addEventListener('message', e =>
  document.body.insertAdjacentHTML('beforeend', '<pre id=measure>' + e.data + '</pre>'));
</script></body></html>"""


@pytest.fixture(scope="module")
def report_html() -> str:
    checks = [
        Check(name=f"feature_with_a_long_name_{i}", kind="categorical", statistic="psi",
              value=0.05 * i, threshold=0.2, test="chi-square", p_value=10.0 ** -i,
              p_threshold=0.01, drifted=i > 4, bins=[f"level {j}" for j in range(12)],
              reference=[1 / 12] * 12, batch=[(j + 1) / 78 for j in range(12)])
        for i in range(1, 16)
    ]  # fmt: skip
    profile = ReferenceProfile(use_case=BANK.name, n_rows=36000)
    source = "outputs/bank/a/rather/long/path/to/the/batch_of_this_week.csv"
    report = new_report(BANK, profile, checks, version="7", source=source, n_rows=4521)
    return html(report)


def _browser() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        pytest.fail(
            "chromium not found: `make test` installs Debian's chromium when run as root",
            pytrace=False,
        )
    return found


@pytest.mark.parametrize("width", [1280, 390])
def test_the_report_never_scrolls_sideways(report_html, tmp_path, width):
    import json
    import re

    (tmp_path / "report.html").write_text(report_html.replace("</body>", MEASURE + "</body>"))
    page = tmp_path / "outer.html"
    page.write_text(OUTER.format(width=width))
    done = subprocess.run(
        [_browser(), "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1400,1000",
         "--virtual-time-budget=5000", "--dump-dom", page.as_uri()],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    found = re.search(r"<pre id=\"measure\">(.*?)</pre>", done.stdout)
    assert found, done.stderr[-2000:]
    measured = json.loads(found.group(1))
    assert measured["window"] == width
    assert measured["page"] <= width, measured
    assert 0 < measured["image"] <= width, measured
