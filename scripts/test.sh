#!/usr/bin/env bash
# The test command from README.md: install goengine with its test extras, then run the suite.
set -euo pipefail
cd "$(dirname "$0")/.."
python -m pip install -q torch==2.13.0 -e '.[test]'
python -m pytest -q "$@"
