#include "disco/shards.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "h5_file.h"

#if !H5_VERSION_GE(1, 10, 3)
#error "shard_read_raw needs H5Dread_chunk, which HDF5 has from 1.10.3 on"
#endif

/* The labels' checksum is defined over their little-endian bytes, which are
   the bytes in memory only on a little-endian host. */
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "label checksums assume a little-endian host");

/* A corrupt shape could otherwise ask for gigabytes per image. */
#define MAX_IMAGE_BYTES ((size_t)1 << 28)

struct ShardWriter {
    hid_t file, images;
    char path[4096], tmp[4096];
    ShardInfo info;
    int32_t *labels;
    int64_t labels_capacity;
    uint32_t images_crc;
};

struct Shard {
    hid_t file, images;
    char path[4096];
    ShardInfo info;
    int32_t *labels; /* all N, checked at open */
    bool deflated_chunks; /* one image per chunk, behind deflate alone: shard_read_raw copies them as stored */
};

static size_t image_bytes(const ShardInfo *info) {
    return (size_t)info->height * (size_t)info->width * (size_t)info->channels;
}

/* ---- writing ---- */

static void write_int(hid_t file, const char *path, const char *name, int value) {
    h5_write_attribute(file, path, name, H5T_STD_I32LE, H5T_NATIVE_INT, &value);
}

ShardWriter *shard_writer_open(const char *path, int height, int width, int channels, int classes,
                               const char *preprocessing, const char *source, int deflate_level) {
    DISCO_CHECK(height > 0 && width > 0 && channels > 0 && classes > 0,
                "'%s': a shard needs positive height, width, channels and classes (got %d, %d, %d, %d)", path,
                height, width, channels, classes);
    DISCO_CHECK(deflate_level >= 0 && deflate_level <= 9, "'%s': deflate level %d is not in 0..9", path,
                deflate_level);
    ShardWriter *sw = disco_calloc(1, sizeof *sw, "shard writer");
    snprintf(sw->path, sizeof sw->path, "%s", path);
    sw->info = (ShardInfo){0, height, width, channels, classes, "", ""};
    DISCO_CHECK(image_bytes(&sw->info) <= MAX_IMAGE_BYTES, "'%s': images of %dx%dx%d are too large", path, height,
                width, channels);
    snprintf(sw->info.preprocessing, sizeof sw->info.preprocessing, "%s", preprocessing);
    snprintf(sw->info.source, sizeof sw->info.source, "%s", source);
    sw->images_crc = (uint32_t)crc32(0L, Z_NULL, 0);
    sw->file = h5_create_temporary(path, sw->tmp, sizeof sw->tmp);

    /* Unlimited along N so that an append extends the dataset by one chunk
       instead of rewriting it; one image per chunk so that a random read
       touches (and, with deflate, inflates) only that image. */
    hsize_t dims[4] = {0, (hsize_t)height, (hsize_t)width, (hsize_t)channels};
    hsize_t max_dims[4] = {H5S_UNLIMITED, dims[1], dims[2], dims[3]};
    hsize_t chunk[4] = {1, dims[1], dims[2], dims[3]};
    hid_t space = H5Screate_simple(4, dims, max_dims);
    hid_t create = H5Pcreate(H5P_DATASET_CREATE);
    H5_CHECK(H5Pset_chunk(create, 4, chunk), sw->tmp, "chunk the images");
    if (deflate_level > 0) H5_CHECK(H5Pset_deflate(create, (unsigned)deflate_level), sw->tmp, "deflate the images");
    sw->images = H5Dcreate2(sw->file, "images", H5T_STD_U8LE, space, H5P_DEFAULT, create, H5P_DEFAULT);
    H5_CHECK(sw->images, sw->tmp, "create the dataset 'images'");
    H5Pclose(create);
    H5Sclose(space);
    return sw;
}

