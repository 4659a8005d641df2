#!/usr/bin/env bash
# deb_test.sh BUILD_DIR: builds the Debian package of BUILD_DIR with cpack, installs it on
# this machine with dpkg -i, checks where its files landed, starts the installed binary
# with the installed environment file, checks /healthz, and removes the package again
# (always). Needs root (or passwordless sudo); otherwise it skips (exit 77).
#
# It changes the machine, so one run at a time: CTest runs it alone (RUN_SERIAL), and a
# lock file serialises runs from different build directories.
set -euo pipefail

build=$(cd "$1" && pwd)
work=$build/packaging-test
lock=/tmp/autoql-backend-deb-test.lock
package=autoql-backend

say() { echo "deb_test: $*"; }
fail() { say "FAIL: $*" >&2; exit 1; }

sudo=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
    sudo=(sudo -n)
  else
    say "SKIP: installing a package needs root or passwordless sudo"
    exit 77
  fi
fi
command -v dpkg-shlibdeps >/dev/null || fail "dpkg-shlibdeps not found: run scripts/install-deps"

# Opened for reading, so that a run as another user can lock a file root created.
[ -e "$lock" ] || : >"$lock"
exec 9<"$lock"
flock -w 900 9 || fail "another deb_test holds $lock"

if dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
  say "SKIP: $package is already installed here; this test would replace and remove it"
  exit 77
fi

# --- build the package into a folder of its own ---

rm -rf "$work"
mkdir -p "$work"
# The install script of the build tree instead of cpack's default, which first builds
# every target (its "preinstall" step) in a tree where other tests may be running: this
# packages what is built, by the same install rules.
cpack --config "$build/CPackConfig.cmake" -B "$work/out" -D CPACK_INSTALL_CMAKE_PROJECTS= \
  -D CPACK_INSTALL_SCRIPTS="$build/cmake_install.cmake" >"$work/cpack.log" 2>&1 ||
  { cat "$work/cpack.log"; fail "cpack failed"; }
debs=("$work"/out/"$package"_*.deb)
[ -f "${debs[0]}" ] || fail "no .deb in $work/out"
deb=${debs[0]}
say "built $(basename "$deb")"

depends=$(dpkg-deb -f "$deb" Depends)
for library in libpq5 libsqlite3 libjwt; do
  [[ "$depends" == *"$library"* ]] || fail "Depends lacks $library: $depends"
done

# --- install; from here on the package is removed whatever happens ---

server_pid=""
installed=""
cleanup() {
  if [ -n "$server_pid" ]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  if [ -n "$installed" ]; then
    "${sudo[@]}" dpkg --purge "$package" >/dev/null || say "could not remove $package"
  fi
  rm -rf "$work"
}
trap cleanup EXIT

# dpkg does not wait for its lock (apt may hold it a moment): retry a while.
for attempt in $(seq 30); do
  if "${sudo[@]}" dpkg -i "$deb" >"$work/dpkg.log" 2>&1; then
    break
  fi
  if ! grep -q "lock" "$work/dpkg.log" || [ "$attempt" -eq 30 ]; then
    cat "$work/dpkg.log"
    fail "dpkg -i failed"
  fi
  sleep 2
done
installed=yes
say "installed"

# --- the files ---

[ -x /usr/bin/autoql-backend ] || fail "/usr/bin/autoql-backend missing"
unit=""
for dir in /lib/systemd/system /usr/lib/systemd/system; do
  [ -f "$dir/autoql-backend.service" ] && unit=$dir/autoql-backend.service && break
done
[ -n "$unit" ] || fail "no autoql-backend.service in /lib/systemd/system"
for line in "ExecStart=/usr/bin/autoql-backend serve" \
            "EnvironmentFile=/etc/autoql-backend/autoql-backend.env" \
            "DynamicUser=yes" "StateDirectory=autoql-backend" "ProtectSystem=strict"; do
  grep -qxF "$line" "$unit" || fail "$unit lacks '$line'"
done
env_file=/etc/autoql-backend/autoql-backend.env
[ "$(stat -c %a "$env_file")" = 600 ] || fail "$env_file is not mode 600"
[ -f /usr/share/doc/autoql-backend/autoql-backend.env.example ] || fail "example env missing"
dpkg-query -W -f='${Conffiles}' "$package" | grep -q "$env_file" ||
  fail "$env_file is not a conffile"
# verify reports unknown or misspelt settings as warnings with exit status 0: any output
# counts as a failure.
if command -v systemd-analyze >/dev/null; then
  verified=$(systemd-analyze verify "$unit" 2>&1) || fail "systemd-analyze verify: $verified"
  [ -z "$verified" ] || fail "systemd-analyze verify: $verified"
  say "systemd-analyze verify: clean"
fi
/usr/bin/autoql-backend version | grep -q . || fail "autoql-backend version printed nothing"

# --- run the installed binary with the installed environment file ---

(
  set -a
  # shellcheck source=/dev/null
  . "$env_file"
  set +a
  exec /usr/bin/autoql-backend serve --port 0 --database "sqlite:$work/autoql.db"
) >"$work/serve.log" 2>&1 &
server_pid=$!

port=""
for _ in $(seq 100); do
  port=$(sed -n 's/.*listening on http:\/\/127\.0\.0\.1:\([0-9]*\).*/\1/p' "$work/serve.log")
  [ -n "$port" ] && break
  kill -0 "$server_pid" 2>/dev/null || break
  sleep 0.1
done
[ -n "$port" ] || { cat "$work/serve.log"; fail "the installed binary did not start"; }
status=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/healthz")
[ "$status" = 200 ] || { cat "$work/serve.log"; fail "/healthz answered $status"; }
say "installed binary answers /healthz with 200 on port $port"

kill -TERM "$server_pid"
wait "$server_pid" || { cat "$work/serve.log"; fail "the server did not exit 0 on SIGTERM"; }
server_pid=""

# --- remove ---

"${sudo[@]}" dpkg --purge "$package" >"$work/dpkg.log" 2>&1 ||
  { cat "$work/dpkg.log"; fail "dpkg --purge"; }
installed=""
for file in /usr/bin/autoql-backend "$unit" "$env_file"; do
  [ ! -e "$file" ] || fail "$file left after dpkg --purge"
done
say "removed; ok"
