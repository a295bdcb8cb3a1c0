/* Seed lists and their batches; see include/disco/seeds.h. */
#include "disco/seeds.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "disco/error.h"

/* A list longer than this is a typo (a range to 4e9), not a sampling job. */
#define MAX_SEEDS (1LL << 30)

/* One decimal seed at *at, spaces around it skipped. */
static uint32_t parse_seed(const char **at, const char *text, const char *what) {
    while (isspace((unsigned char)**at)) (*at)++;
    DISCO_CHECK(isdigit((unsigned char)**at), "%s: '%s' is not a list of seeds and ranges like 0-63 or 0,5,9-12 "
                "(at '%s')", what, text, *at);
    char *end;
    errno = 0;
    unsigned long long value = strtoull(*at, &end, 10);
    DISCO_CHECK(errno == 0 && value <= UINT32_MAX, "%s: seed %.*s is above %u", what, (int)(end - *at), *at,
                UINT32_MAX);
    *at = end;
    while (isspace((unsigned char)**at)) (*at)++;
    return (uint32_t)value;
}

static int by_value(const void *a, const void *b) {
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

static void check_distinct(const SeedList *s, const char *what) {
    uint32_t *sorted = disco_malloc((size_t)s->count * sizeof *sorted, "sorted seeds");
    memcpy(sorted, s->seeds, (size_t)s->count * sizeof *sorted);
    qsort(sorted, (size_t)s->count, sizeof *sorted, by_value);
    for (int64_t i = 1; i < s->count; i++)
        DISCO_CHECK(sorted[i] != sorted[i - 1], "%s: seed %u is listed twice", what, sorted[i]);
    free(sorted);
}

SeedList seeds_parse(const char *text, const char *what) {
    SeedList s = {0};
    int64_t capacity = 0;
    for (const char *at = text;;) {
        uint32_t first = parse_seed(&at, text, what), last = first;
        if (*at == '-') {
            at++;
            last = parse_seed(&at, text, what);
            DISCO_CHECK(last >= first, "%s: the range %u-%u runs backwards", what, first, last);
        }
        DISCO_CHECK(*at == ',' || *at == '\0', "%s: '%s' is not a list of seeds and ranges like 0-63 or 0,5,9-12 "
                    "(at '%s')", what, text, at);
        int64_t needed = s.count + ((int64_t)last - first + 1);
        DISCO_CHECK(needed <= MAX_SEEDS, "%s: '%s' lists more than %lld seeds", what, text, MAX_SEEDS);
        if (needed > capacity) {
            capacity = needed > 2 * capacity ? needed : 2 * capacity;
            uint32_t *grown = realloc(s.seeds, (size_t)capacity * sizeof *grown);
            DISCO_CHECK(grown, "%s: out of memory for %lld seeds", what, (long long)capacity);
            s.seeds = grown;
        }
        for (uint64_t v = first; v <= last; v++) s.seeds[s.count++] = (uint32_t)v;
        if (*at++ == '\0') break;
    }
    check_distinct(&s, what);
    return s;
}

void seeds_free(SeedList *s) {
    free(s->seeds);
    *s = (SeedList){0};
}

int64_t seeds_batches(const uint32_t *seeds, int64_t n, int max_batch, SeedBatch **batches) {
    DISCO_CHECK(max_batch >= 1, "seed batches of %d seeds", max_batch);
    *batches = disco_malloc((size_t)(n > 0 ? n : 1) * sizeof **batches, "seed batches"); /* n at most */
    int64_t count = 0;
    for (int64_t i = 0; i < n; i++) {
        /* The batch so far ends at position i - 1. */
        SeedBatch *last = count ? &(*batches)[count - 1] : NULL;
        if (last && last->count < max_batch && seeds[i - 1] < UINT32_MAX && seeds[i] == seeds[i - 1] + 1)
            last->count++;
        else
            (*batches)[count++] = (SeedBatch){.first = i, .count = 1};
    }
    return count;
}
