"""Runs every jdy-member benchmark and prints the figures with PASS/MISS against the targets.

Called by scripts/bench (which builds everything and prepares the venv first); run it with
the venv's Python:

    python bench/run.py [--quick] --target-dir DIR --bin-dir DIR [--cli PATH] [--criterion-executables F]
                        [--sections 1,2,3,4,5,6,7,8,9,10] [--wine32 WINE --win32-exe EXE]

1. in-process costs (criterion: the executables `cargo bench --no-run` built, run as
   `cargo bench` runs them);
2. side by side against one `jdy-member sandbox` process: the library through C, through
   Python ctypes, plain Python requests + hmac, and the bare round trip (bench/c/bare_save.c
   replaying the library's own save request bytes): the latency the library adds;
3. bulk: 10,000 members through jdy_member_save_batch at concurrency 16 against 20 ms of
   gateway latency, and the rate ceiling seen on the wire by a recording proxy;
4. memory after 1,000 vs 100,000 saves, library size, library load + client creation;
5. budget use: one `jdy-member import` against a scaled-down account budget (sandbox
   arrivals): share of the budget used, 429s, token calls, lookups;
6. sharing: 1, 3 and 6 import processes with separate budget files on one account budget:
   share used while all run, 429s, fairness (arrivals told apart by their token);
7. sharing in a short import: 3 and 6 processes of 100 members each at 50 per 6 s, where
   the first 429s and the win-back weigh most: budget used from first to last, 429s;
8. workbooks: `jdy-member validate` of 100,000 members as an .xlsx (title row, numeric
   mobiles, date cells, shared strings, as Excel writes them) beside the same rows as CSV:
   time and peak memory of each;
9. streaming: `jdy-member validate` and `import` (against the sandbox, budget off) of the same
   members as CSV and .xlsx, 100,000 and 1,000,000 rows: time, peak memory, and the memory
   when 10 %, 50 % and 100 % of an import's rows are saved (the flat-memory targets); the
   CSV import killed with SIGKILL half way and resumed: every member saved once;
10. the till's build: the 32-bit jdy-member.exe (win-x86, as scripts/dist ships it) under
   32-bit Wine, `validate` of 1,000,000 rows of CSV: time and peak memory of the process
   Wine runs it in (wineserver and Wine's services started beforehand, not counted).

Sections 1-4 use a sandbox without rate limits and clients without a request budget or a
token cache file; 5-6 a sandbox with the scaled budget (token limit off).

Exit status: 0 when every benchmark ran and its results check out (all saves stored, the
sandbox saw what was sent, the rate ceiling held, every member of an import saved exactly
once, every process exited 0); 1 otherwise. A MISS of a speed, size or budget target is
reported, not an error. In quick mode verdicts are printed "(quick: not judged)".
"""

import argparse
import json
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SEED = os.path.join(REPO, "examples", "seed-member.json")
HERE = os.path.dirname(os.path.abspath(__file__))

FULL = {
    "criterion": ["--warm-up-time", "2", "--measurement-time", "5"],
    "rounds": 3, "warmup": 200, "saves": 3000,
    "bulk": 10000, "bulk_concurrency": 16, "latency_ms": 20,
    "rate": 200, "rate_members": 2000, "latency_probe": 50,
    "memory": [1000, 10000, 25000, 50000, 100000],
    "load_runs": 51, "pingpong": 50000,
    "budget": (250, 5000), "budget_members": 2000,
    "share_ks": [1, 3, 6], "share_total": 5000, "share_fixed_ks": [6],
    "short_budget": (50, 6000), "short_per": 100, "short_ks": [3, 6],
    "workbook_rows": 100000,
    "stream_rows": [100000, 1000000],
    "wine_rows": 1000000,
}
QUICK = {
    "criterion": ["--warm-up-time", "0.2", "--measurement-time", "0.5", "--sample-size", "10",
                  "--nresamples", "1000", "--noplot"],
    "rounds": 1, "warmup": 20, "saves": 200,
    "bulk": 400, "bulk_concurrency": 16, "latency_ms": 20,
    "rate": 200, "rate_members": 300, "latency_probe": 10,
    "memory": [1000, 3000],
    "load_runs": 11, "pingpong": 10000,
    "budget": (50, 1000), "budget_members": 150,
    "share_ks": [1, 3, 6], "share_total": 240, "share_fixed_ks": [6],
    "short_budget": (20, 1000), "short_per": 20, "short_ks": [3],
    "workbook_rows": 2000,
    "stream_rows": [2000],
    "wine_rows": 2000,
}

TARGET_SIGN_US = 10.0
TARGET_SAVE_CPU_US = 50.0
TARGET_CPU_RATIO = 5.0
TARGET_BULK_SLACK = 0.15
TARGET_RSS_GROWTH_KB = 5 * 1024
TARGET_SIZE_BYTES = 3 * 1024 * 1024
TARGET_LOAD_MS = 5.0
TARGET_ADDED_P99_US = 1000.0
TARGET_BUDGET_USE = 0.95
TARGET_BUDGET_429 = 0.01
TARGET_SHARED_USE = 0.90
TARGET_SHARED_429 = 0.05
TARGET_FAIRNESS = 0.5
TARGET_SHORT_USE = 0.90
TARGET_SHORT_429 = 0.05
TARGET_STREAM_ROWS = 1000000
TARGET_STREAM_PEAK_MB = 150.0
TARGET_STREAM_VALIDATE_CSV_S = 7.0  # validate of 1,000,000 CSV rows before streaming (issue 27)


class Report:
    def __init__(self):
        self.verdicts = []  # (name, passed)
        self.problems = []  # benchmark failures (not target misses)
        self.quick = False  # quick mode: verdicts are shown, not judged

    def line(self, text=""):
        print(text, flush=True)

    def verdict(self, name, passed):
        self.verdicts.append((name, passed))
        word = "PASS" if passed else "MISS"
        return word + " (quick: not judged)" if self.quick else word

    def problem(self, text):
        self.problems.append(text)
        self.line("  !! " + text)


R = Report()


# --- the sandbox process -------------------------------------------------------------------

class SandboxProcess:
    """`jdy-member sandbox --port 0` in its own process, controlled over HTTP."""

    def __init__(self, cli, behaviour):
        self.proc = subprocess.Popen([cli, "sandbox", "--port", "0", "--behaviour",
                                      json.dumps(behaviour)], stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
        first = json.loads(self.proc.stdout.readline().decode())
        self.base_url = first["base_url"]
        # The client configuration as the sandbox gives it (fake credentials; never printed).
        self.sandbox_config = first["config"]
        # For the unpaced sections: no request budget (the client would pace itself at
        # Kingdee's 500 a minute) and no token cache file (~/.cache).
        self.config = dict(first["config"], request_budget=None, token_cache_path=None)
        self.port = int(self.base_url.rsplit(":", 1)[1])

    def control(self, method, name, body=None):
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base_url + "/__sandbox/" + name, data=data,
                                         method=method,
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=60) as answer:
            return json.loads(answer.read().decode())

    def reset(self):
        self.control("POST", "reset")

    def latency(self, ms):
        self.control("POST", "latency", {"ms": ms})

    def stats(self):
        return self.control("GET", "stats")

    def arrivals(self):
        return self.control("GET", "arrivals")

    def behaviour(self, changes):
        self.control("POST", "behaviour", changes)

    def cpu_s(self):
        """User + system CPU seconds of the sandbox process so far (from /proc)."""
        try:
            with open("/proc/%d/stat" % self.proc.pid) as f:
                fields = f.read().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except (OSError, IndexError, ValueError):
            return float("nan")

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def check_saves(sandbox, expected, what):
    """The sandbox stored `expected` distinct members, every save accepted."""
    stats = sandbox.stats()
    distinct = len(stats.get("saves_by_mobile", {}))
    rejections = stats.get("rejections", {})
    if stats.get("save_calls") != expected or distinct != expected or rejections:
        R.problem("%s: the sandbox saw %s save calls, %d distinct members, rejections %s; "
                  "expected %d accepted saves" % (what, stats.get("save_calls"), distinct,
                                                  rejections, expected))
        return False
    return True


# --- helpers ----------------------------------------------------------------------------------

def run_json(argv, what, env=None):
    """Runs a bench program; returns its last stdout line as JSON."""
    done = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    out = done.stdout.decode(errors="replace").strip().splitlines()
    if done.returncode != 0 or not out:
        R.problem("%s failed (exit %d): %s" % (what, done.returncode,
                                               done.stderr.decode(errors="replace")[-2000:]))
        return None
    return json.loads(out[-1])


