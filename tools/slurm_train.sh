#!/usr/bin/env bash
# Usage: [GPUS=8 GPUS_PER_NODE=8 CPUS_PER_TASK=5 SRUN_ARGS=...] \
#   [SIGNAL_GRACE=180 REQUEUE=1] \
#   tools/slurm_train.sh PARTITION JOB_NAME CONFIG WORK_DIR [train.py options]
# One task per GPU through srun; GPUS_PER_NODE=0 runs CPU-only tasks.
# Slurm sends SIGUSR1 SIGNAL_GRACE seconds before the time limit; training
# then saves a checkpoint and exits with status 75. Inside an sbatch job
# (REQUEUE=1, the default) the job then requeues itself; otherwise the
# script exits with 75 and running the same command again resumes. A
# requeued or resubmitted job resumes from the newest intact checkpoint.
# See docs/en/user_guides/cluster_jobs.md.
set -euo pipefail
PARTITION=$1
JOB_NAME=$2
CONFIG=$3
WORK_DIR=$4
GPUS=${GPUS:-8}
GPUS_PER_NODE=${GPUS_PER_NODE:-8}
CPUS_PER_TASK=${CPUS_PER_TASK:-5}
SRUN_ARGS=${SRUN_ARGS:-""}
SIGNAL_GRACE=${SIGNAL_GRACE:-180}
REQUEUE=${REQUEUE:-1}
EXIT_INTERRUPTED=75
DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PYTHON=${PYTHON:-python}
GRES=()
if [ "$GPUS_PER_NODE" -gt 0 ]; then GRES=(--gres="gpu:$GPUS_PER_NODE"); fi

# the interruption record training writes in WORK_DIR (dist_mm.engine.
# INTERRUPTED_MARKER) after every rank has saved and stopped
MARKER="$WORK_DIR/interrupted.json"
STARTED=$(mktemp)
trap 'rm -f "$STARTED"' EXIT

status=0
# shellcheck disable=SC2086
PYTHONPATH="$DIR/..:${PYTHONPATH:-}" \
srun -p "$PARTITION" --job-name="$JOB_NAME" "${GRES[@]}" \
    --ntasks="$GPUS" --ntasks-per-node="$(( GPUS_PER_NODE > 0 ? GPUS_PER_NODE : GPUS ))" \
    --cpus-per-task="$CPUS_PER_TASK" --kill-on-bad-exit=1 \
    --signal="USR1@$SIGNAL_GRACE" $SRUN_ARGS \
    "$PYTHON" -u "$DIR/train.py" "$CONFIG" --work-dir="$WORK_DIR" \
    --launcher slurm "${@:5}" || status=$?

# --kill-on-bad-exit ends the step when the first task exits with 75, and
# terminates tasks still leaving (status 143): an interruption recorded
# during this step is an interruption whatever status srun returns.
if [ "$status" -ne 0 ] && [ "$MARKER" -nt "$STARTED" ]; then
  status=$EXIT_INTERRUPTED
fi
if [ "$status" -eq "$EXIT_INTERRUPTED" ]; then
  if [ "$REQUEUE" = 1 ] && [ -n "${SLURM_JOB_ID:-}" ] \
      && scontrol requeue "$SLURM_JOB_ID"; then
    echo "slurm_train.sh: training was interrupted; requeued job" \
      "$SLURM_JOB_ID, which resumes from the checkpoint in $WORK_DIR"
    exit 0
  fi
  echo "slurm_train.sh: training was interrupted and saved a checkpoint in" \
    "$WORK_DIR; run the same command again to resume from it" >&2
fi
exit "$status"
