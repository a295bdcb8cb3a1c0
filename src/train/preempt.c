#include "disco/preempt.h"

#include <signal.h>
#include <string.h>

#include "disco/error.h"

static volatile sig_atomic_t signalled;

/* Only async-signal-safe work here: the loop does the rest. */
static void on_signal(int signal_number) { signalled = 1; }

void preempt_install(void) {
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = on_signal;
    sigemptyset(&action.sa_mask);
    /* Restarted system calls keep a signal from failing a read in progress. */
    action.sa_flags = SA_RESTART;
    DISCO_CHECK(sigaction(SIGUSR1, &action, NULL) == 0 && sigaction(SIGTERM, &action, NULL) == 0,
                "cannot install the SIGUSR1 and SIGTERM handlers");
}

bool preempt_signalled(void) { return signalled != 0; }

void preempt_clear(void) { signalled = 0; }
