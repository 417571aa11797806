#include "schedule.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define TRAIN_STEPS 1000

void schedule_free(schedule_t *s) {
  free(s->t);
  free(s->c_in);
  free(s->a);
  free(s->b);
  memset(s, 0, sizeof *s);
}

int schedule_make(int sampler, int steps, schedule_t *s) {
  memset(s, 0, sizeof *s);
  if (steps < 1 || steps > TRAIN_STEPS || (sampler != SAMPLER_DDIM && sampler != SAMPLER_EULER)) return -1;
  double alpha_bar[TRAIN_STEPS];
  double prod = 1.0;
  for (int i = 0; i < TRAIN_STEPS; i++) {
    prod *= 1.0 - (1e-4 + (0.02 - 1e-4) * (double)i / (double)(TRAIN_STEPS - 1));
    alpha_bar[i] = prod;
  }
  s->steps = steps;
  s->t = calloc((size_t)steps, sizeof(float));
  s->c_in = calloc((size_t)steps, sizeof(float));
  s->a = calloc((size_t)steps, sizeof(float));
  s->b = calloc((size_t)steps, sizeof(float));
  if (!s->t || !s->c_in || !s->a || !s->b) {
    schedule_free(s);
    return -1;
  }
  /* timestep of step i, and alpha_bar after the step (1 = clean) */
#define TS(i) (steps == 1 ? TRAIN_STEPS - 1 : (int)floor(999.0 * (double)(steps - 1 - (i)) / (double)(steps - 1) + 0.5))
  for (int i = 0; i < steps; i++) {
    double ab = alpha_bar[TS(i)], ab_next = i + 1 < steps ? alpha_bar[TS(i + 1)] : 1.0;
    s->t[i] = (float)TS(i);
    if (sampler == SAMPLER_DDIM) {
      s->c_in[i] = 1.0f;
      s->a[i] = (float)sqrt(ab_next / ab);
      s->b[i] = (float)(sqrt(1.0 - ab_next) - sqrt(ab_next * (1.0 - ab) / ab));
    } else {
      double sigma = sqrt((1.0 - ab) / ab), sigma_next = sqrt((1.0 - ab_next) / ab_next);
      s->c_in[i] = (float)(1.0 / sqrt(sigma * sigma + 1.0));
      s->a[i] = 1.0f;
      s->b[i] = (float)(sigma_next - sigma);
      if (i == 0) s->x_scale = (float)sqrt(sigma * sigma + 1.0);
    }
  }
#undef TS
  if (sampler == SAMPLER_DDIM) s->x_scale = 1.0f;
  return 0;
}
