"""Sequential saves through the Python package (ctypes), for the side-by-side benchmark.

    python lib_save.py CONFIG_JSON SEED_FILE FIRST_MOBILE WARMUP COUNT

Prints one JSON line like the C program: wall time, this process's user and system CPU over
the COUNT measured saves (resource.getrusage, RUSAGE_SELF), p50/p99 latency.
"""

import json
import resource
import sys
import time

import jdy_member


def main():
    config = json.loads(sys.argv[1])
    with open(sys.argv[2], encoding="utf-8") as f:
        seed = json.load(f)
    with jdy_member.Client(**config) as client:
        def save(member):
            try:
                client.save_member(member)
                return None
            except jdy_member.JdyError as e:
                return str(e)

        return measure(save, seed, int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]))


def measure(save, seed, mobile, warmup, count):
    """Times COUNT sequential saves of the seed member under fresh mobiles after WARMUP
    untimed ones, and prints the report line. `save(member)` returns None or why it failed.
    Shared by every Python contender so that all are timed the same way."""
    for _ in range(warmup):
        problem = save(dict(seed, mobile=str(mobile)))
        mobile += 1
        if problem:
            raise SystemExit("warm-up save failed: %s" % problem)
    latencies = [0.0] * count
    failures = 0
    clock = time.perf_counter
    before = resource.getrusage(resource.RUSAGE_SELF)
    start = clock()
    for i in range(count):
        member = dict(seed, mobile=str(mobile))
        mobile += 1
        t0 = clock()
        problem = save(member)
        latencies[i] = clock() - t0
        if problem:
            if not failures:
                print("save failed: %s" % problem, file=sys.stderr)
            failures += 1
    wall = clock() - start
    after = resource.getrusage(resource.RUSAGE_SELF)
    latencies.sort()
    print(json.dumps(report(count, failures, wall, before, after, latencies)))
    return 1 if failures else 0


def quantile(ordered, q):
    if not ordered:
        return 0.0
    rank = min(len(ordered), max(1, int(q * len(ordered) + 0.999999)))
    return ordered[rank - 1]


def report(count, failures, wall, before, after, latencies):
    return {
        "count": count,
        "failures": failures,
        "wall_s": wall,
        "user_s": after.ru_utime - before.ru_utime,
        "sys_s": after.ru_stime - before.ru_stime,
        "p50_us": quantile(latencies, 0.50) * 1e6,
        "p99_us": quantile(latencies, 0.99) * 1e6,
    }


if __name__ == "__main__":
    sys.exit(main())
