/* The prefetching reader: every batch equals the synchronous read of the
   same indices (sharding_batch + shard_read + x / 127.5 - 1), whatever the
   prefetch depth; flips follow the documented Philox draw and do not depend
   on the world size; a start cursor resumes exactly. */
#include "disco/reader.h"

#include <stdlib.h>
#include <string.h>

#include "disco/shards.h"
#include "fatal_check.h"
#include "testutil.h"

enum { N = 37, H = 5, W = 4, C = 3, CLASSES = 10, B = 8, STEPS = 12 };
enum { IMAGE = H * W * C };
static const uint64_t SEED = 2024;

/* Each image's pixels encode its index, so a wrong or mis-mirrored image shows. */
static uint8_t pixel(int64_t i, int k) { return (uint8_t)(i * 5 + k * 3); }

static void write_shard(Path path) {
    scratch_path(path, "reader.h5");
    ShardWriter *sw = shard_writer_open(path, H, W, C, CLASSES, "none", "unit test", 0);
    uint8_t image[IMAGE];
    for (int64_t i = 0; i < N; i++) {
        for (int k = 0; k < IMAGE; k++) image[k] = pixel(i, k);
        shard_writer_append(sw, image, (int32_t)(i % CLASSES));
    }
    shard_writer_close(sw);
}

typedef struct {
    float images[STEPS][B * IMAGE];
    int32_t labels[STEPS][B];
    int64_t indices[STEPS][B];
    uint64_t cursors[STEPS];
} Run;

static ReaderConfig config(int world, int rank, ShardLast last, int prefetch, bool hflip) {
    return (ReaderConfig){.global_batch = B, .world = world, .rank = rank, .last = last, .seed = SEED,
                          .prefetch_batches = prefetch, .hflip = hflip};
}

static bool flipped(const ShardingPlan *p, uint64_t position, int64_t index) {
    RngKey key = {.seed = SEED, .stream = READER_FLIP_STREAM, .step = (uint32_t)(position / p->epoch_len),
                  .index = (uint32_t)index};
    return rng_u32(&key, 0) >> 31;
}

/* The batches read synchronously, without the reader. */
static void expected(const char *path, const ReaderConfig *cf, uint64_t start, Run *run) {
    Shard *s = shard_open(path);
    ShardingPlan p = sharding_create(N, cf->global_batch, cf->world, cf->rank, cf->seed, cf->last);
    uint8_t raw[IMAGE];
    for (int t = 0; t < STEPS; t++) {
        uint64_t cursor = start + (uint64_t)t * B;
        run->cursors[t] = cursor;
        sharding_batch(&p, cursor, run->indices[t]);
        for (int k = 0; k < p.local_batch; k++) {
            shard_read(s, run->indices[t][k], raw, &run->labels[t][k]);
            uint64_t position = cursor + (uint64_t)cf->rank + (uint64_t)k * (uint64_t)cf->world;
            bool mirror = cf->hflip && flipped(&p, position, run->indices[t][k]);
            for (int y = 0; y < H; y++)
                for (int x = 0; x < W; x++)
                    for (int c = 0; c < C; c++)
                        run->images[t][k * IMAGE + (y * W + x) * C + c] =
                            (float)raw[(y * W + (mirror ? W - 1 - x : x)) * C + c] / 127.5f - 1.0f;
        }
    }
    sharding_free(&p);
    shard_close(s);
}

static void read_run(const char *path, const ReaderConfig *cf, uint64_t start, Run *run) {
    BatchReader *r = reader_open(path, cf, start);
    for (int t = 0; t < STEPS; t++) {
        const ReaderBatch *b = reader_next(r);
        ck_assert_int_eq(b->count, B / cf->world);
        ck_assert(b->height == H && b->width == W && b->channels == C);
        run->cursors[t] = b->cursor;
        memcpy(run->images[t], b->images, sizeof(float) * (size_t)b->count * IMAGE);
        memcpy(run->labels[t], b->labels, sizeof(int32_t) * (size_t)b->count);
        memcpy(run->indices[t], b->indices, sizeof(int64_t) * (size_t)b->count);
    }
    reader_close(r);
}

static void assert_same(const Run *a, const Run *b, int local) {
    for (int t = 0; t < STEPS; t++) {
        ck_assert_uint_eq(a->cursors[t], b->cursors[t]);
        ck_assert_mem_eq(a->indices[t], b->indices[t], sizeof(int64_t) * (size_t)local);
        ck_assert_mem_eq(a->labels[t], b->labels[t], sizeof(int32_t) * (size_t)local);
        ck_assert_msg(memcmp(a->images[t], b->images[t], sizeof(float) * (size_t)local * IMAGE) == 0,
                      "images of batch %d (cursor %llu) differ", t, (unsigned long long)a->cursors[t]);
    }
}

static Run got, want, other;

