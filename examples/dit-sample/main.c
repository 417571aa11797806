/* dit-sample: class-conditional image generation with the bundled DiT,
 * compiled at build time by ingot_add_model (examples/CMakeLists.txt).
 *
 *   dit-sample --steps N --seed S --class C --guidance G [--sampler ddim|euler] -o out.png
 *              [--compiled] [--threads T] [--size PX] [--raw] [--weights FILE] [--latent-out FILE.npy] [-v]
 *
 * The loop (schedule.h has the formulas):
 *   1. x = x_scale * noise, where the noise is seeded Gaussian (app_util.h: xoshiro256** + Box-Muller);
 *   2. for each of the N steps, one model run on a batch of 2: row 0 has class C
 *      and row 1 has the null class (DIT_SAMPLER_NULL_CLASS, the embedding's extra row).
 *      Classifier-free guidance then gives eps = eps_u + G (eps_c - eps_u), from the
 *      first 4 of the 8 output channels (the other 4 are DiT's learned sigma);
 *      then x = a x + b eps;
 *   3. decode: the latent is standardised (minus its per-channel mean, over
 *      twice its standard deviation), because the bundled DiT is untrained and
 *      its latents are far off the [-1, 1] scale the map expects (--raw skips
 *      this).  Then come the fixed linear latent -> RGB map (app_util.h), a
 *      nearest-neighbour upscale from 16x16 to PX x PX (default 128), and a PNG.
 * --compiled does steps 1-2 with one call to dit_sample(), the whole sampler
 * compiled into the model (`ingot compile --sampler`).  That entry is built
 * for the sampler, step count and guidance in DIT_SAMPLER*, so other values are
 * refused.  --latent-out writes the final latent (.npy) for comparisons.
 *
 * Progress per step goes to stderr when it is a terminal (or always with -v);
 * the summary line with the total time goes to stdout. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app_util.h"
#include "dit.h"
#include "ingot_npy.h"
#include "png_io.h"
#include "schedule.h"

#ifndef DIT_SAMPLER_NULL_CLASS
#error "compile the DiT with --sampler (examples/CMakeLists.txt does): dit.h names the null class"
#endif

static const char usage[] =
    "usage: dit-sample --steps N --seed S --class C --guidance G [--sampler ddim|euler] -o out.png\n"
    "                  [--compiled] [--threads T] [--size PX] [--raw] [--weights FILE] [--latent-out FILE.npy] [-v]\n";

/* one line, like every ingot error */
static int fail_usage(const char *msg, const char *arg) {
  fprintf(stderr, "error: %s%s%s%s (see dit-sample --help)\n", msg, arg ? " '" : "", arg ? arg : "", arg ? "'" : "");
  return 1;
}

