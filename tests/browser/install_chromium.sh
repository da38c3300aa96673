#!/bin/sh
# Installs Debian's Chromium for the browser tests (tests/browser), only when it is missing.
# Idempotent: does nothing when /usr/bin/chromium exists. Needs root (or sudo) and apt-get.
set -eu

if [ -x /usr/bin/chromium ]; then
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "install_chromium.sh : apt-get introuvable ; installez Chromium dans /usr/bin/chromium." >&2
  exit 1
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
  else
    echo "install_chromium.sh : droits root nécessaires pour installer Chromium (apt-get)." >&2
    exit 1
  fi
fi

echo "Installation de Chromium (paquet Debian) pour les tests navigateur…"
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
/usr/bin/chromium --version 2>/dev/null || true
