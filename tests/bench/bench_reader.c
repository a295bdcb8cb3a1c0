/* Throughput (images per second) of reading a data set: the library's
   shard_read, the prefetching batch reader with 1 and 2 worker threads, and
   two reader processes (world 2, one rank and one worker each), against the
   rate of bare H5Dread calls on the same files in the same run.

   Data sets are made in a temporary directory under /tmp at 64x64x3 (2000
   images) and 128x128x3 (1000 images), uncompressed and deflate level 4,
   each as SHARDS equal shards with an index, from smooth gradients plus
   noise; each file is read once before timing so that every rate is from
   the page cache. Raw H5Dread and shard_read read single images at random
   global indices (the same indices for both); the readers read whole epochs
   of global batches in their shuffled order and convert the pixels to
   floats, as training gets them. Each rate is the best of REPEATS. The
   1-minute load average is printed with each row, since the machine may be
   shared. Not a test; prints a markdown table. */
#include <hdf5.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "disco/dataset.h"
#include "disco/error.h"
#include "disco/reader.h"
#include "disco/timer.h"
#include "testutil.h"

enum { REPEATS = 3, GLOBAL_BATCH = 64, PREFETCH = 4, EPOCHS = 4, SHARDS = 4 };

typedef struct {
    int size, count, deflate;
} Case;

static const Case cases[] = {
    {64, 2000, 0},
    {64, 2000, 4},
    {128, 1000, 0},
    {128, 1000, 4},
};

static uint32_t lcg(uint32_t *s) {
    *s = *s * 1664525u + 1013904223u;
    return *s >> 8;
}

/* A smooth gradient with a per-image direction and offset, plus noise in [0, 16). */
static void make_image(uint8_t *img, int size, uint32_t *s) {
    int ax = (int)(lcg(s) % 5) - 2, ay = (int)(lcg(s) % 5) - 2, base = (int)(lcg(s) % 128);
    for (int y = 0; y < size; y++)
        for (int x = 0; x < size; x++)
            for (int c = 0; c < 3; c++) {
                int v = base + (ax * x + ay * y) * 64 / size + c * 20 + (int)(lcg(s) % 16);
                img[((size_t)y * size + x) * 3 + c] = (uint8_t)((v % 256 + 256) % 256);
            }
}

static void shard_path(char *path, size_t size, const char *dir, int s) {
    snprintf(path, size, "%s/shard-%05d.h5", dir, s);
}

static void warm_cache(const char *path) {
    FILE *f = fopen(path, "rb");
    DISCO_CHECK(f, "cannot open '%s'", path);
    char buf[1 << 16];
    while (fread(buf, 1, sizeof buf, f) > 0) {}
    fclose(f);
}

static double file_mb(const char *path) {
    struct stat st;
    DISCO_CHECK(stat(path, &st) == 0, "cannot stat '%s'", path);
    return (double)st.st_size / 1e6;
}

/* Writes the data set and reads it once; returns its size in MB. */
static double write_dataset(const char *dir, const Case *c) {
    DISCO_CHECK(mkdir(dir, 0755) == 0, "cannot create '%s'", dir);
    size_t bytes = (size_t)c->size * c->size * 3;
    uint8_t *img = disco_malloc(bytes, "bench image");
    uint32_t s = (uint32_t)(c->size * 7919 + c->deflate);
    int per_shard = c->count / SHARDS;
    char names[SHARDS][32], path[512];
    const char *name_list[SHARDS];
    int64_t counts[SHARDS];
    double mb = 0;
    for (int k = 0; k < SHARDS; k++) {
        shard_path(path, sizeof path, dir, k);
        ShardWriter *sw = shard_writer_open(path, c->size, c->size, 3, 10, "synthetic", "bench_reader", c->deflate);
        for (int i = 0; i < per_shard; i++) {
            make_image(img, c->size, &s);
            shard_writer_append(sw, img, i % 10);
        }
        shard_writer_close(sw);
        warm_cache(path);
        mb += file_mb(path);
        snprintf(names[k], sizeof names[k], "shard-%05d.h5", k);
        name_list[k] = names[k];
        counts[k] = per_shard;
    }
    free(img);
    ShardInfo info = {.height = c->size, .width = c->size, .channels = 3, .classes = 10};
    dataset_write_index(dir, SHARDS, name_list, counts, &info);
    return mb;
}

