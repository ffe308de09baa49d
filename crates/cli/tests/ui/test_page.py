"""The import page in headless Chromium against the sandbox gateway: a workbook with good,
bad, misspelt-store and repeated-mobile rows is checked with validate's verdicts, imported
with a progress bar to its end, each valid member stored exactly once, the rows to fix
downloaded as a workbook; English for a browser that prefers it; no token, no page."""

import csv
import http.client

import openpyxl

from conftest import (Sandbox, Ui, browser, confirm_columns, good_rows, member_workbook,
                      page_rows, screenshot, validate, visible, wait, wait_for_file)

GOOD = 24


def bad_rows():
    """The rows to fix, and the first good row's mobile repeated."""
    return [
        [1390080099, "短号", "男", None, None],                 # 10 digits
        [13900800101, None, "女", None, None],                   # no name
        [13900800102, "错日期", "男", "2023-02-30", None],       # no such day
        [13900800103, "错店名", "女", None, "南京西路"],         # misspelt store
        [13900800001, "又一个", "男", None, None],               # the first row's mobile
    ]


def test_a_workbook_is_checked_imported_once_and_its_rejects_downloaded(home):
    sandbox = Sandbox(home, latency_ms=300)
    rows = good_rows(GOOD)
    rows[3:3] = bad_rows()[:2]
    rows[10:10] = bad_rows()[2:]
    workbook = member_workbook(home / "会员.xlsx", rows)
    ui = Ui(home, sandbox.config_file(home), home / "page")
    downloads = home / "downloads"
    downloads.mkdir()
    driver = browser(downloads=downloads)
    try:
        driver.get(ui.url)
        wait(driver, visible("screen-choose"))
        assert driver.find_element("tag name", "h1").text == "会员导入"
        assert "沙箱" not in driver.find_element("id", "account").text  # a configured account
        assert ui.token not in driver.find_element("tag name", "body").text
        screenshot(driver, "choose")

        driver.find_element("id", "file").send_keys(str(workbook))
        confirm_columns(driver)
        wait(driver, lambda d: d.find_element("id", "import").is_enabled())
        wait(driver, lambda d: len(d.find_elements("css selector", "#rows tbody tr")) == 5)
        refused, summary = validate(workbook, home)
        shown = page_rows(driver)
        screenshot(driver, "verdicts")
        # validate's verdicts, word for word; the misspelt store is the page's one addition.
        reference = {at: row for at, row in shown.items() if row[0] == "reference"}
        offline = {at: row[1] for at, row in shown.items() if row[0] != "reference"}
        assert offline == refused
        assert [row[0] for at, row in shown.items() if at in refused].count("duplicate") == 1
        assert list(reference) == ["row 14"], shown
        assert "did you mean 南京西路店" in reference["row 14"][1][0][1]
        assert driver.find_element("id", "n-valid").text == str(summary["valid"] - 1) == str(GOOD)
        assert driver.find_element("id", "n-fix").text == str(summary["invalid"] + 1) == "5"
        driver.find_element("id", "tab-all").click()
        wait(driver, lambda d: len(d.find_elements("css selector", "#rows tbody tr")) == GOOD + 5)
        driver.find_element("id", "tab-fix").click()

        driver.find_element("id", "import").click()
        wait(driver, lambda d: int(d.find_element("id", "bar").get_attribute("aria-valuenow")) >= 6
             or d.find_element("id", "screen-done").is_displayed())
        if driver.find_element("id", "screen-import").is_displayed():
            screenshot(driver, "importing")
        # Closed and opened again: the server kept the job.
        driver.get(ui.url)
        wait(driver, lambda d: d.find_element("id", "screen-import").is_displayed()
             or d.find_element("id", "screen-done").is_displayed())
        wait(driver, visible("screen-done"), seconds=120)
        bar = driver.find_element("id", "done-bar")
        assert bar.get_attribute("aria-valuenow") == bar.get_attribute("aria-valuemax") == str(GOOD + 5)
        assert driver.find_element("id", "done-line").text.startswith(f"已保存 {GOOD} 位，被拒绝 5 行")
        screenshot(driver, "done")

        stats = sandbox.control("stats")
        valid = {str(r[0]) for r in good_rows(GOOD)}
        assert stats["saves_by_mobile"] == {mobile: 1 for mobile in valid}

        driver.find_element("id", "dl-rejects").click()
        rejects = wait_for_file(downloads, ".rejects.xlsx")
        assert rejects.name == "会员.rejects.xlsx"
        sheet = openpyxl.load_workbook(rejects).active
        table = list(sheet.iter_rows(values_only=True))
        assert table[0] == ("手机号", "姓名", "性别", "生日", "开卡门店", "错误原因")
        assert sorted(r[0] for r in table[1:]) == sorted(str(r[0]) for r in bad_rows())
        driver.find_element("id", "dl-saved").click()
        saved = wait_for_file(downloads, ".saved.csv")
        with open(saved, encoding="utf-8-sig", newline="") as listed:
            members = list(csv.DictReader(listed))
        assert {m["手机号"] for m in members} == valid
    finally:
        driver.quit()
        ui.stop()
        sandbox.stop()


def test_english_for_a_browser_that_prefers_it_and_no_page_without_the_token(home):
    sandbox = Sandbox(home)
    ui = Ui(home, sandbox.config_file(home), home / "page")
    driver = browser(languages="en-US,en")
    try:
        driver.get(ui.url)
        wait(driver, visible("screen-choose"))
        assert driver.find_element("tag name", "h1").text == "Member import"
        assert driver.find_element("id", "lang").text == "中文"
        screenshot(driver, "choose-en")
        driver.get(ui.url.split("?")[0])
        assert "refused" in driver.find_element("tag name", "body").text
        for headers in [{}, {"Host": "evil.example:%d" % ui.port, "X-JDY-Token": ui.token}]:
            connection = http.client.HTTPConnection("127.0.0.1", ui.port)
            connection.putrequest("GET", "/api/state", skip_host="Host" in headers)
            for name, value in headers.items():
                connection.putheader(name, value)
            connection.endheaders()
            assert connection.getresponse().status == 403, headers
    finally:
        driver.quit()
        ui.stop()
        sandbox.stop()
