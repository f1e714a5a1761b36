"""`segdsl report --html` opened in a real headless Chromium (Debian's, installed by
.ci/chromium.sh; driven by playwright with `executable_path`, no browser downloaded):
no console errors, no network requests, and a screenshot that shows charts. The
screenshot is kept in pytest's temporary folder for the run (its path is printed)."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from segdsl.cli import app

ROOT = Path(__file__).resolve().parents[2]
TELCO = ROOT / "rulesets" / "telco_churn.seg"
DATA = ROOT / "segdsl" / "samples" / "telco_customers.csv"


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        pytest.skip("no Chromium here (.ci/chromium.sh installs Debian's `chromium`)")
    return found


@pytest.fixture(scope="module")
def browser():
    executable = chromium()
    sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
    with sync_api.sync_playwright() as pw:
        try:
            b = pw.chromium.launch(executable_path=executable, headless=True, args=["--no-sandbox"])
        except Exception as exc:        # a browser that cannot start here (no sandbox support, ...)
            pytest.skip(f"Chromium at {executable} cannot start: {exc}")
        yield b
        b.close()


def test_the_html_report_renders_its_charts_offline(browser, tmp_path):
    from PIL import Image
    page_file = tmp_path / "report.html"
    r = CliRunner().invoke(app, ["report", str(TELCO), "--input", f"customer={DATA}", "--measure", "monthly_charges",
                                 "--crosstab", "value,churn_risk", "--html", str(page_file)])
    assert r.exit_code == 0, r.output
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    errors, requests = [], []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("request", lambda q: requests.append(q.url) if not q.url.startswith(("file:", "data:", "about:", "blob:"))
            else None)
    page.goto(page_file.as_uri())
    page.wait_for_selector(".plotly .main-svg", timeout=30_000)
    charts = page.locator(".js-plotly-plot")
    assert charts.count() == 6          # five dimensions' sizes, the cross-tab's heat map
    assert page.locator(".js-plotly-plot .heatmaplayer").count() == 1
    assert page.locator(".js-plotly-plot .barlayer .point").count() > 20
    assert "价值分层" in page.content() and "终身价值客户" in page.content()
    shot = tmp_path / "report.png"
    charts.first.screenshot(path=str(shot))
    print(f"screenshot: {shot}")
    image = Image.open(shot).convert("RGB")
    colours = image.getcolors(maxcolors=1 << 20)
    assert len(colours) > 50, "the chart looks blank"
    heat = tmp_path / "heat.png"
    charts.last.screenshot(path=str(heat))
    reds = [c for n, c in Image.open(heat).convert("RGB").getcolors(maxcolors=1 << 20) if c[0] > c[2] + 60]
    assert len(reds) > 5, "the heat map has no red cells"
    assert errors == []
    assert requests == []
    page.close()


def test_the_diff_page_renders_its_heat_maps_offline(browser, tmp_path):
    v2 = tmp_path / "v2.seg"
    text = TELCO.read_text(encoding="utf-8")
    v2.write_text(text.replace("param premium_charges: number = 90", "param premium_charges: number = 80"),
                  encoding="utf-8")
    assert v2.read_text(encoding="utf-8") != text
    r = CliRunner().invoke(app, ["diff", str(TELCO), str(v2), "--input", f"customer={DATA}", "--format", "html"])
    assert r.exit_code == 0, r.output
    page_file = tmp_path / "diff.html"
    page_file.write_text(r.stdout, encoding="utf-8")
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    errors, requests = [], []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("request", lambda q: requests.append(q.url) if not q.url.startswith(("file:", "data:", "about:", "blob:"))
            else None)
    page.goto(page_file.as_uri())
    page.wait_for_selector(".plotly .main-svg", timeout=30_000)
    assert page.locator(".js-plotly-plot .heatmaplayer").count() == 5
    assert "value 价值分层" in page.content()
    page.locator(".js-plotly-plot").nth(1).screenshot(path=str(tmp_path / "diff-value.png"))
    assert errors == [] and requests == []
    page.close()
