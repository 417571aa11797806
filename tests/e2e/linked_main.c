/* A test program statically linked against a compiled model (libNAME.a +
 * libingot_rt.a), built by tests/e2e/compile_models.sh with
 *   cc -DDESC=NAME__descriptor linked_main.c libNAME.a libingot_rt.a
 * usage: linked_main WEIGHTS|- THREADS INPUT_DIR OUTPUT_DIR
 * Reads INPUT_DIR/<input>.npy for every input, runs bucket matching their
 * shapes, writes OUTPUT_DIR/<output>.npy. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ingot_npy.h"
#include "ingot_rt.h"

extern const ingot_rt_model_desc_t DESC;

int main(int argc, char **argv) {
  if (argc != 5) {
    fprintf(stderr, "usage: linked_main WEIGHTS|- THREADS INPUT_DIR OUTPUT_DIR\n");
    return 1;
  }
  const ingot_rt_model_desc_t *d = &DESC;
  ingot_rt_options_t o;
  ingot_rt_options_init(&o);
  o.threads = atoi(argv[2]);
  ingot_rt_model_t *m = NULL;
  if (ingot_rt_model_create(d, strcmp(argv[1], "-") ? argv[1] : NULL, &o, &m) != INGOT_RT_OK) {
    fprintf(stderr, "error: %s\n", ingot_rt_last_error(m));
    ingot_rt_model_destroy(m);
    return 1;
  }
  const ingot_rt_bucket_t *b0 = &d->buckets[0];
  ingot_npy_t in[16];
  void *inp[16], *outp[16];
  const int64_t *dims[16];
  int32_t ranks[16];
  char path[4096], err[512];
  for (int i = 0; i < b0->ninputs; i++) {
    snprintf(path, sizeof path, "%s/%s.npy", argv[3], b0->inputs[i].name);
    if (ingot_npy_read(path, &in[i], err, sizeof err)) {
      fprintf(stderr, "error: %s\n", err);
      return 1;
    }
    inp[i] = in[i].data;
    dims[i] = in[i].dims;
    ranks[i] = in[i].rank;
  }
  int b = ingot_rt_model_find_bucket(m, dims, ranks);
  if (b < 0) {
    fprintf(stderr, "error: no bucket for these input shapes\n");
    return 1;
  }
  const ingot_rt_bucket_t *bk = &d->buckets[b];
  for (int i = 0; i < bk->noutputs; i++) {
    int64_t n = 1;
    for (int r = 0; r < bk->outputs[i].rank; r++) n *= bk->outputs[i].dims[r];
    outp[i] = calloc((size_t)n, 8);
  }
  if (ingot_rt_model_run(m, b, inp, outp) != INGOT_RT_OK) {
    fprintf(stderr, "error: %s\n", ingot_rt_last_error(m));
    return 1;
  }
  for (int i = 0; i < bk->noutputs; i++) {
    snprintf(path, sizeof path, "%s/%s.npy", argv[4], bk->outputs[i].name);
    if (ingot_npy_write(path, bk->outputs[i].dtype, bk->outputs[i].rank, bk->outputs[i].dims, outp[i], err, sizeof err)) {
      fprintf(stderr, "error: %s\n", err);
      return 1;
    }
    free(outp[i]);
  }
  for (int i = 0; i < b0->ninputs; i++) ingot_npy_free(&in[i]);
  ingot_rt_model_destroy(m);
  return 0;
}
