#!/usr/bin/env python3
"""Load benchmark harness: loads the standard dataset into a fresh database, starts the
release server, and runs each scenario with wrk (32 connections, fixed duration), reporting
requests/s, p50, p99, responses by status, the server's peak RSS and CPU seconds per 1,000
requests. On PostgreSQL it also runs the pgbench ceiling for booking inserts.

    python3 bench/run.py sqlite|postgres [--duration 20] [--only catalog,create,sale_many,sale_hot,sale_scarce,recommend,recommend_warm,voice_parse,voice_turn]

Needs: wrk (apt-get install wrk), pgbench for PostgreSQL (postgresql-contrib/client).
"""
import argparse
import datetime as dt
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH = os.path.join(ROOT, "bench")
BIN = os.path.join(ROOT, "target", "release", "salon")
PG_ADMIN = os.environ.get("BENCH_PG_ADMIN", "postgres://postgres@127.0.0.1:5432/postgres")
# TLS off for both the server and pgbench: over loopback it protects nothing, and left at
# libpq's and sqlx's default (prefer) it costs 10-20 % on both sides (see BENCHMARKS.md).
PG_URL = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/salon_bench?sslmode=disable")
PORT = int(os.environ.get("BENCH_PORT", "8089"))
BASE = f"http://127.0.0.1:{PORT}"
SECRET = "bench-secret-0123456789-0123456789-0123456789"
CONNECTIONS = 32
CLK_TCK = os.sysconf("SC_CLK_TCK")
SCARCE = None  # (sku, admin token) of the product that sells out in `sale_scarce`
REFRESH_ADMIN = None  # the admin token that asks for the recommendations refresh


def api(method, path, token=None, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(BASE + path, data=data, method=method)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", "Bearer " + token)
    with urllib.request.urlopen(req) as res:
        return json.loads(res.read() or b"null")


def login(email):
    return api("POST", "/api/v1/users/login", body={"email": email, "password": "bench-password"})["access_token"]


def proc_stats(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / CLK_TCK
    rss = hwm = 0
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                hwm = int(line.split()[1]) // 1024
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1]) // 1024
    return cpu, rss, hwm


def start_server(env):
    log = open(os.path.join(tempfile.gettempdir(), "salon-bench-server.log"), "w")
    proc = subprocess.Popen([BIN, "serve"], env=env, stdout=log, stderr=log)
    for _ in range(200):
        try:
            urllib.request.urlopen(BASE + "/healthz").read()
            return proc
        except Exception:
            time.sleep(0.05)
    raise SystemExit("server did not start; see " + log.name)


def write_lines(path, rows):
    with open(path, "w") as f:
        for method, p, token, body in rows:
            f.write(f"{method}\t{p}\t{token}\t{json.dumps(body) if body is not None else ''}\n")


def free_slots(staff_ids, first_day, days):
    """On-the-half-hour starts in working hours (Mon-Sat 09-13, 14-19 UTC) from `first_day`:
    the dataset books nothing beyond 14 days ahead."""
    slots = []
    for d in range(days):
        day = first_day + dt.timedelta(days=d)
        if day.isoweekday() == 7:
            continue
        for minute in list(range(9 * 60, 13 * 60, 30)) + list(range(14 * 60, 19 * 60, 30)):
            for staff in staff_ids:
                slots.append((staff, f"{day.isoformat()}T{minute // 60:02d}:{minute % 60:02d}:00Z"))
    return slots


