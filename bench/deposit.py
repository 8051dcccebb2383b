#!/usr/bin/env python3
"""Deposit flow benchmark: book a service that requires a deposit, start the deposit (a
PaymentIntent at the local fake of Stripe's API), pay it at the fake (as the customer's
browser would), and wait until the fake's signed webhook has confirmed the booking. Reports
completed flows per second and the end-to-end latency, at 32 concurrent customers.

    python3 bench/deposit.py sqlite|postgres [--duration 10] [--no-build]

Loads the standard dataset (`salon load-dataset`), gives "Service 0" a 20 % deposit, and runs
`salon fake-stripe` beside `salon serve` (both release builds).
"""
import argparse
import datetime as dt
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run as harness  # noqa: E402  (the load harness: paths, dataset, server start)

FAKE_PORT = int(os.environ.get("BENCH_FAKE_STRIPE_PORT", "12112"))
FAKE = f"http://127.0.0.1:{FAKE_PORT}"
WEBHOOK_SECRET = "whsec_bench"
CONCURRENCY = 32


def call(method, url, token=None, body=None, form=None, key=None):
    data = None
    req = urllib.request.Request(url, method=method)
    if body is not None:
        data = json.dumps(body).encode()
        req.add_header("Content-Type", "application/json")
    if form is not None:
        data = urllib.parse.urlencode(form).encode()
        req.add_header("Content-Type", "application/x-www-form-urlencoded")
    if token:
        req.add_header("Authorization", "Bearer " + token)
    if key:
        req.add_header("Authorization", "Bearer " + key)
    try:
        with urllib.request.urlopen(req, data=data, timeout=30) as res:
            return res.status, json.loads(res.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("backend", choices=["sqlite", "postgres"])
    ap.add_argument("--duration", type=int, default=10)
    ap.add_argument("--no-build", action="store_true")
    args = ap.parse_args()
    if not args.no_build:
        subprocess.run(["cargo", "build", "--release", "--locked"], cwd=harness.ROOT, check=True)
    tmp = tempfile.mkdtemp(prefix="salon-deposit-")
    env = dict(os.environ, JWT_SECRET=harness.SECRET, SALON_PORT=str(harness.PORT), RUST_LOG="warn",
               SALON_LOGIN_MAX_FAILURES="1000000", STRIPE_SECRET_KEY="sk_test_bench", STRIPE_API_BASE=FAKE,
               STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET)
    if args.backend == "sqlite":
        env["DATABASE_URL"] = f"sqlite://{tmp}/salon.db?mode=rwc"
    else:
        subprocess.run(["psql", harness.PG_ADMIN, "-qc", "DROP DATABASE IF EXISTS salon_bench WITH (FORCE)"], check=True)
        subprocess.run(["psql", harness.PG_ADMIN, "-qc", "CREATE DATABASE salon_bench"], check=True)
        env["DATABASE_URL"] = harness.PG_URL
    subprocess.run([harness.BIN, "load-dataset"], env=env, check=True, cwd=tmp, stdout=subprocess.DEVNULL)
    fake = subprocess.Popen([harness.BIN, "fake-stripe", "--port", str(FAKE_PORT), "--webhook-url",
                             f"{harness.BASE}/api/v2/payments/webhooks/stripe"], env=env, stdout=subprocess.DEVNULL)
    server = harness.start_server(env)
    try:
        admin = harness.login("admin@bench.example")
        services = harness.api("GET", "/api/v1/services?limit=200", admin)["items"]
        service = next(s for s in services if s["name"] == "Service 0")
        harness.api("PATCH", f"/api/v1/services/{service['id']}", admin, {"deposit_percent": 20})
        harness.api("PATCH", "/api/v1/settings", admin, {"max_advance_days": 400})
        staff = sorted(s["id"] for s in harness.api("GET", "/api/v1/staff?limit=200")["items"])
        clients = [u["id"] for u in harness.api("GET", "/api/v1/users?role=client&limit=200", admin)["items"]]
        slots = harness.free_slots(staff, dt.date.today() + dt.timedelta(days=16), 365)
        lock = threading.Lock()
        latencies, errors = [], {}
        stop_at = time.time() + args.duration
        cursor = [0]

        def customer():
            while time.time() < stop_at:
                with lock:
                    i = cursor[0]
                    cursor[0] += 1
                st, at = slots[i]
                t0 = time.time()
                status, booking = call("POST", harness.BASE + "/api/v1/bookings", admin,
                                       {"service_id": service["id"], "staff_id": st, "client_id": clients[i % len(clients)], "start_at": at})
                if status != 201:
                    with lock:
                        errors[f"book {status}"] = errors.get(f"book {status}", 0) + 1
                    continue
                status, deposit = call("POST", harness.BASE + "/api/v2/payments/deposit", admin, {"booking_id": booking["id"]})
                if status != 201:
                    with lock:
                        errors[f"deposit {status}"] = errors.get(f"deposit {status}", 0) + 1
                    continue
                intent = deposit["client_secret"].split("_secret_")[0]
                status, _ = call("POST", f"{FAKE}/v1/payment_intents/{intent}/confirm", form={"payment_method": "pm_card_visa"}, key="sk_test_bench")
                while True:
                    _, b = call("GET", f"{harness.BASE}/api/v1/bookings/{booking['id']}", admin)
                    if b["status"] == "confirmed":
                        break
                    if time.time() > stop_at + 30:
                        with lock:
                            errors["not confirmed"] = errors.get("not confirmed", 0) + 1
                        break
                    time.sleep(0.005)
                with lock:
                    latencies.append(time.time() - t0)

        t0 = time.time()
        threads = [threading.Thread(target=customer) for _ in range(CONCURRENCY)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.time() - t0
        latencies.sort()
        n = len(latencies)
        pct = lambda p: round(latencies[min(n - 1, int(n * p))] * 1000, 1) if n else None
        print(json.dumps({"scenario": "deposit_flow", "backend": args.backend, "flows": n, "flows_per_s": round(n / elapsed, 1),
                          "p50_ms": pct(0.5), "p99_ms": pct(0.99), "errors": errors}), flush=True)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait()
        fake.send_signal(signal.SIGTERM)
        fake.wait()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
