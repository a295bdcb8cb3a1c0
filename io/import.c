/* The import driver: shards of one source, written by every rank in turn,
   resumable, published by an index (see include/disco/import.h). */
#include "disco/import.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "disco/dataset.h"
#include "disco/dist.h"
#include "disco/error.h"
#include "disco/files.h"
#include "disco/log.h"
#include "disco/shards.h"

#define INDEX_NAME "index.h5"

typedef char FileName[64];

static void shard_name(FileName name, int64_t shard) { snprintf(name, sizeof(FileName), "shard-%05" PRId64 ".h5", shard); }

static bool is_import_file(const char *name) {
    return strcmp(name, INDEX_NAME) == 0 || (strncmp(name, "shard-", 6) == 0 && strstr(name, ".h5"));
}

/* --force: what an earlier import left (shards, their temporary files, the
   index) goes; anything else in the directory stays. */
static void remove_earlier_import(const char *dir) {
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    char path[4096];
    while ((e = readdir(d)))
        if (is_import_file(e->d_name)) {
            snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
            DISCO_CHECK(unlink(path) == 0, "import: cannot remove '%s': %s", path, strerror(errno));
        }
    closedir(d);
}

static void prepare_directory(const ImportOptions *o) {
    char index[4096];
    snprintf(index, sizeof index, "%s/" INDEX_NAME, o->out_dir);
    if (access(index, F_OK) == 0) {
        DISCO_CHECK(o->force, "import: '%s' is a finished data set (it has %s); use --force to replace it",
                    o->out_dir, INDEX_NAME);
    }
    if (o->force) remove_earlier_import(o->out_dir);
    make_directories(o->out_dir);
}

/* A shard left by an interrupted run of this same import is kept; one that
   differs in anything this import decides is not silently mixed in. */
static bool finished_shard(const char *path, const ImportSource *s, int64_t expected) {
    if (access(path, F_OK) != 0) return false;
    Shard *shard = shard_open(path);
    ShardInfo have = *shard_info(shard);
    shard_close(shard);
    DISCO_CHECK(have.count == expected && have.height == s->height && have.width == s->width &&
                    have.channels == s->channels && have.classes == s->classes &&
                    strcmp(have.preprocessing, s->preprocessing) == 0 && strcmp(have.source, s->source) == 0,
                "import: '%s' exists but is not what this import writes (%" PRId64 " images of %dx%dx%d, %d classes, "
                "'%s', from '%s'); remove it or use --force",
                path, expected, s->height, s->width, s->channels, s->classes, s->preprocessing, s->source);
    return true;
}

/* Images are loaded a block at a time, in parallel when the source allows,
   and appended in order. */
#define LOAD_BLOCK 64

static void write_shard(ImportSource *s, const char *path, int64_t first, int64_t count, int deflate_level,
                        uint8_t *block) {
    ShardWriter *w = shard_writer_open(path, s->height, s->width, s->channels, s->classes, s->preprocessing,
                                       s->source, deflate_level);
    size_t image_bytes = (size_t)s->height * s->width * s->channels;
    int32_t labels[LOAD_BLOCK];
    for (int64_t start = first; start < first + count; start += LOAD_BLOCK) {
        int n = (int)(first + count - start < LOAD_BLOCK ? first + count - start : LOAD_BLOCK);
#pragma omp parallel for schedule(dynamic) if (s->threaded)
        for (int j = 0; j < n; j++) s->load(s->state, start + j, block + (size_t)j * image_bytes, &labels[j]);
        for (int j = 0; j < n; j++) shard_writer_append(w, block + (size_t)j * image_bytes, labels[j]);
    }
    shard_writer_close(w);
}

static int64_t shard_count(const ImportSource *s, const ImportOptions *o, int64_t shard) {
    int64_t first = shard * o->shard_images;
    return s->count - first < o->shard_images ? s->count - first : o->shard_images;
}

static void shard_path(char *path, size_t size, const ImportOptions *o, int64_t shard) {
    FileName name;
    shard_name(name, shard);
    snprintf(path, size, "%s/%s", o->out_dir, name);
}

/* Rank 0, once all ranks are done: the index is published only when every
   shard is there and holds what it should. */
static void write_index(const ImportSource *s, const ImportOptions *o, int64_t shards) {
    char path[4096];
    for (int64_t k = 0; k < shards; k++) {
        shard_path(path, sizeof path, o, k);
        DISCO_CHECK(finished_shard(path, s, shard_count(s, o, k)), "import: shard '%s' is missing", path);
    }
    FileName *names = disco_malloc((size_t)shards * sizeof *names, "import shard names");
    const char **name_list = disco_malloc((size_t)shards * sizeof *name_list, "import shard names");
    int64_t *counts = disco_malloc((size_t)shards * sizeof *counts, "import shard counts");
    for (int64_t k = 0; k < shards; k++) {
        shard_name(names[k], k);
        name_list[k] = names[k];
        counts[k] = shard_count(s, o, k);
    }
    ShardInfo info = {.count = s->count, .height = s->height, .width = s->width, .channels = s->channels,
                      .classes = s->classes};
    snprintf(info.preprocessing, sizeof info.preprocessing, "%s", s->preprocessing);
    snprintf(info.source, sizeof info.source, "%s", s->source);
    dataset_write_index(o->out_dir, (int)shards, name_list, counts, &info);
    free(counts);
    free(name_list);
    free(names);
}

ImportReport import_dataset(ImportSource *s, const ImportOptions *o) {
    DISCO_CHECK(o->shard_images >= 1, "import: --shard-images must be at least 1 (got %" PRId64 ")", o->shard_images);
    DISCO_CHECK(s->count >= 1, "import: the source '%s' holds no images", s->source);
    int rank = dist_rank(), world = dist_world();
    if (rank == 0) prepare_directory(o);
    dist_barrier();

    int64_t shards = (s->count + o->shard_images - 1) / o->shard_images;
    DISCO_CHECK(shards <= INT32_MAX, "import: %" PRId64 " shards are too many; raise --shard-images", shards);
    uint8_t *block = disco_malloc(LOAD_BLOCK * (size_t)s->height * s->width * s->channels, "import images");
    int64_t written = 0, kept = 0;
    for (int64_t k = rank; k < shards; k += world) {
        char path[4096];
        shard_path(path, sizeof path, o, k);
        int64_t first = k * o->shard_images, count = shard_count(s, o, k);
        if (finished_shard(path, s, count)) {
            kept++;
            LOG_INFO("import: %s was finished earlier; kept", path);
            continue;
        }
        write_shard(s, path, first, count, o->deflate_level, block);
        written++;
        LOG_INFO("import: wrote %s (images %" PRId64 " to %" PRId64 " of %" PRId64 ")", path, first,
                 first + count - 1, s->count);
    }
    free(block);
    ImportReport report = {.images = s->count, .shards_written = dist_sum_int64(written),
                           .shards_kept = dist_sum_int64(kept)};
    if (rank == 0) write_index(s, o, shards);
    dist_barrier();
    if (s->close) s->close(s->state);
    return report;
}
