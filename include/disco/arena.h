/* A bump allocator over one buffer that is sized once. Training code takes
   every buffer from an arena while it is built, so the step allocates nothing. */
#ifndef DISCO_ARENA_H
#define DISCO_ARENA_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    char *base;
    size_t capacity;
    size_t used;
    const char *name;
    int owns_base;
} Arena;

/* Host arena with its own zeroed memory. */
void arena_init(Arena *a, size_t capacity, const char *name);
/* Arena over memory someone else owns (a device buffer, for instance). */
void arena_wrap(Arena *a, void *base, size_t capacity, const char *name);
/* Aligned to 256 bytes (cache lines, tensor-core loads); fatal when full. */
void *arena_alloc(Arena *a, size_t bytes, const char *what);
void arena_reset(Arena *a);
void arena_release(Arena *a);

#define ARENA_ALIGN 256
size_t arena_round_up(size_t bytes);

#ifdef __cplusplus
}
#endif

#endif
