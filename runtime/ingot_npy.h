/* NumPy .npy files: read and write, for model inputs, outputs and tests.
 *
 *   ingot_npy_t t;
 *   char err[256];
 *   if (ingot_npy_read("inputs/x.npy", &t, err, sizeof err) != 0) {
 *     fprintf(stderr, "error: %s\n", err);   // "inputs/x.npy: truncated data ..."
 *     return 1;
 *   }
 *   float *x = t.data;                        // t.dtype == 1 (float32), C order
 *   ... t.rank, t.dims[0..rank-1], t.nbytes ...
 *   ingot_npy_write("out.npy", t.dtype, t.rank, t.dims, x, err, sizeof err);
 *   ingot_npy_free(&t);
 *
 * Part of libingot_rt: depends on libc only, so it reports errors as a return
 * code (0 ok, -1 error) plus a one-line message in the caller's buffer that
 * names the file (or buffer name) and the problem.  No allocation happens on
 * an error path, and nothing is allocated beyond what the file's size
 * justifies.
 *
 * Format (numpy/lib/format.py, NEP 1): "\x93NUMPY", major, minor, a header
 * length (2 bytes little-endian for 1.0, 4 bytes for 2.0 and 3.0), a Python
 * dict literal {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }
 * padded with spaces and a '\n', then the raw data.  Supported: versions
 * 1.0, 2.0, 3.0; little-endian (or native '=') f2 f4 f8 i1 i2 i4 i8 u1 u2 u4
 * u8 b1; C order only.  Ownership: data from a read is the caller's, freed
 * with ingot_npy_free. */
#ifndef INGOT_NPY_H
#define INGOT_NPY_H

#include <stddef.h>
#include <stdint.h>

#define INGOT_NPY_MAX_RANK 8

typedef struct {
  int dtype;      /* ONNX TensorProto.DataType code: 1 float32, 10 float16, 11 float64,
                     3 int8, 5 int16, 6 int32, 7 int64, 2 uint8, 4 uint16, 12 uint32,
                     13 uint64, 9 bool (stored as bytes 0/1) */
  int rank;       /* 0 for a scalar */
  int64_t dims[INGOT_NPY_MAX_RANK];
  void *data;     /* nbytes of C-order data (never NULL after a successful read) */
  size_t nbytes;
} ingot_npy_t;

/* Reads a whole .npy file.  0 on success; -1 with a message in err
 * (err may be NULL or errlen 0 to discard it) and *out zeroed. */
int ingot_npy_read(const char *path, ingot_npy_t *out, char *err, size_t errlen);

/* Same, from memory; name is used in messages (NULL: "<buffer>").  The data is
 * copied, so buf may be freed afterwards. */
int ingot_npy_read_buffer(const void *buf, size_t len, const char *name, ingot_npy_t *out, char *err,
                          size_t errlen);

/* Writes a version 1.0 file the way numpy.save does (header padded to 64
 * bytes, ending in '\n').  data holds numel * itemsize bytes (may be NULL
 * when numel is 0).  A partly written file is removed on error. */
int ingot_npy_write(const char *path, int dtype, int rank, const int64_t *dims, const void *data, char *err,
                    size_t errlen);

/* Frees t->data and zeroes *t.  NULL is fine. */
void ingot_npy_free(ingot_npy_t *t);

/* Bytes per element of a dtype code ingot_npy handles; 0 for any other. */
size_t ingot_npy_dtype_size(int dtype);

#endif
