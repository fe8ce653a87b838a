#!/usr/bin/env bash
# Make one virtual environment per release listed in envs.txt (beside this script).
#
#   tests/vectors/make_envs.sh [ENVS_DIR] [NAME...]
#
# ENVS_DIR defaults to /work/scratch/vectors/envs; NAMEs default to every line of envs.txt.
# Pythons come from pyenv (/root/.pyenv/versions/X.Y.*) or the PATH (pythonX.Y).
# An existing environment whose pins already match is left alone. Exits non-zero if any failed.
set -u
here=$(cd "$(dirname "$0")" && pwd)
envs=${1:-/work/scratch/vectors/envs}
shift || true
mkdir -p "$envs"
failed=0
python_for() {
    local v=$1 p
    for p in /root/.pyenv/versions/"$v".*/bin/python"$v"; do
        [ -x "$p" ] && { echo "$p"; return; }
    done
    command -v "python$v"
}
while IFS='|' read -r name py reqs; do
    name=$(echo "$name" | xargs); py=$(echo "$py" | xargs); reqs=$(echo "$reqs" | xargs)
    case "$name" in ''|'#'*) continue ;; esac
    if [ $# -gt 0 ]; then
        want=0; for n in "$@"; do [ "$n" = "$name" ] && want=1; done
        [ $want = 1 ] || continue
    fi
    dir="$envs/$name"
    if [ -f "$dir/.pins" ] && [ "$(cat "$dir/.pins")" = "$py $reqs" ]; then
        echo "== $name: up to date"; continue
    fi
    echo "== $name: python $py: $reqs"
    rm -rf "$dir"
    interp=$(python_for "$py") || { echo "no python $py" >&2; failed=1; continue; }
    if "$interp" -m venv "$dir" && "$dir/bin/pip" install -q --no-input $reqs 2>&1 | grep -v "is ignored: it is neither" >&2; [ "${PIPESTATUS[0]}" = 0 ] \
        && "$dir/bin/python" -c "import itsdangerous" ; then
        echo "$py $reqs" > "$dir/.pins"
        "$dir/bin/pip" freeze > "$dir/.freeze"
    else
        echo "!! $name failed" >&2; failed=1
    fi
done < "$here/envs.txt"
exit $failed
