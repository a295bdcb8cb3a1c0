/* The seeds of a sampling job, written as EDM's generate.py takes them
 * ("0-63", "0,5,9-12"). Image s is drawn from randomness keyed by s alone
 * (row s of each stream, rng.h), so it is the same whichever rank or batch
 * draws it.
 *
 * The work is cut into batches that are runs of consecutive seeds, so a
 * batch's rows are rows first, first + 1, ... of every keyed stream (the
 * sampler and the prior take the first row only), and rank r of W takes
 * batches r, r + W, r + 2W, ... as EDM's generate.py does. The batches
 * depend on the list and the batch size only, never on the world size. */
#ifndef DISCO_SEEDS_H
#define DISCO_SEEDS_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    uint32_t *seeds; /* in the order written */
    int64_t count;
} SeedList;

/* A comma-separated list of seeds and inclusive ranges a-b. Fatal, naming
   `what` (the field) and the part, on a syntax error, a range that runs
   backwards, a seed above 2^32 - 1, a repeated seed or an empty list. */
SeedList seeds_parse(const char *text, const char *what);
void seeds_free(SeedList *s);

typedef struct {
    int64_t first; /* position in the list the batches were cut from */
    int count;
} SeedBatch;

/* Cuts seeds[0, n) into batches of at most max_batch consecutive seed
   values, in list order. Returns how many; *batches is malloc'd. */
int64_t seeds_batches(const uint32_t *seeds, int64_t n, int max_batch, SeedBatch **batches);

#ifdef __cplusplus
}
#endif

#endif
