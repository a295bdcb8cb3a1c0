#include <stdlib.h>
#include <string.h>

#include "disco/sharding.h"
#include "fatal_check.h"
#include "testutil.h"

enum { MAX_N = 64, MAX_B = 16 };

/* The global batch at cursor as W ranks together produce it: rank r's k-th
   image lands at position r + k W, where the 1-rank batch holds it. */
static void gather_batch(int64_t n, int b, int world, uint64_t seed, ShardLast last, uint64_t cursor, int64_t *out) {
    for (int r = 0; r < world; r++) {
        ShardingPlan p = sharding_create(n, b, world, r, seed, last);
        int64_t local[MAX_B];
        sharding_batch(&p, cursor, local);
        for (int k = 0; k < p.local_batch; k++) out[r + k * world] = local[k];
        sharding_free(&p);
    }
}

/* Within an epoch every image appears exactly once over all ranks' batches. */
START_TEST(each_image_once_per_epoch) {
    static const int worlds[] = {1, 2, 4, 3};
    enum { N = 36, B = 12 };
    for (int w = 0; w < 4; w++)
        for (uint64_t epoch = 0; epoch < 3; epoch++) {
            int seen[N] = {0};
            for (uint64_t c = epoch * N; c < (epoch + 1) * N; c += B) {
                int64_t batch[B];
                gather_batch(N, B, worlds[w], 7, SHARD_WRAP, c, batch);
                for (int i = 0; i < B; i++) {
                    ck_assert(batch[i] >= 0 && batch[i] < N);
                    seen[batch[i]]++;
                }
            }
            for (int i = 0; i < N; i++)
                ck_assert_msg(seen[i] == 1, "W %d epoch %d: image %d seen %d times", worlds[w], (int)epoch, i, seen[i]);
        }
}
END_TEST

/* The ranks' slices of a batch, interleaved, are the 1-rank batch in order
   (so as a set too), and they never share an image. Cursor 24 straddles
   epochs 0 and 1, where one image may rightly occur once from each epoch. */
START_TEST(ranks_interleave_into_the_one_rank_batch) {
    static const int worlds[] = {2, 3, 4, 6};
    enum { N = 30, B = 12 };
    static const uint64_t cursors[] = {0, 12, 24, 36, 120};
    for (int c = 0; c < 5; c++) {
        int64_t one[B];
        gather_batch(N, B, 1, 11, SHARD_WRAP, cursors[c], one);
        for (int i = 0; i < B; i++)
            for (int j = i + 1; j < B; j++)
                if (cursors[c] != 24) ck_assert_int_ne(one[i], one[j]);
        for (int w = 0; w < 4; w++) {
            int64_t many[B];
            gather_batch(N, B, worlds[w], 11, SHARD_WRAP, cursors[c], many);
            ck_assert_msg(memcmp(one, many, sizeof one) == 0, "W %d cursor %d differs from 1 rank", worlds[w],
                          (int)cursors[c]);
        }
    }
}
END_TEST

/* 2 ranks for 5 batches, then 4 ranks (and 3 ranks) from that cursor: the
   global sequence equals 1 rank's throughout. */
START_TEST(resume_with_another_world_size) {
    enum { N = 50, B = 12, STEPS = 10 };
    int64_t one[STEPS * B], resumed[STEPS * B];
    for (int s = 0; s < STEPS; s++) gather_batch(N, B, 1, 3, SHARD_WRAP, (uint64_t)s * B, one + s * B);
    for (int after = 3; after <= 4; after++) {
        ShardingPlan first = sharding_create(N, B, 1, 0, 3, SHARD_WRAP);
        uint64_t cursor = 0;
        for (int s = 0; s < STEPS; s++, cursor = sharding_next(&first, cursor))
            gather_batch(N, B, s < 5 ? 2 : after, 3, SHARD_WRAP, cursor, resumed + s * B);
        sharding_free(&first);
        ck_assert_msg(memcmp(one, resumed, sizeof one) == 0, "2 then %d ranks differ from 1 rank", after);
    }
}
END_TEST

