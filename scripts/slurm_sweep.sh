#!/usr/bin/env bash
# Example Slurm batch script: a retsim sweep across MPI ranks that survives the job's time limit.
# Submit with `sbatch scripts/slurm_sweep.sh`; submit the same script again after a time-out or
# a crash and it continues where the last job stopped (the journal sweep.h5.journal lists every
# finished run). Walk-through: docs/sweeps.md. Adapt the #SBATCH lines to your cluster.
#
#SBATCH --job-name=retsim-sweep
#SBATCH --nodes=2
#SBATCH --ntasks-per-node=32          # one rank per core; rank 0 only coordinates
#SBATCH --cpus-per-task=1
#SBATCH --time=04:00:00
#SBATCH --output=retsim-sweep-%j.log
# Two minutes before the time limit Slurm sends SIGUSR1 to this batch shell ("B:"); the trap
# below passes it on, retsim stops handing out runs, lets the running ones finish and writes
# the file. Without it, the journal still keeps every finished run and the file holds the last
# checkpoint; only the runs in flight are lost.
#SBATCH --signal=B:USR1@120

set -euo pipefail

retsim=${RETSIM:-./build/retsim}        # built with MPI: `retsim --help` runs under mpirun
scenario=${SCENARIO:-scenarios/default.toml}
output=${OUTPUT:-sweep.h5}              # on a shared file system: rank 0 writes it

args=(sweep "$scenario" -o "$output" -q
      --design sobol --samples 256 --replicates 4
      --vary economics.margin_fraction=0.2:0.4
      --vary acquisition.cohort_days=14:56
      --set population.initial_customers=20000
      --checkpoint-seconds 60)

# Continue an interrupted sweep of the same arguments; start afresh otherwise.
if [ -f "$output.journal" ]; then args+=(--resume); fi

# Each rank runs one run at a time on one thread (--threads-per-run 1, the default): many small
# points spread best this way. For few large points use fewer ranks per node and raise
# --threads-per-run (and --cpus-per-task) instead.
#
# srun starts the ranks itself (Slurm's PMIx; check `srun --mpi=list`) and delivers SIGTERM
# to every rank at the time limit, which retsim also treats as "stop". With mpirun instead, use
# SIGUSR1 to stop: mpirun forwards it, whereas it kills the job shortly after a SIGTERM.
launcher=${LAUNCHER:-srun}
if [ "$launcher" = srun ]; then
  srun --mpi=pmix "$retsim" "${args[@]}" &
else
  mpirun "$retsim" "${args[@]}" &
fi
pid=$!
trap 'kill -USR1 "$pid" 2>/dev/null || true' USR1
trap 'kill -TERM "$pid" 2>/dev/null || true' TERM
# `wait` returns early when a trapped signal arrives; wait again for the ranks to finish.
set +e
wait "$pid"
status=$?
while kill -0 "$pid" 2>/dev/null; do
  wait "$pid"
  status=$?
done
set -e

if [ "$status" -eq 0 ]; then
  echo "sweep complete: $output"
else
  echo "sweep stopped (exit $status): submit this script again to resume from $output.journal" >&2
fi
exit "$status"
