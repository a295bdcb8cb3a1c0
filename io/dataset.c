/* Data sets of several shards under one global index; see include/disco/dataset.h
   and docs/formats.md. */
#include "disco/dataset.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "h5_file.h"

/* Shard names are short ("shard-00000.h5"), and a damaged index could
   otherwise ask for any amount of memory. */
enum { MAX_NAME = 256, MAX_SHARDS = 1 << 20 };

struct Dataset {
    char path[4096];
    ShardInfo info;
    int shards;
    Shard **shard;
    char **shard_path;
    int64_t *first; /* shards + 1 entries: shard s holds global images [first[s], first[s + 1]) */
};

static Dataset *dataset_alloc(const char *path, int shards) {
    Dataset *d = disco_calloc(1, sizeof *d, "data set");
    snprintf(d->path, sizeof d->path, "%s", path);
    d->shards = shards;
    d->shard = disco_calloc((size_t)shards, sizeof *d->shard, "data set shards");
    d->shard_path = disco_calloc((size_t)shards, sizeof *d->shard_path, "data set shard paths");
    d->first = disco_calloc((size_t)shards + 1, sizeof *d->first, "data set shard offsets");
    return d;
}

static void join_path(char *out, size_t size, const char *dir, const char *name) {
    int written = snprintf(out, size, "%s/%s", dir, name);
    DISCO_CHECK(written > 0 && (size_t)written < size, "path too long: '%s/%s'", dir, name);
}

/* ---- the index file ---- */

/* Opens a one-dimensional dataset of the index; n receives its length. */
static hid_t open_list(hid_t file, const char *path, const char *name, hsize_t *n) {
    hid_t set = H5Dopen2(file, name, H5P_DEFAULT);
    H5_CHECK(set, path, "find the dataset '%s'", name);
    hid_t space = H5Dget_space(set);
    H5_CHECK(space, path, "read the shape of '%s'", name);
    int rank = H5Sget_simple_extent_ndims(space);
    DISCO_CHECK(rank == 1, "'%s': dataset '%s' has %d dimensions, expected 1", path, name, rank);
    H5Sget_simple_extent_dims(space, n, NULL);
    H5Sclose(space);
    return set;
}

/* Reads /shards and /counts into names[s] (MAX_NAME bytes each) and counts. */
static int read_shard_list(hid_t file, const char *path, char **names, int64_t **counts) {
    hsize_t n, n_counts;
    hid_t names_set = open_list(file, path, "shards", &n);
    hid_t counts_set = open_list(file, path, "counts", &n_counts);
    DISCO_CHECK(n >= 1 && n <= MAX_SHARDS, "'%s': %llu shards listed; a data set has 1 to %d", path,
                (unsigned long long)n, MAX_SHARDS);
    DISCO_CHECK(n_counts == n, "'%s': %llu counts for %llu shards", path, (unsigned long long)n_counts,
                (unsigned long long)n);

    hid_t file_type = H5Dget_type(names_set);
    H5_CHECK(file_type, path, "read the type of 'shards'");
    DISCO_CHECK(H5Tget_class(file_type) == H5T_STRING && H5Tis_variable_str(file_type) == 0 &&
                    H5Tget_size(file_type) < MAX_NAME,
                "'%s': dataset 'shards' must hold fixed-length strings shorter than %d bytes", path, MAX_NAME);
    hid_t memory_type = H5Tcopy(file_type);
    H5Tset_size(memory_type, MAX_NAME);
    H5Tset_strpad(memory_type, H5T_STR_NULLTERM);
    *names = disco_malloc((size_t)n * MAX_NAME, "data set shard names");
    H5_CHECK(H5Dread(names_set, memory_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, *names), path, "read the shard names");
    H5Tclose(memory_type);
    H5Tclose(file_type);

    hid_t count_type = H5Dget_type(counts_set);
    H5_CHECK(count_type, path, "read the type of 'counts'");
    DISCO_CHECK(H5Tget_class(count_type) == H5T_INTEGER && H5Tget_size(count_type) == 8 &&
                    H5Tget_sign(count_type) == H5T_SGN_2,
                "'%s': dataset 'counts' must be int64", path);
    H5Tclose(count_type);
    *counts = disco_malloc((size_t)n * sizeof **counts, "data set shard counts");
    H5_CHECK(H5Dread(counts_set, H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, *counts), path,
             "read the shard counts");
    H5Dclose(counts_set);
    H5Dclose(names_set);
    return (int)n;
}

