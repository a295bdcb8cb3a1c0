/* Arrays from NumPy .npz files: zip archives of .npy files, one per array, as
 * np.savez (stored) and np.savez_compressed (deflated) write them. They carry
 * the downsampled-ImageNet batches: 'data' uint8 [N, 3*H*W], each row one
 * image in CHW order, 'labels' int64 [N], 1-based, and 'mean' in training
 * batches. A batch's 'data' is about 1.5 GB, so an array is read as a stream
 * of rows rather than loaded whole.
 *
 * Read: .npy versions 1.0, 2.0 and 3.0, C order, the little-endian dtypes
 * |u1 (or <u1), <i4 and <i8. Everything else (a missing file or array, a
 * truncated zip, a header that does not parse, another dtype, big-endian or
 * object arrays, Fortran order, data shorter or longer than the shape, a read
 * that fails or a CRC that libzip finds wrong) is fatal with a message naming
 * the file, the array and the header field or row.
 *
 * Write: what np.savez writes, for the ADM evaluator's sample batches and
 * EDM's reference statistics. */
#ifndef DISCO_NPZ_H
#define DISCO_NPZ_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum { NPY_U8, NPY_I32, NPY_I64, NPY_F64 } NpyType; /* the reader takes the integer types */

#define NPY_MAX_DIMS 8

typedef struct {
    NpyType type;
    int item_size; /* bytes per element: 1, 4 or 8 */
    int ndim;
    int64_t shape[NPY_MAX_DIMS];
    int64_t rows;      /* shape[0]; 1 for a 0-d array */
    int64_t row_bytes; /* product(shape[1:]) * item_size */
} NpyInfo;

/* One array, open for reading. Not shared between threads: each holds its own
   handle on the archive, so threads open the array once each. */
typedef struct NpzArray NpzArray;

/* Opens the array `name` (the entry "name.npy") and checks its header. */
NpzArray *npz_open_array(const char *npz_path, const char *name);
const NpyInfo *npz_array_info(const NpzArray *a);

/* Reads rows [first, first + count) into out (count * row_bytes bytes, as
   stored: little-endian). Reading on from where the last read ended is a plain
   stream read. A stored entry seeks to any other row; a deflated one cannot,
   so a later row inflates and discards the rows between, and an earlier row
   reopens the entry and inflates from its start. libzip checks the CRC when a
   read reaches the end of an entry read from its start without seeking. */
void npz_array_read_rows(NpzArray *a, int64_t first, int64_t count, void *out);
void npz_array_close(NpzArray *a);

/* A whole small array (labels), any integer dtype above, as malloc'd int64;
   count receives the number of elements. */
int64_t *npz_read_int64(const char *npz_path, const char *name, int64_t *count);

/* One array to write: C order, little-endian as the host holds it. */
typedef struct {
    const char *name; /* the entry is "name.npy" */
    NpyType type;
    int ndim;
    int64_t shape[NPY_MAX_DIMS];
    const void *data;
} NpyArrayOut;

/* Writes the arrays as np.savez does: stored entries, .npy version 1.0 with
   the header padded to 64 bytes; under "<path>.tmp", synced, then renamed.
   The data are not copied; zip64 takes over past 4 GiB. Entries carry a
   fixed date, so the same arrays always make the same bytes. */
void npz_write(const char *path, const NpyArrayOut *arrays, int count);

#ifdef __cplusplus
}
#endif

#endif