void shard_writer_append(ShardWriter *sw, const uint8_t *image, int32_t label) {
    int64_t index = sw->info.count;
    DISCO_CHECK(label >= 0 && label < sw->info.classes, "'%s': label %d of image %lld is outside [0, %d)", sw->path,
                label, (long long)index, sw->info.classes);
    hsize_t dims[4] = {(hsize_t)index + 1, (hsize_t)sw->info.height, (hsize_t)sw->info.width,
                       (hsize_t)sw->info.channels};
    H5_CHECK(H5Dset_extent(sw->images, dims), sw->tmp, "extend the images to %lld", (long long)index + 1);
    hid_t file_space = H5Dget_space(sw->images);
    hsize_t start[4] = {(hsize_t)index, 0, 0, 0}, count[4] = {1, dims[1], dims[2], dims[3]};
    H5Sselect_hyperslab(file_space, H5S_SELECT_SET, start, NULL, count, NULL);
    hid_t memory_space = H5Screate_simple(4, count, NULL);
    H5_CHECK(H5Dwrite(sw->images, H5T_NATIVE_UINT8, memory_space, file_space, H5P_DEFAULT, image), sw->tmp,
             "write image %lld", (long long)index);
    H5Sclose(memory_space);
    H5Sclose(file_space);
    sw->images_crc = (uint32_t)crc32(sw->images_crc, image, (uInt)image_bytes(&sw->info));

    /* Labels are 4 bytes an image: they wait in memory and go out at close. */
    if (index == sw->labels_capacity) {
        sw->labels_capacity = sw->labels_capacity ? 2 * sw->labels_capacity : 1024;
        sw->labels = realloc(sw->labels, (size_t)sw->labels_capacity * sizeof *sw->labels);
        DISCO_CHECK(sw->labels, "out of memory for the labels of '%s'", sw->path);
    }
    sw->labels[index] = label;
    sw->info.count = index + 1;
}

