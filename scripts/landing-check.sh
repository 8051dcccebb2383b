#!/usr/bin/env bash
# Open the landing page (`GET /`) in a real headless browser (Chromium from Debian's packages),
# as a newcomer would after `cargo run --release`: on a fresh database it must name the salon,
# link the docs, and give the create-admin and seed-demo commands; once an admin and services
# exist, those steps go away. The rendered DOM is checked, and so is a screenshot (the page is
# drawn, with its styled links). Usage: scripts/landing-check.sh [screenshot directory]
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-target/landing}"
port="${LANDING_PORT:-8092}"
mkdir -p "$out"

if ! command -v chromium >/dev/null; then
  echo "installing chromium (Debian package)"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
# CI passes FUZZ_PROFILE=debug to reuse the test build instead of a release build.
profile="${FUZZ_PROFILE:-release}"
if [ "$profile" = release ]; then cargo build --release --locked --quiet; else cargo build --locked --quiet; fi
bin="$PWD/target/$profile/salon"

work=$(mktemp -d)
export DATABASE_URL="sqlite://$work/salon.db?mode=rwc" SALON_PORT="$port" RUST_LOG=error \
  JWT_SECRET="landing-secret-0123456789-0123456789-0123456789"
(cd "$work" && exec "$bin" serve >"$work/server.log" 2>&1) &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done

browse() { # browse NAME: the DOM as rendered, and a screenshot
  chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=1000,800 \
    --user-data-dir="$work/chromium" --dump-dom "http://127.0.0.1:$port/" >"$out/$1.html" 2>/dev/null
  chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=1000,800 \
    --user-data-dir="$work/chromium" --screenshot="$out/$1.png" "http://127.0.0.1:$port/" >/dev/null 2>&1
}
fail() { echo "landing-check: $*" >&2; exit 1; }

browse first-run
grep -q "Start here: http://127.0.0.1:$port/" "$work/server.log" || fail "the start banner does not name the landing page"
for needle in 'id="salon-name"' 'href="/docs"' 'href="/redoc"' 'href="/openapi.json"' \
  'create-admin --email' 'seed-demo'; do
  grep -qF -- "$needle" "$out/first-run.html" || fail "first run: '$needle' is not on the page"
done
python3 scripts/png_check.py "$out/first-run.png" || fail "first run: the screenshot shows no styled page"

# The two commands the page gives, then the page again.
(cd "$work" && "$bin" create-admin --email you@example.com --password choose-a-password >/dev/null)
(cd "$work" && "$bin" seed-demo >/dev/null)
browse ready
grep -q 'id="ready"' "$out/ready.html" || fail "with an admin and services the page does not say it is ready"
if grep -qE 'create-admin|seed-demo' "$out/ready.html"; then fail "the steps are still shown once done"; fi
python3 scripts/png_check.py "$out/ready.png" || fail "ready: the screenshot shows no styled page"
echo "landing-check: ok (screenshots in $out)"
