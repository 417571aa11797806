#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L /* clock_gettime, isatty */
#endif
#include "app_util.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static uint64_t splitmix64(uint64_t *x) {
  uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

void app_rng_seed(app_rng_t *r, uint64_t seed) {
  uint64_t x = seed;
  for (int i = 0; i < 4; i++) r->s[i] = splitmix64(&x);
  r->have_spare = 0;
  r->spare = 0;
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

uint64_t app_rng_next(app_rng_t *r) {
  uint64_t *s = r->s;
  uint64_t out = rotl(s[1] * 5, 7) * 9;
  uint64_t t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl(s[3], 45);
  return out;
}

double app_rng_uniform(app_rng_t *r) { return (double)(app_rng_next(r) >> 11) * 0x1.0p-53; }

double app_rng_gaussian(app_rng_t *r) {
  if (r->have_spare) {
    r->have_spare = 0;
    return r->spare;
  }
  double u1 = 1.0 - app_rng_uniform(r); /* (0, 1]: log is finite */
  double u2 = app_rng_uniform(r);
  double rad = sqrt(-2.0 * log(u1)), th = 6.283185307179586477 * u2;
  r->spare = rad * sin(th);
  r->have_spare = 1;
  return rad * cos(th);
}

void app_rng_fill_gaussian(app_rng_t *r, float *out, int64_t n) {
  for (int64_t i = 0; i < n; i++) out[i] = (float)app_rng_gaussian(r);
}

static const double M[4][3] = {
    {0.298, 0.207, 0.208}, {0.187, 0.286, 0.173}, {-0.158, 0.189, 0.264}, {-0.184, -0.271, -0.473}};

static uint8_t to_byte(double v) {
  double b = (v + 1.0) * 0.5 * 255.0;
  if (!(b > 0)) return 0; /* also NaN */
  if (b >= 255) return 255;
  return (uint8_t)floor(b + 0.5);
}

void app_latent_to_rgb(const float *l4, uint8_t *rgb) {
  for (int c = 0; c < 3; c++) {
    double v = 0;
    for (int k = 0; k < 4; k++) v += (double)l4[k] * M[k][c];
    rgb[c] = to_byte(v);
  }
}

/* pinv(M) for M 4x3 of rank 3: (M^T M)^-1 M^T maps rgb (row 3-vector) back:
 * with rows, rgb = l M, so l = rgb (M^T M)^-1 M^T... for row vectors the
 * minimum-norm solution is l = rgb * (M^T M)^-1 * M^T (3x3 then 3x4). */
void app_rgb_to_latent(const double *rgb01, float *l4) {
  double g[3][3] = {{0}}, inv[3][3];
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 3; j++)
      for (int k = 0; k < 4; k++) g[i][j] += M[k][i] * M[k][j];
  double det = g[0][0] * (g[1][1] * g[2][2] - g[1][2] * g[2][1]) - g[0][1] * (g[1][0] * g[2][2] - g[1][2] * g[2][0]) +
               g[0][2] * (g[1][0] * g[2][1] - g[1][1] * g[2][0]);
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 3; j++) {
      int a = (j + 1) % 3, b = (j + 2) % 3, c = (i + 1) % 3, d = (i + 2) % 3;
      inv[i][j] = (g[a][c] * g[b][d] - g[a][d] * g[b][c]) / det;
    }
  double v[3], w[3] = {0, 0, 0};
  for (int c = 0; c < 3; c++) v[c] = rgb01[c] * 2.0 - 1.0;
  for (int j = 0; j < 3; j++)
    for (int i = 0; i < 3; i++) w[j] += v[i] * inv[i][j];
  for (int k = 0; k < 4; k++) {
    double s = 0;
    for (int j = 0; j < 3; j++) s += w[j] * M[k][j];
    l4[k] = (float)s;
  }
}

double app_now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void app_progress_init(app_progress_t *p, int verbose) {
  p->tty = isatty(2);
  p->verbose = verbose;
  p->dirty = 0;
}

void app_progress(app_progress_t *p, const char *fmt, ...) {
  if (!p->tty && !p->verbose) return;
  va_list ap;
  va_start(ap, fmt);
  if (p->tty) fputs("\r\033[K", stderr);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  if (!p->tty) fputc('\n', stderr);
  p->dirty = p->tty;
  fflush(stderr);
}

void app_progress_done(app_progress_t *p) {
  if (p->dirty) fputs("\r\033[K", stderr);
  p->dirty = 0;
}

int app_parse_i64(const char *s, int64_t lo, int64_t hi, int64_t *out) {
  char *end;
  errno = 0;
  long long v = strtoll(s, &end, 10);
  if (!*s || *end || errno || v < lo || v > hi) return -1;
  *out = v;
  return 0;
}

int app_parse_u64(const char *s, uint64_t *out) {
  char *end;
  errno = 0;
  if (!*s || *s == '-') return -1;
  unsigned long long v = strtoull(s, &end, 10);
  if (*end || errno) return -1;
  *out = v;
  return 0;
}

int app_parse_double(const char *s, double lo, double hi, double *out) {
  char *end;
  errno = 0;
  double v = strtod(s, &end);
  if (!*s || *end || errno || !(v >= lo && v <= hi)) return -1;
  *out = v;
  return 0;
}
