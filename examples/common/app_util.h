/* Small shared pieces of the example apps: a seeded Gaussian noise source,
 * the fixed latent <-> RGB maps, timing, and TTY progress.
 *
 * Latent <-> RGB.  The bundled models have 4-channel latents and no VAE, so
 * the apps use the fixed linear "latent preview" map that Stable Diffusion
 * front ends use to show SD latents without decoding them:
 *
 *     [R G B] = [l0 l1 l2 l3] * M,  M (4x3) = |  0.298  0.207  0.208 |
 *                                            |  0.187  0.286  0.173 |
 *                                            | -0.158  0.189  0.264 |
 *                                            | -0.184 -0.271 -0.473 |
 *
 * RGB in [-1, 1] goes to bytes as round((v + 1) / 2 * 255), clamped.  The
 * encoder that goes the other way (inpaint) is the Moore-Penrose
 * pseudo-inverse of M: for each pixel it is the smallest latent that
 * decodes to exactly that colour.  Both maps are computed in double.
 *
 * Noise.  xoshiro256** (Blackman and Vigna), seeded through splitmix64,
 * then Box-Muller.  The same seed gives the same floats on every machine. */
#ifndef APP_UTIL_H
#define APP_UTIL_H

#include <stdint.h>

typedef struct {
  uint64_t s[4];
  int have_spare;
  double spare;
} app_rng_t;

void app_rng_seed(app_rng_t *r, uint64_t seed);
uint64_t app_rng_next(app_rng_t *r);
double app_rng_uniform(app_rng_t *r);  /* [0, 1) with 53 random bits */
double app_rng_gaussian(app_rng_t *r); /* standard normal */
void app_rng_fill_gaussian(app_rng_t *r, float *out, int64_t n);

/* latent (4 values) -> 3 bytes */
void app_latent_to_rgb(const float *l4, uint8_t *rgb);
/* 3 bytes -> latent (4 values): pinv(M) */
void app_rgb_to_latent(const double *rgb01, float *l4); /* rgb01: r,g,b in [0, 1] */

double app_now_s(void);
/* Progress on stderr only when it is a terminal; verbose forces a line per
 * update even when it is not.  Lines are overwritten in place on a TTY. */
typedef struct {
  int tty, verbose, dirty;
} app_progress_t;
void app_progress_init(app_progress_t *p, int verbose);
void app_progress(app_progress_t *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void app_progress_done(app_progress_t *p);

/* Parses a whole decimal number in [lo, hi]; 0 on success. */
int app_parse_i64(const char *s, int64_t lo, int64_t hi, int64_t *out);
int app_parse_u64(const char *s, uint64_t *out);
int app_parse_double(const char *s, double lo, double hi, double *out);

#endif
