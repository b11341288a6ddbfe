#!/usr/bin/env bash
# `npm run notebooks`: executes every notebook (NN-*.ipynb) with the TypeScript kernel tslab (from
# node_modules) and Jupyter's nbconvert (Debian: jupyter-nbconvert python3-nbclient). A cell error fails
# that notebook; the script ends with "notebooks: N passed, M failed" and exits non-zero on any failure.
#   NOTEBOOKS_OUT=DIR  write the executed copies to DIR (CI) instead of updating the notebooks in place
#   NOTEBOOKS=...      run only these notebooks (file names)
set -uo pipefail
cd "$(dirname "$0")"
root="$(cd .. && pwd)"
tslab="$root/node_modules/.bin/tslab"
nbconvert="$(command -v jupyter-nbconvert || true)"
[ -x /usr/bin/jupyter-nbconvert ] && nbconvert=/usr/bin/jupyter-nbconvert  # Debian's, with its python3
if [ -z "$nbconvert" ]; then
  echo "notebooks: jupyter-nbconvert is missing (apt-get install -y jupyter-nbconvert python3-nbclient)" >&2
  exit 1
fi
if [ ! -x "$tslab" ]; then
  echo "notebooks: $tslab is missing (npm ci installs tslab)" >&2
  exit 1
fi
# The kernel spec lives here (not in ~/.local): Jupyter finds it through JUPYTER_PATH.
mkdir -p .jupyter/kernels/tslab
printf '{"argv": ["%s", "kernel", "--config-path", "{connection_file}"], "display_name": "TypeScript", "language": "typescript"}\n' "$tslab" \
  > .jupyter/kernels/tslab/kernel.json
export JUPYTER_PATH="$PWD/.jupyter"
export JUPYTER_CONFIG_DIR="$PWD/.jupyter/config"
passed=0
failed=0
for nb in ${NOTEBOOKS:-[0-9][0-9]-*.ipynb}; do
  if [ -n "${NOTEBOOKS_OUT:-}" ]; then
    mkdir -p "$NOTEBOOKS_OUT"
    where=(--output-dir "$NOTEBOOKS_OUT")
  else
    where=(--inplace)
  fi
  start=$SECONDS
  if "$nbconvert" --to notebook --execute --ExecutePreprocessor.kernel_name=tslab --ExecutePreprocessor.timeout=900 "${where[@]}" "$nb"; then
    passed=$((passed + 1))
    echo "notebooks: $nb passed ($((SECONDS - start)) s)"
  else
    failed=$((failed + 1))
    echo "notebooks: $nb FAILED ($((SECONDS - start)) s)"
  fi
done
echo "notebooks: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
