#!/usr/bin/env bash
# Runs a command inside a private D-Bus session with an unlocked, throwaway gnome-keyring, so the
# keyring tests meet the real Secret Service. The keyring lives in a temporary directory that is
# removed afterwards; its password is random and never written anywhere.
#
# The bus starts the system's session services on demand, except a notification service
# (org.freedesktop.Notifications): without a display dunst dies at once ("Cannot open X11
# display", "received signal 5") each time a client asks for it (Chromium under Playwright does
# at start). The tests that want one start dunst on their own bus, drawing on their own Xvfb.
set -euo pipefail
if ! command -v dbus-run-session >/dev/null || ! command -v gnome-keyring-daemon >/dev/null; then
  echo "warning: dbus-run-session or gnome-keyring-daemon missing; running without Secret Service" >&2
  exec "$@"
fi
data_dir=$(mktemp -d)
trap 'rm -rf "$data_dir"' EXIT
export COMMUNICATOR_KEYRING_DIR="$data_dir"
services="$data_dir/bus-services"
mkdir "$services"
IFS=: read -ra share_dirs <<<"${XDG_DATA_HOME:-$HOME/.local/share}:${XDG_DATA_DIRS:-/usr/local/share:/usr/share}"
for dir in "${share_dirs[@]}"; do
  for file in "$dir"/dbus-1/services/*.service; do
    if [ ! -e "$file" ] || [ -e "$services/${file##*/}" ]; then
      continue  # none there, or an earlier directory's file of that name wins
    fi
    if ! grep -q '^Name=org\.freedesktop\.Notifications$' "$file"; then
      ln -s "$file" "$services/"
    fi
  done
done
cat >"$data_dir/bus.conf" <<EOF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <keep_umask/>
  <listen>unix:tmpdir=/tmp</listen>
  <auth>EXTERNAL</auth>
  <servicedir>$services</servicedir>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
  <limit name="service_start_timeout">120000</limit>
  <limit name="auth_timeout">240000</limit>
  <limit name="max_completed_connections">100000</limit>
  <limit name="max_incomplete_connections">10000</limit>
  <limit name="max_connections_per_user">100000</limit>
</busconfig>
EOF
dbus-run-session --config-file="$data_dir/bus.conf" -- bash -c '
  set -e
  export XDG_DATA_HOME="$COMMUNICATOR_KEYRING_DIR"
  eval "$(head -c 24 /dev/urandom | base64 | gnome-keyring-daemon --unlock --components=secrets)"
  export GNOME_KEYRING_CONTROL
  export COMMUNICATOR_SECRET_SERVICE=1
  exec "$@"
' bash "$@" 2> >(grep -v "Failed to set fd limit" >&2)
