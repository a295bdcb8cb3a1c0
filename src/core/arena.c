#include "disco/arena.h"

#include <stdlib.h>

#include "disco/error.h"

size_t arena_round_up(size_t bytes) { return (bytes + ARENA_ALIGN - 1) / ARENA_ALIGN * ARENA_ALIGN; }

void arena_init(Arena *a, size_t capacity, const char *name) {
    capacity = arena_round_up(capacity);
    void *base = NULL;
    DISCO_CHECK(posix_memalign(&base, ARENA_ALIGN, capacity ? capacity : ARENA_ALIGN) == 0,
                "out of memory allocating arena '%s' of %zu bytes", name, capacity);
    arena_wrap(a, base, capacity, name);
    a->owns_base = 1;
}

void arena_wrap(Arena *a, void *base, size_t capacity, const char *name) {
    a->base = base;
    a->capacity = capacity;
    a->used = 0;
    a->name = name;
    a->owns_base = 0;
}

void *arena_alloc(Arena *a, size_t bytes, const char *what) {
    size_t need = arena_round_up(bytes);
    DISCO_CHECK(a->used + need <= a->capacity, "arena '%s' is full: %s needs %zu bytes, %zu of %zu used", a->name,
                what, bytes, a->used, a->capacity);
    void *p = a->base + a->used;
    a->used += need;
    return p;
}

void arena_reset(Arena *a) { a->used = 0; }

void arena_release(Arena *a) {
    if (a->owns_base) free(a->base);
    a->base = NULL;
    a->capacity = a->used = 0;
}
