#ifndef DISCO_LOG_H
#define DISCO_LOG_H

#ifdef __cplusplus
extern "C" {
#endif

typedef enum { LOG_ERROR = 0, LOG_WARN = 1, LOG_INFO = 2, LOG_DEBUG = 3 } LogLevel;

void log_set_level(LogLevel level);
LogLevel log_get_level(void);
/* Parses "error", "warn", "info" or "debug"; returns -1 for anything else. */
int log_level_from_name(const char *name);
/* A negative rank prints no prefix (single-process runs). */
void log_set_rank(int rank);
void log_message(LogLevel level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define LOG_ERROR(...) log_message(LOG_ERROR, __VA_ARGS__)
#define LOG_WARN(...) log_message(LOG_WARN, __VA_ARGS__)
#define LOG_INFO(...) log_message(LOG_INFO, __VA_ARGS__)
#define LOG_DEBUG(...) log_message(LOG_DEBUG, __VA_ARGS__)

#ifdef __cplusplus
}
#endif

#endif
