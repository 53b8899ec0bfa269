# Sourced by the scripts: the project's own tools first on PATH, turbo kept offline.
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export PATH="$root/.tools/node_modules/.bin:$root/node_modules/.bin:$PATH"
export TURBO_TELEMETRY_DISABLED=1
export DO_NOT_TRACK=1