def fmt_us_signed(us):
    return ("+" if us >= 0 else "-") + fmt_us(abs(us))


def fmt_us(us):
    if us is None:
        return "n/a"
    if us >= 1000:
        return "%.2f ms" % (us / 1000)
    return "%.2f µs" % us if us < 100 else "%.1f µs" % us


def spread(values):
    if len(values) < 2:
        return ""
    return " (runs %s)" % "/".join("%.0f" % v if v >= 100 else "%.1f" % v for v in values)


def mobiles():
    """Consecutive new mobiles for each contender (the sandbox updates by mobile)."""
    base = 13000000000
    while True:
        yield base
        base += 10000000


MOBILES = mobiles()


# --- 1. criterion -----------------------------------------------------------------------------

CRITERION_ROWS = [
    ("validate/seed_member", "validate + normalise the seed member", None),
    ("validate/seed_member_from_json_text", "  the same from JSON text (parse included)", None),
    ("sign/gateway_headers_save", "sign: signing::gateway_headers (save)", None),
    ("sign/save_request_with_nonce_and_clock", "  with nonce, clock and query as sent", None),
    ("validate_and_sign", "validate + sign", TARGET_SIGN_US),
    ("answer/decrypt_personal_fields", "answer: decrypt its personal fields", None),
    ("answer/save_envelope_text", "answer: the save envelope as C text", None),
    ("save_ffi/one_cpu/wall", "jdy_member_save, wall, one CPU", None),
    ("save_ffi/one_cpu/client_thread_cpu", "jdy_member_save, client thread CPU, one CPU",
     TARGET_SAVE_CPU_US),
    ("save_ffi/two_cpus/wall", "  wall, client and sandbox on two CPUs", None),
    ("save_ffi/two_cpus/client_thread_cpu", "  client thread CPU, two CPUs", None),
]

UNITS = {"ps": 1e-6, "ns": 1e-3, "µs": 1.0, "us": 1.0, "ms": 1e3, "s": 1e6}


def criterion_executables(messages_path):
    """The bench executables named in `cargo bench --no-run --message-format=json` output."""
    found = {}
    with open(messages_path, encoding="utf-8") as f:
        for line in f:
            try:
                message = json.loads(line)
            except ValueError:
                continue
            if message.get("reason") == "compiler-artifact" and message.get("executable") \
                    and "bench" in message.get("target", {}).get("kind", []):
                found[message["target"]["name"]] = message["executable"]
    return found


def criterion(mode, target_dir, messages_path):
    R.line("== 1. In-process costs (criterion: cargo bench -p jdy-member --bench core "
           "--bench save)")
    executables = criterion_executables(messages_path)
    env = dict(os.environ, CARGO_TARGET_DIR=target_dir)
    text = ""
    for name in ("core", "save"):
        if name not in executables:
            R.problem("no criterion executable for benches/%s.rs in %s" % (name, messages_path))
            return {}
        # What `cargo bench` runs: the executable with --bench, from the package directory.
        done = subprocess.run([executables[name], "--bench"] + mode["criterion"], cwd=REPO,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env)
        text += done.stdout.decode(errors="replace")
        if done.returncode != 0:
            R.problem("benches/%s.rs failed:\n%s" % (name, text[-3000:]))
            return {}
    # "<id>   time:   [low mid high]" (the id may stand alone on the line before).
    results, current, summary = {}, None, []
    for raw in text.splitlines():
        line = raw.rstrip()
        found = re.match(r"^(\S.*?)\s+time:\s+\[(.*)\]$", line)
        if found:
            current = found.group(1).strip()
            estimates = found.group(2)
        else:
            lone = re.match(r"^\s+time:\s+\[(.*)\]$", line)
            if lone and current:
                estimates = lone.group(1)
            else:
                if line and not line.startswith(" ") and "time:" not in line:
                    current = line.strip()
                continue
        parts = estimates.split()
        try:
            mid = float(parts[2]) * UNITS[parts[3]]
        except (IndexError, KeyError, ValueError):
            continue
        results[current] = mid
        summary.append("%-40s time: [%s]" % (current, estimates))
    R.line("  cargo bench summary lines:")
    for line in summary:
        R.line("    " + line)
    R.line()
    R.line("  %-44s %12s   %s" % ("", "median", "target"))
    for key, label, target in CRITERION_ROWS:
        value = results.get(key)
        if value is None:
            if "two_cpus" not in key:  # absent on a one-CPU machine
                R.problem("criterion gave no figure for " + key)
            continue
        if target is None:
            R.line("  %-44s %12s" % (label, fmt_us(value)))
        else:
            R.line("  %-44s %12s   < %s  %s" % (label, fmt_us(value), fmt_us(target),
                                                 R.verdict(label.strip(), value < target)))
    R.line("  (criterion's middle estimate. Client thread CPU = CLOCK_THREAD_CPUTIME_ID of the "
           "calling thread; the sandbox runs on other threads. One CPU: both ends pinned to one "
           "CPU; two CPUs: sandbox on another CPU, where each wake-up of the other end is a "
           "cross-CPU interrupt, costly on a VM)")
    return results


# --- 2. side by side --------------------------------------------------------------------------

