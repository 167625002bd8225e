#!/usr/bin/env bash
# Example Slurm batch script: one large population spread by customer over the MPI ranks of
# one job. Each rank simulates and holds its share of the customers; strategies that rank or
# budget across the population exchange their candidates between ranks at every step; rank 0
# writes the result, equal dataset by dataset to a one-process run of the same scenario.
#
#   sbatch scripts/slurm_run_mpi.sh big.toml
#
# Needs a retsim built with MPI (Debian's OpenMPI: `retsim --version` runs, and the build log
# says "MPI found"). One rank per node with all its cores as threads is usually best: the
# exchange is per step, the simulation inside a rank is multi-threaded.
#SBATCH --job-name=retsim-mpi
#SBATCH --nodes=4
#SBATCH --ntasks-per-node=1
#SBATCH --cpus-per-task=32
#SBATCH --mem=64G
#SBATCH --time=02:00:00
#SBATCH --output=retsim-mpi-%j.log
set -euo pipefail

scenario="${1:?usage: sbatch slurm_run_mpi.sh SCENARIO.toml}"
stem=$(basename "$scenario" .toml)
srun --mpi=pmix retsim run "$scenario" -o "${stem}.h5" --threads "$SLURM_CPUS_PER_TASK" -q
