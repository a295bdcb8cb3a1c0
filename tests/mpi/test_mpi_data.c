/* The data path under mpirun (-np 2 and -np 4): the ranks' slices of each
   global batch tile the one-rank batch with no overlap, every image appears
   once per epoch across ranks, a world of any size resumed at a cursor
   continues the one-rank sequence; a collective import writes every shard
   exactly once; each rank's reader batches are the one-rank reader's images
   at that rank's positions.

   Usage: test_mpi_data SCRATCH_DIR (shared by the ranks, created by rank 0). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "disco/dataset.h"
#include "disco/dist.h"
#include "disco/error.h"
#include "disco/import.h"
#include "disco/reader.h"
#include "disco/sharding.h"
#include "mpi_suite.h"
#include "testutil.h"

enum { N = 53, B = 8, EPOCHS = 3, H = 3, W = 2, C = 3, IMAGE = H * W * C };
static const uint64_t SEED = 77;
static char scratch[1024];

/* Positions [cursor, cursor + B) as the world saw them, rank r's k-th index
   at slot r + k * world: the one-rank batch when the slices interleave. */
static void gather_batch(ShardingPlan *p, uint64_t cursor, int64_t *global) {
    int world = dist_world();
    int64_t mine[B], all[B];
    sharding_batch(p, cursor, mine);
    dist_allgather_int64(mine, p->local_batch, all);
    for (int r = 0; r < world; r++)
        for (int k = 0; k < p->local_batch; k++) global[r + k * world] = all[r * p->local_batch + k];
}

START_TEST(slices_tile_the_one_rank_batch) {
    for (int last = SHARD_WRAP; last <= SHARD_DROP; last++) {
        ShardingPlan mine = sharding_create(N, B, dist_world(), dist_rank(), SEED, (ShardLast)last);
        ShardingPlan one = sharding_create(N, B, 1, 0, SEED, (ShardLast)last);
        int64_t global[B], reference[B];
        for (uint64_t cursor = 0; cursor < EPOCHS * (uint64_t)N; cursor += B) {
            gather_batch(&mine, cursor, global);
            sharding_batch(&one, cursor, reference);
            for (int j = 0; j < B; j++) ck_assert_int_eq(global[j], reference[j]);
        }
        sharding_free(&one);
        sharding_free(&mine);
    }
}
END_TEST

/* With wrap, positions [e N, (e + 1) N) gathered over all ranks hold every
   image exactly once. */
START_TEST(each_image_once_per_epoch_across_ranks) {
    ShardingPlan p = sharding_create(N, B, dist_world(), dist_rank(), SEED, SHARD_WRAP);
    int64_t seen[EPOCHS][N] = {{0}};
    int64_t global[B];
    for (uint64_t cursor = 0; cursor + B <= EPOCHS * (uint64_t)N; cursor += B) {
        gather_batch(&p, cursor, global);
        for (int j = 0; j < B; j++) seen[(cursor + (uint64_t)j) / N][global[j]]++;
    }
    /* Whole epochs only: the last one is cut where the last full batch ends. */
    for (int e = 0; e + 1 < EPOCHS; e++)
        for (int i = 0; i < N; i++) ck_assert_msg(seen[e][i] == 1, "epoch %d: image %d seen %lld times", e, i,
                                                  (long long)seen[e][i]);
    sharding_free(&p);
}
END_TEST

/* A job of this world size picking up at a cursor reached by one rank. */
START_TEST(resume_at_a_cursor_continues_the_sequence) {
    ShardingPlan one = sharding_create(N, B, 1, 0, SEED, SHARD_WRAP);
    int64_t reference[B], global[B];
    uint64_t cursor = 5 * B;
    ShardingPlan resumed = sharding_create(N, B, dist_world(), dist_rank(), SEED, SHARD_WRAP);
    for (int step = 0; step < 10; step++, cursor += B) {
        sharding_batch(&one, cursor, reference);
        gather_batch(&resumed, cursor, global);
        for (int j = 0; j < B; j++) ck_assert_int_eq(global[j], reference[j]);
    }
    sharding_free(&resumed);
    sharding_free(&one);
}
END_TEST

static void load_synthetic(void *state, int64_t index, uint8_t *image, int32_t *label) {
    for (int k = 0; k < IMAGE; k++) image[k] = (uint8_t)(index * 13 + k);
    *label = (int32_t)(index % 10);
}

static void data_set_path(char *path, size_t size) {
    snprintf(path, size, "%s/data-np%d", scratch, dist_world());
}

START_TEST(collective_import_writes_each_shard_once) {
    char dir[1100];
    data_set_path(dir, sizeof dir);
    ImportSource s = {.count = N, .height = H, .width = W, .channels = C, .classes = 10, .load = load_synthetic,
                      .preprocessing = "none", .source = "mpi test"};
    ImportReport r = import_dataset(&s, &(ImportOptions){.out_dir = dir, .shard_images = 6, .force = true});
    ck_assert_int_eq(r.shards_written, 9);
    ck_assert_int_eq(r.shards_kept, 0);
    Dataset *d = dataset_open(dir);
    uint8_t image[IMAGE];
    for (int64_t i = 0; i < N; i++) {
        int32_t label;
        dataset_read(d, i, image, &label);
        ck_assert_int_eq(label, i % 10);
        for (int k = 0; k < IMAGE; k++) ck_assert_int_eq(image[k], (uint8_t)(i * 13 + k));
    }
    dataset_close(d);
}
END_TEST

START_TEST(readers_split_the_one_rank_batches) {
    char dir[1100];
    data_set_path(dir, sizeof dir);
    ReaderConfig mine = {.global_batch = B, .world = dist_world(), .rank = dist_rank(), .seed = SEED,
                         .prefetch_batches = 2, .workers = 2, .hflip = true};
    ReaderConfig one = mine;
    one.world = 1, one.rank = 0, one.workers = 1;
    BatchReader *local = reader_open(dir, &mine, 3 * B), *whole = reader_open(dir, &one, 3 * B);
    for (int step = 0; step < 20; step++) {
        const ReaderBatch *a = reader_next(local), *b = reader_next(whole);
        ck_assert_int_eq(a->cursor, b->cursor);
        for (int k = 0; k < a->count; k++) {
            int j = dist_rank() + k * dist_world();
            ck_assert_int_eq(a->indices[k], b->indices[j]);
            ck_assert_int_eq(a->labels[k], b->labels[j]);
            ck_assert_int_eq(memcmp(a->images + (size_t)k * IMAGE, b->images + (size_t)j * IMAGE,
                                    IMAGE * sizeof(float)), 0);
        }
    }
    reader_close(whole);
    reader_close(local);
}
END_TEST

int main(int argc, char **argv) {
    mpi_suite_begin(&argc, &argv, scratch, sizeof scratch);
    Suite *s = suite_create("mpi_data");
    TCase *tc = tcase_create("mpi_data");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, slices_tile_the_one_rank_batch);
    tcase_add_test(tc, each_image_once_per_epoch_across_ranks);
    tcase_add_test(tc, resume_at_a_cursor_continues_the_sequence);
    tcase_add_test(tc, collective_import_writes_each_shard_once);
    tcase_add_test(tc, readers_split_the_one_rank_batches);
    suite_add_tcase(s, tc);
    int result = run_suite_in_process(s);
    dist_finalize();
    return result;
}