void shard_writer_close(ShardWriter *sw) {
    const char *tmp = sw->tmp;
    hsize_t n = (hsize_t)sw->info.count;
    hid_t space = H5Screate_simple(1, &n, NULL);
    hid_t labels = H5Dcreate2(sw->file, "labels", H5T_STD_I32LE, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    H5_CHECK(labels, tmp, "create the dataset 'labels'");
    if (n > 0)
        H5_CHECK(H5Dwrite(labels, H5T_NATIVE_INT32, H5S_ALL, H5S_ALL, H5P_DEFAULT, sw->labels), tmp,
                 "write the labels");
    H5Dclose(labels);
    H5Sclose(space);
    H5Dclose(sw->images);

    uint32_t labels_crc = (uint32_t)crc32(crc32(0L, Z_NULL, 0), (const Bytef *)sw->labels, (uInt)(n * 4));
    write_int(sw->file, tmp, "format_version", SHARD_FORMAT_VERSION);
    write_int(sw->file, tmp, "height", sw->info.height);
    write_int(sw->file, tmp, "width", sw->info.width);
    write_int(sw->file, tmp, "channels", sw->info.channels);
    write_int(sw->file, tmp, "classes", sw->info.classes);
    h5_write_string(sw->file, tmp, "preprocessing", sw->info.preprocessing);
    h5_write_string(sw->file, tmp, "source", sw->info.source);
    h5_write_attribute(sw->file, tmp, "images_crc32", H5T_STD_U32LE, H5T_NATIVE_UINT32, &sw->images_crc);
    h5_write_attribute(sw->file, tmp, "labels_crc32", H5T_STD_U32LE, H5T_NATIVE_UINT32, &labels_crc);
    h5_publish(sw->file, tmp, sw->path);
    free(sw->labels);
    free(sw);
}

/* ---- reading ---- */

/* Opens a dataset and checks its element type and rank; dims receives its shape. */
static hid_t open_dataset(const Shard *s, const char *name, size_t size, H5T_sign_t sign, const char *dtype,
                          int rank, hsize_t *dims) {
    hid_t set = H5Dopen2(s->file, name, H5P_DEFAULT);
    H5_CHECK(set, s->path, "find the dataset '%s'", name);
    hid_t type = H5Dget_type(set);
    H5_CHECK(type, s->path, "read the type of '%s'", name);
    DISCO_CHECK(H5Tget_class(type) == H5T_INTEGER && H5Tget_size(type) == size && H5Tget_sign(type) == sign,
                "'%s': dataset '%s' must be %s", s->path, name, dtype);
    H5Tclose(type);
    hid_t space = H5Dget_space(set);
    H5_CHECK(space, s->path, "read the shape of '%s'", name);
    int actual = H5Sget_simple_extent_ndims(space);
    DISCO_CHECK(actual == rank, "'%s': dataset '%s' has %d dimensions, expected %d", s->path, name, actual, rank);
    H5Sget_simple_extent_dims(space, dims, NULL);
    H5Sclose(space);
    return set;
}

/* Chunks of exactly one image behind deflate alone are what
   shard_writer_open makes with a deflate level; shard_read_raw copies those
   as stored. Uncompressed chunks gain nothing from it (and for them HDF5's
   H5Dget_chunk_storage_size gives the layout's size, not the stored one, so
   it could not bound H5Dread_chunk on a damaged file); they, and files laid
   out otherwise by other tools, are read through H5Dread. */
static void inspect_storage(Shard *s) {
    hid_t create = H5Dget_create_plist(s->images);
    H5_CHECK(create, s->path, "read the storage properties of 'images'");
    const ShardInfo *info = &s->info;
    hsize_t chunk[4];
    bool one_image = H5Pget_layout(create) == H5D_CHUNKED && H5Pget_chunk(create, 4, chunk) == 4 &&
                     chunk[0] == 1 && chunk[1] == (hsize_t)info->height && chunk[2] == (hsize_t)info->width &&
                     chunk[3] == (hsize_t)info->channels;
    unsigned flags, parameters[8];
    size_t n_parameters = 8;
    s->deflated_chunks = one_image && H5Pget_nfilters(create) == 1 &&
                         H5Pget_filter2(create, 0, &flags, &n_parameters, parameters, 0, NULL, NULL) ==
                             H5Z_FILTER_DEFLATE;
    H5Pclose(create);
}

Shard *shard_open(const char *path) {
    Shard *s = disco_calloc(1, sizeof *s, "shard");
    snprintf(s->path, sizeof s->path, "%s", path);
    s->file = h5_open_readonly(path, "shard");
    ShardInfo *info = &s->info;

    int version;
    h5_read_attribute(s->file, path, "format_version", H5T_NATIVE_INT, &version);
    DISCO_CHECK(version == SHARD_FORMAT_VERSION, "'%s': unknown shard format version %d (this build reads %d)", path,
                version, SHARD_FORMAT_VERSION);
    h5_read_attribute(s->file, path, "height", H5T_NATIVE_INT, &info->height);
    h5_read_attribute(s->file, path, "width", H5T_NATIVE_INT, &info->width);
    h5_read_attribute(s->file, path, "channels", H5T_NATIVE_INT, &info->channels);
    h5_read_attribute(s->file, path, "classes", H5T_NATIVE_INT, &info->classes);
    h5_read_string(s->file, path, "preprocessing", info->preprocessing, sizeof info->preprocessing);
    h5_read_string(s->file, path, "source", info->source, sizeof info->source);
    DISCO_CHECK(info->height > 0 && info->width > 0 && info->channels > 0 && info->classes > 0 &&
                    image_bytes(info) <= MAX_IMAGE_BYTES,
                "'%s': attributes height %d, width %d, channels %d, classes %d are not a valid shard", path,
                info->height, info->width, info->channels, info->classes);

    hsize_t dims[4], n_labels;
    s->images = open_dataset(s, "images", 1, H5T_SGN_NONE, "uint8", 4, dims);
    DISCO_CHECK(dims[1] == (hsize_t)info->height && dims[2] == (hsize_t)info->width &&
                    dims[3] == (hsize_t)info->channels,
                "'%s': dataset 'images' has shape [%llu, %llu, %llu, %llu], attributes say [N, %d, %d, %d]", path,
                (unsigned long long)dims[0], (unsigned long long)dims[1], (unsigned long long)dims[2],
                (unsigned long long)dims[3], info->height, info->width, info->channels);
    hid_t labels = open_dataset(s, "labels", 4, H5T_SGN_2, "int32", 1, &n_labels);
    DISCO_CHECK(n_labels == dims[0], "'%s': %llu labels for %llu images", path, (unsigned long long)n_labels,
                (unsigned long long)dims[0]);
    info->count = (int64_t)dims[0];
    inspect_storage(s);

    s->labels = disco_malloc((size_t)info->count * sizeof *s->labels + 1, "shard labels");
    if (info->count > 0)
        H5_CHECK(H5Dread(labels, H5T_NATIVE_INT32, H5S_ALL, H5S_ALL, H5P_DEFAULT, s->labels), path,
                 "read the labels");
    H5Dclose(labels);
    for (int64_t i = 0; i < info->count; i++)
        DISCO_CHECK(s->labels[i] >= 0 && s->labels[i] < info->classes,
                    "'%s': label %d at index %lld is outside [0, %d)", path, s->labels[i], (long long)i,
                    info->classes);
    return s;
}

const ShardInfo *shard_info(const Shard *shard) { return &shard->info; }

size_t shard_raw_capacity(const ShardInfo *info) { return (size_t)compressBound((uLong)image_bytes(info)); }

static void check_index(const Shard *s, int64_t index) {
    DISCO_CHECK(index >= 0 && index < s->info.count, "'%s': index %lld is out of range [0, %lld)", s->path,
                (long long)index, (long long)s->info.count);
}

/* Through HDF5's whole pipeline: filters, chunk cache, any layout. */
static void read_image(Shard *s, int64_t index, uint8_t *image) {
    hid_t file_space = H5Dget_space(s->images);
    hsize_t start[4] = {(hsize_t)index, 0, 0, 0};
    hsize_t count[4] = {1, (hsize_t)s->info.height, (hsize_t)s->info.width, (hsize_t)s->info.channels};
    H5Sselect_hyperslab(file_space, H5S_SELECT_SET, start, NULL, count, NULL);
    hid_t memory_space = H5Screate_simple(4, count, NULL);
    H5_CHECK(H5Dread(s->images, H5T_NATIVE_UINT8, memory_space, file_space, H5P_DEFAULT, image), s->path,
             "read image %lld", (long long)index);
    H5Sclose(memory_space);
    H5Sclose(file_space);
}

void shard_read(Shard *s, int64_t index, uint8_t *image, int32_t *label) {
    check_index(s, index);
    read_image(s, index, image);
    *label = s->labels[index];
}

void shard_read_raw(Shard *s, int64_t index, ShardRaw *raw, int32_t *label) {
    check_index(s, index);
    *label = s->labels[index];
    size_t image = image_bytes(&s->info);
    if (!s->deflated_chunks) {
        read_image(s, index, raw->data);
        raw->bytes = image;
        raw->deflated = false;
        return;
    }
    /* H5Dread_chunk takes no buffer size: the stored size is checked first
       (for a filtered dataset both calls take it from the chunk's record). */
    hsize_t offset[4] = {(hsize_t)index, 0, 0, 0}, stored = 0;
    H5_CHECK(H5Dget_chunk_storage_size(s->images, offset, &stored), s->path, "find the chunk of image %lld",
             (long long)index);
    size_t capacity = shard_raw_capacity(&s->info);
    DISCO_CHECK(stored > 0 && stored <= capacity, "'%s': image %lld is stored in %llu bytes, expected 1 to %zu",
                s->path, (long long)index, (unsigned long long)stored, capacity);
    uint32_t skipped = 0;
    H5_CHECK(H5Dread_chunk(s->images, H5P_DEFAULT, offset, &skipped, raw->data), s->path,
             "read the chunk of image %lld", (long long)index);
    raw->bytes = (size_t)stored;
    /* Bit 0 of the mask set: deflate, an optional filter, was not applied
       to this chunk (it failed, or the writer skipped it): stored as is. */
    raw->deflated = !(skipped & 1);
}

const uint8_t *shard_unpack(const Shard *s, int64_t index, const ShardRaw *raw, uint8_t *image) {
    size_t want = image_bytes(&s->info);
    if (!raw->deflated) {
        DISCO_CHECK(raw->bytes == want, "'%s': image %lld is stored in %zu bytes, expected %zu", s->path,
                    (long long)index, raw->bytes, want);
        return raw->data;
    }
    uLongf got = (uLongf)want;
    int status = uncompress(image, &got, raw->data, (uLong)raw->bytes);
    DISCO_CHECK(status == Z_OK, "'%s': the deflated chunk of image %lld is damaged (zlib: %s)", s->path,
                (long long)index, status == Z_BUF_ERROR ? "it inflates to more than one image" : zError(status));
    DISCO_CHECK(got == want, "'%s': the deflated chunk of image %lld inflates to %lu bytes, expected %zu", s->path,
                (long long)index, (unsigned long)got, want);
    return image;
}

void shard_close(Shard *s) {
    H5Dclose(s->images);
    H5_CHECK(H5Fclose(s->file), s->path, "close the file");
    free(s->labels);
    free(s);
}

void shard_verify(const char *path) {
    Shard *s = shard_open(path);
    uint32_t want_images, want_labels;
    h5_read_attribute(s->file, path, "images_crc32", H5T_NATIVE_UINT32, &want_images);
    h5_read_attribute(s->file, path, "labels_crc32", H5T_NATIVE_UINT32, &want_labels);

    size_t bytes = image_bytes(&s->info);
    uint8_t *image = disco_malloc(bytes, "shard image");
    uint32_t images_crc = (uint32_t)crc32(0L, Z_NULL, 0);
    for (int64_t i = 0; i < s->info.count; i++) {
        int32_t label;
        shard_read(s, i, image, &label);
        images_crc = (uint32_t)crc32(images_crc, image, (uInt)bytes);
    }
    free(image);
    uint32_t labels_crc =
        (uint32_t)crc32(crc32(0L, Z_NULL, 0), (const Bytef *)s->labels, (uInt)((size_t)s->info.count * 4));
    DISCO_CHECK(images_crc == want_images, "'%s': images checksum mismatch (images_crc32 0x%08x, data 0x%08x)", path,
                want_images, images_crc);
    DISCO_CHECK(labels_crc == want_labels, "'%s': labels checksum mismatch (labels_crc32 0x%08x, data 0x%08x)", path,
                want_labels, labels_crc);
    shard_close(s);
}
