#!/usr/bin/env bash
# Installs the Debian packages that the tests and the demo need, when some are missing.
# Only acts as root on a Debian-like system; otherwise it lists what is missing and goes on,
# so a developer without root sees exactly what to install.
set -euo pipefail

PACKAGES=(
  # SIP test rig: registrar/proxy, STUN, certificates
  kamailio kamailio-tls-modules stun-server openssl
  # Secret Service for the real keyring tests
  gnome-keyring dbus dbus-daemon
  # Audio: PortAudio for sounddevice, PulseAudio as a real-time null device in tests
  libportaudio2 pulseaudio pulseaudio-utils
  # Offscreen Qt
  libegl1 libgl1 libxkbcommon0 libfontconfig1 libglib2.0-0 fonts-dejavu-core
  # PostgreSQL for the server tests
  postgresql
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# A Debian system python needs python3-venv for `python3 -m venv`.
if ! python3.11 -c "import ensurepip" >/dev/null 2>&1 && ! python3 -c "import ensurepip" >/dev/null 2>&1; then
  missing+=(python3-venv)
fi

[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "Installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/dev/null
  apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "warning: missing Debian packages (install them as root): ${missing[*]}" >&2
fi