def side_by_side(mode, sandbox, bins, venv_python):
    R.line("== 2. Side by side: %d rounds x %d sequential saves per contender after %d warm-up, "
           "sandbox in its own process, reset between contenders"
           % (mode["rounds"], mode["saves"], mode["warmup"]))
    config = json.dumps(sandbox.config)
    py_env = dict(os.environ, PYTHONPATH=os.path.join(HERE, "py"), PYTHONDONTWRITEBYTECODE="1")
    captured = {}  # the bare contender's request file and the mobile in it

    def capture():
        if captured.get("path"):
            os.unlink(captured["path"])
        captured.clear()
        found = capture_save_request(sandbox, bins)
        if found:
            captured.update(found)
        return bool(found)

    contenders = [
        ("library via C", lambda m: [bins["save_loop"], config, SEED, str(m),
                                     str(mode["warmup"]), str(mode["saves"])], None),
        (BARE, lambda m: [bins["bare_save"], str(sandbox.port), captured["path"],
                          captured["mobile"], str(m), str(mode["warmup"]),
                          str(mode["saves"])], None),
        ("library via Python ctypes", lambda m: [venv_python, os.path.join(HERE, "py",
                                                                           "lib_save.py"),
                                                 config, SEED, str(m), str(mode["warmup"]),
                                                 str(mode["saves"])], py_env),
        ("baseline Python requests+hmac", lambda m: [venv_python,
                                                     os.path.join(HERE, "py",
                                                                  "baseline_save.py"),
                                                     config, SEED, str(m),
                                                     str(mode["warmup"]),
                                                     str(mode["saves"])], py_env),
    ]
    # Calibration: every save is at least one wake-up of the other end and back.
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) > 1:
        first, second = str(cpus[0]), str(cpus[1])
        same = run_json([bins["pingpong"], first, first, str(mode["pingpong"])], "pingpong")
        cross = run_json([bins["pingpong"], first, second, str(mode["pingpong"])], "pingpong")
        if same and cross:
            R.line("  this machine: a 1-byte round trip between two processes costs the client "
                   "%.1f µs CPU (%.1f µs wall) on one CPU, %.1f µs CPU (%.1f µs wall) across "
                   "two" % (same["cpu_us"], same["wall_us"], cross["cpu_us"], cross["wall_us"]))
    runs = {name: [] for name, _, _ in contenders}
    for _ in range(mode["rounds"]):
        for name, argv, env in contenders:
            # A fresh capture each round: the replayed timestamp stays well inside the
            # sandbox's 5-minute window.
            if name == BARE and not capture():
                continue
            sandbox.reset()
            server0 = sandbox.cpu_s()
            result = run_json(argv(next(MOBILES)), name, env)
            if result is None:
                continue
            result["server_cpu_s"] = sandbox.cpu_s() - server0
            if result["failures"] or not check_saves(sandbox, mode["warmup"] + mode["saves"],
                                                     name):
                R.problem("%s: %d saves failed" % (name, result["failures"]))
                continue
            runs[name].append(result)
    sandbox.reset()
    if captured.get("path"):
        os.unlink(captured["path"])

    table = {}
    R.line("  %-31s %10s %14s %11s %11s %13s" % ("contender", "saves/s", "client CPU/save",
                                                 "p50", "p99", "sandbox CPU"))
    for name, _, _ in contenders:
        rs = runs[name]
        if not rs:
            continue
        rate = [r["count"] / r["wall_s"] for r in rs]
        cpu = [(r["user_s"] + r["sys_s"]) / r["count"] * 1e6 for r in rs]
        p50 = [r["p50_us"] for r in rs]
        p99 = [r["p99_us"] for r in rs]
        server = [r["server_cpu_s"] / r["count"] * 1e6 for r in rs]
        row = {k: statistics.median(v) for k, v in
               (("rate", rate), ("cpu", cpu), ("p50", p50), ("p99", p99), ("server", server))}
        row["cpu_runs"] = cpu
        row["user_sys"] = (statistics.median(r["user_s"] / r["count"] * 1e6 for r in rs),
                           statistics.median(r["sys_s"] / r["count"] * 1e6 for r in rs))
        table[name] = row
        R.line("  %-31s %10.0f %14s %11s %11s %13s" % (
            name, row["rate"], fmt_us(row["cpu"]), fmt_us(row["p50"]), fmt_us(row["p99"]),
            fmt_us(row["server"])))
    for name, row in table.items():
        R.line("    %s: client CPU/save user %s + sys %s%s" % (
            name, fmt_us(row["user_sys"][0]), fmt_us(row["user_sys"][1]),
            spread(row["cpu_runs"])))
    R.line("  (medians over the rounds; client CPU = the client process's user+sys time from "
           "getrusage over the measured saves, its user/sys split sampled at the kernel tick; "
           "sandbox CPU/save from /proc in 10 ms steps, for reference)")
    base = table.get("baseline Python requests+hmac")
    for name in ("library via C", "library via Python ctypes"):
        row = table.get(name)
        if not row or not base:
            continue
        ratio = base["cpu"] / row["cpu"]
        R.line("  baseline CPU / %-26s %6.1fx less CPU per save, %5.1fx the saves/s   "
               "target >= %.0fx  %s" % (name + " CPU", ratio, row["rate"] / base["rate"],
                                        TARGET_CPU_RATIO,
                                        R.verdict("5x less CPU than baseline (%s)" % name,
                                                  ratio >= TARGET_CPU_RATIO)))
    c_row = table.get("library via C")
    if c_row:
        R.line("  the C client's CPU per save, whole process, unpinned: %s (the %s target is "
               "judged in section 1, both ends on one CPU; the difference is cross-CPU "
               "wake-ups, see the round-trip line above)" % (
                   fmt_us(c_row["cpu"]), fmt_us(TARGET_SAVE_CPU_US)))
    py_row = table.get("library via Python ctypes")
    if c_row and py_row:
        R.line("  what Python + ctypes add per save: %s of client CPU (the ctypes contender minus "
               "the C one: the JSON encoding of the member and decoding of the envelope, the "
               "interpreter running the wrapper, ctypes; the library's own work is the same)" % (
                   fmt_us_signed(py_row["cpu"] - c_row["cpu"])))
    bare = table.get(BARE)
    if c_row and bare:
        added50, added99 = c_row["p50"] - bare["p50"], c_row["p99"] - bare["p99"]
        paired = ["%+.0f/%+.0f" % (lib["p50_us"] - raw["p50_us"], lib["p99_us"] - raw["p99_us"])
                  for lib, raw in zip(runs["library via C"], runs[BARE])]
        R.line("  latency the library adds to one save over the bare round trip (library via C "
               "minus the replayed bytes, same sandbox process, same rounds): p50 %s, p99 %s%s"
               "   target p99 < %s  %s" % (
                   fmt_us_signed(added50), fmt_us_signed(added99),
                   " (per round p50/p99 µs: %s)" % ", ".join(paired) if len(paired) > 1 else "",
                   fmt_us(TARGET_ADDED_P99_US),
                   R.verdict("added latency p99 < 1 ms", added99 < TARGET_ADDED_P99_US)))
        R.line("  (bare round trip: the request bytes the library sent for a save, captured on "
               "the wire by a proxy, replayed by bench/c/bare_save.c over one keep-alive "
               "connection with only the mobile's digits in the body changed, each answer read "
               "to its Content-Length; its client CPU/save is the floor of any client's)")
    return table


BARE = "bare round trip (C, replay)"


def capture_save_request(sandbox, bins):
    """One save of the library's, through a recording proxy: the request exactly as sent
    (its Host header pointed back at the sandbox), in a file for bench/c/bare_save.c.
    Returns {"path", "mobile"} or None. The file holds the sandbox's fake token and
    signature; it is never printed."""
    sandbox.reset()
    proxy = RecordingProxy(sandbox.port, keep=True)
    mobile = str(next(MOBILES))
    config = dict(sandbox.config, base_url="http://127.0.0.1:%d" % proxy.port)
    try:
        result = run_json([bins["save_loop"], json.dumps(config), SEED, mobile, "0", "1"],
                          "capturing one save request")
    finally:
        proxy.close()
    request = proxy.save_request()
    if result is None or result["failures"] or request is None:
        R.problem("no save request of the library's could be captured for the bare round trip")
        return None
    end = request.index(b"\r\n\r\n") + 4
    head, body = request[:end], request[end:]
    own = ("127.0.0.1:%d" % proxy.port).encode()
    head, hosts = re.subn(rb"(\r\nhost:[ \t]*)" + re.escape(own) + rb"\r\n",
                          lambda m: m.group(1) + ("127.0.0.1:%d" % sandbox.port).encode()
                          + b"\r\n", head, flags=re.I)
    if hosts != 1 or body.count(mobile.encode()) != 1:
        R.problem("the captured save request has %d Host headers naming the proxy and the "
                  "mobile %d times in its body (expected 1 and 1: the body's mobile is sent "
                  "in plaintext)" % (hosts, body.count(mobile.encode())))
        return None
    with tempfile.NamedTemporaryFile(prefix="jdy-save-request-", suffix=".http",
                                     delete=False) as f:
        f.write(head + body)
    return {"path": f.name, "mobile": mobile}


# --- 3. bulk and the rate ceiling -------------------------------------------------------------

class RecordingProxy:
    """A TCP forwarder in front of the sandbox that notes when each member save's request
    line passes: the request starts as the gateway would see them. With `keep`, it also
    keeps every byte the clients sent, per connection (for `save_request`)."""

    MARKER = b"POST /jdy/v2/ls/member HTTP/1.1\r\n"

    def __init__(self, upstream_port, keep=False):
        self.upstream_port = upstream_port
        self.keep = keep
        self.sent = []  # with keep: one bytearray per connection, what the client sent
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(128)
        self.port = self.listener.getsockname()[1]
        self.times = []
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.upstream_port))
            for s in (client, upstream):
                s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            kept = None
            if self.keep:
                kept = bytearray()
                with self.lock:
                    self.sent.append(kept)
            threading.Thread(target=self._pipe, args=(client, upstream, True, kept),
                             daemon=True).start()
            threading.Thread(target=self._pipe, args=(upstream, client, False),
                             daemon=True).start()

    def _pipe(self, src, dst, record, kept=None):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                if kept is not None:
                    with self.lock:
                        kept.extend(data)
                if record:
                    seen = data.count(self.MARKER)
                    if seen:
                        at = time.monotonic()
                        with self.lock:
                            self.times.extend([at] * seen)
                dst.sendall(data)
        except OSError:
            pass
        finally:
            try:
                dst.shutdown(socket.SHUT_WR)
            except OSError:
                pass

    def close(self):
        self.listener.close()

    def save_request(self):
        """The first whole member save request a client sent (head and Content-Length body),
        as bytes, or None."""
        with self.lock:
            streams = [bytes(b) for b in self.sent]
        for stream in streams:
            start = stream.find(self.MARKER)
            if start < 0:
                continue
            end = stream.find(b"\r\n\r\n", start)
            if end < 0:
                continue
            head = stream[start:end + 4]
            found = re.search(rb"\r\ncontent-length:\s*(\d+)\r\n", head, re.I)
            if not found:
                continue
            request = stream[start:end + 4 + int(found.group(1))]
            if len(request) == len(head) + int(found.group(1)):
                return request
        return None


def max_in_window(times, window=1.0):
    """The most request starts in any half-open window [t, t + window)."""
    times = sorted(times)
    best, j = 0, 0
    for i in range(len(times)):
        while times[i] - times[j] >= window:
            j += 1
        best = max(best, i - j + 1)
    return best


