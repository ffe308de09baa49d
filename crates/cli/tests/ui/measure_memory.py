"""The page's server with a large file, measured (not a test: the README's figures).

    python3 measure_memory.py ROWS [csv|xlsx]

Writes ROWS members (mobile, name, sex, birthday) as CSV or .xlsx, starts a sandbox gateway
(its account budget off) and `jdy-member ui` against it (the client's budget off too),
uploads the file as the page does, and reports: when the first page of verdicts could be
read and when the check ended, how long the import took, and the server's resident memory
at 10 %, 50 % and 100 % of the import and its peak (VmHWM). JDY_MEMBER_BIN names the binary
(a release build for the README).
"""

import datetime
import http.client
import json
import sys
import tempfile
import time
from pathlib import Path

import openpyxl

from conftest import Sandbox, Ui


def write_members(path, rows, kind):
    if kind == "csv":
        with open(path, "w", encoding="utf-8") as out:
            out.write("手机号,姓名,性别,生日\n")
            for i in range(rows):
                out.write(f"{13600000000 + i},会员{i},{'男' if i % 2 else '女'},1990-05-07\n")
        return
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("会员资料")
    sheet.append(["手机号", "姓名", "性别", "生日"])
    day = datetime.date(1990, 5, 7)
    for i in range(rows):
        sheet.append([13600000000 + i, f"会员{i}", "男" if i % 2 else "女", day])
    book.save(path)


def memory(pid, key):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


class Page:
    def __init__(self, ui):
        self.ui = ui

    def call(self, method, path, body=None, length=None):
        connection = http.client.HTTPConnection("127.0.0.1", self.ui.port, timeout=600)
        headers = {"X-JDY-Token": self.ui.token, "Origin": f"http://127.0.0.1:{self.ui.port}"}
        if length is not None:
            headers["Content-Length"] = str(length)
        connection.request(method, path, body=body, headers=headers)
        answer = connection.getresponse()
        data = answer.read()
        assert answer.status < 300, (answer.status, data[:300])
        return json.loads(data) if data else None


def main():
    rows = int(sys.argv[1])
    kind = sys.argv[2] if len(sys.argv) > 2 else "csv"
    home = Path(tempfile.mkdtemp(prefix="jdy-ui-measure-"))
    members = home / f"members.{kind}"
    write_members(members, rows, kind)
    sandbox = Sandbox(home, behaviour={"account_budget": None})
    ui = Ui(home, sandbox.config_file(home, budget=False), home / "page")
    page = Page(ui)
    pid = ui.process.pid
    try:
        started = time.time()
        with open(members, "rb") as body:
            job = page.call("POST", f"/api/jobs?name={members.name}", body, members.stat().st_size)
        uploaded = time.time() - started
        first_page = None
        while True:
            job = page.call("GET", f"/api/jobs/{job['id']}")
            if first_page is None and job["phase"] in ("checking", "checked"):
                shown = page.call("GET", f"/api/jobs/{job['id']}/rows?filter=all&page=0")
                if shown["rows"]:
                    first_page = time.time() - started
            if job["phase"] == "checked":
                break
            if job["phase"] == "columns":
                # The column step, confirmed at once (every header is known): the time the
                # staff take to press the button is not the server's.
                assert job["columns"]["settled"], job["columns"]
                page.call("POST", f"/api/jobs/{job['id']}/check")
                continue
            assert job["phase"] in ("waiting", "reading", "checking"), job
            time.sleep(0.05)
        checked = time.time() - started
        check_peak = memory(pid, "VmHWM")
        page.call("POST", f"/api/jobs/{job['id']}/import")
        importing = time.time()
        marks = {}
        while True:
            job = page.call("GET", f"/api/jobs/{job['id']}")
            progress = job["import"] or {}
            done, total = progress.get("done", 0), progress.get("total") or rows
            for share in (10, 50, 100):
                if share not in marks and done * 100 >= share * total:
                    marks[share] = memory(pid, "VmRSS")
            if job["phase"] != "importing":
                break
            time.sleep(0.1)
        imported = time.time() - importing
        print(json.dumps({
            "rows": rows, "format": kind, "file_mb": round(members.stat().st_size / 1e6, 1),
            "upload_s": round(uploaded, 1), "first_page_s": round(first_page, 1),
            "checked_s": round(checked, 1), "check_peak_mb": round(check_peak),
            "import_s": round(imported, 1), "phase": job["phase"], "saved": progress.get("saved"),
            "rss_at_10_50_100_mb": [round(marks.get(s, 0)) for s in (10, 50, 100)],
            "peak_mb": round(memory(pid, "VmHWM")),
        }))
    finally:
        ui.stop()
        sandbox.stop()


if __name__ == "__main__":
    main()
