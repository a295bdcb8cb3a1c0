/* Preemption: SIGUSR1 (Slurm's warning before the time limit, sent with
 * --signal=B:USR1@120) and SIGTERM (scancel, a node going down) only set a
 * flag. The training loop looks at it at step boundaries, where the ranks
 * agree, save a checkpoint and exit with PREEMPT_EXIT_REQUEUE, which the
 * Slurm script turns into a requeue; the next start resumes from that
 * checkpoint. */
#ifndef DISCO_PREEMPT_H
#define DISCO_PREEMPT_H

#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

/* EX_TEMPFAIL of sysexits.h: a temporary failure; run me again. */
#define PREEMPT_EXIT_REQUEUE 75

void preempt_install(void);
/* True once either signal has arrived in this process. */
bool preempt_signalled(void);
/* Forgets an earlier signal, for a process that handled it and goes on. */
void preempt_clear(void);

#ifdef __cplusplus
}
#endif

#endif
