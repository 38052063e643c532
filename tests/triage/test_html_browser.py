"""The HTML report in a real headless browser: renders offline, no console error, figures shown."""

from vigile.triage import render, triage_path


def test_report_renders_offline_without_console_errors(chromium, lab_csv, ref_date, tmp_path):
    result = triage_path(lab_csv[0], reference_date=ref_date)
    page_path = tmp_path / "report.html"
    page_path.write_text(render(result, "html"), encoding="utf-8")
    page = chromium.new_page()
    try:
        problems: list[str] = []
        requests: list[str] = []
        page.on("console", lambda m: m.type in ("error", "warning") and problems.append(m.text))
        page.on("pageerror", lambda e: problems.append(str(e)))
        page.on("request", lambda r: requests.append(r.url))
        page.goto(page_path.as_uri(), wait_until="load")
        assert problems == []
        assert requests == [page_path.as_uri()]  # self-contained: nothing else fetched
        assert page.inner_text("#card-persons .v") == "30"
        assert page.inner_text("#card-rows .v") == str(result.rows)
        assert "très élevée" in page.inner_text("#card-severity")  # French by default
        assert page.get_attribute("html", "lang") == "fr"
        body = page.inner_text("body")
        assert "4 × 1 + 1 = 5" in body and "maximale" in body
        assert "OBLIGATOIRE" in page.inner_text("#duty-inform_persons")
        # the choropleth: Finistère coloured, Paris a small cell (on the map and in the zoom)
        assert page.locator("svg path").count() >= 96 + 8  # France and the IDF zoom
        titles = page.locator("svg title").all_text_contents()
        assert titles.count("29 Finistère\u00a0: 25\u00a0personnes") == 1
        assert titles.count("75 Paris\u00a0: <10\u00a0personnes") == 2
    finally:
        page.close()
