#include "h5_edit.h"

#include <check.h>

static hid_t open_rw(const char *path) {
    hid_t file = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    ck_assert_msg(file >= 0, "cannot open '%s' for writing", path);
    return file;
}

void edit_int_attribute(const char *path, const char *name, int value) {
    hid_t file = open_rw(path);
    hid_t attribute = H5Aopen(file, name, H5P_DEFAULT);
    ck_assert_int_ge(H5Awrite(attribute, H5T_NATIVE_INT, &value), 0);
    H5Aclose(attribute);
    H5Fclose(file);
}

void edit_replace_dataset(const char *path, const char *name, hid_t type, int rank, const hsize_t *dims) {
    hid_t file = open_rw(path);
    ck_assert_int_ge(H5Ldelete(file, name, H5P_DEFAULT), 0);
    hid_t space = H5Screate_simple(rank, dims, NULL);
    hid_t set = H5Dcreate2(file, name, type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    ck_assert_int_ge(set, 0);
    H5Dclose(set);
    H5Sclose(space);
    H5Fclose(file);
}

void edit_overwrite(const char *path, const char *name, int64_t index, const void *value, hid_t type) {
    hid_t file = open_rw(path);
    hid_t set = H5Dopen2(file, name, H5P_DEFAULT);
    hid_t file_space = H5Dget_space(set);
    int rank = H5Sget_simple_extent_ndims(file_space);
    ck_assert(rank >= 1 && rank <= 4);
    hsize_t start[4] = {(hsize_t)index, 0, 0, 0}, count[4];
    H5Sget_simple_extent_dims(file_space, count, NULL);
    count[0] = 1;
    H5Sselect_hyperslab(file_space, H5S_SELECT_SET, start, NULL, count, NULL);
    hid_t memory_space = H5Screate_simple(rank, count, NULL);
    ck_assert_int_ge(H5Dwrite(set, type, memory_space, file_space, H5P_DEFAULT, value), 0);
    H5Sclose(memory_space);
    H5Sclose(file_space);
    H5Dclose(set);
    H5Fclose(file);
}

void edit_replace_chunk(const char *path, const char *name, int64_t index, uint32_t skipped_filters,
                        const void *bytes, size_t size) {
    hid_t file = open_rw(path);
    hid_t set = H5Dopen2(file, name, H5P_DEFAULT);
    ck_assert_int_ge(set, 0);
    hsize_t offset[4] = {(hsize_t)index, 0, 0, 0};
    ck_assert_int_ge(H5Dwrite_chunk(set, H5P_DEFAULT, skipped_filters, offset, size, bytes), 0);
    H5Dclose(set);
    H5Fclose(file);
}
