#!/usr/bin/env bash
# Usage: [MAX_RESTARTS=0] tools/dist_train.sh CONFIG NUM_PROCS [train.py options]
# Multi-process training on one node with torchrun (NCCL on GPUs, gloo on
# CPU). NNODES, NODE_RANK, MASTER_ADDR and PORT set a multi-node job.
# MAX_RESTARTS > 0 lets torchrun restart failed or interrupted workers; the
# restarted workers resume from the newest intact checkpoint in the work dir
# (docs/en/user_guides/cluster_jobs.md).
set -euo pipefail
CONFIG=$1
GPUS=$2
NNODES=${NNODES:-1}
NODE_RANK=${NODE_RANK:-0}
PORT=${PORT:-29500}
MASTER_ADDR=${MASTER_ADDR:-"127.0.0.1"}
MAX_RESTARTS=${MAX_RESTARTS:-0}
DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PYTHON=${PYTHON:-python}

PYTHONPATH="$DIR/..:${PYTHONPATH:-}" \
exec "$PYTHON" -m torch.distributed.run \
    --nnodes="$NNODES" --node_rank="$NODE_RANK" --master_addr="$MASTER_ADDR" \
    --nproc_per_node="$GPUS" --master_port="$PORT" \
    --max_restarts="$MAX_RESTARTS" \
    "$DIR/train.py" "$CONFIG" --launcher pytorch "${@:3}"
