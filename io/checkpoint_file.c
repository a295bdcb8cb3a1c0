#include "checkpoint_file.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "disco/error.h"
#include "h5_file.h"

/* The checksums are defined over little-endian bytes, which on the hosts
   this builds for are the values' own bytes in memory. */
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "checkpoint checksums assume a little-endian host");
_Static_assert(sizeof(hsize_t) == 8, "the root's crc32 takes each dimension as 8 bytes");

static const char *const CRC_ATTRIBUTE = "crc32";

static uint32_t crc_start(void) { return (uint32_t)crc32(0L, Z_NULL, 0); }

static uint32_t crc_add(uint32_t crc, const void *bytes, size_t size) {
    return (uint32_t)crc32_z(crc, (const Bytef *)bytes, size);
}

void checkpoint_write_crc(hid_t set, const char *path, const float *data, size_t n) {
    uint32_t crc = crc_add(crc_start(), data, n * sizeof(float));
    h5_write_attribute(set, path, CRC_ATTRIBUTE, H5T_STD_U32LE, H5T_NATIVE_UINT32, &crc);
}

/* Only the types written are accepted, so that nothing is converted: HDF5
   converts from a damaged type differently depending on what the process
   converted before, so the examining child and the loader could disagree. */
static bool has_type(hid_t type, hid_t want) {
    bool same = type >= 0 && H5Tequal(type, want) > 0;
    if (type >= 0) H5Tclose(type);
    return same;
}

void checkpoint_read_verified(hid_t set, const char *path, const char *name, float *data, size_t n) {
    DISCO_CHECK(has_type(H5Dget_type(set), H5T_IEEE_F32LE), "'%s': %s is not stored as little-endian float32", path,
                name);
    H5_CHECK(H5Dread(set, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, data), path, "read %s", name);
    hid_t attribute = H5Aopen(set, CRC_ATTRIBUTE, H5P_DEFAULT);
    H5_CHECK(attribute, path, "open the crc32 of %s", name);
    DISCO_CHECK(has_type(H5Aget_type(attribute), H5T_STD_U32LE),
                "'%s': the crc32 of %s is not stored as a little-endian uint32", path, name);
    uint32_t stored, computed = crc_add(crc_start(), data, n * sizeof(float));
    H5_CHECK(H5Aread(attribute, H5T_NATIVE_UINT32, &stored), path, "read the crc32 of %s", name);
    H5Aclose(attribute);
    DISCO_CHECK(computed == stored, "'%s': crc32 mismatch in %s (stored 0x%08x, data 0x%08x)", path, name, stored,
                computed);
}

/* ---- the root's crc32 ---- */

typedef struct {
    const char *path;
    bool every_dataset; /* also read every dataset and check its own crc32 */
    uint32_t crc;
} Walk;

/* Each root attribute but crc32, in name order: its name with the
   terminating NUL, its type as H5Tencode describes it, then its value's
   bytes as stored. The type counts because readers convert: bytes read as
   another type are another value. */
static herr_t add_attribute(hid_t root, const char *name, const H5A_info_t *info, void *context) {
    Walk *walk = context;
    if (strcmp(name, CRC_ATTRIBUTE) == 0) return 0;
    hid_t attribute = H5Aopen(root, name, H5P_DEFAULT);
    H5_CHECK(attribute, walk->path, "open the attribute '%s'", name);
    hid_t type = H5Aget_type(attribute);
    H5_CHECK(type, walk->path, "read the type of the attribute '%s'", name);
    size_t type_size = 0;
    H5_CHECK(H5Tencode(type, NULL, &type_size), walk->path, "describe the type of the attribute '%s'", name);
    uint8_t *type_code = disco_malloc(type_size, name), *value = disco_malloc(info->data_size, name);
    H5_CHECK(H5Tencode(type, type_code, &type_size), walk->path, "describe the type of the attribute '%s'", name);
    /* Read in its own type, so nothing is converted: the bytes as stored. */
    H5_CHECK(H5Aread(attribute, type, value), walk->path, "read the attribute '%s'", name);
    walk->crc = crc_add(walk->crc, name, strlen(name) + 1);
    walk->crc = crc_add(walk->crc, type_code, type_size);
    walk->crc = crc_add(walk->crc, value, info->data_size);
    free(type_code);
    free(value);
    H5Tclose(type);
    H5Aclose(attribute);
    return 0;
}

/* Each dataset in HDF5's name order (h5py's visititems): its path from the
   root with the terminating NUL, then its dimensions as 8-byte numbers. */
static herr_t add_dataset(hid_t root, const char *relative, const H5O_info_t *info, void *context) {
    if (info->type != H5O_TYPE_DATASET) return 0;
    Walk *walk = context;
    char name[1024];
    snprintf(name, sizeof name, "/%s", relative);
    hid_t set = H5Dopen2(root, relative, H5P_DEFAULT);
    H5_CHECK(set, walk->path, "open %s", name);
    hid_t space = H5Dget_space(set);
    H5_CHECK(space, walk->path, "read the shape of %s", name);
    hsize_t dims[H5S_MAX_RANK];
    int rank = H5Sget_simple_extent_dims(space, dims, NULL);
    H5_CHECK(rank, walk->path, "read the shape of %s", name);
    walk->crc = crc_add(walk->crc, name, strlen(name) + 1);
    walk->crc = crc_add(walk->crc, dims, (size_t)rank * sizeof *dims);
    if (walk->every_dataset) {
        size_t n = (size_t)H5Sget_simple_extent_npoints(space);
        float *data = disco_malloc(n * sizeof(float), name);
        checkpoint_read_verified(set, walk->path, name, data, n);
        free(data);
    }
    H5Sclose(space);
    H5Dclose(set);
    return 0;
}

static uint32_t walk_file(hid_t file, const char *path, bool every_dataset) {
    Walk walk = {path, every_dataset, crc_start()};
    H5_CHECK(H5Aiterate2(file, H5_INDEX_NAME, H5_ITER_INC, NULL, add_attribute, &walk), path,
             "list the root attributes");
    H5_CHECK(H5Ovisit2(file, H5_INDEX_NAME, H5_ITER_INC, add_dataset, &walk, H5O_INFO_BASIC), path,
             "list the datasets");
    return walk.crc;
}

void checkpoint_seal(hid_t file, const char *path) {
    uint32_t crc = walk_file(file, path, false);
    h5_write_attribute(file, path, CRC_ATTRIBUTE, H5T_STD_U32LE, H5T_NATIVE_UINT32, &crc);
}

hid_t checkpoint_open(const char *path, bool every_dataset) {
    hid_t file = h5_open_readonly(path, "checkpoint");
    int version = 0;
    h5_read_attribute(file, path, "format_version", H5T_NATIVE_INT, &version);
    DISCO_CHECK(version == CHECKPOINT_FORMAT_VERSION, "'%s': checkpoint format version %d; this build reads version %d",
                path, version, CHECKPOINT_FORMAT_VERSION);
    uint32_t stored, computed = walk_file(file, path, false);
    h5_read_attribute(file, path, CRC_ATTRIBUTE, H5T_NATIVE_UINT32, &stored);
    DISCO_CHECK(computed == stored,
                "'%s': root crc32 mismatch: an attribute, or a dataset's name or shape, is not as written "
                "(stored 0x%08x, computed 0x%08x)",
                path, stored, computed);
    /* Only now: a damaged shape can claim terabytes, and HDF5 then tries to
       read them. */
    if (every_dataset) walk_file(file, path, true);
    return file;
}
