#!/usr/bin/env bash
# Batch scoring sharded over a Slurm job array: task K of the array scores shard
# (SLURM_ARRAY_TASK_ID − SLURM_ARRAY_TASK_MIN + 1) of SLURM_ARRAY_TASK_COUNT, which
# `lepton-credit score` reads from the environment. Submit, then merge when all tasks are done:
#   jobid=$(sbatch --parsable deploy/slurm/score-array.sh)
#   sbatch --dependency=afterok:$jobid --wrap "lepton-credit merge --output scores.csv shards/scores-*.csv"
# (`lepton-qc score` and `lepton-scan classify` take the same variables.)
#SBATCH --job-name=lepton-score
#SBATCH --array=0-7
#SBATCH --cpus-per-task=2
#SBATCH --mem=1G
#SBATCH --time=01:00:00
#SBATCH --output=logs/score-%A-%a.log
set -euo pipefail
MODEL=${MODEL:-models/credit.lepton}
INPUT=${INPUT:-data/applicants.csv}
mkdir -p shards logs
exec lepton-credit score --model "$MODEL" --input "$INPUT" \
  --output "shards/scores-${SLURM_ARRAY_TASK_ID}.csv" --rejects "shards/rejects-${SLURM_ARRAY_TASK_ID}.csv" --threads "${SLURM_CPUS_PER_TASK:-2}" --json
