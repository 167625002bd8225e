#!/usr/bin/env bash
# Example Slurm job array: one large population simulated as N shards (one array task each,
# no MPI needed), then merged into one result by a job that waits for all of them.
#
#   sbatch scripts/slurm_run_array.sh big.toml        # submits the array and the merge job
#
# Each task holds only its share of the customers in memory (about bytes_per_customer x
# customers / N, see `retsim run` output), so N is chosen to fit a node's memory. The merged
# file equals, dataset by dataset, the result of one `retsim run big.toml` on one machine.
# Scenarios whose strategies rank or budget across the whole population (top_fraction,
# budget_per_week_cents) need the shards to talk: run those with scripts/slurm_run_mpi.sh.
#SBATCH --job-name=retsim-shards
#SBATCH --array=0-7
#SBATCH --cpus-per-task=8
#SBATCH --mem=16G
#SBATCH --time=02:00:00
#SBATCH --output=retsim-shard-%a.log
set -euo pipefail

scenario="${1:?usage: sbatch slurm_run_array.sh SCENARIO.toml}"
shards=$((SLURM_ARRAY_TASK_MAX + 1))
stem=$(basename "$scenario" .toml)

if [ "$SLURM_ARRAY_TASK_ID" -eq 0 ]; then
  # Task 0 also submits the merge, to start once every task of this array has succeeded.
  sbatch --dependency="afterok:${SLURM_ARRAY_JOB_ID}" --job-name=retsim-merge --mem=4G --time=00:20:00 \
    --output=retsim-merge.log \
    --wrap="retsim merge ${stem}.shard-*-of-${shards}.h5 -o ${stem}.h5"
fi

retsim run "$scenario" --shard "${SLURM_ARRAY_TASK_ID}/${shards}" --threads "$SLURM_CPUS_PER_TASK" -q
