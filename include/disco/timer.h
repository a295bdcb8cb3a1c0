#ifndef DISCO_TIMER_H
#define DISCO_TIMER_H

#ifdef __cplusplus
extern "C" {
#endif

/* Monotonic wall-clock seconds. */
double time_now(void);

#ifdef __cplusplus
}
#endif

#endif
