#!/usr/bin/env bash
# Fuzz the whole API from its own /openapi.json with schemathesis: every generated request must
# get no 5xx and a response that matches the documented schema (status code, content type,
# body, headers). Usage: scripts/fuzz.sh [max examples per operation, default 90 (about 5,500 requests)]
set -euo pipefail
cd "$(dirname "$0")/.."
examples="${1:-90}"
port="${FUZZ_PORT:-8091}"
venv="target/fuzz-venv"

if [ ! -x "$venv/bin/schemathesis" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check 'schemathesis==4.32.5'
fi
# CI passes FUZZ_PROFILE=debug to reuse the test build instead of a release build.
profile="${FUZZ_PROFILE:-release}"
if [ "$profile" = release ]; then cargo build --release --locked --quiet; else cargo build --locked --quiet; fi

work=$(mktemp -d)
export JWT_SECRET="fuzz-secret-0123456789-0123456789-0123456789" DATABASE_URL="sqlite://$work/salon.db?mode=rwc" \
  SALON_PORT="$port" RUST_LOG=error SALON_LOGIN_MAX_FAILURES=1000000 STRIPE_WEBHOOK_SECRET=whsec_fuzz
bin="$PWD/target/$profile/salon"
(cd "$work" && "$bin" seed-demo >/dev/null && "$bin" create-admin --email fuzz@example.com --password fuzz-password >/dev/null)
(cd "$work" && exec "$bin" serve >"$work/server.log" 2>&1) &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
token=$(curl -sf -X POST "http://127.0.0.1:$port/api/v1/users/login" -H 'content-type: application/json' \
  -d '{"email":"fuzz@example.com","password":"fuzz-password"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')

"$venv/bin/schemathesis" run "http://127.0.0.1:$port/openapi.json" \
  -H "Authorization: Bearer $token" \
  --max-examples "$examples" --seed 20261125 \
  --phases examples,coverage,fuzzing \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,response_headers_conformance \
  | tee "$work/fuzz.out" | tail -n 25
# Every generated request is a test case: report them as such.
read -r generated passed < <(grep -Eo '[0-9]+ generated, [0-9]+ passed' "$work/fuzz.out" | grep -Eo '[0-9]+' | xargs)
echo "fuzz: $passed passed, $((generated - passed)) failed"