def run_batch(bins, config, count, options, warmup, what):
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as out:
        out_path = out.name
    try:
        result = run_json([bins["batch"], json.dumps(config), SEED, str(next(MOBILES)),
                           str(count), json.dumps(options), out_path, str(warmup)], what)
        if result is None:
            return None, None
        with open(out_path, encoding="utf-8") as f:
            envelope = json.load(f)
    finally:
        os.unlink(out_path)
    data = envelope.get("data") or {}
    if not envelope.get("ok") or data.get("saved") != count:
        R.problem("%s: saved %s of %d (refused %s, failed %s): %s" % (
            what, data.get("saved"), count, data.get("refused"), data.get("failed"),
            str(next((r for r in data.get("results", []) if not r.get("ok")), envelope))[:500]))
        return result, None
    return result, data


def bulk(mode, sandbox, bins):
    n, conc, lat = mode["bulk"], mode["bulk_concurrency"], mode["latency_ms"]
    floor = n * lat / 1000.0 / conc
    R.line("== 3. Bulk: %d members, jdy_member_save_batch, concurrency %d, sandbox latency "
           "%d ms per request" % (n, conc, lat))
    sandbox.reset()
    sandbox.latency(lat)
    try:
        # What one request really takes at this latency, sequentially (the sandbox's own wait
        # may overshoot the asked latency): the floor the batch can actually reach.
        probe = run_json([bins["save_loop"], json.dumps(sandbox.config), SEED,
                          str(next(MOBILES)), "1", str(mode["latency_probe"])],
                         "latency probe")
        real_floor = None
        if probe:
            real_floor = n * probe["p50_us"] / 1e6 / conc
            R.line("  one request at %d ms latency really takes %.2f ms (p50 of %d sequential "
                   "saves): reachable floor %d x %.2f ms / %d = %.2f s" % (
                       lat, probe["p50_us"] / 1000, mode["latency_probe"], n,
                       probe["p50_us"] / 1000, conc, real_floor))
        sandbox.reset()  # also restores the start-up latency (0): set it again
        sandbox.latency(lat)
        result, data = run_batch(bins, sandbox.config, n, {"concurrency": conc}, 1,
                                 "bulk batch")
        if result and data and check_saves(sandbox, n + 1, "bulk batch"):
            wall = result["wall_s"]
            over = wall / floor - 1
            if wall < floor * 0.95:
                R.problem("the batch took %.2f s, less than the %.2f s floor: the sandbox "
                          "latency was not applied" % (wall, floor))
            R.line("  time %.2f s, floor %d x %d ms / %d = %.2f s: %+.1f%% over the floor   "
                   "target within %.0f%%  %s" % (
                       wall, n, lat, conc, floor, over * 100, TARGET_BULK_SLACK * 100,
                       R.verdict("bulk within 15% of the floor", over <= TARGET_BULK_SLACK)))
            if real_floor:
                R.line("  %+.1f%% over the reachable floor of %.2f s" % (
                    (wall / real_floor - 1) * 100, real_floor))
            R.line("  %.0f saves/s; client CPU %.1f µs/save (user+sys over the batch call: "
                   "parse, validation, %d threads, envelopes)" % (
                       n / wall, (result["user_s"] + result["sys_s"]) / n * 1e6, conc))
        sandbox.reset()
        sandbox.latency(lat)

        # The rate ceiling, watched on the wire.
        rate, count = mode["rate"], mode["rate_members"]
        proxy = RecordingProxy(sandbox.port)
        config = dict(sandbox.config, base_url="http://127.0.0.1:%d" % proxy.port)
        try:
            result, data = run_batch(bins, config, count, {"concurrency": conc, "rate": rate}, 0,
                                     "rate-limited batch")
        finally:
            proxy.close()
        if result and data and check_saves(sandbox, count, "rate-limited batch"):
            times = list(proxy.times)
            if len(times) != count:
                R.problem("the proxy saw %d save requests, expected %d" % (len(times), count))
            worst = max_in_window(times)
            span = max(times) - min(times) if len(times) > 1 else float("nan")
            held = worst <= rate
            R.line("  rate ceiling: %d members, concurrency %d, rate %d/s: at most %d requests "
                   "in any 1-second window (request lines seen by a proxy in front of the "
                   "sandbox, %d ms latency); mean %.1f/s over %.2f s   never more than %d  %s" % (
                       count, conc, rate, worst, lat, (len(times) - 1) / span, span, rate,
                       R.verdict("rate ceiling held", held)))
            if not held:
                R.problem("the rate ceiling was exceeded: %d requests in one second" % worst)
    finally:
        sandbox.latency(0)
        sandbox.reset()


# --- 4. memory, size, load --------------------------------------------------------------------

def memory_size_load(mode, sandbox, bins, lib_path):
    checks = mode["memory"]
    R.line("== 4. Memory, size, load")
    sandbox.reset()
    result = run_json([bins["save_loop"], json.dumps(sandbox.config), SEED, str(next(MOBILES)),
                       "0", str(checks[-1])] + [str(c) for c in checks], "memory run")
    if result and not result["failures"] and check_saves(sandbox, checks[-1], "memory run"):
        rss = dict((n, kb) for n, kb in result["rss_kb"])
        growth = rss[checks[-1]] - rss[checks[0]]
        R.line("  client RSS (C process, sandbox in another): " + ", ".join(
            "%d saves %.1f MB" % (n, rss[n] / 1024) for n in checks) +
            "; peak %.1f MB" % (result["hwm_kb"] / 1024))
        R.line("  growth %d -> %d saves: %+.2f MB   target < 5 MB  %s" % (
            checks[0], checks[-1], growth / 1024,
            R.verdict("RSS growth", growth < TARGET_RSS_GROWTH_KB)))
    sandbox.reset()

    size = os.path.getsize(lib_path)
    sections = elf_sections(lib_path)
    stripped = "" if sections is None else (
        " (NOT stripped: has .symtab)" if ".symtab" in sections else " (stripped)")
    R.line("  %s: %d bytes = %.2f MB%s   target < 3 MB  %s" % (
        os.path.relpath(lib_path, REPO) if lib_path.startswith(REPO) else lib_path, size,
        size / 1024 / 1024, stripped, R.verdict("library size", size < TARGET_SIZE_BYTES)))

    totals, opens, news = [], [], []
    config = json.dumps(sandbox.config)
    for _ in range(mode["load_runs"]):
        result = run_json([bins["load"], lib_path, config], "load run")
        if result is None:
            break
        totals.append(result["total_us"])
        opens.append(result["dlopen_us"])
        news.append(result["client_new_us"])
    if totals:
        med = statistics.median(totals) / 1000
        R.line("  dlopen + jdy_client_new, median of %d fresh processes: %.2f ms (dlopen %.2f ms, "
               "client %.3f ms; max %.2f ms)   target < 5 ms  %s" % (
                   len(totals), med, statistics.median(opens) / 1000,
                   statistics.median(news) / 1000, max(totals) / 1000,
                   R.verdict("load + client creation", med < TARGET_LOAD_MS)))


# --- 5. and 6. the account's request budget -----------------------------------------------

def write_members(path, mobiles):
    with open(path, "w", encoding="utf-8") as f:
        for mobile in mobiles:
            f.write(json.dumps({"mobile": mobile, "name": "会员"}, ensure_ascii=False) + "\n")


