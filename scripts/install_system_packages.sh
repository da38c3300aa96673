#!/bin/sh
# System libraries the platform needs beyond Python, on Debian or Ubuntu.
#
# WeasyPrint (PDF exports: the directory of partners, later the reports) lays text out with
# Pango (>= 1.44) and its FreeType backend, and subsets fonts with HarfBuzz; a font with the
# French accents is needed. Idempotent: installs only what is missing. Run as root or with sudo.
set -eu

PACKAGES="libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core"

if ! command -v apt-get >/dev/null 2>&1; then
    echo "apt-get introuvable : installez Pango >= 1.44 (pango, pangoft2), HarfBuzz (subset) et une police" >&2
    echo "avec le gestionnaire de paquets du système (voir la documentation de WeasyPrint)." >&2
    exit 1
fi

missing=""
for package in $PACKAGES; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing="$missing $package"
done
if [ -z "$missing" ]; then
    echo "Paquets système déjà installés :$PACKAGES"
    exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    SUDO="sudo"
fi
echo "Installation de :$missing"
$SUDO apt-get update
# shellcheck disable=SC2086
$SUDO apt-get install -y --no-install-recommends $missing
