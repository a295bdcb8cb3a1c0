/* Progress of a long loop: a live line with rate and ETA on a terminal,
   plain periodic lines when the output is a file or a pipe. */
#ifndef DISCO_PROGRESS_H
#define DISCO_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    const char *label;
    const char *unit;
    uint64_t total;
    uint64_t done;
    double start_time;
    double last_print_time;
    double print_interval; /* seconds between plain lines */
    bool live;             /* redraw one line in place (terminal) */
    FILE *out;
} Progress;

void progress_begin(Progress *p, FILE *out, const char *label, const char *unit, uint64_t total);
/* `extra` (may be NULL) is appended to the line, e.g. "loss 0.123". */
void progress_update(Progress *p, uint64_t done, const char *extra);
void progress_end(Progress *p, const char *extra);

#ifdef __cplusplus
}
#endif

#endif