class ImportProcess:
    """`jdy-member --config FILE --json import members.jsonl` in a folder of its own, with
    its own token cache there (and so its own budget file beside it): a "machine" that
    cannot see any other's budget."""

    def __init__(self, cli, workdir, name, sandbox, mobiles, budget):
        self.name, self.mobiles = name, mobiles
        self.dir = os.path.join(workdir, name)
        os.mkdir(self.dir, 0o700)
        cache = os.path.join(self.dir, "cache")
        os.mkdir(cache, 0o700)
        members = os.path.join(self.dir, "members.jsonl")
        write_members(members, mobiles)
        config = dict(sandbox.sandbox_config,
                      request_budget={"requests": budget[0], "window_s": budget[1]},
                      token_cache_path=os.path.join(cache, "token.json"))
        config_path = os.path.join(self.dir, "config.json")
        with open(os.open(config_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as f:
            json.dump(config, f)
        self.proc = subprocess.Popen([cli, "--config", config_path, "--json", "import", members],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     stdin=subprocess.DEVNULL, cwd=self.dir)
        self.summary = None

    def wait(self, what):
        """Waits for the import; True when it exited 0 having saved every member."""
        out, err = self.proc.communicate()
        lines = [l for l in out.decode(errors="replace").splitlines() if l.strip()]
        try:
            envelope = json.loads(lines[-1])
            self.summary = envelope.get("data") or {}
        except (IndexError, ValueError):
            envelope, self.summary = None, {}
        s = self.summary
        if self.proc.returncode != 0 or s.get("saved") != len(self.mobiles) or s.get("failed") \
                or s.get("refused"):
            R.problem("%s: the import exited %d: saved %s of %d, refused %s, failed %s; %s" % (
                what, self.proc.returncode, s.get("saved"), len(self.mobiles), s.get("refused"),
                s.get("failed"), (err.decode(errors="replace").strip()[-500:] or
                                  str(envelope)[:500])))
            return False
        return True


def check_exactly_once(stats, mobiles, what):
    """Every member stored by exactly one successful save, and nothing else."""
    by_mobile = stats.get("saves_by_mobile", {})
    lost = [m for m in mobiles if by_mobile.get(m, 0) == 0]
    twice = [m for m in mobiles if by_mobile.get(m, 0) > 1]
    extra = set(by_mobile) - set(mobiles)
    if lost or twice or extra:
        R.problem("%s: %d members lost, %d saved more than once, %d unknown mobiles stored" % (
            what, len(lost), len(twice), len(extra)))
        return False
    return True


def run_imports(sandbox, cli, window, retry_after, mobile_groups, budget, what):
    """One import process per group of mobiles, started together against the sandbox set to
    `window` and `retry_after` and to the account budget `budget` (requests, window in s),
    each process configured with that budget too. Returns (processes, wall, arrivals,
    stats) once all have finished, or None when one failed or the sandbox saw nothing (the
    problem reported); every member is checked to be stored exactly once."""
    sandbox.reset()
    sandbox.behaviour({"window": window, "retry_after": retry_after,
                       "account_budget": {"requests": budget[0],
                                          "window_ms": budget[1] * 1000}})
    work = tempfile.mkdtemp(prefix="jdy-bench-imports-")
    try:
        began = time.monotonic()
        processes = [ImportProcess(cli, work, "machine%d" % i, sandbox, mobiles, budget)
                     for i, mobiles in enumerate(mobile_groups)]
        # A list, not a generator: every process is waited for, whatever the first says.
        ran = all([process.wait(what) for process in processes])
        wall = time.monotonic() - began
    finally:
        shutil.rmtree(work, ignore_errors=True)
    arrivals, stats = sandbox.arrivals(), sandbox.stats()
    if not ran:
        return None
    if not arrivals:
        R.problem("%s: the sandbox recorded no arrivals" % what)
        return None
    check_exactly_once(stats, [m for group in mobile_groups for m in group], what)
    return processes, wall, arrivals, stats


def per_window(times, window_ms, window):
    """The admitted requests per window, as text: for sliding windows per whole window from
    the first arrival (a last partial one left out); for fixed ones per window of the
    gateway's own (multiples of the length), the partial first and last in brackets."""
    if not times:
        return ""
    first, last = min(times), max(times)
    start = first - first % window_ms if window == "fixed" else first
    counts = []
    low = start
    while low <= last:
        count = sum(1 for t in times if low <= t < low + window_ms)
        partial = low < first or low + window_ms > last + 1
        if partial and window != "fixed":
            break
        counts.append("[%d]" % count if partial else str(count))
        low += window_ms
    return " ".join(counts)


def per_window_label(window_ms, window):
    if window == "fixed":
        return "admitted per gateway window (fixed, %d ms; partial ones in brackets)" % window_ms
    return "admitted per whole %d ms window from the first arrival" % window_ms


def gateway_limit(window, retry_after):
    return "%s windows, %s" % (window, "429 with Retry-After" if retry_after
                               else "429 without Retry-After")


def budget_use(mode, sandbox, cli):
    n, window_ms = mode["budget"]
    count = mode["budget_members"]
    R.line("== 5. Budget use: one `jdy-member --json import` of %d members (JSON lines, distinct "
           "mobiles) against a sandbox budget of %d requests per %d ms" % (count, n, window_ms))
    R.line("  (Kingdee's %d per %d s, scaled down to %d per %g s: the same kind of limit at a "
           "higher rate, so that the run takes %.0f windows, not %.1f minutes; token limit "
           "off. The client: request_budget %d per %d s, its own token cache and budget file "
           "in a temporary folder, --concurrency 4, the default)" % (
               500, 60, n, window_ms / 1000, count / n, count / 500.0, n, window_ms // 1000))
    for window, retry_after in (("sliding", True), ("fixed", False)):
        R.line("  %s:" % gateway_limit(window, retry_after))
        what = "budget use (%s)" % window
        ran = run_imports(sandbox, cli, window, retry_after,
                          [["139%08d" % i for i in range(count)]], (n, window_ms // 1000), what)
        if ran is None:
            continue
        _, wall, arrivals, stats = ran
        times = sorted(a["at_ms"] for a in arrivals)
        admitted = sorted(a["at_ms"] for a in arrivals if not a["rate_limited"])
        refused = len(arrivals) - len(admitted)
        span = times[-1] - times[0]
        used = len(admitted) / (span / window_ms * n) if span else float("nan")
        R.line("    budget used: %.1f%% (%d admitted business calls over %.2f s = %.2f windows "
               "of %d; admitted / (span / window x %d), span = first to last arrival at the "
               "sandbox)   target >= %.0f%%  %s" % (
                   used * 100, len(admitted), span / 1000, span / window_ms, n, n,
                   TARGET_BUDGET_USE * 100,
                   R.verdict("budget used (%s)" % window, used >= TARGET_BUDGET_USE)))
        R.line("    %s: %s" % (per_window_label(window_ms, window),
                                per_window(admitted, window_ms, window)))
        share = refused / len(arrivals)
        R.line("    answered 429: %d of %d requests (%.2f%%)   target <= %.0f%%  %s" % (
            refused, len(arrivals), share * 100, TARGET_BUDGET_429 * 100,
            R.verdict("429 share (%s)" % window, share <= TARGET_BUDGET_429)))
        R.line("    token calls %d   target 1  %s; detail lookups %d   target 0  %s; "
               "save calls %d for %d members, each stored exactly once" % (
                   stats.get("token_calls"),
                   R.verdict("token calls (%s)" % window, stats.get("token_calls") == 1),
                   stats.get("detail_calls"),
                   R.verdict("detail lookups (%s)" % window, stats.get("detail_calls") == 0),
                   stats.get("save_calls"), count))
        R.line("    the import took %.1f s (%.1f members/s; at exactly %d per %g s: %.1f s)" % (
            wall, count / wall, n, window_ms / 1000, count / n * window_ms / 1000))
    sandbox.reset()


def sharing(mode, sandbox, cli):
    n, window_ms = mode["budget"]
    total = mode["share_total"]
    R.line("== 6. Sharing without a coordinator: k `jdy-member --json import` processes started "
           "together, each its own \"machine\" (own token cache and budget file, so none sees "
           "another's), each configured with the whole budget %d per %d s, against one sandbox "
           "budget of %d per %d ms" % (n, window_ms // 1000, n, window_ms))
    R.line("  (%d members in all, %d/k each: about %.0f windows at the full budget. The "
           "sandbox's token limit is off: in real life each machine holds its own cached "
           "token and fetches it once a day, here every run starts cold. Attribution: each "
           "process fetches its own token, and the sandbox's arrivals name the token's serial. "
           "The period \"while all ran\": the first arrival to the last arrival of the process "
           "that finished first)" % (total, total, total / n))
    for window, retry_after, ks in (("sliding", True, mode["share_ks"]),
                                    ("fixed", False, mode["share_fixed_ks"])):
        R.line("  %s:" % gateway_limit(window, retry_after))
        for k in ks:
            per = total // k
            groups = [["13%d%08d" % (p + 1, i) for i in range(per)] for p in range(k)]
            ran = run_imports(sandbox, cli, window, retry_after, groups, (n, window_ms // 1000),
                              "sharing, k=%d, %s" % (k, window))
            if ran is None:
                continue
            processes, wall, arrivals, stats = ran
            share_figures(k, per, window, window_ms, n, arrivals, stats, processes, wall)
    sandbox.reset()


def share_figures(k, per, window, window_ms, n, arrivals, stats, processes, wall):
    start = min(a["at_ms"] for a in arrivals)
    last_by = {}
    for a in arrivals:
        last_by[a["token_serial"]] = max(last_by.get(a["token_serial"], 0), a["at_ms"])
    cut = min(last_by.values())
    counts = dict((serial, 0) for serial in last_by)
    for a in arrivals:
        if not a["rate_limited"] and a["at_ms"] <= cut:
            counts[a["token_serial"]] += 1
    admitted = sum(counts.values())
    period = cut - start
    used = admitted / (period / window_ms * n) if period else float("nan")
    refused = sum(1 for a in arrivals if a["rate_limited"])
    share = refused / len(arrivals)
    seconds = "/".join("%.1f" % (p.summary or {}).get("seconds", float("nan"))
                       for p in processes)
    R.line("    k=%d: %d x %d members; done in %.1f s (processes %s s; at exactly %d per %g s: "
           "%.1f s); token calls %d, detail lookups %d" % (
               k, k, per, wall, seconds, n, window_ms / 1000, k * per / n * window_ms / 1000,
               stats.get("token_calls"), stats.get("detail_calls")))
    if len(last_by) != k:
        R.line("      !! %d token serials among the arrivals for %d processes: the per-process "
               "figures below are per token" % (len(last_by), k))
    R.line("      gateway budget used while all ran (%.1f s, %d admitted): %.1f%%   "
           "target >= %.0f%%  %s" % (
               period / 1000, admitted, used * 100, TARGET_SHARED_USE * 100,
               R.verdict("shared budget used (k=%d, %s)" % (k, window),
                         used >= TARGET_SHARED_USE)))
    R.line("      answered 429: %d of %d requests (%.2f%%)   target <= %.0f%%  %s" % (
        refused, len(arrivals), share * 100, TARGET_SHARED_429 * 100,
        R.verdict("shared 429 share (k=%d, %s)" % (k, window), share <= TARGET_SHARED_429)))
    if k > 1:
        fair = admitted / len(counts)
        smallest = min(counts.values())
        R.line("      fairness: admitted per process while all ran %s; the smallest over the "
               "fair share (%.0f): %.2f   target >= %.1f  %s" % (
                   "/".join(str(counts[s]) for s in sorted(counts)), fair, smallest / fair,
                   TARGET_FAIRNESS,
                   R.verdict("fairness (k=%d, %s)" % (k, window),
                             smallest / fair >= TARGET_FAIRNESS)))
    R.line("      %s, all processes: %s" % (
        per_window_label(window_ms, window),
        per_window([a["at_ms"] for a in arrivals if not a["rate_limited"]], window_ms, window)))


def short_sharing(mode, sandbox, cli):
    n, window_ms = mode["short_budget"]
    per = mode["short_per"]
    R.line("== 7. Sharing in a short import: k `jdy-member --json import` processes of %d members "
           "each, started together, each its own \"machine\" configured with the whole budget, "
           "against one sandbox budget of %d per %d ms (Kingdee's 500 a minute scaled down; a "
           "few windows in all, so the first 429s and the win-back weigh most)" % (
               per, n, window_ms))
    R.line("  (budget used = the time the members need at exactly %d per %g s, over the time "
           "from the first to the last admitted arrival plus one spacing; the tail, when one "
           "process finishes before the others, counts)" % (n, window_ms / 1000))
    for window, retry_after in (("sliding", True), ("sliding", False), ("fixed", False)):
        R.line("  %s:" % gateway_limit(window, retry_after))
        for k in mode["short_ks"]:
            groups = [["15%d%08d" % (p + 1, i) for i in range(per)] for p in range(k)]
            what = "short sharing, k=%d, %s%s" % (k, window, "" if retry_after else ", no Retry-After")
            ran = run_imports(sandbox, cli, window, retry_after, groups,
                              (n, window_ms // 1000), what)
            if ran is None:
                continue
            processes, wall, arrivals, _ = ran
            admitted = sorted(a["at_ms"] for a in arrivals if not a["rate_limited"])
            refused = len(arrivals) - len(admitted)
            ideal_ms = len(admitted) / n * window_ms
            used = ideal_ms / (admitted[-1] - admitted[0] + window_ms / n)
            share = refused / len(arrivals)
            judged = k == 3
            seconds = "/".join("%.1f" % (p.summary or {}).get("seconds", float("nan"))
                               for p in processes)
            R.line("    k=%d: %d members in %.1f s (processes %s s; at exactly %d per %g s: "
                   "%.1f s): budget used %.1f%%%s; answered 429: %d of %d (%.2f%%)%s" % (
                       k, k * per, wall, seconds, n, window_ms / 1000, ideal_ms / 1000,
                       used * 100,
                       "   target >= %.0f%%  %s" % (
                           TARGET_SHORT_USE * 100,
                           R.verdict("short sharing used (k=3, %s%s)" % (
                               window, "" if retry_after else ", no Retry-After"),
                               used >= TARGET_SHORT_USE)) if judged else "",
                       refused, len(arrivals), share * 100,
                       "   target <= %.0f%%  %s" % (
                           TARGET_SHORT_429 * 100,
                           R.verdict("short sharing 429 share (k=3, %s%s)" % (
                               window, "" if retry_after else ", no Retry-After"),
                               share <= TARGET_SHORT_429)) if judged else ""))
            R.line("      %s: %s" % (per_window_label(window_ms, window),
                                     per_window(admitted, window_ms, window)))
    sandbox.reset()


# --- 8. workbooks ----------------------------------------------------------------------------

WORKBOOK_PARTS = {
    "[Content_Types].xml": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
        '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
        '</Types>'),
    "_rels/.rels": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
        '</Relationships>'),
    "xl/workbook.xml": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        '<sheets><sheet name="会员资料" sheetId="1" r:id="rId1"/></sheets></workbook>'),
    "xl/_rels/workbook.xml.rels": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
        '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>'
        '<Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>'
        '</Relationships>'),
    # Style 1 is Excel's built-in date format 14 (what a birthday cell carries).
    "xl/styles.xml": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        '<cellXfs count="2"><xf numFmtId="0"/><xf numFmtId="14" applyNumberFormat="1"/></cellXfs>'
        '</styleSheet>'),
}


def workbook_members(rows):
    """The rows of section 8: (mobile, name, sex, birthday as YYYY-MM-DD and as Excel's day)."""
    import datetime
    epoch = datetime.date(1899, 12, 30)
    for i in range(rows):
        day = datetime.date(1960, 1, 1) + datetime.timedelta(days=i % 15000)
        yield 13800000000 + i, "会员%d" % i, "男" if i % 2 else "女", day.isoformat(), (day - epoch).days


def write_workbook_files(directory, rows, xlsx=True):
    """members.csv and members.xlsx of the same rows; the workbook as Excel writes one:
    a title row above the header, mobiles as numbers, names in the shared strings,
    birthdays as date cells."""
    import zipfile
    from xml.sax.saxutils import escape
    csv_path = os.path.join(directory, "members.csv")
    xlsx_path = os.path.join(directory, "members.xlsx")
    with open(csv_path, "w", encoding="utf-8") as f:
        f.write("手机号,姓名,性别,生日\n")
        for mobile, name, sex, iso, _ in workbook_members(rows):
            f.write("%d,%s,%s,%s\n" % (mobile, name, sex, iso))
    if not xlsx:
        return csv_path, None
    header = ["手机号", "姓名", "性别", "生日"]
    fixed = ["会员资料导出", "男", "女"] + header  # shared strings 0..6; names follow
    with zipfile.ZipFile(xlsx_path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, text in WORKBOOK_PARTS.items():
            z.writestr(name, text)
        with z.open("xl/sharedStrings.xml", "w") as f:
            f.write(('<?xml version="1.0" encoding="UTF-8" standalone="yes"?><sst xmlns='
                     '"http://schemas.openxmlformats.org/spreadsheetml/2006/main">').encode())
            f.write("".join("<si><t>%s</t></si>" % escape(t) for t in fixed).encode())
            for _, name, _, _, _ in workbook_members(rows):
                f.write(("<si><t>%s</t></si>" % escape(name)).encode())
            f.write(b"</sst>")
        with z.open("xl/worksheets/sheet1.xml", "w") as f:
            f.write(('<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns='
                     '"http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
                     '<row r="1"><c r="A1" t="s"><v>0</v></c></row><row r="2">').encode())
            f.write("".join('<c r="%s2" t="s"><v>%d</v></c>' % (c, 3 + i)
                            for i, c in enumerate("ABCD")).encode())
            f.write(b"</row>")
            chunk = []
            for i, (mobile, _, sex, _, serial) in enumerate(workbook_members(rows)):
                r = i + 3
                chunk.append('<row r="%d"><c r="A%d"><v>%d</v></c><c r="B%d" t="s"><v>%d</v></c>'
                             '<c r="C%d" t="s"><v>%d</v></c><c r="D%d" s="1"><v>%d</v></c></row>'
                             % (r, r, mobile, r, len(fixed) + i, r, 1 if sex == "男" else 2,
                                r, serial))
                if len(chunk) >= 5000:
                    f.write("".join(chunk).encode())
                    chunk = []
            f.write("".join(chunk).encode())
            f.write(b"</sheetData></worksheet>")
    return csv_path, xlsx_path


def run_peak(argv, env=None):
    """Runs argv; returns (exit code, stderr, seconds, peak resident MB). The peak is the
    process's own high-water mark (VmHWM), sampled every 2 ms: wait4's figure would also
    count this Python process, whose memory a spawned child inherits until exec."""
    started = time.time()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            stdin=subprocess.DEVNULL, env=env)
    stderr = []
    reader = threading.Thread(target=lambda: stderr.append(proc.stderr.read()))
    reader.start()
    peak_kb = 0
    status_path = "/proc/%d/status" % proc.pid
    while proc.poll() is None:
        try:
            with open(status_path) as f:
                for line in f:
                    if line.startswith("VmHWM:"):
                        peak_kb = max(peak_kb, int(line.split()[1]))
        except (OSError, ValueError, IndexError):
            pass
        time.sleep(0.002)
    reader.join()
    return (proc.returncode, b"".join(stderr).decode(errors="replace"),
            time.time() - started, peak_kb / 1024)


def workbooks(mode, cli):
    rows = mode["workbook_rows"]
    R.line("== 8. Workbooks: `jdy-member validate` of %d members as .xlsx (a title row, numeric "
           "mobiles, date cells, names in the shared strings) and as CSV (the same rows)" % rows)
    directory = tempfile.mkdtemp(prefix="jdy-bench-workbook-")
    try:
        csv_path, xlsx_path = write_workbook_files(directory, rows)
        for label, path in (("CSV", csv_path), (".xlsx", xlsx_path)):
            code, stderr, seconds, peak_mb = run_peak([cli, "validate", path])
            expected = "%d records" % rows
            if code != 0 or expected not in stderr or "%d valid" % rows not in stderr:
                R.problem("validate of the %s did not find %d valid records (exit %d): %s" % (
                    label, rows, code, stderr.strip()[-300:]))
                continue
            R.line("  %-5s %6.1f MB file: %.2f s, peak %.1f MB" % (
                label, os.path.getsize(path) / 1024 / 1024, seconds, peak_mb))
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def run_import_sampled(argv, journal, rows, kill_at=None):
    """Runs an import; returns (exit code, stderr, seconds, peak MB, {10: MB, 50: MB, 100: MB}):
    the resident memory (VmRSS) when the journal first says 10 %, 50 % and 100 % of the rows
    saved, and the high-water mark (VmHWM) of the whole run, sampled every 10 ms. When the
    process ends before a sample sees 100 %, its last sample (within 10 ms of the end) counts.
    With `kill_at` (a percentage), the import is killed with SIGKILL once the journal says
    that share of the rows saved, as a power cut would stop it."""
    started = time.time()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            stdin=subprocess.DEVNULL)
    stderr = []
    reader = threading.Thread(target=lambda: stderr.append(proc.stderr.read()))
    reader.start()
    peak_kb, at, saved, offset, carry, last_mb = 0, {}, 0, 0, b"", None
    marker = b'"state":"saved"'
    status_path = "/proc/%d/status" % proc.pid
    while proc.poll() is None:
        try:
            with open(journal, "rb") as f:
                f.seek(offset)
                data = carry + f.read()
            offset += len(data) - len(carry)
            saved += data.count(marker)
            # A marker cut by the end of what was read is counted with the next read.
            carry = data[-(len(marker) - 1):]
        except OSError:
            pass
        try:
            with open(status_path) as f:
                status = dict(line.split(":", 1) for line in f if ":" in line)
            rss_kb = int(status["VmRSS"].split()[0])
            peak_kb = max(peak_kb, int(status["VmHWM"].split()[0]))
            last_mb = rss_kb / 1024
        except (OSError, ValueError, KeyError, IndexError):
            rss_kb = None
        for share in (10, 50, 100):
            if share not in at and rss_kb is not None and saved * 100 >= share * rows:
                at[share] = rss_kb / 1024
        if kill_at is not None and saved * 100 >= kill_at * rows:
            proc.kill()
            proc.wait()
            break
        time.sleep(0.01)
    reader.join()
    if 100 not in at and last_mb is not None:
        at[100] = last_mb
    return (proc.returncode, b"".join(stderr).decode(errors="replace"),
            time.time() - started, peak_kb / 1024, at)


def streaming(mode, cli):
    R.line("== 9. Streaming: `jdy-member validate` and `import` of the same members (4 columns) "
           "as CSV and .xlsx, by rows; imports against a sandbox with the budget off (no "
           "account budget, no client request budget): time, peak memory (VmHWM), and the "
           "memory (VmRSS) when 10 %, 50 % and 100 % of the rows are saved")
    R.line("  %-9s %-6s %-9s %8s %10s   %s" % ("rows", "format", "command", "time", "peak",
                                            "at 10 % / 50 % / 100 %"))
    sandbox = SandboxProcess(cli, {"account_budget": None, "token_limit": None})
    try:
        for rows in mode["stream_rows"]:
            directory = tempfile.mkdtemp(prefix="jdy-bench-stream-")
            try:
                stream_rows(cli, sandbox, directory, rows)
            finally:
                shutil.rmtree(directory, ignore_errors=True)
    finally:
        sandbox.stop()


def stream_rows(cli, sandbox, directory, rows):
    """The rows of section 9 at one size: both formats, both commands."""
    csv_path, xlsx_path = write_workbook_files(directory, rows)
    config_path = os.path.join(directory, "config.json")
    with open(config_path, "w") as f:
        json.dump(sandbox.config, f)
    judged = rows == TARGET_STREAM_ROWS
    for label, path in (("CSV", csv_path), (".xlsx", xlsx_path)):
        code, stderr, seconds, peak_mb = run_peak([cli, "validate", path])
        if code != 0 or "%d valid" % rows not in stderr:
            R.problem("validate of %d rows of %s (exit %d): %s" % (rows, label, code,
                                                                  stderr.strip()[-300:]))
            continue
        verdicts = ""
        if judged:
            verdicts = "  peak < %.0f MB: %s" % (TARGET_STREAM_PEAK_MB, R.verdict(
                "validate %s peak" % label, peak_mb < TARGET_STREAM_PEAK_MB))
            if label == "CSV":
                verdicts += "; time <= %.0f s: %s" % (TARGET_STREAM_VALIDATE_CSV_S, R.verdict(
                    "validate CSV time", seconds <= TARGET_STREAM_VALIDATE_CSV_S))
        R.line("  %-9d %-6s %-9s %7.2fs %7.1f MB%s" % (rows, label, "validate", seconds,
                                                     peak_mb, verdicts))
    for label, path, journal in (("CSV", csv_path, csv_path[:-4] + ".journal.jsonl"),
                                 (".xlsx", xlsx_path, xlsx_path + ".journal.jsonl")):
        sandbox.reset()
        code, stderr, seconds, peak_mb, at = run_import_sampled(
            [cli, "--config", config_path, "import", path], journal, rows)
        if code != 0 or "saved %d," % rows not in stderr:
            R.problem("import of %d rows of %s (exit %d): %s" % (rows, label, code,
                                                                stderr.strip()[-300:]))
            continue
        check_saves(sandbox, rows, "import of %d rows of %s" % (rows, label))
        shares = " / ".join("%.1f" % at[s] if s in at else "-" for s in (10, 50, 100))
        verdicts = ""
        if judged:
            flat = peak_mb < TARGET_STREAM_PEAK_MB and all(
                at.get(s, float("inf")) < TARGET_STREAM_PEAK_MB for s in (10, 50, 100))
            verdicts = "  < %.0f MB throughout: %s" % (
                TARGET_STREAM_PEAK_MB, R.verdict("import %s memory" % label, flat))
        R.line("  %-9d %-6s %-9s %7.1fs %7.1f MB   %s MB (%.0f members/s)%s" % (
            rows, label, "import", seconds, peak_mb, shares, rows / seconds, verdicts))
    resume_after_kill(cli, sandbox, csv_path, config_path, rows, judged)


def resume_after_kill(cli, sandbox, csv_path, config_path, rows, judged):
    """The CSV import killed with SIGKILL half way, then `--resume`d: every member saved
    exactly once (the sandbox counts save calls), in flat memory both times."""
    journal = csv_path[:-4] + ".journal.jsonl"
    sandbox.reset()
    os.remove(journal)
    argv = [cli, "--config", config_path, "import", csv_path]
    code, stderr, first_s, first_mb, _ = run_import_sampled(argv, journal, rows, kill_at=50)
    if code != -signal.SIGKILL:
        R.line("  %-9d %-6s the import ended (exit %d) before it could be killed half way" % (
            rows, "CSV", code))
    code, stderr, seconds, peak_mb, _ = run_import_sampled(argv + ["--resume"], journal, rows)
    if code != 0:
        R.problem("--resume of %d rows of CSV after kill -9 (exit %d): %s" % (
            rows, code, stderr.strip()[-300:]))
        return
    once = check_saves(sandbox, rows, "import of %d rows killed half way, then --resume" % rows)
    verdicts = ""
    if judged:
        verdicts = "  each saved once, < %.0f MB: %s" % (TARGET_STREAM_PEAK_MB, R.verdict(
            "import killed and resumed",
            once and max(first_mb, peak_mb) < TARGET_STREAM_PEAK_MB))
    R.line("  %-9d %-6s %-9s %7.1fs %7.1f MB   killed at 50 %% after %.1f s (%.1f MB), "
           "resumed%s" % (rows, "CSV", "resume", seconds, peak_mb, first_s, first_mb, verdicts))


def wine_memory(mode, wine, exe):
    rows = mode["wine_rows"]
    R.line("== 10. The till's build under Wine: the 32-bit jdy-member.exe (win-x86) `validate` of "
           "%d members as CSV under 32-bit Wine, code page 936: time and peak memory (VmHWM of "
           "the process the program runs in; wineserver and Wine's services started first)" % rows)
    if not wine or not exe:
        R.line("  NOT RUN: no 32-bit Wine or no win-x86 jdy-member.exe (scripts/bench says why)")
        return
    directory = tempfile.mkdtemp(prefix="jdy-bench-wine-")
    env = dict(os.environ, LANG="zh_CN.UTF-8", WINEDEBUG="-all")
    quiet = dict(stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wineserver = os.path.join(os.path.dirname(wine), "wineserver")
    try:
        csv_path, _ = write_workbook_files(directory, rows, xlsx=False)
        # A persistent wineserver and the services a first program starts (which would keep
        # a copy of its standard error open and count in its time), with no output of ours.
        subprocess.run([wineserver, "-p"], env=env, start_new_session=True, **quiet)
        subprocess.run([wine, "cmd", "/c", "exit"], env=env, timeout=120, **quiet)
        code, stderr, seconds, peak_mb = run_peak([wine, exe, "validate", csv_path], env=env)
        if code != 0 or "%d valid" % rows not in stderr:
            R.problem("validate of %d rows under Wine (exit %d): %s" % (rows, code,
                                                                     stderr.strip()[-300:]))
            return
        verdict = ""
        if rows == TARGET_STREAM_ROWS:
            verdict = "  peak < %.0f MB: %s" % (TARGET_STREAM_PEAK_MB, R.verdict(
                "validate under 32-bit Wine peak", peak_mb < TARGET_STREAM_PEAK_MB))
        R.line("  %-9d %-6s %-9s %7.2fs %7.1f MB%s" % (rows, "CSV", "validate", seconds, peak_mb,
                                                     verdict))
    finally:
        subprocess.run([wineserver, "-k"], env=env, timeout=60, **quiet)
        shutil.rmtree(directory, ignore_errors=True)


def elf_sections(path):
    """Section names of a 64-bit little-endian ELF file, or None."""
    import struct
    try:
        with open(path, "rb") as f:
            data = f.read()
        if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
            return None
        shoff, = struct.unpack_from("<Q", data, 0x28)
        shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x3A)
        def header(i):
            name, = struct.unpack_from("<I", data, shoff + i * shentsize)
            offset, size = struct.unpack_from("<QQ", data, shoff + i * shentsize + 0x18)
            return name, offset, size
        _, str_off, str_size = header(shstrndx)
        names = data[str_off:str_off + str_size]
        return {names[n:names.index(b"\0", n)].decode() for n, _, _ in map(header, range(shnum))}
    except (OSError, struct.error, ValueError, IndexError):
        return None


# --- main -------------------------------------------------------------------------------------

def machine():
    model = ""
    try:
        with open("/proc/cpuinfo") as f:
            model = next((l.split(":", 1)[1].strip() for l in f if l.startswith("model name")),
                         "")
    except OSError:
        pass
    rustc = subprocess.run(["rustc", "--version"], stdout=subprocess.PIPE,
                           stderr=subprocess.DEVNULL).stdout.decode().strip()
    return "%d CPUs (%s), Linux %s, %s, Python %s" % (
        os.cpu_count() or 0, model, platform.release(), rustc, platform.python_version())


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--target-dir", required=True)
    parser.add_argument("--bin-dir", required=True)
    parser.add_argument("--criterion-executables", metavar="JSON",
                        help="output of cargo bench --no-run --message-format=json")
    parser.add_argument("--cli", metavar="PATH",
                        help="the jdy-member binary (default: TARGET_DIR/release/jdy-member)")
    parser.add_argument("--wine32", metavar="PATH", help="32-bit Wine's loader (section 10)")
    parser.add_argument("--win32-exe", metavar="PATH",
                        help="the win-x86 jdy-member.exe scripts/dist builds (section 10)")
    parser.add_argument("--sections", metavar="N,N", default="1,2,3,4,5,6,7,8,9,10",
                        help="run only these sections (default: all)")
    args = parser.parse_args()
    chosen = set(int(n) for n in args.sections.split(",") if n.strip())
    mode = QUICK if args.quick else FULL
    R.quick = args.quick
    bins = {name: os.path.join(args.bin_dir, name)
            for name in ("save_loop", "batch", "load", "pingpong", "bare_save")}
    lib_path = os.path.join(args.target_dir, "release", "libjdy_member.so")
    cli = os.path.abspath(args.cli or os.path.join(args.target_dir, "release", "jdy-member"))

    started = time.time()
    R.line("jdy-member benchmarks (%s mode), %s" % ("quick" if args.quick else "full",
                                                    time.strftime("%Y-%m-%d %H:%M:%S")))
    R.line("machine: " + machine())
    if args.quick:
        R.line("quick mode: tiny counts, a smoke check that the benchmarks work; the figures "
               "are not the measurements")
    R.line()

    def timed(section, *section_args):
        began = time.time()
        section(*section_args)
        R.line("  (%.1f s)" % (time.time() - began))
        R.line()

    if 1 not in chosen:
        pass
    elif args.criterion_executables:
        timed(criterion, mode, args.target_dir, args.criterion_executables)
    else:
        R.line("(criterion skipped: no --criterion-executables)")
        R.line()
    # The unpaced sections: no account budget, no token limit at the sandbox (by default it
    # models Kingdee's 500 requests and 2 token calls a minute).
    if chosen & {2, 3, 4}:
        sandbox = SandboxProcess(cli, {"account_budget": None, "token_limit": None})
        try:
            if 2 in chosen:
                timed(side_by_side, mode, sandbox, bins, sys.executable)
            if 3 in chosen:
                timed(bulk, mode, sandbox, bins)
            if 4 in chosen:
                timed(memory_size_load, mode, sandbox, bins, lib_path)
        finally:
            sandbox.stop()
    # The budget sections: a scaled-down account budget, the token limit off (each process
    # fetches its own token once).
    if chosen & {5, 6, 7}:
        requests, window_ms = mode["budget"]
        sandbox = SandboxProcess(cli, {"account_budget": {"requests": requests,
                                                          "window_ms": window_ms},
                                       "token_limit": None, "window": "sliding",
                                       "retry_after": True})
        try:
            if 5 in chosen:
                timed(budget_use, mode, sandbox, cli)
            if 6 in chosen:
                timed(sharing, mode, sandbox, cli)
            if 7 in chosen:
                timed(short_sharing, mode, sandbox, cli)
        finally:
            sandbox.stop()
    if 8 in chosen:
        timed(workbooks, mode, cli)
    if 9 in chosen:
        timed(streaming, mode, cli)
    if 10 in chosen:
        timed(wine_memory, mode, args.wine32, args.win32_exe)

    passed = sum(1 for _, ok in R.verdicts if ok)
    R.line("== Summary: %d PASS, %d MISS%s%s (%.0f s)" % (
        passed, len(R.verdicts) - passed, " (quick: not judged)" if R.quick else "",
        "" if not R.problems else ", %d benchmark FAILURES" % len(R.problems),
        time.time() - started))
    for name, ok in R.verdicts:
        if not ok:
            R.line("  MISS: " + name)
    for problem in R.problems:
        R.line("  FAILED: " + problem.splitlines()[0])
    return 1 if R.problems else 0


if __name__ == "__main__":
    sys.exit(main())
