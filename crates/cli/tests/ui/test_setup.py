"""A first run without settings, in headless Chromium: `jdy-member ui` started with no
configuration at all (a fresh HOME and XDG_CONFIG_HOME) opens on the account form. A wrong
secret shows the doctor's words and saves nothing; the sandbox's fake credentials (its
address under "advanced") are checked and saved to an owner-only settings file that holds
them (the Windows build under Wine: the secret sealed with DPAPI, not in the file as text);
the page goes on to the file choice and imports. Started again, the tool uses the file
without the form, never shows the saved secret, and `config show` masks it."""

import json
import os
import stat
import subprocess

from conftest import (UI_COMMAND, WINDOWS, Sandbox, Ui, browser, confirm_columns, environment,
                      good_rows, member_workbook, screenshot, settings_file, visible, wait)


def fill(driver, config, secret):
    """The form in authorization mode, the sandbox's address under "advanced"."""
    values = {"client_id": config["client_id"], "client_secret": secret,
              "outer_instance_id": config["outer_instance_id"]}
    for key, value in values.items():
        field = driver.find_element("id", "f-" + key)
        field.clear()
        field.send_keys(value)
    if not driver.find_element("id", "f-base_url").is_displayed():
        driver.find_element("css selector", "#advanced summary").click()
    base_url = driver.find_element("id", "f-base_url")
    base_url.clear()
    base_url.send_keys(config["base_url"])


def first_run(driver, outer, settings):
    """The form first: a wrong secret saves nothing, the right one is saved owner-only."""
    wait(driver, visible("screen-setup"))
    # The screen shows before /api/settings has answered; the form is filled (emptied) and
    # its introduction written when it has: typing before that would be wiped.
    wait(driver, lambda d: d.find_element("id", "setup-intro").text)
    assert not driver.find_element("id", "steps").is_displayed()
    assert "尚未设置" in driver.find_element("id", "account").text
    assert not driver.find_element("id", "f-base_url").is_displayed(), "advanced is folded"
    screenshot(driver, "setup")

    fill(driver, outer, "not-the-client-secret-0000000000")
    driver.find_element("id", "setup-save").click()
    wait(driver, visible("setup-outcome"))
    assert "没有保存" in driver.find_element("id", "setup-verdict").text
    failed = driver.find_element("css selector", "#setup-checks li[data-verdict='fail']")
    assert failed.get_attribute("data-name") == "authorization"
    assert "Client Secret" in failed.find_element("css selector", ".fix").text
    assert failed.find_element("css selector", ".detail").text, "the doctor's own words"
    assert not settings.exists(), "nothing saved"
    screenshot(driver, "setup-refused")

    fill(driver, outer, outer["client_secret"])
    driver.find_element("id", "setup-save").click()
    wait(driver, visible("screen-choose"), seconds=90)
    assert "设置文件" in driver.find_element("id", "account").text
    text = settings.read_text(encoding="utf-8")
    kept = json.loads(text)
    if WINDOWS:
        assert outer["client_secret"] not in text, "sealed with DPAPI, not kept as text"
        assert kept["config"]["client_secret"] != outer["client_secret"]
    else:
        assert stat.S_IMODE(os.stat(settings).st_mode) == 0o600
        assert stat.S_IMODE(os.stat(settings.parent).st_mode) == 0o700
        assert kept["config"]["client_secret"] == outer["client_secret"], "as given on Linux"
    assert kept["config"]["base_url"] == outer["base_url"]


def next_start(driver, home, sandbox, secret):
    """Started again: no form; the account imports; the saved secret is never shown."""
    wait(driver, visible("screen-choose"))
    assert driver.find_element("id", "account-settings").is_displayed()
    workbook = member_workbook(home / "新会员.xlsx", good_rows(3, first=13900830001))
    driver.find_element("id", "file").send_keys(str(workbook))
    confirm_columns(driver)
    wait(driver, lambda d: d.find_element("id", "import").is_enabled())
    driver.find_element("id", "import").click()
    wait(driver, visible("screen-done"), seconds=90)
    assert sorted(m["mobile"] for m in sandbox.control("members")) == [
        str(13900830001 + i) for i in range(3)]
    driver.find_element("id", "account-settings").click()
    wait(driver, visible("screen-setup"))
    secret_field = driver.find_element("id", "f-client_secret")
    # As in first_run: the form is filled once /api/settings answers.
    wait(driver, lambda d: "已保存" in secret_field.get_attribute("placeholder"))
    assert secret_field.get_attribute("value") == ""
    assert secret not in driver.page_source
    screenshot(driver, "setup-replace")


def test_a_first_run_asks_for_the_account_checks_it_and_the_next_start_uses_it(home):
    sandbox = Sandbox(home)
    outer = sandbox.config_outer
    settings, named = settings_file(home)
    if WINDOWS and settings.exists():
        settings.unlink()  # the Wine prefix's, from an earlier run
    for step in (lambda d: first_run(d, outer, settings),
                 lambda d: next_start(d, home, sandbox, outer["client_secret"])):
        ui = Ui(home, None, home / "page")
        driver = browser()
        try:
            driver.get(ui.url)
            step(driver)
        finally:
            driver.quit()
            ui.stop()

    shown = subprocess.run([*UI_COMMAND, "--json", "config", "show"], capture_output=True,
                           text=True, env=environment(home), check=True)
    assert outer["client_secret"] not in shown.stdout
    data = json.loads(shown.stdout)["data"]
    assert (data["source"], data["file"]) == ("settings", named)
    if WINDOWS:
        assert data["config"]["client_secret"] == "(hidden; protected with DPAPI for this Windows user)"
    else:
        assert data["config"]["client_secret"] == "(hidden)"
    path = subprocess.run([*UI_COMMAND, "config", "path"], capture_output=True, text=True,
                          env=environment(home), check=True)
    assert path.stdout.strip() == named
    sandbox.stop()
