#!/usr/bin/env bash
# Builds the two Debian packages from the PyInstaller bundles in build/dist (make package):
#   communicator         the agent client under /opt/communicator, /usr/bin/communicator, its
#                        .desktop file (sip:, sips:, tel:, callto: handler), icon, AppStream
#                        metainfo, and /etc/communicator/config.toml from debconf answers
#   communicator-server  the provisioning server under /opt/communicator-server, its systemd
#                        unit (own user, data in /var/lib/communicator-server)
# Nothing is downloaded: the bundles are already built, and the dependencies on system
# libraries come from ldd and dpkg on this machine.
#
# usage: installers/linux/build-debs.sh [-Z zstd|xz] [DIST_DIR [OUT_DIR]]
#   -Z  dpkg-deb's compression: zstd (default, fast, for tests) or xz (smaller, for releases)
set -euo pipefail

compression=zstd
if [ "${1:-}" = -Z ]; then
    compression="$2"
    shift 2
fi
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
dist="${1:-$root/build/dist}"
out="${2:-$root/build/packages}"
# A private staging folder beside the packages (not /tmp, often RAM: the client's tree is
# ~240 MB): two builds at once (a test, make package) never share one.
mkdir -p "$out"
stage="$(mktemp -d "$out/.stage.XXXXXX")"
trap 'rm -rf "$stage"' EXIT

version="$(sed -n 's/^version = "\(.*\)"$/\1/p' "$root/pyproject.toml" | head -n 1)"
arch="$(dpkg --print-architecture)"
today="$(date -u +%Y-%m-%d)"

for bundle in communicator communicator-server; do
    if [ ! -x "$dist/$bundle/$bundle" ]; then
        echo "error: $dist/$bundle/$bundle is missing: build the bundles first (make bundle)" >&2
        exit 1
    fi
done

# The Debian packages that provide the libraries the bundle links but does not carry (ldd
# resolves with the bundle's own folders first, as the bootloader does at run time).
system_depends() {
    local bundle="$1" lib pkg
    find "$bundle" -type f \( -name '*.so*' -o -perm -u+x \) -print0 |
        LD_LIBRARY_PATH="$bundle/_internal:$bundle/_internal/PySide6/Qt/lib" \
            xargs -0 -P "$(nproc)" -n 32 ldd 2>/dev/null |
        awk '$2 == "=>" && $3 ~ /^\// {print $3}' | grep -v "^$bundle/" | sort -u |
        while read -r lib; do
            pkg="$(dpkg -S "$lib" 2>/dev/null || dpkg -S "$(readlink -f "$lib")" 2>/dev/null || true)"
            pkg="${pkg%%:*}"
            [ -z "$pkg" ] || echo "$pkg"
        done | sort -u
}

depends_line() {
    # The computed packages (libc6 with the version of this machine's, as a floor) and the
    # packages given as arguments, comma-separated.
    local bundle="$1"
    shift
    local libc
    libc="$(dpkg-query -W -f='${Version}' libc6 | sed 's/-[^-]*$//')"
    {
        system_depends "$bundle" | sed "s/^libc6\$/libc6 (>= $libc)/"
        printf '%s\n' "$@"
    } | sort -u | paste -sd, | sed 's/,/, /g'
}

installed_size() {
    du -sk --apparent-size "$1" | cut -f1
}

build() {
    local name="$1" dir="$stage/$1"
    find "$dir" -type d -exec chmod 0755 {} +
    mkdir -p "$out"
    dpkg-deb --root-owner-group -Z"$compression" --build "$dir" "$out/${name}_${version}_${arch}.deb" >/dev/null
    echo "$out/${name}_${version}_${arch}.deb"
}

# ------------------------------------------------------------------------------ communicator
c="$stage/communicator"
mkdir -p "$c/DEBIAN" "$c/opt" "$c/usr/bin" "$c/usr/share/applications" \
    "$c/usr/share/icons/hicolor/scalable/apps" "$c/usr/share/metainfo" \
    "$c/usr/share/doc/communicator"
cp -a "$dist/communicator" "$c/opt/communicator"
ln -s /opt/communicator/communicator "$c/usr/bin/communicator"
install -m 0644 "$here/client/communicator.desktop" "$c/usr/share/applications/"
install -m 0644 "$root/resources/icons/call.svg" \
    "$c/usr/share/icons/hicolor/scalable/apps/communicator.svg"
sed -e "s/@VERSION@/$version/" -e "s/@DATE@/$today/" \
    "$here/client/com.communicator.Communicator.metainfo.xml" \
    >"$c/usr/share/metainfo/com.communicator.Communicator.metainfo.xml"
install -m 0644 "$here/README.Debian" "$c/usr/share/doc/communicator/README.Debian"
install -m 0644 "$here/client/templates" "$c/DEBIAN/templates"
install -m 0755 "$here/client/config" "$here/client/postinst" "$here/client/postrm" "$c/DEBIAN/"
cat >"$c/DEBIAN/control" <<EOF
Package: communicator
Version: $version
Architecture: $arch
Maintainer: Communicator <support@communicator.invalid>
Section: net
Priority: optional
Installed-Size: $(installed_size "$c")
Depends: $(depends_line "$c/opt/communicator" libportaudio2 "debconf (>= 0.5) | debconf-2.0" "fonts-dejavu-core | fonts-liberation2 | fonts-noto-core")
Recommends: gnome-keyring | kwalletmanager, libasound2-plugins, xdg-utils
Description: softphone for contact-center agents
 Communicator is the agent's phone of a contact center: agents sign in at any
 workstation, get their phone settings from the provisioning server, and every
 call is logged there. It handles sip:, sips:, tel: and callto: links.
 .
 The provisioning server's address for every user of the computer is set in
 /etc/communicator/config.toml, through debconf (preseed communicator/server_url).
EOF
build communicator

# ----------------------------------------------------------------------- communicator-server
s="$stage/communicator-server"
mkdir -p "$s/DEBIAN" "$s/opt" "$s/usr/bin" "$s/lib/systemd/system" "$s/etc/communicator-server" \
    "$s/usr/share/doc/communicator-server"
cp -a "$dist/communicator-server" "$s/opt/communicator-server"
ln -s /opt/communicator-server/communicator-server "$s/usr/bin/communicator-server"
install -m 0644 "$here/server/communicator-server.service" "$s/lib/systemd/system/"
# Root only: the database URL may carry a password; systemd reads the file as root.
install -m 0600 "$here/server/server.env" "$s/etc/communicator-server/server.env"
install -m 0644 "$here/README.Debian" "$s/usr/share/doc/communicator-server/README.Debian"
install -m 0644 "$here/server/templates" "$s/DEBIAN/templates"
install -m 0755 "$here/server/config" "$here/server/postinst" "$here/server/prerm" \
    "$here/server/postrm" "$s/DEBIAN/"
echo /etc/communicator-server/server.env >"$s/DEBIAN/conffiles"
cat >"$s/DEBIAN/control" <<EOF
Package: communicator-server
Version: $version
Architecture: $arch
Maintainer: Communicator <support@communicator.invalid>
Section: net
Priority: optional
Installed-Size: $(installed_size "$s")
Depends: $(depends_line "$s/opt/communicator-server" adduser "debconf (>= 0.5) | debconf-2.0" init-system-helpers util-linux)
Description: provisioning server of the Communicator softphone
 The server that Communicator agents sign in to: their VoIP profiles, the
 admin console (/admin), call logs and reports, and the registrar's export.
 It runs as the systemd service communicator-server, as its own user, with its
 data (database, server key, recordings) under /var/lib/communicator-server.
EOF
build communicator-server
