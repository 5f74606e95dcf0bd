#!/usr/bin/env bash
# make package-test: installs the .debs that make package built, with apt, on this machine (as
# root), the way IT does it (preseeded, no questions), checks them as support would, then
# purges them and checks that nothing is left.
#
#  1. preseed: the client's server URL (allow_server_change false) and the server's first admin
#  2. apt-get install both packages; the files, the preset, the service user, the unit, the
#     .desktop file and the metainfo are checked
#  3. the packaged server started directly (no systemd here) as its own user, an agent added
#     with the packaged command line
#  4. `communicator --selftest` passes against it (in a private Secret Service session)
#  5. xdg-mime answers communicator.desktop for sip, sips, tel and callto
#  6. the packaged console client signs the agent in
#  7. cold start of the packaged client against `python -m communicator.app` (same run)
#  8. apt-get purge: no file, user, debconf answer or URL handler left
#  9. the server package again, not asked for an admin: none is created; purged again
# Timings go to stdout as "time <what>: <seconds> s".
set -euo pipefail

root="$(cd "$(dirname "$0")/../.." && pwd)"
packages="${1:-$root/build/packages}"
python="$root/.venv/bin/python"
version="$(sed -n 's/^version = "\(.*\)"$/\1/p' "$root/pyproject.toml" | head -n 1)"
arch="$(dpkg --print-architecture)"
client_deb="$packages/communicator_${version}_${arch}.deb"
server_deb="$packages/communicator-server_${version}_${arch}.deb"
data=/var/lib/communicator-server
db="$data/db/server.sqlite3"

if [ "$(id -u)" != 0 ]; then
    echo "error: package-test installs packages: run it as root" >&2
    exit 1
fi
for deb in "$client_deb" "$server_deb"; do
    [ -f "$deb" ] || { echo "error: $deb is missing: run make package first" >&2; exit 1; }
done

work="$(mktemp -d)"
server_pid=""
export DEBIAN_FRONTEND=noninteractive
export COMMUNICATOR_CONFIG_DIR="$work/user-config" COMMUNICATOR_DATA_DIR="$work/user-data"