/* A name the index lists: relative to its directory, as the format says. */
static void check_name(const char *index_path, int s, const char *name) {
    DISCO_CHECK(name[0] != '\0' && name[0] != '/', "'%s': shard %d has the name '%s'; names are relative to the "
                "data set's directory", index_path, s, name);
}

/* ---- opening ---- */

static void open_shard(Dataset *d, int s, const char *shard_path) {
    DISCO_CHECK(access(shard_path, R_OK) == 0, "data set '%s': cannot open shard %d, '%s': %s", d->path, s,
                shard_path, strerror(errno));
    d->shard_path[s] = disco_strdup(shard_path);
    d->shard[s] = shard_open(shard_path);
}

static Dataset *open_single_shard(const char *path) {
    Dataset *d = dataset_alloc(path, 1);
    open_shard(d, 0, path);
    d->info = *shard_info(d->shard[0]);
    d->first[1] = d->info.count;
    return d;
}

static Dataset *open_directory(const char *dir) {
    char index_path[4096], shard_path[4096];
    join_path(index_path, sizeof index_path, dir, DATASET_INDEX_NAME);
    hid_t file = h5_open_readonly(index_path, "data set index");
    int version;
    h5_read_attribute(file, index_path, "format_version", H5T_NATIVE_INT, &version);
    DISCO_CHECK(version == DATASET_FORMAT_VERSION, "'%s': unknown data set index version %d (this build reads %d)",
                index_path, version, DATASET_FORMAT_VERSION);
    ShardInfo want = {0};
    h5_read_attribute(file, index_path, "height", H5T_NATIVE_INT, &want.height);
    h5_read_attribute(file, index_path, "width", H5T_NATIVE_INT, &want.width);
    h5_read_attribute(file, index_path, "channels", H5T_NATIVE_INT, &want.channels);
    h5_read_attribute(file, index_path, "classes", H5T_NATIVE_INT, &want.classes);
    h5_read_attribute(file, index_path, "count", H5T_NATIVE_INT64, &want.count);
    h5_read_string(file, index_path, "preprocessing", want.preprocessing, sizeof want.preprocessing);
    h5_read_string(file, index_path, "source", want.source, sizeof want.source);
    char *names;
    int64_t *counts;
    int shards = read_shard_list(file, index_path, &names, &counts);
    H5_CHECK(H5Fclose(file), index_path, "close the file");

    Dataset *d = dataset_alloc(dir, shards);
    d->info = want;
    for (int s = 0; s < shards; s++) {
        const char *name = names + (size_t)s * MAX_NAME;
        check_name(index_path, s, name);
        DISCO_CHECK(counts[s] >= 0 && counts[s] <= want.count - d->first[s],
                    "'%s': shard %d, '%s', is listed with %lld images, which does not fit a count of %lld",
                    index_path, s, name, (long long)counts[s], (long long)want.count);
        d->first[s + 1] = d->first[s] + counts[s];
        join_path(shard_path, sizeof shard_path, dir, name);
        open_shard(d, s, shard_path);
        const ShardInfo *got = shard_info(d->shard[s]);
        DISCO_CHECK(got->count == counts[s], "'%s': shard %d holds %lld images, the index '%s' says %lld",
                    shard_path, s, (long long)got->count, index_path, (long long)counts[s]);
        DISCO_CHECK(got->height == want.height && got->width == want.width && got->channels == want.channels &&
                        got->classes == want.classes,
                    "'%s': shard %d has images of %dx%dx%d in %d classes, the index '%s' says %dx%dx%d in %d",
                    shard_path, s, got->height, got->width, got->channels, got->classes, index_path, want.height,
                    want.width, want.channels, want.classes);
    }
    DISCO_CHECK(d->first[shards] == want.count, "'%s': the shards hold %lld images, the attribute 'count' says %lld",
                index_path, (long long)d->first[shards], (long long)want.count);
    free(counts);
    free(names);
    return d;
}

Dataset *dataset_open(const char *path) {
    struct stat st;
    DISCO_CHECK(stat(path, &st) == 0, "cannot open the data set '%s': %s", path, strerror(errno));
    return S_ISDIR(st.st_mode) ? open_directory(path) : open_single_shard(path);
}

const ShardInfo *dataset_info(const Dataset *d) { return &d->info; }

int dataset_shards(const Dataset *d) { return d->shards; }

