"""The column step in headless Chromium: a POS export whose 电话 column is suggested as
mobile (a few landlines among the mobiles) and whose 积分 is no member field stops there;
the suggestion is taken with a click, 积分 left out, and the check waits until then. The
mapping downloads exactly as `--save-map` writes it, and loaded on the next export it settles
every column at once. The verdicts are `validate`'s with the same --map words, and the
members stored are those the command line's `import` stores with the same words."""

import subprocess

import openpyxl
from selenium.webdriver.support.ui import Select

from conftest import (BIN, Sandbox, Ui, browser, environment, page_rows, screenshot,
                      validate, visible, wait, wait_for_file)

HEADER = ["电话", "姓名", "性别", "积分", "备注"]
MAP = ["--map", "电话=mobile", "--map", "积分=-"]


def pos_export(path, first, count, landlines):
    """A POS export: mobiles as numbers, a landline now and then, points beside them."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "会员"
    sheet.append(HEADER)
    for i in range(count):
        phone = f"021{88886000 + i}" if i in landlines else first + i
        sheet.append([phone, f"顾客{first % 1000 + i}", "男" if i % 2 else "女", 100 + i,
                      f"老卡 {i + 1}"])
    book.save(path)
    return path


def column(driver, header):
    return driver.find_element("css selector", f"#columns tr[data-header='{header}']")


def how(header):
    return lambda d: column(d, header).get_attribute("data-how")


def stored(sandbox):
    """The members a sandbox stored, as given (its own ids and times left out)."""
    members = sandbox.control("members")
    return sorted(({k: v for k, v in m.items() if k not in ("id", "db_modify_time")}
                   for m in members), key=lambda m: m["mobile"])


def import_and_finish(driver):
    wait(driver, lambda d: d.find_element("id", "import").is_enabled())
    driver.find_element("id", "import").click()
    wait(driver, visible("screen-done"), seconds=120)


def settle_and_check(driver, first, home, downloads):
    """The first export's column step settled by two clicks, its mapping downloaded (as
    `--save-map` writes it), its verdicts validate's, its members imported."""
    driver.find_element("id", "file").send_keys(str(first))
    wait(driver, visible("screen-columns"))
    phone = column(driver, "电话")
    assert phone.get_attribute("class") == "suggest"
    assert phone.get_attribute("data-suggest") == "mobile"
    chosen = Select(phone.find_element("tag name", "select")).first_selected_option
    assert chosen.get_attribute("value") == "", "a suggestion is never taken by itself"
    assert "手机号" in phone.find_element("css selector", "button.take").text
    assert column(driver, "积分").get_attribute("class") == "undecided"
    assert how("姓名")(driver) == "label"
    assert not driver.find_element("id", "columns-next").is_enabled()
    status = driver.find_element("id", "columns-status").text
    assert "电话" in status and "积分" in status and "手机号" in status, status
    screenshot(driver, "columns")

    phone.find_element("css selector", "button.take").click()
    wait(driver, lambda d: how("电话")(d) == "map")
    assert not driver.find_element("id", "columns-next").is_enabled(), "积分 still open"
    Select(column(driver, "积分").find_element("tag name", "select")).select_by_value("-")
    wait(driver, lambda d: how("积分")(d) == "skipped")
    wait(driver, lambda d: d.find_element("id", "columns-next").is_enabled())
    assert "可以检查" in driver.find_element("id", "columns-status").text

    driver.find_element("id", "dl-mapping").click()
    mapping = wait_for_file(downloads, ".map.json")
    assert mapping.name == "POS导出.map.json"
    saved = home / "cli.map.json"
    subprocess.run([BIN, "validate", str(first), *MAP, "--save-map", str(saved)],
                   capture_output=True, env=environment(home), check=False)
    assert mapping.read_text(encoding="utf-8") == saved.read_text(encoding="utf-8")

    driver.find_element("id", "columns-next").click()
    wait(driver, lambda d: d.find_element("id", "import").is_enabled())
    wait(driver, lambda d: len(d.find_elements("css selector", "#rows tbody tr")) == 2)
    refused, summary = validate(first, home, *MAP)
    assert {at: row[1] for at, row in page_rows(driver).items()} == refused
    assert driver.find_element("id", "n-valid").text == str(summary["valid"]) == "10"
    import_and_finish(driver)
    return mapping


def load_and_check(driver, second, mapping, home):
    """The next export of the same POS: the mapping loaded, nothing left to decide; its
    verdicts validate's with --map-file; its members imported."""
    driver.find_element("id", "done-another").click()
    driver.find_element("id", "file").send_keys(str(second))
    wait(driver, visible("screen-columns"))
    assert not driver.find_element("id", "columns-next").is_enabled()
    driver.find_element("id", "mapping-file").send_keys(str(mapping))
    wait(driver, lambda d: d.find_element("id", "columns-next").is_enabled())
    assert "POS导出.map.json" in driver.find_element("id", "mapping-loaded").text
    for header in HEADER:
        assert how(header)(driver) in ("map", "skipped"), header
    driver.find_element("id", "columns-next").click()
    wait(driver, lambda d: len(d.find_elements("css selector", "#rows tbody tr")) == 1)
    refused, _ = validate(second, home, "--map-file", str(mapping))
    assert {at: row[1] for at, row in page_rows(driver).items()} == refused
    import_and_finish(driver)


def test_a_pos_export_is_matched_column_by_column_and_its_mapping_imports_the_next(home):
    first = pos_export(home / "POS导出.xlsx", 13900810001, 12, {3, 8})
    second = pos_export(home / "POS导出-2.xlsx", 13900820001, 8, {2})
    sandbox = Sandbox(home)
    ui = Ui(home, sandbox.config_file(home), home / "page")
    downloads = home / "downloads"
    downloads.mkdir()
    driver = browser(downloads=downloads)
    try:
        driver.get(ui.url)
        wait(driver, visible("screen-choose"))
        mapping = settle_and_check(driver, first, home, downloads)
        load_and_check(driver, second, mapping, home)
    finally:
        driver.quit()
        ui.stop()

    # The command line with the same words stores the same members.
    other = Sandbox(home)
    config = other.config_file(home / "downloads")
    try:
        for words in ([str(first), *MAP], [str(second), "--map-file", str(mapping)]):
            subprocess.run([BIN, "--config", str(config), "import", *words],
                           capture_output=True, env=environment(home), check=False)
        assert len(stored(sandbox)) == 17
        assert stored(sandbox) == stored(other)
    finally:
        other.stop()
        sandbox.stop()
