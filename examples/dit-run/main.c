/* dit-run: the smallest useful app around a compiled model.
 *
 *   dit-run X.npy T.npy Y.npy OUT.npy [--threads N] [--weights dit.weights]
 *
 * Loads the inputs, runs the DiT compiled at build time (dit.h, libdit.a,
 * see examples/CMakeLists.txt), and writes the output.  Only libingot_rt and
 * libc are involved at run time: no ingot, ONNX or LLVM. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dit.h"
#include "ingot_npy.h"

static int load(const char *path, int dtype, const int64_t *dims, int rank, ingot_npy_t *t) {
  char err[512];
  if (ingot_npy_read(path, t, err, sizeof err) != 0) {
    fprintf(stderr, "error: %s\n", err);
    return -1;
  }
  int ok = t->dtype == dtype && t->rank == rank;
  for (int i = 0; ok && i < rank; i++) ok = t->dims[i] == dims[i];
  if (!ok) {
    fprintf(stderr, "error: %s: wrong dtype or shape for this model (see dit.h)\n", path);
    return -1;
  }
  return 0;
}

int main(int argc, char **argv) {
  const char *weights = DIT_WEIGHTS;
  int threads = 1;
  const char *files[4];
  int nf = 0;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--threads") && i + 1 < argc) threads = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--weights") && i + 1 < argc) weights = argv[++i];
    else if (nf < 4) files[nf++] = argv[i];
  }
  if (nf != 4 || threads < 1) {
    fprintf(stderr, "usage: dit-run X.npy T.npy Y.npy OUT.npy [--threads N] [--weights FILE]\n");
    return 1;
  }
  /* shapes as compiled (dit.h documents them) */
  const ingot_rt_io_t *in = dit__descriptor.buckets[0].inputs;
  const ingot_rt_io_t *out = dit__descriptor.buckets[0].outputs;
  ingot_npy_t x, t, y;
  if (load(files[0], in[0].dtype, in[0].dims, in[0].rank, &x) || load(files[1], in[1].dtype, in[1].dims, in[1].rank, &t) ||
      load(files[2], in[2].dtype, in[2].dims, in[2].rank, &y))
    return 1;
  int64_t n = 1;
  for (int i = 0; i < out[0].rank; i++) n *= out[0].dims[i];
  float *result = malloc((size_t)n * sizeof *result);
  dit_options opts;
  dit_options_init(&opts);
  opts.threads = threads;
  dit_model *m = NULL;
  int rc = 0;
  if (!result || dit_create(&m, weights, &opts) != 0) {
    fprintf(stderr, "error: %s\n", result ? dit_error(m) : "out of memory");
    rc = 1;
  } else if (dit_run(m, x.data, t.data, y.data, result) != 0) {
    fprintf(stderr, "error: %s\n", dit_error(m));
    rc = 1;
  } else {
    char err[512];
    if (ingot_npy_write(files[3], out[0].dtype, out[0].rank, out[0].dims, result, err, sizeof err) != 0) {
      fprintf(stderr, "error: %s\n", err);
      rc = 1;
    } else {
      printf("wrote %s (%lld values)\n", files[3], (long long)n);
    }
  }
  dit_destroy(m);
  free(result);
  ingot_npy_free(&x);
  ingot_npy_free(&t);
  ingot_npy_free(&y);
  return rc;
}
