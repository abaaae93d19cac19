"""Load benchmark of ``formgen intake serve`` (issue 28): N enterprises submitting in the same
minute to two server processes (waitress, each with its threads) on one database.

    python scripts/bench_intake.py [--enterprises 100] [--spread 60] [--db postgresql://…]
    python scripts/bench.py --intake …       # the same, from the benchmark script

Each enterprise gets its own link (``Intake.invite``) and submits the Gansu example made its
own (its name and valid codes), at a moment drawn uniformly in the first ``--spread`` seconds
(0: all at once), to one of the two processes in turn, over HTTP with the multipart field
``file``. Prints the answers' wall-clock times (median, 90th percentile, slowest), then checks
the database: every submission accepted once, each its enterprise's 第1版, every stored file's
SHA-256 as recorded, nothing lost or duplicated. Not a test: times depend on the machine and
its load (a figure from a machine others share is an upper bound).
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import random
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from formgen.intake.db import Intake  # noqa: E402

GANSU = ROOT / "data" / "examples" / "gansu-longyuan.yaml"
NAME, CODE, ORG = "甘肃陇原精工机械有限公司", "916201037102653100", "710265310"


def record(n: int) -> tuple[str, bytes]:
    """The n-th enterprise's name and its record: the Gansu example with its own name and codes."""
    from stdnum.cn import uscc

    from formgen.record.ids import org_check_char

    body = f"{71026531 + n:08d}"
    org = body + org_check_char(body)
    code = "91620103" + org
    code += uscc.calc_check_digit(code)
    name = f"甘肃压测{n:03d}号机械有限公司"
    text = GANSU.read_text(encoding="utf-8").replace(NAME, name).replace(CODE, code).replace(ORG, org)
    return name, text.encode("utf-8")


def multipart(name: str, data: bytes) -> tuple[bytes, str]:
    boundary = "formgen-bench-" + hashlib.sha256(data).hexdigest()[:16]
    head = f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n\r\n'
    return head.encode() + data + f"\r\n--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def start_server(db: str, threads: int) -> tuple[subprocess.Popen, int]:
    cmd = [sys.executable, "-m", "formgen", "intake", "serve", "--db", db, "--port", "0", "--threads", str(threads)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=ROOT)
    for _ in range(20):
        found = re.search(r"127\.0\.0\.1:(\d+) 上运行", proc.stdout.readline())
        if found:
            return proc, int(found.group(1))
    proc.kill()
    raise SystemExit("the server did not start")


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--enterprises", type=int, default=100, help="enterprises submitting (one submission each)")
    ap.add_argument("--spread", type=float, default=60.0, help="seconds over which they start (0: all at once)")
    ap.add_argument("--threads", type=int, default=8, help="threads of each server process")
    ap.add_argument(
        "--db", help="a PostgreSQL URL (emptied of nothing: give an empty database); default a new SQLite file"
    )
    args = ap.parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="formgen-bench-intake-"))
    db = args.db or str(tmp / "registry.sqlite")
    intake = Intake(db, create=True)
    intake.init("压测单位", "http://127.0.0.1", tmp / "files")
    until = dt.date.today() + dt.timedelta(days=30)
    jobs = []
    for n in range(args.enterprises):
        name, data = record(n)
        secret = intake.invite("2026", "gansu", name, until)[1]
        jobs.append((n, name, secret, data))
    servers = [start_server(db, args.threads) for _ in range(2)]
    results: list[tuple[int, float, int, dict]] = []
    lock = threading.Lock()
    rng = random.Random(28)
    t0 = time.monotonic() + 1.0

    def submit(n: int, secret: str, data: bytes, at: float) -> None:
        time.sleep(max(0.0, at - time.monotonic()))
        port = servers[n % 2][1]
        body, kind = multipart(f"{n}.yaml", data)
        req = urllib.request.Request(
            f"http://127.0.0.1:{port}/s/{secret}/submit", data=body, headers={"Content-Type": kind}
        )
        start = time.monotonic()
        try:
            with urllib.request.urlopen(req, timeout=300) as resp:
                status, answer = resp.status, json.loads(resp.read())
        except Exception as e:  # noqa: BLE001 - counted as a failure below
            status, answer = 0, {"error": repr(e)}
        with lock:
            results.append((n, time.monotonic() - start, status, answer))

    threads = [
        threading.Thread(target=submit, args=(n, secret, data, t0 + rng.uniform(0, args.spread)))
        for n, _name, secret, data in jobs
    ]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        for proc, _port in servers:
            proc.terminate()
            proc.wait(30)
    times = sorted(r[1] for r in results)
    accepted = sum(1 for r in results if r[2] == 200 and r[3].get("accepted"))
    print(f"| {args.enterprises} enterprises over {args.spread:g} s, 2 processes × {args.threads} threads | |")
    print("| --- | --- |")
    print(f"| accepted | {accepted} of {len(results)} |")
    print(f"| median answer | {statistics.median(times):.2f} s |")
    print(f"| 90th percentile | {times[int(0.9 * (len(times) - 1))]:.2f} s |")
    print(f"| slowest | {times[-1]:.2f} s |")
    # nothing lost or duplicated: one submission per link, 第1版, its files as recorded
    problems = []
    for _n, name, secret, data in jobs:
        invite = intake.invite_by_secret(secret)
        subs = intake.submissions_of(invite.id)
        if [s["version"] for s in subs] != [1]:
            problems.append(f"{name}: versions {[s['version'] for s in subs]}")
            continue
        for f in subs[0]["files"]:
            if hashlib.sha256(intake.path_of(f["stored"]).read_bytes()).hexdigest() != f["sha256"]:
                problems.append(f"{name}: {f['name']} differs from its SHA-256")
        upload = next(f for f in subs[0]["files"] if f["kind"] == "upload")
        if upload["sha256"] != hashlib.sha256(data).hexdigest():
            problems.append(f"{name}: the kept upload is not the file sent")
    registered = intake.registry.list("2026", all_versions=True)
    if len(registered) != args.enterprises:
        problems.append(f"registry: {len(registered)} rows for {args.enterprises} enterprises")
    print(f"| lost or duplicated | {len(problems)} |")
    for p in problems[:10]:
        print("  ", p)
    if args.db is None:
        import shutil

        shutil.rmtree(tmp, ignore_errors=True)
    sys.exit(1 if problems or accepted != args.enterprises else 0)


if __name__ == "__main__":
    main()
