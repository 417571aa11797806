/* Whole-sampler compilation: `ingot compile dit.onnx --sampler ddim|euler
 * --steps N --guidance G` adds one entry point to the compiled model,
 *
 *   int32_t NAME_sample(NAME_model *m, const float *noise, <cond...>, float *out_latent);
 *
 * that runs the full diffusion sampling loop in generated code: the noise
 * schedule (constant tables in the object), classifier-free guidance
 * batching, and the update rule.  The app does no per-step work.
 *
 * The schedule (shared with examples/dit-sample, which implements the same
 * loop step by step in C; tests check the two agree):
 *   - DDPM linear betas, beta_i = 1e-4 + (0.02 - 1e-4) * i / 999 for
 *     i = 0..999, alpha_bar_i = prod_{k<=i} (1 - beta_k) (in double);
 *   - N sampled timesteps evenly spaced from 999 down to 0:
 *     t_i = round(999 * (N-1-i) / (N-1)) (t_0 = 999 when N = 1);
 *   - the model predicts eps in its first C output channels (DiT with
 *     learn_sigma has 2C: the sigma half is ignored);
 *   - CFG: the model's batch 2B holds the B conditional rows then the B
 *     unconditional ones; eps = eps_u + g * (eps_c - eps_u).
 *
 * Every step is the same linear recurrence, so one generated loop serves
 * both samplers:
 *   x = x_scale * noise
 *   for i in 0..N-1:  eps = CFG(model(c_in[i] * x, t[i]));  x = a[i] * x + b[i] * eps
 *   out_latent = x
 * DDIM (eta = 0, Song et al. 2021, eq. 12):  with ab = alpha_bar[t_i] and
 *   ab' = alpha_bar[t_{i+1}] (1 after the last step), x_scale = 1, c_in = 1,
 *   a = sqrt(ab'/ab), b = sqrt(1-ab') - sqrt(ab' (1-ab) / ab).
 * Euler (Karras et al. 2022, Algorithm 1 without churn, on the VP model
 *   seen as sigma(t) = sqrt((1-ab)/ab)):  x lives in the variance-exploding
 *   space, x_scale = sqrt(sigma_0^2 + 1), c_in = 1/sqrt(sigma_i^2 + 1),
 *   a = 1, b = sigma_{i+1} - sigma_i (sigma_N = 0), so the final x is the
 *   clean latent.
 * Tables are computed in double and stored as float; the update runs in
 * float in the order written above. */
#ifndef INGOT_SAMPLER_H
#define INGOT_SAMPLER_H

#include <stdint.h>

#include "codegen/codegen.h"

#define INGOT_SAMPLER_TRAIN_STEPS 1000
#define INGOT_SAMPLER_MAX_COND 8

typedef enum { INGOT_SAMPLER_NONE = 0, INGOT_SAMPLER_DDIM = 1, INGOT_SAMPLER_EULER = 2 } ingot_sampler_kind_t;

typedef struct {
  ingot_sampler_kind_t kind;
  int steps;          /* 1..1000 */
  double guidance;    /* CFG scale g (1 = conditional only) */
  int64_t null_class; /* < 0: found from the class embedding's table size */
} ingot_sampler_opts_t;

/* Per-step tables (see above), malloc'd by ingot_sampler_schedule. */
typedef struct {
  int steps;
  float x_scale;
  float *t, *c_in, *a, *b;
} ingot_sampler_schedule_t;

ingot_status_t ingot_sampler_schedule(ingot_sampler_kind_t kind, int steps,
                                      ingot_sampler_schedule_t *out) INGOT_MUST_USE;
void ingot_sampler_schedule_free(ingot_sampler_schedule_t *s);

/* How a model's inputs map onto the loop, found from bucket 0's graph. */
typedef struct {
  ingot_sampler_opts_t o;
  int64_t batch;        /* B: samples per call (the model's batch is 2B) */
  int64_t latent_numel; /* elements of one sample's latent (C*H*W) */
  int64_t out_row_numel;/* elements of one row of output 0 (eps then maybe sigma) */
  int32_t x_input, t_input;
  int32_t ncond;
  int32_t cond_input[INGOT_SAMPLER_MAX_COND];  /* bucket input index */
  int32_t cond_dtype[INGOT_SAMPLER_MAX_COND];  /* INGOT_DT_INT64 (class) or a float type (context) */
  int64_t cond_row_numel[INGOT_SAMPLER_MAX_COND];
  char cond_name[INGOT_SAMPLER_MAX_COND][64];  /* C parameter name */
} ingot_sampler_plan_t;

/* Checks the graph is a conditional eps-prediction diffusion model the
 * sampler can drive (inputs x [2B,C,...] f32, t [2B] f32, conditioning with
 * leading dim 2B: int64 class indices, whose unconditional value is the null
 * class, or float context, whose unconditional value is zeros; output 0
 * [2B, C or 2C, ...]) and fills the plan.  Errors say what does not fit. */
ingot_status_t ingot_sampler_plan(const ingot_graph_t *g, const ingot_sampler_opts_t *o, ingot_sampler_plan_t *out)
    INGOT_MUST_USE;

/* Adds NAME_sample, driving bucket 0 (compiled from g, the graph the plan
 * was made from), to the module; call before ingot_cg_finish. */
ingot_status_t ingot_sampler_emit(ingot_cg_t *cg, const ingot_graph_t *g, const char *name,
                                  const ingot_sampler_plan_t *p) INGOT_MUST_USE;

const char *ingot_sampler_kind_name(ingot_sampler_kind_t k);

#endif
