/* make_calib MODEL_DIR NSAMPLES SEED OUT_DIR: a calibration folder for
 * `ingot compile --calibrate` / `ingot quant-report` made from a bundled
 * model's own inputs (MODEL_DIR/inputs/<input>.npy): OUT_DIR/s00 holds the
 * inputs as they are; s01.. perturb float inputs by 0.3 * their standard
 * deviation of seeded Gaussian noise, and rotate binary masks and integer
 * tensors (class labels) so they stay valid.  Built by tests/e2e/quant.sh
 * against libingot_rt.a (ingot_npy.h); no Python at test time. */
#include <dirent.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ingot_npy.h"

static unsigned rnd(unsigned *s) {
  *s = *s * 1664525u + 1013904223u;
  return *s >> 8;
}

static double gauss(unsigned *s) {
  double u1 = ((double)rnd(s) + 1) / 16777217.0, u2 = (double)rnd(s) / 16777216.0;
  return sqrt(-2 * log(u1)) * cos(6.283185307179586 * u2);
}

int main(int argc, char **argv) {
  if (argc != 5) {
    fprintf(stderr, "usage: make_calib MODEL_DIR NSAMPLES SEED OUT_DIR\n");
    return 1;
  }
  int ns = atoi(argv[2]);
  unsigned st = (unsigned)strtoul(argv[3], NULL, 10);
  char in_dir[4096];
  snprintf(in_dir, sizeof in_dir, "%s/inputs", argv[1]);
  mkdir(argv[4], 0777);
  for (int s = 0; s < ns; s++) {
    char sd[4200];
    snprintf(sd, sizeof sd, "%s/s%02d", argv[4], s);
    mkdir(sd, 0777);
    DIR *d = opendir(in_dir);
    if (!d) {
      perror(in_dir);
      return 1;
    }
    struct dirent *e;
    while ((e = readdir(d))) {
      if (!strstr(e->d_name, ".npy")) continue;
      char src[4400], dst[4400], err[256];
      snprintf(src, sizeof src, "%s/%s", in_dir, e->d_name);
      snprintf(dst, sizeof dst, "%s/%s", sd, e->d_name);
      ingot_npy_t t;
      if (ingot_npy_read(src, &t, err, sizeof err)) {
        fprintf(stderr, "%s\n", err);
        return 1;
      }
      long long n = 1;
      for (int k = 0; k < t.rank; k++) n *= t.dims[k];
      if (s > 0 && t.dtype == 1) {
        float *x = t.data;
        double sum = 0, sq = 0;
        bool binary = true;
        for (long long i = 0; i < n; i++) {
          sum += x[i];
          sq += (double)x[i] * x[i];
          binary &= x[i] == 0 || x[i] == 1;
        }
        double sdv = n ? sqrt(fmax(sq / n - (sum / n) * (sum / n), 0)) : 0;
        float *c = malloc((size_t)n * sizeof *c);
        for (long long i = 0; i < n; i++) c[i] = binary ? x[(i + s * 37) % n] : x[i] + (float)(0.3 * sdv * gauss(&st));
        memcpy(x, c, (size_t)n * sizeof *c);
        free(c);
      } else if (s > 0 && t.dtype == 7) {
        long long *x = t.data, *c = malloc((size_t)n * sizeof *c);
        for (long long i = 0; i < n; i++) c[i] = x[(i + s) % n];
        memcpy(x, c, (size_t)n * sizeof *c);
        free(c);
      }
      if (ingot_npy_write(dst, t.dtype, t.rank, t.dims, t.data, err, sizeof err)) {
        fprintf(stderr, "%s\n", err);
        return 1;
      }
      ingot_npy_free(&t);
    }
    closedir(d);
  }
  return 0;
}