/* The reference: one H5Dread per image into a reused buffer, nothing else. */
static double raw_h5dread(const char *dir, const Case *c, const int64_t *idx) {
    hid_t files[SHARDS], sets[SHARDS];
    for (int k = 0; k < SHARDS; k++) {
        char path[512];
        shard_path(path, sizeof path, dir, k);
        files[k] = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
        DISCO_CHECK(files[k] >= 0, "H5Fopen '%s'", path);
        sets[k] = H5Dopen2(files[k], "images", H5P_DEFAULT);
        DISCO_CHECK(sets[k] >= 0, "H5Dopen2 '%s'", path);
    }
    hid_t file_space = H5Dget_space(sets[0]);
    hsize_t mdims[4] = {1, (hsize_t)c->size, (hsize_t)c->size, 3};
    hid_t memory_space = H5Screate_simple(4, mdims, NULL);
    uint8_t *img = disco_malloc((size_t)c->size * c->size * 3, "bench image");
    int per_shard = c->count / SHARDS;
    double best = 1e30;
    for (int r = 0; r < REPEATS; r++) {
        double start = time_now();
        for (int i = 0; i < c->count; i++) {
            hsize_t off[4] = {(hsize_t)(idx[i] % per_shard), 0, 0, 0};
            H5Sselect_hyperslab(file_space, H5S_SELECT_SET, off, NULL, mdims, NULL);
            herr_t err = H5Dread(sets[idx[i] / per_shard], H5T_NATIVE_UINT8, memory_space, file_space, H5P_DEFAULT,
                                 img);
            DISCO_CHECK(err >= 0, "H5Dread image %lld", (long long)idx[i]);
        }
        double elapsed = time_now() - start;
        if (elapsed < best) best = elapsed;
    }
    free(img);
    H5Sclose(memory_space);
    H5Sclose(file_space);
    for (int k = 0; k < SHARDS; k++) {
        H5Dclose(sets[k]);
        H5Fclose(files[k]);
    }
    return c->count / best;
}

static double library_shard_read(const char *dir, const Case *c, const int64_t *idx) {
    Dataset *d = dataset_open(dir);
    uint8_t *img = disco_malloc((size_t)c->size * c->size * 3, "bench image");
    int32_t label;
    double best = 1e30;
    for (int r = 0; r < REPEATS; r++) {
        double start = time_now();
        for (int i = 0; i < c->count; i++) dataset_read(d, idx[i], img, &label);
        double elapsed = time_now() - start;
        if (elapsed < best) best = elapsed;
    }
    free(img);
    dataset_close(d);
    return c->count / best;
}

/* Batches of this rank for EPOCHS epochs; the timing includes reader_open. */
static int batches_per_run(const Case *c) { return EPOCHS * (c->count / GLOBAL_BATCH); }

static double run_reader(const char *dir, const Case *c, int world, int rank, int workers, uint64_t seed) {
    ReaderConfig cfg = {.global_batch = GLOBAL_BATCH, .world = world, .rank = rank, .last = SHARD_DROP,
                        .seed = seed, .prefetch_batches = PREFETCH, .workers = workers, .hflip = true};
    double start = time_now();
    BatchReader *r = reader_open(dir, &cfg, 0);
    volatile float sink = 0;
    for (int b = 0; b < batches_per_run(c); b++) sink += reader_next(r)->images[0];
    double elapsed = time_now() - start;
    reader_close(r);
    (void)sink;
    return elapsed;
}

static double reader_threads(const char *dir, const Case *c, int workers) {
    double best = 1e30;
    for (int r = 0; r < REPEATS; r++) {
        double elapsed = run_reader(dir, c, 1, 0, workers, 100 + (uint64_t)r);
        if (elapsed < best) best = elapsed;
    }
    return (double)batches_per_run(c) * GLOBAL_BATCH / best;
}

/* Two processes, ranks 0 and 1 of world 2, started together; the combined
   rate is all images over the time from the start to the later finish. */
