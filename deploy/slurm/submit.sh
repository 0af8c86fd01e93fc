#!/usr/bin/env bash
# Submits one memlens metric run to Slurm: a job array with one task per shard of the candidates,
# then a merge job that starts only when every shard succeeded (--dependency=afterok). See README.md.
#   submit.sh SHARDS OUT.json [sbatch options...] -- unitmem|classmem|layermem ARGS...
# Prints the array's and the merge job's ids. $MEMLENS is the command that runs memlens
# (default: memlens on PATH); every task must see the model, the data and OUT's folder.
set -euo pipefail
usage() {
  echo "usage: $0 SHARDS OUT.json [sbatch options...] -- unitmem|classmem|layermem ARGS..." >&2
  exit 2
}
[ $# -ge 4 ] || usage
shards=$1
out=$2
shift 2
[[ "$shards" =~ ^[1-9][0-9]*$ ]] || { echo "$0: SHARDS must be a positive integer, got '$shards'" >&2; exit 2; }
opts=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do opts+=("$1"); shift; done
[ "${1:-}" = "--" ] || usage
shift
case "${1:-}" in unitmem | classmem | layermem) ;; *) usage ;; esac
here=$(cd "$(dirname "$0")" && pwd)
parts="$out.parts"
mkdir -p "$parts"
export MEMLENS="${MEMLENS:-memlens}"
array=$(sbatch --parsable "${opts[@]}" --array="0-$((shards - 1))" --job-name=memlens-shard \
  --output="$parts/shard-%a.log" "$here/shard.sbatch" "$parts" "$@")
array=${array%%;*} # --parsable prints "id;cluster" on multi-cluster setups
merge=$(sbatch --parsable "${opts[@]}" --dependency="afterok:$array" --kill-on-invalid-dep=yes \
  --job-name=memlens-merge --output="$parts/merge.log" "$here/merge.sbatch" "$out" "$parts" "$shards")
echo "${array} ${merge%%;*}"
