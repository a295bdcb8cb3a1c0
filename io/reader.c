#include "disco/reader.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "disco/backend.h"
#include "disco/dataset.h"
#include "disco/error.h"
#include "h5_file.h"

/* Images a worker reads from HDF5 in one turn (see hdf5_turn). */
enum { TURN_IMAGES = 16 };

/* One image of a turn: where it lies and its stored bytes. */
typedef struct {
    Shard *shard;
    int64_t local;
    ShardRaw raw;
} Stored;

typedef struct {
    BatchReader *reader;
    int number; /* w: fills batches w, w + W, w + 2W, ... */
    pthread_t thread;
    ShardingPlan plan;     /* its own, since sharding_at reshuffles in place */
    size_t chunk_capacity; /* shard_raw_capacity */
    uint8_t *chunks;       /* TURN_IMAGES images' stored bytes, for stored[k].raw */
    Stored stored[TURN_IMAGES];
    uint8_t *pixels;       /* one inflated image */
    uint8_t *mirrored;     /* one image, mirrored */
} Worker;

/* Batch number n (counted from start_cursor) lives in slot n % slots. A
   worker may fill batch n once n < released + slots, i.e. once the slot's
   previous batch, n - slots, has been handed back; the consumer holds batch
   `released` from one reader_next to the next. */
struct BatchReader {
    Dataset *data;
    bool hflip, pinned;
    uint64_t seed, start_cursor;
    int slots, workers;
    ReaderBatch *ring;
    Worker *worker;

    /* HDF5's own lock is taken and released by each of the calls that read
       one image (six for an uncompressed one). Workers alternating inside
       them made nearly every call a futex handoff, and two workers read
       slower than one; so does a handoff per image, on these VMs. A worker
       instead reads up to TURN_IMAGES images' stored bytes in one turn,
       then inflates and converts them while another worker reads. */
    pthread_mutex_t hdf5_turn;
    pthread_mutex_t lock;
    pthread_cond_t space, ready;
    uint64_t *filled; /* filled[s]: 1 + the batch number slot s holds, 0 while it holds none */
    uint64_t released;
    bool holding, stop;
};

static bool flips(const BatchReader *r, const ShardingPlan *plan, uint64_t position, int64_t index) {
    RngKey key = {.seed = r->seed,
                  .stream = READER_FLIP_STREAM,
                  .step = (uint32_t)sharding_epoch(plan, position),
                  .index = (uint32_t)index};
    return rng_u32(&key, 0) >> 31;
}

/* Division rather than a multiplication by 1 / 127.5, so the values are
   exactly the documented ones; a plain loop, so the compiler vectorises it. */
static void to_floats(const uint8_t *in, float *out, size_t n) {
    for (size_t i = 0; i < n; i++) out[i] = (float)in[i] / 127.5f - 1.0f;
}

static inline void mirror_pixels(const uint8_t *in, uint8_t *out, size_t height, size_t width, size_t channels) {
    for (size_t y = 0; y < height; y++) {
        const uint8_t *row_in = in + y * width * channels;
        uint8_t *row_out = out + y * width * channels;
        for (size_t x = 0; x < width; x++)
            memcpy(row_out + x * channels, row_in + (width - 1 - x) * channels, channels);
    }
}

/* With the channel count a constant, each pixel becomes a few fixed-size
   moves instead of a loop per byte, which took half of a worker's time. */
static void mirror(const uint8_t *in, uint8_t *out, size_t height, size_t width, size_t channels) {
    switch (channels) {
    case 1: mirror_pixels(in, out, height, width, 1); break;
    case 3: mirror_pixels(in, out, height, width, 3); break;
    default: mirror_pixels(in, out, height, width, channels);
    }
}

/* Copies the stored bytes of images [first, first + n) of the batch into
   w->stored, and their labels into the batch, in one turn at HDF5. */
static void read_stored(Worker *w, ReaderBatch *b, int first, int n) {
    BatchReader *r = w->reader;
    for (int j = 0; j < n; j++) {
        Stored *s = &w->stored[j];
        s->shard = dataset_locate(r->data, b->indices[first + j], &s->local);
        s->raw = (ShardRaw){.data = w->chunks + (size_t)j * w->chunk_capacity};
    }
    pthread_mutex_lock(&r->hdf5_turn);
    for (int j = 0; j < n; j++)
        shard_read_raw(w->stored[j].shard, w->stored[j].local, &w->stored[j].raw, &b->labels[first + j]);
    pthread_mutex_unlock(&r->hdf5_turn);
}

static void fill(Worker *w, ReaderBatch *b, uint64_t cursor) {
    BatchReader *r = w->reader;
    b->cursor = cursor;
    sharding_batch(&w->plan, cursor, b->indices);
    size_t h = (size_t)b->height, wd = (size_t)b->width, c = (size_t)b->channels, image = h * wd * c;
    for (int first = 0; first < b->count; first += TURN_IMAGES) {
        int n = b->count - first < TURN_IMAGES ? b->count - first : TURN_IMAGES;
        read_stored(w, b, first, n);
        for (int k = first; k < first + n; k++) {
            const Stored *s = &w->stored[k - first];
            const uint8_t *pixels = shard_unpack(s->shard, s->local, &s->raw, w->pixels);
            /* This rank's k-th image sits at position cursor + rank + k * world. */
            uint64_t position = cursor + (uint64_t)w->plan.rank + (uint64_t)k * (uint64_t)w->plan.world;
            if (r->hflip && flips(r, &w->plan, position, b->indices[k])) {
                mirror(pixels, w->mirrored, h, wd, c);
                pixels = w->mirrored;
            }
            to_floats(pixels, b->images + (size_t)k * image, image);
        }
    }
}

