#!/usr/bin/env bash
# Run every recorder mode in every environment of envs.txt; write the JSONL files beside this script.
#   tests/vectors/record_all.sh [ENVS_DIR]      (make the environments first: make_envs.sh)
set -u
here=$(cd "$(dirname "$0")" && pwd)
envs=${1:-/work/scratch/vectors/envs}
out_outcomes="$here/outcomes.jsonl"; out_positive="$here/cookies-releases.jsonl"
out_nesting="$here/nesting-limits.jsonl"; out_env="$here/prefixed-env.jsonl"
out_fsess="$here/flask-session.jsonl"; out_its="$here/itsdangerous.jsonl"
: > "$out_outcomes"; : > "$out_positive"; : > "$out_nesting"; : > "$out_env"; : > "$out_fsess"; : > "$out_its"
status=0
run() {  # env mode outfile
    if ! "$envs/$1/bin/python" "$here/record_outcomes.py" "$2" >> "$3" 2>> "$envs/record-errors.log"; then
        echo "!! $1 $2 failed (see $envs/record-errors.log)" >&2; status=1
    fi
}
while IFS='|' read -r name _; do
    name=$(echo "$name" | xargs)
    case "$name" in ''|'#'*) continue ;; esac
    echo "== $name" >&2
    case "$name" in
        its-*) run "$name" itsdangerous "$out_its" ;;
        fsess-*) run "$name" flask-session "$out_fsess" ;;
        *-py3*) run "$name" nesting "$out_nesting" ;;
        *)
            run "$name" outcomes "$out_outcomes"
            run "$name" positive "$out_positive"
            run "$name" nesting "$out_nesting"
            run "$name" prefixed-env "$out_env"
            ;;
    esac
done < "$here/envs.txt"
wc -lc "$here"/*.jsonl >&2
exit $status