static double reader_two_procs(const char *dir, const Case *c) {
    double best = 1e30;
    for (int rep = 0; rep < REPEATS; rep++) {
        int go[2], done[2];
        DISCO_CHECK(pipe(go) == 0 && pipe(done) == 0, "pipe");
        fflush(stdout);
        pid_t pids[2];
        for (int rank = 0; rank < 2; rank++) {
            pids[rank] = fork();
            DISCO_CHECK(pids[rank] >= 0, "fork");
            if (pids[rank] == 0) {
                close(go[1]);
                close(done[0]);
                char byte;
                if (read(go[0], &byte, 1) != 1) _exit(1);
                run_reader(dir, c, 2, rank, 1, 200 + (uint64_t)rep);
                double end = time_now();
                if (write(done[1], &end, sizeof end) != (ssize_t)sizeof end) _exit(1);
                _exit(0);
            }
        }
        close(go[0]);
        close(done[1]);
        double start = time_now();
        DISCO_CHECK(write(go[1], "gg", 2) == 2, "start the reader processes");
        close(go[1]);
        double last = start;
        for (int k = 0; k < 2; k++) {
            double end;
            DISCO_CHECK(read(done[0], &end, sizeof end) == (ssize_t)sizeof end, "a reader process failed");
            if (end > last) last = end;
        }
        close(done[0]);
        for (int k = 0; k < 2; k++) {
            int status;
            waitpid(pids[k], &status, 0);
            DISCO_CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "a reader process failed");
        }
        if (last - start < best) best = last - start;
    }
    return (double)batches_per_run(c) * GLOBAL_BATCH / best;
}

static void remove_dataset(const char *dir) {
    char path[512];
    for (int k = 0; k < SHARDS; k++) {
        shard_path(path, sizeof path, dir, k);
        remove(path);
    }
    snprintf(path, sizeof path, "%s/%s", dir, DATASET_INDEX_NAME);
    remove(path);
    rmdir(dir);
}

int main(void) {
    disco_tune_malloc();
    char root[] = "/tmp/disco_bench_reader_XXXXXX";
    DISCO_CHECK(mkdtemp(root), "cannot create a temporary directory");
    double total_start = time_now();
    printf("data sets of %d shards in %s; random single-image reads: %d passes, best kept; readers: global batch "
           "%d, prefetch %d, hflip, %d epochs per run (open included), best of %d\n\n",
           SHARDS, root, REPEATS, GLOBAL_BATCH, PREFETCH, EPOCHS, REPEATS);
    printf("| resolution | compression | MB | raw H5Dread img/s | shard_read img/s | reader 1 worker img/s "
           "| reader 2 workers img/s | reader 2 procs img/s | shard_read / raw | 1 worker / raw | 2 workers / raw "
           "| 2 procs / raw | load |\n");
    printf("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
        const Case *c = &cases[k];
        char dir[256];
        snprintf(dir, sizeof dir, "%s/s%d_d%d", root, c->size, c->deflate);
        double mb = write_dataset(dir, c);

        int64_t *idx = disco_malloc((size_t)c->count * sizeof *idx, "indices");
        uint32_t s = 12345u + (uint32_t)k;
        for (int i = 0; i < c->count; i++) idx[i] = (int64_t)(lcg(&s) % (uint32_t)c->count);

        double load = load_average();
        double raw = raw_h5dread(dir, c, idx);
        double lib = library_shard_read(dir, c, idx);
        double one = reader_threads(dir, c, 1);
        double two = reader_threads(dir, c, 2);
        double procs = reader_two_procs(dir, c);
        printf("| %dx%dx3 | %s | %.1f | %.0f | %.0f | %.0f | %.0f | %.0f | %.2f | %.2f | %.2f | %.2f | %.2f |\n",
               c->size, c->size, c->deflate ? "deflate 4" : "none", mb, raw, lib, one, two, procs, lib / raw,
               one / raw, two / raw, procs / raw, load);
        fflush(stdout);
        free(idx);
        remove_dataset(dir);
    }
    rmdir(root);
    printf("\ntotal %.1f s, load average %.2f at the end\n", time_now() - total_start, load_average());
    return 0;
}
