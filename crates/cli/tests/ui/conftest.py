"""What the page's browser tests share: the jdy-member binary, a sandbox gateway in its own
process, `jdy-member ui` started against it, headless Chromium driven by Selenium, and
member workbooks written with openpyxl.

Run by scripts/test-ui, which builds the binary and installs Chromium, its driver and the
Python packages. JDY_MEMBER_BIN names the binary; JDY_UI_COMMAND, when set, the command
that starts the page instead (scripts/test-exe: "WINE .../jdy-member.exe", the Windows build
under Wine, driven by the same tests; the sandbox and `validate` stay the Linux build's);
UI_SCREENSHOTS, when set, is the folder the screens are saved to (docs/ui/ for the README).
"""

import datetime
import getpass
import json
import os
import shlex
import signal
import subprocess
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

import openpyxl
import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.support.ui import WebDriverWait

REPO = Path(__file__).resolve().parents[4]
BIN = os.environ.get("JDY_MEMBER_BIN", str(REPO / "target" / "debug" / "jdy-member"))
UI_COMMAND = shlex.split(os.environ.get("JDY_UI_COMMAND", "")) or [BIN]
# The page under test is the Windows build (under Wine): its settings live in the Wine
# prefix, protected with DPAPI rather than by file modes.
WINDOWS = UI_COMMAND[-1].lower().endswith(".exe")
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
SHOTS = os.environ.get("UI_SCREENSHOTS")


def environment(home):
    """The environment of the processes a test starts: no JDY_* of the developer's, caches,
    the page's folder and the settings file under `home` (never the developer's own)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("JDY_")}
    env["HOME"] = str(home)
    env["XDG_CONFIG_HOME"] = str(home / "config")
    env["XDG_CACHE_HOME"] = str(home / "cache")
    env["XDG_DATA_HOME"] = str(home / "data")
    return env


def settings_file(home):
    """The settings file the page under test writes, as (the path here, the path as the
    tool names it): under `home` on Linux (XDG_CONFIG_HOME); for the Windows build,
    %APPDATA%\\jdy-member\\settings.json of the Wine prefix's user (Wine sets APPDATA itself)."""
    if not WINDOWS:
        path = home / "config" / "jdy-member" / "settings.json"
        return path, str(path)
    user = getpass.getuser()
    path = (Path(os.environ["WINEPREFIX"]) / "drive_c" / "users" / user / "AppData" / "Roaming"
            / "jdy-member" / "settings.json")
    return path, "C:\\users\\%s\\AppData\\Roaming\\jdy-member\\settings.json" % user


def read_stderr(process, lines):
    """Keeps reading a process's stderr, so it never writes to a closed pipe."""
    for line in process.stderr:
        lines.append(line)


class Sandbox:
    """`jdy-member sandbox` in its own process: it outlives the `ui` processes of a test."""

    def __init__(self, home, latency_ms=0, behaviour=None):
        behaviour = json.dumps({"token_limit": None, **(behaviour or {})})
        args = [BIN, "sandbox", "--port", "0", "--behaviour", behaviour]
        if latency_ms:
            args += ["--latency-ms", str(latency_ms)]
        self.process = subprocess.Popen(
            args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
            env=environment(home))
        announced = json.loads(self.process.stdout.readline())
        self.base_url = announced["base_url"]
        self.config = announced["config"]
        self.config_outer = announced["config_outer"]

    def config_file(self, home, budget=True):
        """A configuration for the ui: the sandbox's, without a token cache file; without
        the client's request budget unless `budget`."""
        config = dict(self.config)
        config["token_cache_path"] = None
        if not budget:
            config["request_budget"] = None
        path = home / "config.json"
        path.write_text(json.dumps(config))
        return path

    def control(self, name):
        with urllib.request.urlopen(f"{self.base_url}/__sandbox/{name}") as answer:
            return json.load(answer)

    def stop(self):
        self.process.kill()
        self.process.wait()


