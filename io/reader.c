#include "disco/reader.h"

#include <pthread.h>
#include <stdlib.h>

#include "disco/error.h"
#include "disco/shards.h"

/* Batch number n (counted from start_cursor) lives in slot n % slots. The
   worker may fill batch n once n < released + slots; the consumer holds
   batch `released` from one reader_next to the next. */
struct BatchReader {
    Shard *shard;
    ShardingPlan plan; /* touched by the worker only: sharding_at reshuffles in place */
    bool hflip;
    uint64_t seed, start_cursor;
    int slots;
    ReaderBatch *ring;
    uint8_t *pixels; /* the worker's buffer for one raw image */

    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t space, ready;
    uint64_t filled, released;
    bool holding, stop;
};

static bool flips(const BatchReader *r, uint64_t position, int64_t index) {
    RngKey key = {.seed = r->seed,
                  .stream = READER_FLIP_STREAM,
                  .step = (uint32_t)sharding_epoch(&r->plan, position),
                  .index = (uint32_t)index};
    return rng_u32(&key, 0) >> 31;
}

static void fill(BatchReader *r, ReaderBatch *b, uint64_t cursor) {
    b->cursor = cursor;
    sharding_batch(&r->plan, cursor, b->indices);
    size_t w = (size_t)b->width, c = (size_t)b->channels, row = w * c, image = (size_t)b->height * row;
    for (int k = 0; k < b->count; k++) {
        shard_read(r->shard, b->indices[k], r->pixels, &b->labels[k]);
        /* This rank's k-th image sits at position cursor + rank + k * world. */
        uint64_t position = cursor + (uint64_t)r->plan.rank + (uint64_t)k * (uint64_t)r->plan.world;
        bool mirror = r->hflip && flips(r, position, b->indices[k]);
        float *out = b->images + (size_t)k * image;
        for (size_t y = 0; y < (size_t)b->height; y++)
            for (size_t x = 0; x < w; x++) {
                const uint8_t *in = r->pixels + y * row + (mirror ? w - 1 - x : x) * c;
                for (size_t ch = 0; ch < c; ch++) out[y * row + x * c + ch] = (float)in[ch] / 127.5f - 1.0f;
            }
    }
}

static void *worker(void *arg) {
    BatchReader *r = arg;
    pthread_mutex_lock(&r->lock);
    for (;;) {
        while (!r->stop && r->filled >= r->released + (uint64_t)r->slots) pthread_cond_wait(&r->space, &r->lock);
        if (r->stop) break;
        uint64_t n = r->filled;
        /* Slot n is neither held nor readable by the consumer until `filled`
           moves past it, so it is filled without the lock. */
        pthread_mutex_unlock(&r->lock);
        fill(r, &r->ring[n % (uint64_t)r->slots], r->start_cursor + n * (uint64_t)r->plan.global_batch);
        pthread_mutex_lock(&r->lock);
        r->filled = n + 1;
        pthread_cond_signal(&r->ready);
    }
    pthread_mutex_unlock(&r->lock);
    return NULL;
}

BatchReader *reader_open(const char *shard_path, const ReaderConfig *config, uint64_t start_cursor) {
    DISCO_CHECK(config->prefetch_batches >= 1, "reader '%s': prefetch_batches must be at least 1 (got %d)",
                shard_path, config->prefetch_batches);
    BatchReader *r = disco_calloc(1, sizeof *r, "batch reader");
    r->shard = shard_open(shard_path);
    const ShardInfo *info = shard_info(r->shard);
    r->plan = sharding_create(info->count, config->global_batch, config->world, config->rank, config->seed,
                              config->last);
    r->hflip = config->hflip;
    r->seed = config->seed;
    r->start_cursor = start_cursor;
    r->slots = config->prefetch_batches + 1;
    size_t image = (size_t)info->height * (size_t)info->width * (size_t)info->channels;
    size_t count = (size_t)r->plan.local_batch;
    r->pixels = disco_malloc(image, "reader image buffer");
    r->ring = disco_calloc((size_t)r->slots, sizeof *r->ring, "reader ring");
    for (int s = 0; s < r->slots; s++) {
        ReaderBatch *b = &r->ring[s];
        *b = (ReaderBatch){.count = (int)count, .height = info->height, .width = info->width,
                           .channels = info->channels};
        b->images = disco_malloc(count * image * sizeof *b->images, "reader batch images");
        b->labels = disco_malloc(count * sizeof *b->labels, "reader batch labels");
        b->indices = disco_malloc(count * sizeof *b->indices, "reader batch indices");
    }
    pthread_mutex_init(&r->lock, NULL);
    pthread_cond_init(&r->space, NULL);
    pthread_cond_init(&r->ready, NULL);
    int err = pthread_create(&r->thread, NULL, worker, r);
    DISCO_CHECK(err == 0, "reader '%s': cannot start the prefetch thread (error %d)", shard_path, err);
    return r;
}

const ReaderBatch *reader_next(BatchReader *r) {
    pthread_mutex_lock(&r->lock);
    if (r->holding) {
        r->released++;
        pthread_cond_signal(&r->space);
    }
    while (r->filled <= r->released) pthread_cond_wait(&r->ready, &r->lock);
    r->holding = true;
    const ReaderBatch *b = &r->ring[r->released % (uint64_t)r->slots];
    pthread_mutex_unlock(&r->lock);
    return b;
}

void reader_close(BatchReader *r) {
    if (!r) return;
    pthread_mutex_lock(&r->lock);
    r->stop = true;
    pthread_cond_signal(&r->space);
    pthread_mutex_unlock(&r->lock);
    pthread_join(r->thread, NULL);
    pthread_cond_destroy(&r->ready);
    pthread_cond_destroy(&r->space);
    pthread_mutex_destroy(&r->lock);
    for (int s = 0; s < r->slots; s++) {
        free(r->ring[s].images);
        free(r->ring[s].labels);
        free(r->ring[s].indices);
    }
    free(r->ring);
    free(r->pixels);
    sharding_free(&r->plan);
    shard_close(r->shard);
    free(r);
}
