# Sourced by the GPU session scripts (run from the repository root): the Python packages the GPU
# image lacks (.whl/), the source tree on PYTHONPATH, and GNU Go as $GG: the carried Debian binary
# (.gpu/bin/gnugo.gz with the libraries it links in .gpu/lib) behind a small wrapper, else an installed one.
PY=${PY:-python3}
export PYTHONUNBUFFERED=1
if [ -d .whl ] && ! $PY -c "import sgfmill, gymnasium" 2>/dev/null; then
  $PY -m pip install -q --no-index --no-deps --no-compile --target /tmp/site .whl/*.whl && export PYTHONPATH=/tmp/site
fi
export PYTHONPATH="${PYTHONPATH:+$PYTHONPATH:}$PWD"
if [ -f .gpu/bin/gnugo.gz ]; then
  GG=/tmp/gg/bin/gnugo
  mkdir -p /tmp/gg/bin && gunzip -c .gpu/bin/gnugo.gz > /tmp/gg/gnugo.bin && chmod +x /tmp/gg/gnugo.bin
  printf '#!/bin/sh\nLD_LIBRARY_PATH=%s exec /tmp/gg/gnugo.bin "$@"\n' "$PWD/.gpu/lib" > $GG && chmod +x $GG
else
  GG=$(command -v gnugo || echo /usr/games/gnugo)
fi