fail() {
    echo "FAIL: $*" >&2
    exit 1
}
check() {
    # check WHAT COMMAND...: runs COMMAND, fails the test with WHAT (and its output) when it fails.
    local what="$1"
    shift
    "$@" >"$work/check.log" 2>&1 || { cat "$work/check.log" >&2; fail "$what"; }
    echo "ok: $what"
}
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
present() {
    # present PACKAGE: dpkg has something of it (installed, half-installed, unpacked, its
    # configuration files left by a remove); "not-installed" (dpkg may keep such a record
    # after a purge) is nothing.
    local status
    status="$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null)" || return 1
    [ -n "$status" ] && [ "$status" != not-installed ]
}
installed() {
    # The communicator packages dpkg has something of.
    local pkg
    for pkg in communicator communicator-server; do
        present "$pkg" && echo "$pkg"
    done
    return 0
}
purge() {
    # purge [PACKAGE...]: those given, else every installed communicator package.
    local packages=("$@")
    [ ${#packages[@]} -gt 0 ] || mapfile -t packages < <(installed)
    [ ${#packages[@]} -gt 0 ] || return 0
    apt-get purge -y -q "${packages[@]}" >"$work/purge.log" 2>&1 ||
        { cat "$work/purge.log" >&2; return 1; }
}
cleanup() {
    if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
        kill "$server_pid" && wait "$server_pid" || true
    fi
    purge || true
    rm -rf "$work"
}
trap cleanup EXIT

if [ -n "$(installed)" ]; then
    echo "note: purging communicator packages left by an earlier run"
    purge
fi

port="$("$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
url="http://127.0.0.1:$port"
admin_password="$(head -c 18 /dev/urandom | base64 | tr -d '/+=')"
agent_password="$(head -c 18 /dev/urandom | base64 | tr -d '/+=')"

# ------------------------------------------------------------------------- 1. preseed, install
debconf-set-selections <<EOF
communicator communicator/server_url string $url
communicator communicator/allow_server_change boolean false
communicator-server communicator-server/create_admin boolean true
communicator-server communicator-server/admin_name string packager
communicator-server communicator-server/admin_password password $admin_password
EOF

started="$(now)"
apt-get install -y -q --no-install-recommends "$client_deb" "$server_deb" >"$work/install.log" 2>&1 ||
    { cat "$work/install.log" >&2; fail "apt-get install"; }
echo "time install (apt-get, both packages): $(elapsed "$started") s"

# ---------------------------------------------------------------------------- 2. what it put
check "client under /opt/communicator, /usr/bin/communicator" test -x /usr/bin/communicator -a -x /opt/communicator/communicator
check "server under /opt/communicator-server, /usr/bin/communicator-server" test -x /usr/bin/communicator-server
check "preset server URL in /etc/communicator/config.toml" grep -qx "server_url = \"$url\"" /etc/communicator/config.toml
check "preset: agents may not change the server" grep -qx 'allow_server_change = false' /etc/communicator/config.toml
check ".desktop file valid" desktop-file-validate /usr/share/applications/communicator.desktop
check "AppStream metainfo valid" appstreamcli validate --no-net --pedantic /usr/share/metainfo/com.communicator.Communicator.metainfo.xml
check "icon installed" test -f /usr/share/icons/hicolor/scalable/apps/communicator.svg
check "service user communicator-server" getent passwd communicator-server
check "data directory owned by the service" test "$(stat -c %U:%a "$data")" = communicator-server:750
check "systemd unit valid" systemd-analyze verify /lib/systemd/system/communicator-server.service
check "unit enabled" test -L /etc/systemd/system/multi-user.target.wants/communicator-server.service
check "first admin created when asked" "$python" -c "
import sqlite3, sys
names = [r[0] for r in sqlite3.connect('$db').execute('select name from admin_users')]
sys.exit(0 if names == ['packager'] else f'admin users: {names}')"
check "server key outside the database directory" test -f "$data/server.key" -a ! -e "$data/db/server.key"
check "admin password gone from debconf" sh -c "! grep -rqs '$admin_password' /var/cache/debconf/"

# -------------------------------------------------------------- 3. the packaged server, an agent
runuser -u communicator-server -- /usr/bin/communicator-server serve --db "$db" --data-dir "$data" \
    --recordings-dir "$data/recordings" --host 127.0.0.1 --port "$port" >"$work/server.log" 2>&1 &
server_pid=$!
"$python" - "$url" "$server_pid" <<'EOF' || { cat "$work/server.log" >&2; fail "server start"; }
import os, sys, time, urllib.request
url, pid = sys.argv[1], int(sys.argv[2])
deadline = time.monotonic() + 60
while time.monotonic() < deadline:
    os.kill(pid, 0)  # the server must still run
    try:
        with urllib.request.urlopen(f"{url}/healthz", timeout=1) as answer:
            if answer.status == 200:
                sys.exit(0)
    except OSError:
        time.sleep(0.1)  # readiness poll of another process
sys.exit("the server did not answer in 60 s")
EOF
echo "ok: packaged server answers at $url"
check "agent added with the packaged command line" runuser -u communicator-server -- \
    env AGENT_PASSWORD="$agent_password" /usr/bin/communicator-server agents add anna \
    --name "Anna Packaged" --password-env AGENT_PASSWORD --db "$db" --data-dir "$data"
check "her VoIP account added with the packaged command line" runuser -u communicator-server -- \
    env SIP_PASSWORD="$agent_password" /usr/bin/communicator-server accounts add anna \
    --agent anna --server 127.0.0.1 --sip-port 9 --sip-domain sip.test.invalid \
    --password-env SIP_PASSWORD --db "$db" --data-dir "$data"

# ------------------------------------------------------------------------------- 4. self-test
started="$(now)"
"$root/scripts/with-secret-service.sh" env -u DISPLAY -u WAYLAND_DISPLAY /usr/bin/communicator --selftest \
    >"$work/selftest.log" 2>&1 || { cat "$work/selftest.log" >&2; fail "communicator --selftest"; }
echo "time selftest: $(elapsed "$started") s"
sed 's/^/  | /' "$work/selftest.log"
check "selftest reached the preset server" grep -q "^ok    server: $url (system configuration) answered" "$work/selftest.log"

# ----------------------------------------------------------------------------- 5. URL handlers
for scheme in sip sips tel callto; do
    check "x-scheme-handler/$scheme -> communicator.desktop" \
        test "$(xdg-mime query default "x-scheme-handler/$scheme")" = communicator.desktop
done

# ------------------------------------------------------------------------------- 6. sign-in
env -u DISPLAY -u WAYLAND_DISPLAY -u QT_QPA_PLATFORM AGENT_PASSWORD="$agent_password" \
    /usr/bin/communicator --console --login anna --password-env AGENT_PASSWORD --no-audio \
    >"$work/client.log" 2>&1 &
client_pid=$!
"$python" - "$work/client.log" "$client_pid" <<'EOF' || { kill "$client_pid" 2>/dev/null || true; cat "$work/client.log" >&2; fail "packaged client sign-in"; }
import os, sys, time
log, pid = sys.argv[1], int(sys.argv[2])
deadline = time.monotonic() + 60
while time.monotonic() < deadline:
    with open(log, encoding="utf-8", errors="replace") as f:
        if any(line.startswith("signed in as Anna Packaged") for line in f):
            sys.exit(0)
    try:
        with open(f"/proc/{pid}/stat") as stat:
            exited = stat.read().rpartition(")")[2].split()[0] == "Z"
    except FileNotFoundError:
        exited = True
    if exited:
        sys.exit("the client exited before signing in")
    time.sleep(0.1)  # follows another process's output
sys.exit("no 'signed in' line in 60 s")
EOF
kill -INT "$client_pid"
wait "$client_pid" || fail "packaged client did not stop cleanly on Ctrl+C (status $?)"
echo "ok: packaged console client signed in as anna through the preset server, stopped on Ctrl+C"

kill "$server_pid"
wait "$server_pid" || true
server_pid=""

# ------------------------------------------------------------------------------ 7. cold start
"$python" "$root/installers/linux/startup_times.py" /usr/bin/communicator "$python -m communicator.app"

# ------------------------------------------------------------------------------ 8. purge
started="$(now)"
purge communicator communicator-server || fail "apt-get purge"
echo "time purge (apt-get, both packages): $(elapsed "$started") s"
for pkg in communicator communicator-server; do
    ! present "$pkg" || fail "$pkg still installed ($(dpkg-query -W -f='${db:Status-Status}' "$pkg"))"
    echo "ok: $pkg not installed"
done
for path in /opt/communicator /opt/communicator-server /usr/bin/communicator /usr/bin/communicator-server \
    /etc/communicator /etc/communicator-server /var/lib/communicator-server \
    /usr/share/applications/communicator.desktop /usr/share/metainfo/com.communicator.Communicator.metainfo.xml \
    /usr/share/icons/hicolor/scalable/apps/communicator.svg /lib/systemd/system/communicator-server.service \
    /etc/systemd/system/multi-user.target.wants/communicator-server.service; do
    check "nothing left at $path" test ! -e "$path" -a ! -L "$path"
done
check "service user removed" sh -c '! getent passwd communicator-server && ! getent group communicator-server'
check "debconf answers purged" sh -c '! grep -qs "^Name: communicator" /var/cache/debconf/config.dat'
check "no URL handler left" sh -c '! grep -qs communicator.desktop /usr/share/applications/mimeinfo.cache'
# ------------------------------------------------------ 9. no admin unless asked (server only)
echo "communicator-server communicator-server/create_admin boolean false" | debconf-set-selections
apt-get install -y -q --no-install-recommends "$server_deb" >"$work/install.log" 2>&1 ||
    { cat "$work/install.log" >&2; fail "apt-get install communicator-server"; }
check "no admin created when not asked" "$python" -c "
import os, sqlite3, sys
if os.path.exists('$db'):
    rows = sqlite3.connect('$db').execute('select count(*) from admin_users').fetchone()[0]
    sys.exit(f'{rows} admin users' if rows else 0)"
purge communicator-server || fail "apt-get purge communicator-server"
check "nothing left at $data after the second purge" test ! -e "$data"
echo "package-test: passed"