/* N = 30, B = 12. Wrap: epoch 0 is positions [0, 30), and batch 2 straddles
   into epoch 1. Drop: each epoch is its permutation's first 24 positions,
   so drop's batch 2 is epoch 1's first batch, i.e. wrap's positions 30..41. */
START_TEST(wrap_and_drop_at_an_epoch_end) {
    enum { N = 30, B = 12 };
    ShardingPlan wrap = sharding_create(N, B, 1, 0, 5, SHARD_WRAP);
    ShardingPlan drop = sharding_create(N, B, 1, 0, 5, SHARD_DROP);
    ck_assert_uint_eq(wrap.epoch_len, 30);
    ck_assert_uint_eq(drop.epoch_len, 24);
    int64_t w[B], d[B];
    for (uint64_t c = 0; c < 24; c += B) {
        sharding_batch(&wrap, c, w);
        sharding_batch(&drop, c, d);
        ck_assert(memcmp(w, d, sizeof w) == 0);
    }
    sharding_batch(&drop, 24, d);
    ck_assert_uint_eq(sharding_epoch(&drop, 24), 1);
    for (int i = 0; i < B; i++) ck_assert_int_eq(d[i], sharding_at(&wrap, 30 + (uint64_t)i));
    sharding_batch(&wrap, 24, w);
    ck_assert_uint_eq(sharding_epoch(&wrap, 24), 0);
    ck_assert_uint_eq(sharding_epoch(&wrap, 24 + B - 1), 1);
    int seen[N] = {0};
    for (uint64_t i = 0; i < N; i++) seen[sharding_at(&wrap, i)]++;
    for (int i = 0; i < N; i++) ck_assert_int_eq(seen[i], 1);
    for (int i = 0; i < 6; i++) ck_assert_int_eq(w[i], sharding_at(&wrap, 24 + (uint64_t)i));
    for (int i = 6; i < B; i++) ck_assert_int_eq(w[i], sharding_at(&wrap, 30 + (uint64_t)(i - 6)));
    sharding_free(&wrap);
    sharding_free(&drop);
}
END_TEST

START_TEST(seeds_and_epochs_give_different_orders) {
    enum { N = 64 };
    ShardingPlan a = sharding_create(N, 8, 1, 0, 1, SHARD_WRAP), b = sharding_create(N, 8, 1, 0, 2, SHARD_WRAP);
    int same_seed = 0, same_epoch = 0;
    for (uint64_t i = 0; i < N; i++) {
        int64_t x = sharding_at(&a, i);
        same_seed += x == sharding_at(&b, i);
        same_epoch += x == sharding_at(&a, N + i);
    }
    ck_assert_int_lt(same_seed, 8);
    ck_assert_int_lt(same_epoch, 8);
    sharding_free(&a);
    sharding_free(&b);
}
END_TEST

START_TEST(batch_not_divisible_by_world_is_fatal) {
    expect_fatal_mentioning("global batch 10", "world size 4", NULL);
    sharding_create(100, 10, 4, 0, 1, SHARD_WRAP);
}
END_TEST

START_TEST(drop_without_a_full_batch_is_fatal) {
    expect_fatal_mentioning("nothing", NULL, NULL);
    sharding_create(5, 8, 2, 0, 1, SHARD_DROP);
}
END_TEST

int main(void) {
    scratch_create();
    Suite *s = suite_create("sharding");
    TCase *tc = tcase_create("sharding");
    tcase_add_test(tc, each_image_once_per_epoch);
    tcase_add_test(tc, ranks_interleave_into_the_one_rank_batch);
    tcase_add_test(tc, resume_with_another_world_size);
    tcase_add_test(tc, wrap_and_drop_at_an_epoch_end);
    tcase_add_test(tc, seeds_and_epochs_give_different_orders);
    tcase_add_exit_test(tc, batch_not_divisible_by_world_is_fatal, EXIT_FAILURE);
    tcase_add_exit_test(tc, drop_without_a_full_batch_is_fatal, EXIT_FAILURE);
    suite_add_tcase(s, tc);
    int result = run_suite(s);
    scratch_remove();
    return result;
}
