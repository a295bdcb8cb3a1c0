/* One abort path for the whole program: every fatal error ends here. */
#ifndef DISCO_ERROR_H
#define DISCO_ERROR_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Called before the process ends; the distributed layer installs MPI_Abort here
   so that a fatal error on one rank ends every rank. */
typedef void (*disco_abort_hook)(int exit_code);
void disco_set_abort_hook(disco_abort_hook hook);

/* C11 and C++ spell "does not return" differently; CUDA files include this. */
#ifdef __cplusplus
#define DISCO_NORETURN [[noreturn]]
#else
#define DISCO_NORETURN _Noreturn
#endif

DISCO_NORETURN void disco_fatal_at(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define DISCO_FATAL(...) disco_fatal_at(__FILE__, __LINE__, __VA_ARGS__)
#define DISCO_CHECK(cond, ...)                                        \
    do {                                                              \
        if (!(cond)) disco_fatal_at(__FILE__, __LINE__, __VA_ARGS__); \
    } while (0)

/* Allocation that cannot return NULL; `what` names the buffer in the error. */
void *disco_malloc(size_t bytes, const char *what);
void *disco_calloc(size_t count, size_t size, const char *what);
char *disco_strdup(const char *s);

/* glibc returns large blocks to the OS on free, which makes every re-touch
   expensive on these VMs; every main calls this first. */
void disco_tune_malloc(void);

#ifdef __cplusplus
}
#endif

#endif
