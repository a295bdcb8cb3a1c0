/* The prefetching reader: every batch equals the synchronous read of the
   same indices (sharding_batch + dataset_read + x / 127.5 - 1), whatever
   the number of workers and the prefetch depth, over a data set of uneven
   shards (plain or deflated, the latter inflated outside HDF5) or a single
   shard file, in pinned memory or not; flips follow the documented Philox
   draw and do not depend on the world size; a start cursor resumes exactly;
   a damaged deflated chunk is fatal, naming the shard file and the index. */
#include "disco/reader.h"

#include <stdlib.h>
#include <string.h>

#include "dataset_fixture.h"
#include "disco/dataset.h"
#include "fatal_check.h"
#include "h5_edit.h"
#include "testutil.h"

/* Local batches of 40 and 20 images take several turns at HDF5 in a
   worker (16 images each), the last one partial. */
enum { N = 83, H = 5, W = 4, C = 3, CLASSES = 10, B = 40, STEPS = 12 };
enum { IMAGE = H * W * C };
static const uint64_t SEED = 2024;
static const int64_t COUNTS[3] = {23, 41, 19}; /* N in all */

/* Each image's pixels encode its global index, so a wrong or mis-mirrored image shows. */
static uint8_t pixel(int64_t i, int k) { return (uint8_t)(i * 5 + k * 3); }
static int32_t label_of(int64_t i) { return (int32_t)(i % CLASSES); }

static void write_dataset(Path dir, const char *name, int deflate) {
    scratch_path(dir, name);
    FixtureImages images = {H, W, C, CLASSES, deflate, pixel, label_of};
    fixture_write_dataset(dir, &images, 3, COUNTS);
}

static void write_single_shard(Path path) {
    scratch_path(path, "single.h5");
    FixtureImages images = {H, W, C, CLASSES, 0, pixel, label_of};
    fixture_write_shard(path, &images, 0, N);
}

typedef struct {
    float images[STEPS][B * IMAGE];
    int32_t labels[STEPS][B];
    int64_t indices[STEPS][B];
    uint64_t cursors[STEPS];
} Run;

static ReaderConfig config(int world, int rank, ShardLast last, int prefetch, bool hflip) {
    return (ReaderConfig){.global_batch = B, .world = world, .rank = rank, .last = last, .seed = SEED,
                          .prefetch_batches = prefetch, .workers = 1, .hflip = hflip};
}

static bool flipped(const ShardingPlan *p, uint64_t position, int64_t index) {
    RngKey key = {.seed = SEED, .stream = READER_FLIP_STREAM, .step = (uint32_t)(position / p->epoch_len),
                  .index = (uint32_t)index};
    return rng_u32(&key, 0) >> 31;
}

