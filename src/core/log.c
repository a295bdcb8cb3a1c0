#include "disco/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static LogLevel current_level = LOG_INFO;
static int current_rank = -1;

void log_set_level(LogLevel level) { current_level = level; }
LogLevel log_get_level(void) { return current_level; }
void log_set_rank(int rank) { current_rank = rank; }

int log_level_from_name(const char *name) {
    static const char *names[] = {"error", "warn", "info", "debug"};
    for (int i = 0; i < 4; i++)
        if (strcmp(name, names[i]) == 0) return i;
    return -1;
}

void log_message(LogLevel level, const char *fmt, ...) {
    if (level > current_level) return;
    static const char *tags[] = {"error", "warn", "info", "debug"};
    char stamp[16];
    time_t now = time(NULL);
    struct tm tm_now;
    localtime_r(&now, &tm_now);
    strftime(stamp, sizeof stamp, "%H:%M:%S", &tm_now);

    char body[2048];
    va_list args;
    va_start(args, fmt);
    vsnprintf(body, sizeof body, fmt, args);
    va_end(args);

    /* Errors and warnings go to stderr so they survive a redirected stdout. */
    FILE *out = level <= LOG_WARN ? stderr : stdout;
    if (current_rank >= 0)
        fprintf(out, "%s [rank %d] %s: %s\n", stamp, current_rank, tags[level], body);
    else
        fprintf(out, "%s %s: %s\n", stamp, tags[level], body);
    fflush(out);
}