Shard *dataset_locate(const Dataset *d, int64_t index, int64_t *local) {
    DISCO_CHECK(index >= 0 && index < d->info.count, "data set '%s': index %lld is out of range [0, %lld)", d->path,
                (long long)index, (long long)d->info.count);
    /* The last shard starting at or before index; empty shards before it
       start there too, so taking the last skips them. */
    int lo = 0, hi = d->shards - 1;
    while (lo < hi) {
        int mid = lo + (hi - lo + 1) / 2;
        if (d->first[mid] <= index)
            lo = mid;
        else
            hi = mid - 1;
    }
    *local = index - d->first[lo];
    return d->shard[lo];
}

void dataset_read(Dataset *d, int64_t index, uint8_t *image, int32_t *label) {
    int64_t local;
    Shard *shard = dataset_locate(d, index, &local);
    shard_read(shard, local, image, label);
}

void dataset_close(Dataset *d) {
    if (!d) return;
    for (int s = 0; s < d->shards; s++) {
        if (d->shard[s]) shard_close(d->shard[s]);
        free(d->shard_path[s]);
    }
    free(d->first);
    free(d->shard_path);
    free(d->shard);
    free(d);
}

void dataset_verify(const char *path) {
    Dataset *d = dataset_open(path);
    for (int s = 0; s < d->shards; s++) shard_verify(d->shard_path[s]);
    dataset_close(d);
}

/* ---- writing the index ---- */

static void write_list(hid_t file, const char *tmp, const char *name, hid_t file_type, hid_t memory_type, int n,
                       const void *values) {
    hsize_t dims = (hsize_t)n;
    hid_t space = H5Screate_simple(1, &dims, NULL);
    hid_t set = H5Dcreate2(file, name, file_type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    H5_CHECK(set, tmp, "create the dataset '%s'", name);
    H5_CHECK(H5Dwrite(set, memory_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, values), tmp, "write the dataset '%s'", name);
    H5Dclose(set);
    H5Sclose(space);
}

void dataset_write_index(const char *dir, int shards, const char *const *names, const int64_t *counts,
                         const ShardInfo *info) {
    char path[4096], tmp[4096];
    join_path(path, sizeof path, dir, DATASET_INDEX_NAME);
    DISCO_CHECK(shards >= 1 && shards <= MAX_SHARDS, "'%s': a data set has 1 to %d shards (got %d)", path,
                MAX_SHARDS, shards);
    size_t longest = 0;
    int64_t total = 0;
    for (int s = 0; s < shards; s++) {
        check_name(path, s, names[s]);
        DISCO_CHECK(strlen(names[s]) < MAX_NAME, "'%s': the name of shard %d, '%s', is longer than %d bytes", path,
                    s, names[s], MAX_NAME - 1);
        DISCO_CHECK(counts[s] >= 0, "'%s': shard %d has a count of %lld", path, s, (long long)counts[s]);
        if (strlen(names[s]) > longest) longest = strlen(names[s]);
        total += counts[s];
    }
    /* Fixed-length strings, as the format has them: h5py reads them as a numpy
       array of bytes, with no variable-length heap to follow. */
    size_t width = longest + 1;
    char *packed = disco_calloc((size_t)shards, width, "index shard names");
    for (int s = 0; s < shards; s++) memcpy(packed + (size_t)s * width, names[s], strlen(names[s]));

    hid_t file = h5_create_temporary(path, tmp, sizeof tmp);
    const struct {
        const char *name;
        int value;
    } ints[] = {{"format_version", DATASET_FORMAT_VERSION}, {"height", info->height}, {"width", info->width},
                {"channels", info->channels},                {"classes", info->classes}};
    for (size_t k = 0; k < sizeof ints / sizeof ints[0]; k++)
        h5_write_attribute(file, tmp, ints[k].name, H5T_STD_I32LE, H5T_NATIVE_INT, &ints[k].value);
    h5_write_attribute(file, tmp, "count", H5T_STD_I64LE, H5T_NATIVE_INT64, &total);
    h5_write_string(file, tmp, "preprocessing", info->preprocessing);
    h5_write_string(file, tmp, "source", info->source);

    hid_t name_type = H5Tcopy(H5T_C_S1);
    H5Tset_size(name_type, width);
    H5Tset_strpad(name_type, H5T_STR_NULLTERM);
    H5Tset_cset(name_type, H5T_CSET_UTF8);
    write_list(file, tmp, "shards", name_type, name_type, shards, packed);
    H5Tclose(name_type);
    write_list(file, tmp, "counts", H5T_STD_I64LE, H5T_NATIVE_INT64, shards, counts);
    h5_publish(file, tmp, path);
    free(packed);
}
