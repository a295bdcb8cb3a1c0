#include "disco/error.h"

#include <malloc.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "disco/log.h"

static disco_abort_hook abort_hook;

void disco_set_abort_hook(disco_abort_hook hook) { abort_hook = hook; }

DISCO_NORETURN void disco_fatal_at(const char *file, int line, const char *fmt, ...) {
    char message[1024];
    va_list args;
    va_start(args, fmt);
    vsnprintf(message, sizeof message, fmt, args);
    va_end(args);
    log_message(LOG_ERROR, "%s (%s:%d)", message, file, line);
    fflush(stdout);
    fflush(stderr);
    if (abort_hook) abort_hook(EXIT_FAILURE);
    exit(EXIT_FAILURE);
}

void *disco_malloc(size_t bytes, const char *what) {
    void *p = malloc(bytes ? bytes : 1);
    DISCO_CHECK(p, "out of memory allocating %zu bytes for %s", bytes, what);
    return p;
}

void *disco_calloc(size_t count, size_t size, const char *what) {
    void *p = calloc(count ? count : 1, size ? size : 1);
    DISCO_CHECK(p, "out of memory allocating %zu x %zu bytes for %s", count, size, what);
    return p;
}

char *disco_strdup(const char *s) {
    size_t n = strlen(s) + 1;
    char *copy = disco_malloc(n, "string");
    memcpy(copy, s, n);
    return copy;
}

void disco_tune_malloc(void) {
    mallopt(M_MMAP_THRESHOLD, 1 << 30);
    mallopt(M_TRIM_THRESHOLD, 1 << 30);
}