def prepare(tmp, duration):
    admin = login("admin@bench.example")
    client = login("client0@bench.example")
    services = api("GET", "/api/v1/services?limit=200", admin)["items"]
    service0 = next(s for s in services if s["name"] == "Service 0")  # 30 minutes, no buffer
    staff = sorted(s["id"] for s in api("GET", "/api/v1/staff?limit=200")["items"])
    clients = []
    offset = 0
    while True:
        page = api("GET", f"/api/v1/users?role=client&limit=200&offset={offset}", admin)
        clients += [u["id"] for u in page["items"]]
        offset += 200
        if offset >= page["total"]:
            break
    future = api("GET", "/api/v1/bookings?status=confirmed&limit=200&from=" + dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"), admin)["items"]
    today = dt.date.today()
    first_free = today + dt.timedelta(days=16)
    dates = [(today + dt.timedelta(days=d)).isoformat() for d in range(1, 15)]
    # Enough free slots that no scenario runs out (a repeated slot would be a 409): a year
    # ahead, with the booking horizon opened to match.
    api("PATCH", "/api/v1/settings", admin, {"max_advance_days": 400})
    slots = free_slots(staff, first_free, 365)
    n_create = len(slots) // 2

    files = {}
    rows = [("GET", "/api/v1/services?limit=50", client, None)]
    files["catalog"] = rows
    files["availability_one"] = [("GET", f"/api/v1/bookings/availability?service_id={service0['id']}&date={dates[i % len(dates)]}&staff_id={staff[i % len(staff)]}", client, None) for i in range(5000)]
    files["availability_all"] = [("GET", f"/api/v1/bookings/availability?service_id={service0['id']}&date={dates[i % len(dates)]}", client, None) for i in range(5000)]
    files["create"] = [
        ("POST", "/api/v1/bookings", admin, {"service_id": service0["id"], "staff_id": st, "client_id": clients[i % len(clients)], "start_at": at})
        for i, (st, at) in enumerate(slots[:n_create])
    ]
    # The mixed workload: 60 % availability, 20 % catalog, 10 % my bookings, 8 % create, 2 % cancel.
    mixed = []
    creates = iter(slots[n_create:])
    cancels = iter(future)
    for i in range(60000):
        r = i % 50
        if r < 30:
            mixed.append(files["availability_one" if r % 2 else "availability_all"][i % 5000])
        elif r < 40:
            mixed.append(files["catalog"][0])
        elif r < 45:
            mixed.append(("GET", "/api/v1/bookings?limit=20", client, None))
        elif r < 49:
            st, at = next(creates)
            mixed.append(("POST", "/api/v1/bookings", admin, {"service_id": service0["id"], "staff_id": st, "client_id": clients[(i * 31) % len(clients)], "start_at": at}))
        else:
            b = next(cancels, None)
            mixed.append(("POST", f"/api/v1/bookings/{b['id']}/cancel", admin, None) if b else files["catalog"][0])
    files["mixed"] = mixed
    # Retail sales by the front desk (eight staff accounts), one line each, paid in cash: over
    # every sellable product (every 6th, P-xxx5, is backbar-only), or all on one hot product.
    # Each product gets enough stock first that no sale runs out: every response should be a 201.
    desk = [login(f"staff{i}@bench.example") for i in range(8)]
    sellable = [f"P-{i:04d}" for i in range(300) if i % 6 != 5]
    scarce = sellable.pop()
    for sku in sellable:
        api("PUT", f"/api/v2/inventory/{sku}/update_stock", admin, {"delta": 1_000_000, "reason": "receive", "note": "bench"})
    sale = lambda i, sku: ("POST", "/api/v2/sales/retail", desk[i % len(desk)], {"lines": [{"sku": sku, "quantity": 1}], "payment": {"method": "cash"}})
    files["sale_many"] = [sale(i, sellable[(i * 7) % len(sellable)]) for i in range(150000)]
    files["sale_hot"] = [sale(i, sellable[0]) for i in range(150000)]
    # One hot product with 2,000 in stock: it sells out within the run, and every sale after
    # that is a 409 insufficient-stock; the harness then reads the level (it must be 0).
    api("PUT", f"/api/v2/inventory/{scarce}/update_stock", admin, {"count": 2000, "note": "bench"})
    files["sale_scarce"] = [sale(i, scarce) for i in range(150000)]
    global SCARCE
    SCARCE = (scarce, admin)
    # Recommendations: each client's, read by the front desk (admin token), over all clients.
    files["recommend"] = [("GET", f"/api/v2/recommendations/client/{clients[(i * 7919) % len(clients)]}", admin, None) for i in range(20000)]
    # The same reads again, with nothing changed since: every answer is one the server kept.
    files["recommend_warm"] = files["recommend"]
    global REFRESH_ADMIN
    REFRESH_ADMIN = admin
    # Natural-language booking: parsing alone, and a conversation's first turn ("when is …
    # free": parse, the vocabulary, availability, and a new session row written).
    days = ["tomorrow", "next friday", "on saturday", "the 8th", "in two weeks", "March 3rd", "this weekend"]
    times = ["at 3pm", "at half past four", "around quarter to 5", "at 15:30", "in the afternoon", "at noon", "morning 11"]
    utterances = []
    for i in range(2000):
        d, t, k, n = days[i % 7], times[(i // 7) % 7], i % 50, i % 20
        utterances.append([
            f"Book a Service {k} with Stylist {n} {d} {t}",
            f"when is Stylist {n} free {d} {t}?",
            f"can I get a service {k} {d} {t} please",
            f"move my appointment to {d} {t}",
        ][i % 4])
    files["voice_parse"] = [("POST", "/api/v2/voice/parse", client, {"text": u}) for u in utterances]
    files["voice_turn"] = [
        ("POST", "/api/v2/voice/booking", client, {"text": f"when is Stylist {i % 20} free {days[i % 4]} {times[(i // 4) % 7]}?"})
        for i in range(20000)
    ]
    files["login"] = [("POST", "/api/v1/users/login", "", {"email": f"client{i % len(clients)}@bench.example", "password": "bench-password"}) for i in range(20000)]
    paths = {}
    for name, rows in files.items():
        paths[name] = os.path.join(tmp, name + ".tsv")
        write_lines(paths[name], rows)
    return paths, len(slots[:n_create])


def run_wrk(name, requests_file, duration, pid):
    env = dict(os.environ, BENCH_DIR=BENCH, REQUESTS=requests_file)
    cpu0, _, _ = proc_stats(pid)
    perf = None
    if os.environ.get("BENCH_PERF"):
        # A CPU profile of the server during this scenario (perf's software clock works where
        # hardware counters are not available): `perf report -i <file>`.
        perf = subprocess.Popen(["perf", "record", "-e", "cpu-clock", "-F", "499", "-g", "-p", str(pid),
                                 "-o", os.path.join(os.environ["BENCH_PERF"], name + ".perf.data")],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    out = subprocess.run(
        ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{duration}s", "--latency", "-s", os.path.join(BENCH, "wrk_lines.lua"), BASE],
        env=env, capture_output=True, text=True,
    ).stdout
    if perf:
        perf.send_signal(signal.SIGINT)
        perf.wait()
    cpu1, rss, hwm = proc_stats(pid)
    total = int(re.search(r"(\d+) requests in", out).group(1))
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    statuses = json.loads(re.search(r"STATUSES (\{.*\})", out).group(1))
    p50, p99 = (int(x) for x in re.search(r"LATENCY_US p50=(\d+) p99=(\d+)", out).groups())
    return {
        "scenario": name, "requests": total, "rps": rps, "p50_ms": p50 / 1000, "p99_ms": p99 / 1000,
        "statuses": statuses, "rss_mib": rss, "peak_rss_mib": hwm,
        "cpu_s_per_1k": (cpu1 - cpu0) / max(total, 1) * 1000,
    }


def pgbench_ceiling(duration):
    """Inserts one booking row into the same table with the same constraints (foreign keys,
    checks, the client exclusion constraint), at the same concurrency: the database's ceiling."""
    q = lambda sql: subprocess.run(["psql", PG_URL, "-Atqc", sql], capture_output=True, text=True, check=True).stdout.strip()
    service, staff, client = q("SELECT service_id || ' ' || staff_id || ' ' || client_id FROM bookings LIMIT 1").split()
    q("DROP SEQUENCE IF EXISTS bench_seq; CREATE SEQUENCE bench_seq")
    script = os.path.join(tempfile.gettempdir(), "salon-pgbench.sql")
    with open(script, "w") as f:
        f.write(
            "SELECT nextval('bench_seq') AS n \\gset\n"
            "INSERT INTO bookings (id, service_id, staff_id, client_id, start_at, end_at, status, price_cents, created_by, created_at, updated_at) "
            f"VALUES (gen_random_uuid(), '{service}', '{staff}', '{client}', timestamptz '2040-01-01 00:00Z' + :n * interval '30 minutes', "
            f"timestamptz '2040-01-01 00:30Z' + :n * interval '30 minutes', 'confirmed', 1000, '{client}', now(), now());\n"
        )
    out = subprocess.run(["pgbench", "-n", "-c", str(CONNECTIONS), "-j", "2", "-T", str(duration), "-f", script, PG_URL], capture_output=True, text=True).stdout
    tps = float(re.search(r"tps = ([\d.]+)", out).group(1))
    q("DELETE FROM bookings WHERE start_at >= '2040-01-01'; DROP SEQUENCE bench_seq")
    return tps


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("backend", choices=["sqlite", "postgres"])
    ap.add_argument("--duration", type=int, default=20)
    ap.add_argument("--only", default="")
    ap.add_argument("--no-build", action="store_true")
    args = ap.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed: apt-get install wrk")
    if not args.no_build:
        subprocess.run(["cargo", "build", "--release", "--locked"], cwd=ROOT, check=True)
    tmp = tempfile.mkdtemp(prefix="salon-bench-")
    env = dict(os.environ, JWT_SECRET=SECRET, SALON_PORT=str(PORT), RUST_LOG="warn",
               SALON_LOGIN_MAX_FAILURES="1000000")
    if args.backend == "sqlite":
        env["DATABASE_URL"] = f"sqlite://{tmp}/salon.db?mode=rwc"
    else:
        subprocess.run(["psql", PG_ADMIN, "-qc", "DROP DATABASE IF EXISTS salon_bench WITH (FORCE)"], check=True)
        subprocess.run(["psql", PG_ADMIN, "-qc", "CREATE DATABASE salon_bench"], check=True)
        env["DATABASE_URL"] = PG_URL
    t0 = time.time()
    subprocess.run([BIN, "load-dataset"], env=env, check=True, cwd=tmp)
    print(f"dataset loaded in {time.time() - t0:.1f}s", file=sys.stderr)
    server = start_server(env)
    results = []
    try:
        files, creatable = prepare(tmp, args.duration)
        only = [s for s in args.only.split(",") if s]
        for name in ["catalog", "availability_one", "availability_all", "create", "mixed", "login", "sale_many", "sale_hot", "sale_scarce", "recommend", "recommend_warm", "voice_parse", "voice_turn"]:
            if only and name not in only:
                continue
            refresh_s = None
            if name == "recommend":
                # The model first: queued, run by the server's worker; timed until it succeeded.
                t = time.time()
                ref = api("POST", "/api/v2/recommendations/refresh", REFRESH_ADMIN)["ref_id"]
                while api("GET", f"/api/v2/jobs?ref_id={ref}", REFRESH_ADMIN)["items"][0]["status"] != "succeeded":
                    time.sleep(0.05)
                refresh_s = round(time.time() - t, 2)
            r = run_wrk(name, files[name], args.duration, server.pid)
            if refresh_s is not None:
                r["refresh_s"] = refresh_s
            if name == "sale_scarce":
                sku, admin = SCARCE
                product = api("GET", f"/api/v2/products?q={sku}", admin)["items"][0]
                moves = api("GET", f"/api/v2/inventory/{sku}/movements?limit=1", admin)
                r["final_on_hand"] = product["on_hand"]
                r["movements"] = moves["total"]
            results.append(r)
            print(json.dumps(r), flush=True)
        if args.backend == "postgres" and (not only or "create" in only):
            tps = pgbench_ceiling(args.duration)
            create = next((r for r in results if r["scenario"] == "create"), None)
            ratio = (create["rps"] / tps) if create else None
            print(json.dumps({"scenario": "pgbench_ceiling", "tps": tps, "create_ratio": ratio}), flush=True)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
