# shellcheck shell=bash
# What slurm/train.sbatch and slurm/pipeline.sbatch share; they source this file,
# which is not run on its own. It runs one disco command as the job's step through
# launcher/disco-launch (srun, one rank per GPU), passes the batch shell's SIGUSR1
# on to the step, and acts on the step's status: 0 ends the job, 75 (preempted, a
# checkpoint saved) requeues it, anything else ends it with that status.
#
#   requeue_step NAME RESUMES DISCO_ARGS... -- SCRIPT_ARGS...
#
# NAME: the calling script, in messages; RESUMES: what the requeued job resumes
# from, in messages; DISCO_ARGS: disco's subcommand and arguments; SCRIPT_ARGS: the
# script's own arguments: --dry-run (or DRY_RUN=1 in the environment) prints what
# would run and exits 0, the others go to disco after DISCO_ARGS. The caller sets
# DISCO_ROOT; DISCO, LAUNCH and SCONTROL can be set in the environment. In a dry
# run the SLURM_* values Slurm would set come from the caller's #SBATCH lines.

readonly PREEMPTED=75 # disco's "checkpoint saved, requeue me" (EX_TEMPFAIL)

# The value of the calling script's "#SBATCH --$1=VALUE" line, else $2.
sbatch_value() {
    local value
    value=$(sed -n "s/^#SBATCH --$1=\\([^ ]*\\).*/\\1/p" "$0" | head -n 1)
    printf '%s' "${value:-$2}"
}

step_name='' step_pid='' signalled=0 forwarded=0 interrupted=0

log() { printf '[%s] %s: %s\n' "$(date '+%F %T')" "$step_name" "$*"; }

# Slurm's B: signal reaches the batch shell only. Passing it on:
# - kill -USR1 to srun: srun forwards the signals it receives (SIGUSR1 among them)
#   to every task of its step, on every node. disco-launch exec's srun, so the
#   background PID is srun's.
# - not SIGTERM: srun answers SIGTERM by killing the tasks (SIGKILL), so they
#   could not checkpoint.
# - not `scancel --batch`: that signals the batch shell only, i.e. this script.
# bash runs a trap only between commands, so the step runs in the background and
# the shell waits for it with `wait`, which a trapped signal interrupts.
forward_usr1() {
    signalled=1 interrupted=1
    if [[ -n $step_pid ]]; then
        log "SIGUSR1: asking the ranks to checkpoint and stop (kill -USR1 $step_pid)"
        kill -USR1 "$step_pid" 2>/dev/null || true
        forwarded=1
    fi
}

requeue_step() {
    step_name=$1
    local resumes=$2
    shift 2
    local disco_args=() args=() dry_run=${DRY_RUN:-0} arg
    [[ $dry_run == 1 ]] || dry_run=0
    while (($# > 0)); do
        arg=$1
        shift
        [[ $arg == -- ]] && break
        disco_args+=("$arg")
    done
    for arg in "$@"; do
        if [[ $arg == --dry-run ]]; then dry_run=1; else args+=("$arg"); fi
    done

    DISCO=${DISCO:-$DISCO_ROOT/build/disco}
    LAUNCH=${LAUNCH:-$DISCO_ROOT/launcher/disco-launch}
    SCONTROL=${SCONTROL:-scontrol}
    if ((dry_run)); then
        # Stand-ins for what Slurm would set, as the #SBATCH lines ask.
        export SLURM_JOB_ID=${SLURM_JOB_ID:-12345}
        export SLURM_JOB_NUM_NODES=${SLURM_JOB_NUM_NODES:-$(sbatch_value nodes 1)}
        export SLURM_GPUS_ON_NODE=${SLURM_GPUS_ON_NODE:-$(sbatch_value gpus-per-node 0)}
        export SLURM_CPUS_PER_TASK=${SLURM_CPUS_PER_TASK:-$(sbatch_value cpus-per-task 1)}
    fi
    : "${SLURM_JOB_ID:?$step_name runs under sbatch (or with --dry-run)}"

    # --launcher srun: one task per GPU, --kill-on-bad-exit=1, --cpus-per-task.
    local launch=("$LAUNCH" --launcher srun -- "$DISCO" "${disco_args[@]}" "${args[@]}")
    local what="disco ${disco_args[0]}"

    if ((dry_run)); then
        echo "# $step_name --dry-run: job $SLURM_JOB_ID; the step would be"
        "${launch[0]}" --dry-run "${launch[@]:1}"
        echo "# on exit 0: $what finished; the job ends with status 0"
        echo "# on exit $PREEMPTED: preempted, checkpoint saved: $SCONTROL requeue $SLURM_JOB_ID" \
            "(the requeued job resumes from $resumes)"
        echo "# on any other exit N: failed; the job ends with status N and is not requeued"
        echo "# on SIGUSR1 to this script: kill -USR1 <srun pid>; srun passes it to every rank"
        exit 0
    fi

    log "job $SLURM_JOB_ID, restart ${SLURM_RESTART_COUNT:-0}, $("${launch[0]}" --dry-run "${launch[@]:1}" | tail -n 1)"
    trap forward_usr1 USR1
    "${launch[@]}" &
    step_pid=$!
    if ((signalled && !forwarded)); then # it came while the step was being started
        forward_usr1
    fi
    local status
    while :; do
        interrupted=0
        status=0
        wait "$step_pid" || status=$?
        ((interrupted)) || break # else the wait was cut short by the trap: wait again
    done
    trap - USR1

    case $status in
    0)
        log "$what finished"
        exit 0
        ;;
    "$PREEMPTED")
        log "preempted with a checkpoint saved: requeueing job $SLURM_JOB_ID; it resumes from $resumes"
        if "$SCONTROL" requeue "$SLURM_JOB_ID"; then
            exit 0
        fi
        log "scontrol requeue failed: submit this script again with the same RUN_DIR to resume"
        exit "$PREEMPTED"
        ;;
    *)
        log "$what failed with status $status: not requeued"
        exit "$status"
        ;;
    esac
}