int main(int argc, char **argv) {
  int64_t steps = -1, cls = -1, size = 128, threads = 1;
  uint64_t seed = 0;
  int have_seed = 0, sampler = SAMPLER_DDIM, have_sampler = 0, compiled = 0, verbose = 0, raw = 0;
  double guidance = -1;
  const char *out_path = NULL, *latent_out = NULL, *weights = DIT_WEIGHTS;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (!strcmp(a, "--compiled")) {
      compiled = 1;
      continue;
    }
    if (!strcmp(a, "-v") || !strcmp(a, "--verbose")) {
      verbose = 1;
      continue;
    }
    if (!strcmp(a, "--raw")) {
      raw = 1;
      continue;
    }
    if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
      fputs(usage, stdout);
      return 0;
    }
    if (i + 1 >= argc || a[0] != '-') return fail_usage(a[0] == '-' ? "missing value for" : "unexpected argument", a);
    const char *v = argv[++i];
    if (!strcmp(a, "--steps")) {
      if (app_parse_i64(v, 1, 1000, &steps)) return fail_usage("--steps wants 1..1000, not", v);
    } else if (!strcmp(a, "--seed")) {
      if (app_parse_u64(v, &seed)) return fail_usage("--seed wants a whole number >= 0, not", v);
      have_seed = 1;
    } else if (!strcmp(a, "--class")) {
      if (app_parse_i64(v, 0, DIT_SAMPLER_NULL_CLASS - 1, &cls)) {
        fprintf(stderr, "error: --class wants 0..%d (the model has %d classes), not '%s'\n",
                DIT_SAMPLER_NULL_CLASS - 1, DIT_SAMPLER_NULL_CLASS, v);
        return 1;
      }
    } else if (!strcmp(a, "--guidance")) {
      if (app_parse_double(v, 0, 100, &guidance)) return fail_usage("--guidance wants a number in 0..100, not", v);
    } else if (!strcmp(a, "--sampler")) {
      if (!strcmp(v, "ddim")) sampler = SAMPLER_DDIM;
      else if (!strcmp(v, "euler")) sampler = SAMPLER_EULER;
      else return fail_usage("--sampler wants ddim or euler, not", v);
      have_sampler = 1;
    } else if (!strcmp(a, "-o")) {
      out_path = v;
    } else if (!strcmp(a, "--threads")) {
      if (app_parse_i64(v, 1, 256, &threads)) return fail_usage("--threads wants 1..256, not", v);
    } else if (!strcmp(a, "--size")) {
      if (app_parse_i64(v, 16, 4096, &size)) return fail_usage("--size wants 16..4096 pixels, not", v);
    } else if (!strcmp(a, "--weights")) {
      weights = v;
    } else if (!strcmp(a, "--latent-out")) {
      latent_out = v;
    } else {
      return fail_usage("unknown option", a);
    }
  }
  if (steps < 0 || !have_seed || cls < 0 || guidance < 0 || !out_path)
    return fail_usage("--steps, --seed, --class, --guidance and -o are required", NULL);
  if (compiled) {
    int want = !strcmp(DIT_SAMPLER, "euler") ? SAMPLER_EULER : SAMPLER_DDIM;
    if (steps != DIT_SAMPLER_STEPS || guidance != DIT_SAMPLER_GUIDANCE || (have_sampler && sampler != want)) {
      fprintf(stderr,
              "error: --compiled: dit_sample was compiled for --sampler %s --steps %d --guidance %g "
              "(recompile the model with other values to change them)\n",
              DIT_SAMPLER, DIT_SAMPLER_STEPS, (double)DIT_SAMPLER_GUIDANCE);
      return 1;
    }
    sampler = want;
  }

  /* shapes as compiled: x [2B, C, H, W], out [2B, C or 2C, H, W] */
  const ingot_rt_bucket_t *bk = &dit__descriptor.buckets[0];
  const int64_t *xd = bk->inputs[0].dims, *od = bk->outputs[0].dims;
  const int64_t B = xd[0] / 2, C = xd[1], H = xd[2], W = xd[3];
  const int64_t L = C * H * W, Lo = od[1] * H * W;
  float *noise = malloc((size_t)(B * L) * sizeof(float)), *x = malloc((size_t)(B * L) * sizeof(float));
  float *xin = malloc((size_t)(2 * B * L) * sizeof(float)), *tin = malloc((size_t)(2 * B) * sizeof(float));
  float *eps = malloc((size_t)(2 * B * Lo) * sizeof(float));
  int64_t *yin = malloc((size_t)(2 * B) * sizeof(int64_t));
  schedule_t s = {0};
  app_image_t img = {0};
  dit_model *m = NULL;
  int rc = 1;
  char err[512];
  if (!noise || !x || !xin || !tin || !eps || !yin || schedule_make(sampler, (int)steps, &s) != 0) {
    fprintf(stderr, "error: out of memory\n");
    goto out;
  }
  app_rng_t rng;
  app_rng_seed(&rng, seed);
  app_rng_fill_gaussian(&rng, noise, B * L);

  dit_options opts;
  dit_options_init(&opts);
  opts.threads = (int)threads;
  if (dit_create(&m, weights, &opts) != 0) {
    fprintf(stderr, "error: %s\n", dit_error(m));
    goto out;
  }
  app_progress_t pg;
  app_progress_init(&pg, verbose);
  double t0 = app_now_s();
  if (compiled) {
    int64_t *y = yin; /* B class labels */
    for (int64_t b = 0; b < B; b++) y[b] = cls;
    app_progress(&pg, "[dit-sample] %lld %s steps in dit_sample()...", (long long)steps, DIT_SAMPLER);
    if (dit_sample(m, noise, y, x) != 0) {
      app_progress_done(&pg);
      fprintf(stderr, "error: %s\n", dit_error(m));
      goto out;
    }
  } else {
    const float g = (float)guidance;
    for (int64_t j = 0; j < B * L; j++) x[j] = s.x_scale * noise[j];
    for (int64_t b = 0; b < B; b++) {
      yin[b] = cls;
      yin[B + b] = DIT_SAMPLER_NULL_CLASS;
    }
    for (int i = 0; i < s.steps; i++) {
      double ts = app_now_s();
      for (int64_t j = 0; j < B * L; j++) xin[j] = xin[B * L + j] = s.c_in[i] * x[j];
      for (int64_t b = 0; b < 2 * B; b++) tin[b] = s.t[i];
      if (dit_run(m, xin, tin, yin, eps) != 0) {
        app_progress_done(&pg);
        fprintf(stderr, "error: step %d: %s\n", i + 1, dit_error(m));
        goto out;
      }
      for (int64_t b = 0; b < B; b++)
        for (int64_t j = 0; j < L; j++) {
          float ec = eps[b * Lo + j], eu = eps[(B + b) * Lo + j];
          float e = eu + g * (ec - eu);
          x[b * L + j] = s.a[i] * x[b * L + j] + s.b[i] * e;
        }
      app_progress(&pg, "[dit-sample] step %d/%d  t=%-4.0f %.2f ms", i + 1, s.steps, (double)s.t[i],
                   (app_now_s() - ts) * 1e3);
    }
  }
  double total = app_now_s() - t0;
  app_progress_done(&pg);

  if (latent_out) {
    int64_t dims[4] = {B, C, H, W};
    if (ingot_npy_write(latent_out, 1 /* float32 */, 4, dims, x, err, sizeof err) != 0) {
      fprintf(stderr, "error: %s\n", err);
      goto out;
    }
  }
  /* decode sample 0: 4 latent channels -> RGB, nearest upscale to size x size */
  if (C != 4) {
    fprintf(stderr, "error: the latent has %lld channels; the RGB map wants 4\n", (long long)C);
    goto out;
  }
  if (app_image_alloc(&img, (int)size, (int)size, 3) != 0) {
    fprintf(stderr, "error: out of memory\n");
    goto out;
  }
  /* standardise (see the top of the file), then the fixed map */
  double mean[4] = {0, 0, 0, 0}, var = 0;
  for (int k = 0; k < 4; k++) {
    for (int64_t j = 0; j < H * W; j++) mean[k] += x[k * H * W + j];
    mean[k] /= (double)(H * W);
    for (int64_t j = 0; j < H * W; j++) var += (x[k * H * W + j] - mean[k]) * (x[k * H * W + j] - mean[k]);
  }
  double scale = raw ? 1.0 : var > 0 ? 1.0 / (2.0 * sqrt(var / (double)(4 * H * W))) : 0.0;
  if (raw) mean[0] = mean[1] = mean[2] = mean[3] = 0;
  for (int64_t py = 0; py < size; py++)
    for (int64_t px = 0; px < size; px++) {
      int64_t ly = py * H / size, lx = px * W / size;
      float l4[4];
      for (int k = 0; k < 4; k++) l4[k] = (float)((x[k * H * W + ly * W + lx] - mean[k]) * scale);
      app_latent_to_rgb(l4, img.pixels + (py * size + px) * 3);
    }
  if (app_png_write(out_path, &img, err, sizeof err) != 0) {
    fprintf(stderr, "error: %s\n", err);
    goto out;
  }
  printf("dit-sample: class %lld, seed %llu, %lld %s steps%s, guidance %g, %lld thread(s): %.1f ms (%.2f ms/step)"
         " -> %s\n",
         (long long)cls, (unsigned long long)seed, (long long)steps, sampler == SAMPLER_DDIM ? "ddim" : "euler",
         compiled ? " (compiled sampler)" : "", guidance, (long long)threads, total * 1e3, total * 1e3 / (double)steps,
         out_path);
  rc = 0;
out:
  dit_destroy(m);
  schedule_free(&s);
  app_image_free(&img);
  free(noise);
  free(x);
  free(xin);
  free(tin);
  free(eps);
  free(yin);
  return rc;
}