/* The batches read synchronously, without the reader. */
static void expected(const char *path, const ReaderConfig *cf, uint64_t start, Run *run) {
    Dataset *d = dataset_open(path);
    ShardingPlan p = sharding_create(N, cf->global_batch, cf->world, cf->rank, cf->seed, cf->last);
    uint8_t raw[IMAGE];
    for (int t = 0; t < STEPS; t++) {
        uint64_t cursor = start + (uint64_t)t * B;
        run->cursors[t] = cursor;
        sharding_batch(&p, cursor, run->indices[t]);
        for (int k = 0; k < p.local_batch; k++) {
            dataset_read(d, run->indices[t][k], raw, &run->labels[t][k]);
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
    dataset_close(d);
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

/* Every world, rank, end-of-epoch rule and flip setting, read by 1, 2 and 3
   workers at prefetch depths 1, 2 and 4 (3 workers over 2 slots included). */
static void assert_all_configs_match(const char *path) {
    const int depths[3] = {1, 2, 4};
    for (int world = 1; world <= 2; world++)
        for (int rank = 0; rank < world; rank++)
            for (int last = SHARD_WRAP; last <= SHARD_DROP; last++)
                for (int flip = 0; flip <= 1; flip++) {
                    ReaderConfig cf = config(world, rank, (ShardLast)last, 1, flip);
                    expected(path, &cf, 0, &want);
                    for (int workers = 1; workers <= 3; workers++)
                        for (int d = 0; d < 3; d++) {
                            cf.workers = workers;
                            cf.prefetch_batches = depths[d];
                            read_run(path, &cf, 0, &got);
                            assert_same(&got, &want, B / world);
                        }
                }
}

START_TEST(batches_equal_the_synchronous_read) {
    Path dir;
    write_dataset(dir, "plain", 0);
    assert_all_configs_match(dir);
}
END_TEST

START_TEST(deflated_batches_equal_the_synchronous_read) {
    Path dir;
    write_dataset(dir, "deflated", 6);
    assert_all_configs_match(dir);
}
END_TEST

START_TEST(a_single_shard_file_is_read_too) {
    Path path;
    write_single_shard(path);
    ReaderConfig cf = config(1, 0, SHARD_WRAP, 2, true);
    cf.workers = 2;
    expected(path, &cf, 0, &want);
    read_run(path, &cf, 0, &got);
    assert_same(&got, &want, B);
}
END_TEST

START_TEST(pinned_batches_equal_the_synchronous_read) {
    Path dir;
    write_dataset(dir, "pinned", 0);
    ReaderConfig cf = config(2, 1, SHARD_WRAP, 3, true);
    cf.workers = 2;
    cf.pinned = true;
    expected(dir, &cf, 0, &want);
    read_run(dir, &cf, 0, &got);
    assert_same(&got, &want, B / 2);
}
END_TEST

START_TEST(pixels_map_exactly_into_minus_one_one) {
    Path dir;
    write_dataset(dir, "range", 0);
    ReaderConfig cf = config(1, 0, SHARD_WRAP, 2, false);
    read_run(dir, &cf, 0, &got);
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
    Path dir;
    write_dataset(dir, "flips", 0);
    ReaderConfig plain = config(1, 0, SHARD_WRAP, 2, false), flip = config(1, 0, SHARD_WRAP, 2, true);
    read_run(dir, &plain, 0, &want);
    read_run(dir, &flip, 0, &got);
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
        cf.workers = 2;
        read_run(dir, &cf, 0, &other);
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
    Path dir;
    write_dataset(dir, "resume", 0);
    enum { SKIP = 5 };
    for (int flip = 0; flip <= 1; flip++) {
        ReaderConfig cf = config(2, 1, SHARD_WRAP, 4, flip);
        cf.workers = 3;
        read_run(dir, &cf, 0, &want);
        read_run(dir, &cf, SKIP * B, &got);
        for (int t = 0; t + SKIP < STEPS; t++) {
            ck_assert_uint_eq(got.cursors[t], want.cursors[t + SKIP]);
            ck_assert_mem_eq(got.indices[t], want.indices[t + SKIP], sizeof(int64_t) * B / 2);
            ck_assert_mem_eq(got.images[t], want.images[t + SKIP], sizeof(float) * B / 2 * IMAGE);
        }
    }
}
END_TEST

/* A consumer that stops early must not leave workers blocked on a full ring. */
START_TEST(close_with_a_full_ring) {
    Path dir;
    write_dataset(dir, "close", 0);
    ReaderConfig cf = config(1, 0, SHARD_WRAP, 4, true);
    cf.workers = 3;
    reader_close(reader_open(dir, &cf, 0));
    BatchReader *r = reader_open(dir, &cf, 0);
    reader_next(r);
    reader_close(r);
}
END_TEST

START_TEST(zero_prefetch_is_fatal) {
    Path dir;
    write_dataset(dir, "no_prefetch", 0);
    ReaderConfig cf = config(1, 0, SHARD_WRAP, 0, false);
    expect_fatal_mentioning(dir, "prefetch_batches must be at least 1", NULL);
    reader_open(dir, &cf, 0);
}
END_TEST

START_TEST(zero_workers_is_fatal) {
    Path dir;
    write_dataset(dir, "no_workers", 0);
    ReaderConfig cf = config(1, 0, SHARD_WRAP, 2, false);
    cf.workers = 0;
    expect_fatal_mentioning(dir, "workers must be at least 1 (got 0)", NULL);
    reader_open(dir, &cf, 0);
}
END_TEST

/* Every image is read within the run, so a worker meets the damaged one. */
START_TEST(damaged_deflated_chunk_is_fatal) {
    Path dir, shard;
    write_dataset(dir, "damaged", 6);
    fixture_shard_path(shard, sizeof shard, dir, 1);
    edit_replace_chunk(shard, "images", 3, 0, "not deflate data", 16);
    ReaderConfig cf = config(1, 0, SHARD_WRAP, 2, false);
    cf.workers = 2;
    expect_fatal_mentioning(shard, "the deflated chunk of image 3 is damaged", NULL);
    read_run(dir, &cf, 0, &got);
}
END_TEST

int main(void) {
    scratch_create();
    Suite *s = suite_create("reader");
    TCase *tc = tcase_create("reader");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, batches_equal_the_synchronous_read);
    tcase_add_test(tc, deflated_batches_equal_the_synchronous_read);
    tcase_add_test(tc, a_single_shard_file_is_read_too);
    tcase_add_test(tc, pinned_batches_equal_the_synchronous_read);
    tcase_add_test(tc, pixels_map_exactly_into_minus_one_one);
    tcase_add_test(tc, flips_follow_the_draw_and_not_the_world);
    tcase_add_test(tc, start_cursor_resumes_exactly);
    tcase_add_test(tc, close_with_a_full_ring);
    tcase_add_exit_test(tc, zero_prefetch_is_fatal, EXIT_FAILURE);
    tcase_add_exit_test(tc, zero_workers_is_fatal, EXIT_FAILURE);
    tcase_add_exit_test(tc, damaged_deflated_chunk_is_fatal, EXIT_FAILURE);
    suite_add_tcase(s, tc);
    int result = run_suite(s);
    scratch_remove();
    return result;
}
