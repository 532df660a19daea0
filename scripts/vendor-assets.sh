#!/usr/bin/env bash
# Refreshes the third-party browser files zhibo embeds, from the npm registry.
# The files are committed under crates/web/assets/vendor/, so building zhibo
# never needs npm; run this only to change a pinned version, then commit.
#
#   scripts/vendor-assets.sh
set -euo pipefail
cd "$(dirname "$0")/.."
vendor=crates/web/assets/vendor

# name  npm-package@version  file-in-package  licence-file
pins=(
  "htmx htmx.org@2.0.11 dist/htmx.min.js LICENSE"
  "mpegts mpegts.js@1.8.2 dist/mpegts.js LICENSE"
)

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for pin in "${pins[@]}"; do
  read -r name pkg file licence <<<"$pin"
  echo "== $name from $pkg"
  (cd "$tmp" && npm pack --silent "$pkg" >/dev/null)
  mkdir -p "$tmp/$name" "$vendor/$name"
  tar -xzf "$tmp"/*.tgz -C "$tmp/$name"
  rm -f "$tmp"/*.tgz
  cp "$tmp/$name/package/$file" "$vendor/$name/"
  cp "$tmp/$name/package/$licence" "$vendor/$name/LICENSE"
  echo "$pkg" > "$vendor/$name/VERSION"
done
echo "vendored into $vendor:"; ls -R "$vendor"
