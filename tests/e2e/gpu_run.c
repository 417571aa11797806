/* A test program linked against a GPU artifact (libNAME.a + libingot_rt.a),
 * built by tests/e2e/gpu_exec.sh with
 *   cc -DDESC=NAME__descriptor gpu_run.c libNAME.a libingot_rt.a -lm -lpthread -ldl
 * usage:
 *   gpu_run                                     probe: "sm_XX NAME" and exit 0, or why not and exit 2
 *   gpu_run WEIGHTS|- INPUT_DIR OUTPUT_DIR [N]  run bucket 0 on device $INGOT_DEVICE (default 0):
 *                                               N timed runs after one warm-up; writes the outputs
 *                                               and prints "time: median MS ms (min MS) over N runs" */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ingot_npy.h"
#include "ingot_rt.h"

extern const ingot_rt_model_desc_t DESC;

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
  char msg[512];
  int sm = 0;
  if (argc == 1) {
    if (ingot_rt_cuda_probe(0, &sm, msg, sizeof msg) != INGOT_RT_OK) {
      printf("%s\n", msg);
      return 2;
    }
    printf("sm_%d %s\n", sm, msg);
    return 0;
  }
  if (argc < 4) {
    fprintf(stderr, "usage: gpu_run [WEIGHTS|- INPUT_DIR OUTPUT_DIR [N]]\n");
    return 1;
  }
  int iters = argc > 4 ? atoi(argv[4]) : 0;
  if (iters < 0 || iters > 100000) iters = 0;
  const ingot_rt_model_desc_t *d = &DESC;
  ingot_rt_options_t o;
  ingot_rt_options_init(&o);
  const char *dev = getenv("INGOT_DEVICE");
  o.device = dev ? atoi(dev) : 0;
  ingot_rt_model_t *m = NULL;
  if (ingot_rt_model_create(d, strcmp(argv[1], "-") ? argv[1] : NULL, &o, &m) != INGOT_RT_OK) {
    fprintf(stderr, "error: %s\n", ingot_rt_last_error(m));
    ingot_rt_model_destroy(m);
    return 1;
  }
  const ingot_rt_bucket_t *b = &d->buckets[0];
  ingot_npy_t in[16];
  void *inp[16], *outp[16];
  char path[4096], err[512];
  for (int i = 0; i < b->ninputs && i < 16; i++) {
    snprintf(path, sizeof path, "%s/%s.npy", argv[2], b->inputs[i].name);
    if (ingot_npy_read(path, &in[i], err, sizeof err)) {
      fprintf(stderr, "error: %s\n", err);
      return 1;
    }
    inp[i] = in[i].data;
  }
  for (int i = 0; i < b->noutputs && i < 16; i++) {
    int64_t n = 1;
    for (int r = 0; r < b->outputs[i].rank; r++) n *= b->outputs[i].dims[r];
    outp[i] = calloc((size_t)n, 8);
  }
  double *t = calloc((size_t)iters + 1, sizeof *t);
  for (int it = 0; it <= iters; it++) {
    double t0 = now_ms();
    if (ingot_rt_model_run(m, 0, inp, outp) != INGOT_RT_OK) {
      fprintf(stderr, "error: %s\n", ingot_rt_last_error(m));
      return 1;
    }
    if (it > 0) t[it - 1] = now_ms() - t0;
  }
  if (iters > 0) {
    qsort(t, (size_t)iters, sizeof *t, cmp);
    printf("time: median %.3f ms (min %.3f) over %d runs, host<->device copies included\n", t[iters / 2], t[0], iters);
  }
  for (int i = 0; i < b->noutputs && i < 16; i++) {
    snprintf(path, sizeof path, "%s/%s.npy", argv[3], b->outputs[i].name);
    if (ingot_npy_write(path, b->outputs[i].dtype, b->outputs[i].rank, b->outputs[i].dims, outp[i], err, sizeof err)) {
      fprintf(stderr, "error: %s\n", err);
      return 1;
    }
    free(outp[i]);
  }
  for (int i = 0; i < b->ninputs && i < 16; i++) ingot_npy_free(&in[i]);
  free(t);
  ingot_rt_model_destroy(m);
  return 0;
}
