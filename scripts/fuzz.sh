#!/usr/bin/env bash
# Fuzz the whole API from its own /openapi.json with schemathesis, every check on: no 5xx, every
# response as documented (status code, content type, body, headers), every request the schema
# calls valid accepted and every one it calls invalid refused, and the stateful phase chaining
# creates into reads, updates and actions through the spec's OpenAPI links.
# Usage: scripts/fuzz.sh [max examples per operation, default 90] [seed, default 20261204]
# (FUZZ_SEED also sets the seed.)
set -euo pipefail
cd "$(dirname "$0")/.."
examples="${1:-90}"
seed="${2:-${FUZZ_SEED:-20261204}}"
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

# The hooks add positive_data_acceptance_except_state (see scripts/fuzz_hooks.py), which stands
# in for the built-in positive_data_acceptance.
status=0
PYTHONPATH="$PWD/scripts" SCHEMATHESIS_HOOKS=fuzz_hooks "$venv/bin/schemathesis" --config-file scripts/schemathesis.toml run "http://127.0.0.1:$port/openapi.json" \
  -H "Authorization: Bearer $token" \
  --max-examples "$examples" --seed "$seed" \
  --phases examples,coverage,fuzzing,stateful \
  --checks all --exclude-checks positive_data_acceptance \
  >target/fuzz.out 2>&1 || status=$?
tail -n 40 target/fuzz.out
# Every generated request is a test case: report them as such ("5517 generated, 5517 passed"
# or "5517 generated, 25 found 25 unique failures").
summary=$(grep -E '^ *[0-9]+ generated' target/fuzz.out | tail -n 1)
generated=$(echo "$summary" | grep -Eo '^ *[0-9]+' | tr -d ' ')
failures=$(echo "$summary" | grep -Eo '[0-9]+ unique failures?' | grep -Eo '[0-9]+' || echo 0)
operations=$(grep -Eo 'Tested: [0-9]+' target/fuzz.out | grep -Eo '[0-9]+' | tail -n 1)
echo "fuzz (seed $seed, $examples examples per operation): $generated requests over $operations operations, $failures failures"
# The full report stays in target/fuzz.out.
exit "$status"
