#!/bin/sh
# Installs Simod (pinned, from PyPI) into benches/peers/simod/.venv (git-ignored).
# Usage: benches/peers/simod/install.sh        PYTHON=python3.9 picks another interpreter.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
py=${PYTHON:-python3}
venv="$here/.venv"
[ -x "$venv/bin/python" ] || "$py" -m venv "$venv"
"$venv/bin/pip" install -q --upgrade pip
"$venv/bin/pip" install -r "$here/requirements.txt"
"$venv/bin/simod" --help >/dev/null
echo "simod installed in $venv"
