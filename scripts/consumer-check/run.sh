#!/usr/bin/env bash
# Consumer check (issue 10): use the packages as someone who installs them from
# npm would. Builds (npm run build), packs every publishable package
# (`npm pack`), installs the tarballs with effect and @effect/platform-node into
# a temporary app outside the workspace, then, on each Node line (22 and 24,
# the `node` packages from the npm registry):
#   (a) app/handshake.mjs, plain ESM (no TypeScript, no tsx): imports core,
#       ntlm, kerberos, negotiate and http and completes an NTLM handshake;
#   (b) tsc --noEmit on app/consumer.ts (module NodeNext, strict, no
#       allowImportingTsExtensions, no node types of the app's own);
#   (c) the installed `sspi` bin: --version and decode of an NTLM token.
# Also fails when a tarball holds anything but dist/, bin/, README.md,
# LICENSE and package.json.
#
# Usage: npm run consumer-check [-- 22 24]   (default: 22 24)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
here="$root/scripts/consumer-check"
lines=("$@")
[ ${#lines[@]} -eq 0 ] && lines=(22 24)

work=$(mktemp -d "${TMPDIR:-/tmp}/effect-sspi-consumer.XXXXXX")
# CONSUMER_CHECK_KEEP=1 keeps the temporary app (its path is printed) to look into.
if [ "${CONSUMER_CHECK_KEEP:-}" = 1 ]; then echo "consumer-check: working in $work (kept)"; else trap 'rm -rf "$work"' EXIT; fi
quiet=(--no-audit --no-fund --loglevel=error --prefer-offline)
step() { printf '\n== consumer-check: %s\n' "$*"; }

cd "$root"
step "build"
npm run -s build

step "pack"
mkdir -p "$work/tarballs"
publishable=$(node -e '
  const fs = require("fs")
  for (const d of fs.readdirSync("packages")) {
    const f = `packages/${d}/package.json`
    if (fs.existsSync(f) && !JSON.parse(fs.readFileSync(f, "utf8")).private) console.log(d)
  }')
for p in $publishable; do
  (cd "packages/$p" && npm pack -s --pack-destination "$work/tarballs" >/dev/null)
done
for t in "$work"/tarballs/*.tgz; do
  extra=$(tar tzf "$t" | sed 's|^package/||' | grep -Ev '^(dist/.*|bin/.*|README\.md|LICENSE|package\.json)$' || true)
  extra+=$(tar tzf "$t" | grep -E '(^|/)(test|tests)/|vitest|\.test\.|tsbuildinfo|\.ts$' | grep -v '\.d\.ts$' || true)
  if [ -n "$extra" ]; then echo "consumer-check: $(basename "$t") holds files it must not ship:" >&2; echo "$extra" >&2; exit 1; fi
  echo "$(basename "$t"): $(tar tzf "$t" | wc -l) files"
done

# The versions the workspace tests with, so the app resolves the same code.
version() { node -p "require('$root/node_modules/$1/package.json').version"; }
effect_v=$(version effect)
platform_v=$(version @effect/platform-node)
typescript_v=$(version typescript)

step "install the tarballs into $work/app"
mkdir -p "$work/app"
cp "$here/app/handshake.mjs" "$here/app/consumer.ts" "$here/app/tsconfig.json" "$work/app/"
cat >"$work/app/package.json" <<EOF
{ "name": "effect-sspi-consumer", "private": true, "type": "module" }
EOF
(cd "$work/app" && npm install "${quiet[@]}" "$work"/tarballs/*.tgz \
  "effect@$effect_v" "@effect/platform-node@$platform_v" "typescript@$typescript_v")
if [ -e "$work/app/node_modules/@types/node" ]; then
  echo "(node_modules/@types/node is present in the app only as $(cd "$work/app" && npm ls -s --all @types/node | sed -n 2,3p | tr -s ' \n' ' '))"
fi

for line in "${lines[@]}"; do
  step "Node $line"
  # Node from the npm registry (the `node` package fetches node-<os>-<arch>).
  nodedir="$work/node$line"
  mkdir -p "$nodedir"
  printf '{ "private": true, "allowScripts": { "node": true } }\n' >"$nodedir/package.json"
  (cd "$nodedir" && npm install "${quiet[@]}" "node@$line")
  node_bin="$nodedir/node_modules/.bin"
  actual=$("$node_bin/node" --version)
  case "$actual" in v"$line".*) ;; *) echo "consumer-check: expected Node $line, got $actual" >&2; exit 1 ;; esac
  (
    cd "$work/app"
    export PATH="$node_bin:$PATH"
    echo "-- (a) node handshake.mjs ($actual)"
    node handshake.mjs
    echo "-- (b) tsc --noEmit (module NodeNext, strict, types: [], skipLibCheck)"
    node node_modules/typescript/bin/tsc -p tsconfig.json --noEmit
    echo "-- (c) sspi --version; sspi decode"
    out=$(node_modules/.bin/sspi --version)
    expected="sspi v$(node -p "require('./node_modules/@effect-sspi/cli/package.json').version")"
    [ "$out" = "$expected" ] || { echo "consumer-check: sspi --version printed '$out', expected '$expected'" >&2; exit 1; }
    echo "$out"
    decoded=$(node_modules/.bin/sspi decode TlRMTVNTUAABAAAAB4IIogAAAAAAAAAAAAAAAAAAAAAKAGFKAAAADw==)
    echo "$decoded" | head -2
    echo "$decoded" | grep -q "NTLM NEGOTIATE_MESSAGE (40 bytes)" \
      || { echo "consumer-check: sspi decode printed:" >&2; echo "$decoded" >&2; exit 1; }
  )
done
step "passed on Node ${lines[*]}"
