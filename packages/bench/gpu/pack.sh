#!/usr/bin/env bash
# Pack a Node program so that it runs on the GPU machine (x86-64, NVIDIA driver with Vulkan,
# no Node.js, no network) through tfjs-backend-webgpu + the `webgpu` npm package (Dawn).
#
#   bash gpu/pack.sh src/gpu-entry.ts ../../.gpu     # from packages/bench (pnpm gpu:pack); about 35 MB
#   then, with the device tool:  command "bash .gpu/run.sh --any --args"  carry [".gpu"]
#
# The entry is bundled with esbuild (tfjs is plain JS); the native `webgpu` package stays
# external and is copied for linux-x64 only. Node itself and the Vulkan loader travel too.
# Run from the directory whose node_modules can resolve the entry's imports and `webgpu`.
set -euo pipefail
entry=${1:?usage: pack.sh ENTRY [OUTDIR]}
out=${2:-.gpu}
here=$(cd "$(dirname "$0")" && pwd)
find_pkg() { # $1 = package name; prints its folder
  node -e "const m=require('module');const r=m.createRequire(require('path').resolve('$entry'));console.log(require('path').dirname(r.resolve('$1/package.json')))" 2>/dev/null \
    || { ls -d node_modules/.pnpm/$1@*/node_modules/$1 2>/dev/null | tail -1; } || true
}
esb=$(find_pkg esbuild); wg=$(find_pkg webgpu)
[ -n "$esb" ] || { echo "pack.sh: esbuild not found (it comes with tsup)" >&2; exit 2; }
[ -n "$wg" ] || { echo "pack.sh: the 'webgpu' package is not installed where $entry can import it" >&2; exit 2; }
rm -rf "$out"; mkdir -p "$out/debs" "$out/node_modules/webgpu/dist/linux-x64"
"$esb/bin/esbuild" "$entry" --bundle --platform=node --format=esm --target=node20 --log-level=warning \
  --external:webgpu --outfile="$out/main.mjs" \
  --banner:js="import{createRequire as __cr}from'module';const require=__cr(import.meta.url);"
cp "$wg/package.json" "$wg/index.js" "$out/node_modules/webgpu/"
xz -T2 -6 -c "$wg/dist/linux-x64/dawn.node" > "$out/dawn.node.xz"
xz -T2 -6 -c "$(command -v node)" > "$out/node.xz"
o="-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=/tmp/gpu-apt-lists"
if [ ! -d /tmp/gpu-apt-lists/partial ]; then mkdir -p /tmp/gpu-apt-lists/partial; apt-get $o update >/dev/null; fi
(cd "$out/debs" && apt-get $o download libvulkan1 libglvnd0 libegl1 libgl1 libglx0 libopengl0 libgles2 >/dev/null 2>&1)
cp "$here/run.sh" "$out/run.sh"
du -sh "$out"
