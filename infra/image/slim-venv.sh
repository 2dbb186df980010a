#!/bin/sh
# Shrinks an installed virtualenv for an image: drops the packages' own test suites (nothing
# imports them at run time), then compiles the rest to bytecode once (up-to-date files are
# skipped), so containers start without compiling and never write next to read-only sources.
#   slim-venv /opt/venv
set -eu
site=$(echo "$1"/lib/python3*/site-packages)
find "$site" -depth -type d -name tests -exec rm -rf {} +
"$1"/bin/python -m compileall -q -j 0 "$site"
