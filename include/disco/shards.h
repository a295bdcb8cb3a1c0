/* Dataset shards: one HDF5 file of N images with their labels, readable as
 * plain arrays by h5py and h5dump (the layout is in docs/formats.md).
 *
 * A shard is written image by image under a temporary name and appears
 * under its real name only once complete, with CRC-32s of its image and
 * label bytes. Every problem found when reading (a missing, truncated or
 * foreign file, an unknown format version, a wrong shape or dtype, a label
 * out of range, an index out of range, a checksum mismatch) is fatal with a
 * message naming the file, and the index where there is one. */
#ifndef DISCO_SHARDS_H
#define DISCO_SHARDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SHARD_FORMAT_VERSION 1

typedef struct {
    int64_t count; /* N */
    int height, width, channels, classes;
    char preprocessing[256], source[256];
} ShardInfo;

typedef struct ShardWriter ShardWriter;
typedef struct Shard Shard;

/* deflate_level: 0 stores the images uncompressed, 1..9 deflates them. */
ShardWriter *shard_writer_open(const char *path, int height, int width, int channels, int classes,
                               const char *preprocessing, const char *source, int deflate_level);
/* image: height*width*channels bytes in HWC order; label in [0, classes). */
void shard_writer_append(ShardWriter *sw, const uint8_t *image, int32_t label);
/* Writes the labels, counts and checksums, then publishes the file. */
void shard_writer_close(ShardWriter *sw);

/* Validates the attributes, the datasets' shapes and dtypes, and every
   label (all labels are read and checked here, so reads never fail on one). */
Shard *shard_open(const char *path);
const ShardInfo *shard_info(const Shard *shard);
/* image receives height*width*channels bytes. */
void shard_read(Shard *shard, int64_t index, uint8_t *image, int32_t *label);
void shard_close(Shard *shard);

/* shard_read in two steps, so that threads inflate images in parallel.
   HDF5's thread-safe build runs one call at a time in the whole process;
   for deflated images shard_read_raw holds that lock only to copy the
   image's stored bytes (its one chunk, with H5Dread_chunk), and
   shard_unpack then inflates them with zlib, outside HDF5. Uncompressed
   images, and shards laid out otherwise than shard_writer_open lays them
   out (by another tool), come from shard_read_raw already decoded, through
   H5Dread. Several threads may call both on one Shard at once. */
typedef struct {
    uint8_t *data; /* the caller's shard_raw_capacity bytes */
    size_t bytes;  /* stored bytes in data */
    bool deflated;
} ShardRaw;

/* The most bytes one image can take as stored: deflate output may exceed
   its input (noise), by at most zlib's compressBound. Depends only on the
   image shape. */
size_t shard_raw_capacity(const ShardInfo *info);

void shard_read_raw(Shard *shard, int64_t index, ShardRaw *raw, int32_t *label);
/* The image's height*width*channels bytes: raw->data itself when they are
   stored as is, else `image`, inflated into. Fatal, naming the file and the
   index, when the stored bytes are not exactly one image. */
const uint8_t *shard_unpack(const Shard *shard, int64_t index, const ShardRaw *raw, uint8_t *image);

/* Opens the shard and recomputes both checksums; fatal on a mismatch. */
void shard_verify(const char *path);

#ifdef __cplusplus
}
#endif

#endif
