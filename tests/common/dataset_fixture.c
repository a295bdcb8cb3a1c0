#include "dataset_fixture.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "disco/dataset.h"

void fixture_write_shard(const char *path, const FixtureImages *images, int64_t first, int64_t count) {
    ShardWriter *sw = shard_writer_open(path, images->height, images->width, images->channels, images->classes,
                                        "none", "unit test", images->deflate);
    int bytes = images->height * images->width * images->channels;
    uint8_t *image = malloc((size_t)bytes);
    for (int64_t i = first; i < first + count; i++) {
        for (int k = 0; k < bytes; k++) image[k] = images->pixel(i, k);
        shard_writer_append(sw, image, images->label(i));
    }
    free(image);
    shard_writer_close(sw);
}

static void shard_name(char *name, size_t size, int s) { snprintf(name, size, "shard-%05d.h5", s); }

void fixture_shard_path(char *path, size_t size, const char *dir, int s) {
    char name[32];
    shard_name(name, sizeof name, s);
    int written = snprintf(path, size, "%s/%s", dir, name);
    ck_assert(written > 0 && (size_t)written < size);
}

void fixture_write_dataset(const char *dir, const FixtureImages *images, int shards, const int64_t *counts) {
    ck_assert_int_eq(mkdir(dir, 0755), 0);
    char (*names)[32] = malloc((size_t)shards * sizeof *names);
    const char **name_list = malloc((size_t)shards * sizeof *name_list);
    int64_t first = 0;
    for (int s = 0; s < shards; s++) {
        char path[4096];
        fixture_shard_path(path, sizeof path, dir, s);
        fixture_write_shard(path, images, first, counts[s]);
        first += counts[s];
        shard_name(names[s], sizeof names[s], s);
        name_list[s] = names[s];
    }
    ShardInfo info = {.height = images->height, .width = images->width, .channels = images->channels,
                      .classes = images->classes, .preprocessing = "none", .source = "unit test"};
    dataset_write_index(dir, shards, name_list, counts, &info);
    free(name_list);
    free(names);
}
