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

/* Opens the shard and recomputes both checksums; fatal on a mismatch. */
void shard_verify(const char *path);

#ifdef __cplusplus
}
#endif

#endif