static void *work(void *arg) {
    Worker *w = arg;
    BatchReader *r = w->reader;
    h5_quiet_errors();
    pthread_mutex_lock(&r->lock);
    for (uint64_t n = (uint64_t)w->number;; n += (uint64_t)r->workers) {
        while (!r->stop && n >= r->released + (uint64_t)r->slots) pthread_cond_wait(&r->space, &r->lock);
        if (r->stop) break;
        /* Slot n % slots is neither held nor readable by the consumer until
           `filled` says it holds batch n, so it is filled without the lock. */
        pthread_mutex_unlock(&r->lock);
        uint64_t slot = n % (uint64_t)r->slots;
        fill(w, &r->ring[slot], r->start_cursor + n * (uint64_t)w->plan.global_batch);
        pthread_mutex_lock(&r->lock);
        r->filled[slot] = n + 1;
        pthread_cond_signal(&r->ready);
    }
    pthread_mutex_unlock(&r->lock);
    return NULL;
}

static void alloc_ring(BatchReader *r, const ShardInfo *info, int count) {
    size_t image = (size_t)info->height * (size_t)info->width * (size_t)info->channels, n = (size_t)count;
    r->ring = disco_calloc((size_t)r->slots, sizeof *r->ring, "reader ring");
    r->filled = disco_calloc((size_t)r->slots, sizeof *r->filled, "reader ring state");
    for (int s = 0; s < r->slots; s++) {
        ReaderBatch *b = &r->ring[s];
        *b = (ReaderBatch){.count = count, .height = info->height, .width = info->width,
                           .channels = info->channels};
        size_t bytes = n * image * sizeof *b->images;
        b->images = r->pinned ? host_alloc_pinned(bytes, "reader batch images")
                              : disco_malloc(bytes, "reader batch images");
        b->labels = disco_malloc(n * sizeof *b->labels, "reader batch labels");
        b->indices = disco_malloc(n * sizeof *b->indices, "reader batch indices");
    }
}

BatchReader *reader_open(const char *dataset_path, const ReaderConfig *config, uint64_t start_cursor) {
    DISCO_CHECK(config->prefetch_batches >= 1, "reader '%s': prefetch_batches must be at least 1 (got %d)",
                dataset_path, config->prefetch_batches);
    DISCO_CHECK(config->workers >= 1, "reader '%s': workers must be at least 1 (got %d)", dataset_path,
                config->workers);
    BatchReader *r = disco_calloc(1, sizeof *r, "batch reader");
    r->data = dataset_open(dataset_path);
    const ShardInfo *info = dataset_info(r->data);
    r->hflip = config->hflip;
    r->pinned = config->pinned;
    r->seed = config->seed;
    r->start_cursor = start_cursor;
    r->slots = config->prefetch_batches + 1;
    r->workers = config->workers;
    size_t image = (size_t)info->height * (size_t)info->width * (size_t)info->channels;
    r->worker = disco_calloc((size_t)r->workers, sizeof *r->worker, "reader workers");
    for (int k = 0; k < r->workers; k++) {
        Worker *w = &r->worker[k];
        *w = (Worker){.reader = r, .number = k};
        w->plan = sharding_create(info->count, config->global_batch, config->world, config->rank, config->seed,
                                  config->last);
        w->chunk_capacity = shard_raw_capacity(info);
        w->chunks = disco_malloc(TURN_IMAGES * w->chunk_capacity, "reader chunk buffers");
        w->pixels = disco_malloc(image, "reader image buffer");
        w->mirrored = disco_malloc(image, "reader mirror buffer");
    }
    alloc_ring(r, info, r->worker[0].plan.local_batch);
    pthread_mutex_init(&r->hdf5_turn, NULL);
    pthread_mutex_init(&r->lock, NULL);
    pthread_cond_init(&r->space, NULL);
    pthread_cond_init(&r->ready, NULL);
    for (int k = 0; k < r->workers; k++) {
        int err = pthread_create(&r->worker[k].thread, NULL, work, &r->worker[k]);
        DISCO_CHECK(err == 0, "reader '%s': cannot start prefetch thread %d (error %d)", dataset_path, k, err);
    }
    return r;
}

const ReaderBatch *reader_next(BatchReader *r) {
    pthread_mutex_lock(&r->lock);
    if (r->holding) {
        r->released++;
        /* Only the worker of batch released + slots - 1 can go on, but
           which one is waiting for it is not tracked. */
        pthread_cond_broadcast(&r->space);
    }
    uint64_t slot = r->released % (uint64_t)r->slots;
    while (r->filled[slot] != r->released + 1) pthread_cond_wait(&r->ready, &r->lock);
    r->holding = true;
    pthread_mutex_unlock(&r->lock);
    return &r->ring[slot];
}

void reader_close(BatchReader *r) {
    if (!r) return;
    pthread_mutex_lock(&r->lock);
    r->stop = true;
    pthread_cond_broadcast(&r->space);
    pthread_mutex_unlock(&r->lock);
    for (int k = 0; k < r->workers; k++) {
        Worker *w = &r->worker[k];
        pthread_join(w->thread, NULL);
        sharding_free(&w->plan);
        free(w->chunks);
        free(w->pixels);
        free(w->mirrored);
    }
    pthread_cond_destroy(&r->ready);
    pthread_cond_destroy(&r->space);
    pthread_mutex_destroy(&r->lock);
    pthread_mutex_destroy(&r->hdf5_turn);
    for (int s = 0; s < r->slots; s++) {
        if (r->pinned)
            host_free_pinned(r->ring[s].images);
        else
            free(r->ring[s].images);
        free(r->ring[s].labels);
        free(r->ring[s].indices);
    }
    free(r->ring);
    free(r->filled);
    free(r->worker);
    dataset_close(r->data);
    free(r);
}