class Ui:
    """`jdy-member --config CONFIG ui --no-browser` (started by UI_COMMAND), and the address
    it printed; without a CONFIG, the settings file under `home` (or none: the page asks for
    the account)."""

    def __init__(self, home, config, data):
        self.stderr = []
        chosen = ["--config", str(config)] if config else []
        self.process = subprocess.Popen(
            [*UI_COMMAND, *chosen, "ui", "--no-browser", "--data-dir", str(data)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=environment(home))
        first = self.process.stdout.readline().strip()
        assert first.startswith("ui: http://127.0.0.1:"), first + "".join(self.stderr)
        self.url = first[len("ui: "):]
        self.port = int(self.url.split(":")[2].split("/")[0])
        self.token = self.url.split("token=")[1]
        threading.Thread(target=read_stderr, args=(self.process, self.stderr), daemon=True).start()

    def kill(self):
        """As a shop PC's power button or the task manager would."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait()


def browser(languages="zh-CN,zh", downloads=None):
    """Headless Chromium, the driver given explicitly (nothing is downloaded), a fresh
    profile, `languages` as the browser's preference."""
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ["--headless=new", "--no-sandbox", "--disable-gpu",
                     "--disable-dev-shm-usage", "--no-first-run",
                     "--disable-background-networking", "--disable-component-update",
                     "--disable-sync", "--window-size=1280,1000",
                     "--user-data-dir=" + tempfile.mkdtemp(prefix="jdy-ui-chromium-")]:
        options.add_argument(argument)
    prefs = {"intl.accept_languages": languages}
    if downloads:
        prefs.update({"download.default_directory": str(downloads),
                      "download.prompt_for_download": False})
    options.add_experimental_option("prefs", prefs)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    if downloads:
        driver.execute_cdp_cmd("Page.setDownloadBehavior",
                               {"behavior": "allow", "downloadPath": str(downloads)})
    return driver


def wait(driver, condition, seconds=60):
    """`condition` once it holds; the page redraws tables, so an element found a moment ago
    may have been replaced: it is looked for again."""
    return WebDriverWait(driver, seconds, poll_frequency=0.05,
                         ignored_exceptions=[StaleElementReferenceException]).until(condition)


def visible(element_id):
    return lambda d: d.find_element("id", element_id).is_displayed()


def screenshot(driver, name):
    """Saves the page as docs/ui/NAME.png when screenshots are asked for."""
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(Path(SHOTS) / f"{name}.png"))


def member_workbook(path, rows, title="会员资料导出 2026-12-01"):
    """A workbook as a shop's export looks: a title row, the header, then `rows` (lists of
    cells: numbers stay numbers, dates are date cells)."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "会员资料"
    sheet.append([title])
    sheet.append(["手机号", "姓名", "性别", "生日", "开卡门店"])
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def good_rows(count, first=13900800001):
    stores = ["南京西路店", "MD002", "徐家汇店", None]
    return [[first + i, f"会员{i + 1}", "男" if i % 2 else "女",
             datetime.date(1980 + i % 30, 1 + i % 12, 1 + i % 28), stores[i % 4]]
            for i in range(count)]


def validate(path, home, *words):
    """`jdy-member --json validate PATH WORDS...`: each refused row's place and field
    messages, and the summary."""
    run = subprocess.run([BIN, "--json", "validate", str(path), *words], capture_output=True,
                         text=True, env=environment(home))
    lines = [json.loads(line) for line in run.stdout.splitlines()]
    refused = {line["at"]: [(f["field"], f["message"]) for f in line["error"]["fields"]]
               for line in lines if "at" in line}
    summary = lines[-1]["data"]
    return refused, summary


def page_rows(driver):
    """The rows the table shows: place, kind and each field's message."""
    rows = {}
    for tr in driver.find_elements("css selector", "#rows tbody tr"):
        problems = [(li.get_attribute("data-field"),
                     li.find_element("css selector", ".message").text)
                    for li in tr.find_elements("css selector", "li")]
        rows[tr.get_attribute("data-at")] = (tr.get_attribute("data-kind"), problems)
    return rows


def confirm_columns(driver, shot=None):
    """The column step of a file whose headers are all known: shown, settled, confirmed with
    its one click."""
    wait(driver, visible("screen-columns"))
    wait(driver, lambda d: d.find_element("id", "columns-next").is_enabled())
    if shot:
        screenshot(driver, shot)
    driver.find_element("id", "columns-next").click()


def wait_for_file(folder, suffix, seconds=30):
    deadline = time.time() + seconds
    while time.time() < deadline:
        done = [p for p in Path(folder).glob("*" + suffix)]
        if done:
            return done[0]
        time.sleep(0.1)
    raise AssertionError(f"no {suffix} in {folder}: {list(Path(folder).iterdir())}")


@pytest.fixture
def home(tmp_path):
    return tmp_path
