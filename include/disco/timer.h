#ifndef DISCO_TIMER_H
#define DISCO_TIMER_H

/* Monotonic wall-clock seconds. */
double time_now(void);

#endif
