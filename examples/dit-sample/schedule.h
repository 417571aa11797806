/* The noise schedule and the two samplers' per-step coefficients, written
 * out here so the step-by-step loop in main.c is readable on its own.
 * `ingot compile --sampler` bakes the same tables into NAME_sample
 * (codegen/sampler.h has the derivation); tests/e2e/apps.sh checks the two
 * loops give the same latent.
 *
 *   betas: linear 1e-4 .. 0.02 over T = 1000 training steps (DDPM);
 *   timesteps: N evenly spaced from 999 down to 0, rounded;
 *   every step: x <- a[i] * x + b[i] * eps(c_in[i] * x, t[i]); x starts at x_scale * noise.
 *   DDIM (eta 0):  c_in = 1, a = sqrt(ab'/ab), b = sqrt(1-ab') - sqrt(ab'(1-ab)/ab)
 *   Euler (Karras, sigma = sqrt((1-ab)/ab)):  c_in = 1/sqrt(sigma^2+1), a = 1,
 *                  b = sigma_next - sigma, x_scale = sqrt(sigma_0^2 + 1) */
#ifndef DIT_SAMPLE_SCHEDULE_H
#define DIT_SAMPLE_SCHEDULE_H

enum { SAMPLER_DDIM = 1, SAMPLER_EULER = 2 };

typedef struct {
  int steps;
  float x_scale;
  float *t, *c_in, *a, *b;
} schedule_t;

int schedule_make(int sampler, int steps, schedule_t *s); /* 0 or -1 (out of memory / bad args) */
void schedule_free(schedule_t *s);

#endif
