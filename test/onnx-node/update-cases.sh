#!/usr/bin/env bash
# Re-copy the claimed ONNX backend node tests from Debian's libonnx-testdata
# (apt-get install libonnx-testdata) into test/onnx-node/cases/.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=/usr/share/libonnx-testdata/data/node
[ -d "$src" ] || { echo "install libonnx-testdata first" >&2; exit 1; }
rm -rf "$here/cases" && mkdir -p "$here/cases"
node -e 'for (const t of require(process.argv[1]).claimed) console.log(t)' "$here/claimed.json" | while read -r t; do
  cp -r "$src/$t" "$here/cases/"
done
