#!/usr/bin/env bash
# A build to measure beside the current one (bench/ceiling.bench.js, BANDIT_BENCH_BEFORE):
#
#   bash bench/lib/make-build.sh DIR REV [FASTIFY_VERSION]
#
# DIR gets the source of REV (a commit; "dist": HEAD's files with the current dist/), built
# with this work tree's packages: DIR/node_modules links every package of ./node_modules,
# except Fastify when FASTIFY_VERSION is given (that version, fetched with `npm pack`).
# Run it with `node --preserve-symlinks DIR/dist/main.js` so that the packages resolve
# inside DIR (and the adapter finds DIR's Fastify). Type errors of the build against the
# linked packages are expected and harmless: only the emitted JavaScript is used.
set -euo pipefail
dir=$1
rev=$2
fastify=${3:-}
root=$(cd "$(dirname "$0")/../.." && pwd)
rm -rf "$dir"
mkdir -p "$dir/node_modules"
for e in "$root"/node_modules/* "$root"/node_modules/.bin; do
  n=$(basename "$e")
  if [ -n "$fastify" ] && [ "$n" = fastify ]; then continue; fi
  ln -s "$e" "$dir/node_modules/$n"
done
if [ -n "$fastify" ]; then
  tmp=$(mktemp -d)
  (cd "$tmp" && npm pack "fastify@$fastify" --silent >/dev/null && tar xzf fastify-*.tgz)
  mv "$tmp/package" "$dir/node_modules/fastify"
  rm -rf "$tmp"
fi
if [ "$rev" = dist ]; then
  # the project around the build (package.json, static assets) as committed, and the build as it is
  git -C "$root" archive HEAD | tar -x -C "$dir"
  cp -r "$root/dist" "$dir/dist"
else
  git -C "$root" archive "$rev" | tar -x -C "$dir"
  (cd "$dir" && npx nest build >"$dir/build.log" 2>&1) || true
  [ -f "$dir/dist/main.js" ] || { echo "make-build: no $dir/dist/main.js (see $dir/build.log)" >&2; exit 1; }
fi
echo "$dir"