START_TEST(batches_equal_the_synchronous_read) {
    Path path;
    write_shard(path);
    for (int world = 1; world <= 2; world++)
        for (int rank = 0; rank < world; rank++)
            for (int last = SHARD_WRAP; last <= SHARD_DROP; last++)
                for (int flip = 0; flip <= 1; flip++) {
                    ReaderConfig cf = config(world, rank, (ShardLast)last, 1, flip);
                    expected(path, &cf, 0, &want);
                    read_run(path, &cf, 0, &got);
                    assert_same(&got, &want, B / world);
                    cf.prefetch_batches = 4;
                    read_run(path, &cf, 0, &other);
                    assert_same(&other, &got, B / world);
                }
}
END_TEST

START_TEST(pixels_map_exactly_into_minus_one_one) {
    Path path;
    write_shard(path);
    ReaderConfig cf = config(1, 0, SHARD_WRAP, 2, false);
    read_run(path, &cf, 0, &got);
    for (int t = 0; t < STEPS; t++)
        for (int k = 0; k < B; k++)
            for (int j = 0; j < IMAGE; j++) {
                float v = got.images[t][k * IMAGE + j];
                ck_assert(v >= -1.0f && v <= 1.0f);
                ck_assert(v == (float)pixel(got.indices[t][k], j) / 127.5f - 1.0f);
            }
}
END_TEST

/* Against the unflipped images: mirrored exactly where the draw says so,
   untouched elsewhere, and both cases occur. */
START_TEST(flips_follow_the_draw_and_not_the_world) {
    Path path;
    write_shard(path);
    ReaderConfig plain = config(1, 0, SHARD_WRAP, 2, false), flip = config(1, 0, SHARD_WRAP, 2, true);
    read_run(path, &plain, 0, &want);
    read_run(path, &flip, 0, &got);
    ShardingPlan p = sharding_create(N, B, 1, 0, SEED, SHARD_WRAP);
    int mirrored = 0;
    for (int t = 0; t < STEPS; t++)
        for (int k = 0; k < B; k++) {
            bool mirror = flipped(&p, got.cursors[t] + (uint64_t)k, got.indices[t][k]);
            mirrored += mirror;
            for (int y = 0; y < H; y++)
                for (int x = 0; x < W; x++)
                    for (int c = 0; c < C; c++)
                        ck_assert(got.images[t][k * IMAGE + (y * W + x) * C + c] ==
                                  want.images[t][k * IMAGE + (y * W + (mirror ? W - 1 - x : x)) * C + c]);
        }
    sharding_free(&p);
    ck_assert(mirrored > 0 && mirrored < STEPS * B);

    /* Rank r of 2 holds global slots r, r + 2, ...: interleaved they give world 1's batch. */
    for (int rank = 0; rank < 2; rank++) {
        ReaderConfig cf = config(2, rank, SHARD_WRAP, 3, true);
        read_run(path, &cf, 0, &other);
        for (int t = 0; t < STEPS; t++)
            for (int k = 0; k < B / 2; k++) {
                int j = rank + 2 * k;
                ck_assert_int_eq(other.indices[t][k], got.indices[t][j]);
                ck_assert_mem_eq(&other.images[t][k * IMAGE], &got.images[t][j * IMAGE], sizeof(float) * IMAGE);
            }
    }
}
END_TEST

START_TEST(start_cursor_resumes_exactly) {
    Path path;
    write_shard(path);
    enum { SKIP = 5 };
    for (int flip = 0; flip <= 1; flip++) {
        ReaderConfig cf = config(2, 1, SHARD_WRAP, 4, flip);
        read_run(path, &cf, 0, &want);
        read_run(path, &cf, SKIP * B, &got);
        for (int t = 0; t + SKIP < STEPS; t++) {
            ck_assert_uint_eq(got.cursors[t], want.cursors[t + SKIP]);
            ck_assert_mem_eq(got.indices[t], want.indices[t + SKIP], sizeof(int64_t) * B / 2);
            ck_assert_mem_eq(got.images[t], want.images[t + SKIP], sizeof(float) * B / 2 * IMAGE);
        }
    }
}
END_TEST

/* A consumer that stops early must not leave the worker blocked on a full ring. */
START_TEST(close_with_a_full_ring) {
    Path path;
    write_shard(path);
    ReaderConfig cf = config(1, 0, SHARD_WRAP, 4, true);
    reader_close(reader_open(path, &cf, 0));
    BatchReader *r = reader_open(path, &cf, 0);
    reader_next(r);
    reader_close(r);
}
END_TEST

START_TEST(zero_prefetch_is_fatal) {
    Path path;
    write_shard(path);
    ReaderConfig cf = config(1, 0, SHARD_WRAP, 0, false);
    expect_fatal_mentioning(path, "prefetch_batches must be at least 1", NULL);
    reader_open(path, &cf, 0);
}
END_TEST

int main(void) {
    scratch_create();
    Suite *s = suite_create("reader");
    TCase *tc = tcase_create("reader");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, batches_equal_the_synchronous_read);
    tcase_add_test(tc, pixels_map_exactly_into_minus_one_one);
    tcase_add_test(tc, flips_follow_the_draw_and_not_the_world);
    tcase_add_test(tc, start_cursor_resumes_exactly);
    tcase_add_test(tc, close_with_a_full_ring);
    tcase_add_exit_test(tc, zero_prefetch_is_fatal, EXIT_FAILURE);
    suite_add_tcase(s, tc);
    int result = run_suite(s);
    scratch_remove();
    return result;
}
