/* ingot quant-report --trajectory: how the quantized model's error grows
 * along a whole sampling run, as JSON a CI can gate on.
 *
 *   ingot quant-report MODEL.onnx --quantize MODE --calibrate DIR --trajectory
 *         [--sampler ddim|euler] [--steps N] [--guidance G] [--seed S] [--class C]
 *         [--max-rel-l2 E] [other quantization options]
 *
 * Two sampling loops run side by side in the reference evaluator, one with
 * the float32 graph and one with the quantized graph.  Both start from the
 * same seeded noise and use the loop that `ingot compile --sampler` generates
 * (codegen/sampler.h: linear betas, DDIM or Euler, classifier-free guidance on
 * the model's doubled batch).  The conditioning is the first half of
 * calibration sample 0's rows.  --class C replaces class indices with C.  At
 * every step the report gives:
 *   - latent_rel_l2: the quantized trajectory's latent against the float32 one
 *     after the step (the error that accumulates);
 *   - eps_rel_l2: the quantized model's output against the float32 model's on
 *     the same input (the float32 trajectory's), i.e. this step's own error;
 *   - layers: each quantized layer's output against float32 on that same
 *     input: rel L2, SQNR (dB) and max abs.
 * With --max-rel-l2 E, "pass" says whether the final latent's error is at most
 * E, and the exit code is 1 when it is not.  Every run is single-threaded in
 * the evaluator, so the numbers are deterministic. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "codegen/sampler.h"
#include "interp/interp.h"
#include "passes/quantize.h"
#include "tools/cli.h"
#include "tools/quant_cli.h"

typedef struct {
  int32_t out_f, out_q; /* output indices in the fp32 / quantized graphs */
  const ingot_qlayer_t *l;
} traj_layer_t;

/* splitmix64 + Box-Muller: seeded Gaussian noise */
static double gauss(uint64_t *s, int *have, double *spare) {
  if (*have) {
    *have = 0;
    return *spare;
  }
  double u[2];
  for (int k = 0; k < 2; k++) {
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    z ^= z >> 31;
    u[k] = (double)(z >> 11) * 0x1.0p-53;
  }
  double r = sqrt(-2.0 * log(1.0 - u[0])), th = 6.283185307179586477 * u[1];
  *spare = r * sin(th);
  *have = 1;
  return r * cos(th);
}

static void release_all(ingot_tensor_t *t, uint32_t n) {
  for (uint32_t i = 0; i < n; i++) ingot_tensor_release(&t[i]);
}

/* eps = eps_u + g (eps_c - eps_u); x = a x + b eps (float, as the generated loop) */
static void update(const ingot_sampler_plan_t *p, const ingot_sampler_schedule_t *s, int i, const float *eps,
                   float *x) {
  const int64_t B = p->batch, L = p->latent_numel, Lo = p->out_row_numel;
  const float g = (float)p->o.guidance;
  for (int64_t b = 0; b < B; b++)
    for (int64_t j = 0; j < L; j++) {
      float ec = eps[b * Lo + j], eu = eps[(B + b) * Lo + j];
      float e = eu + g * (ec - eu);
      x[b * L + j] = s->a[i] * x[b * L + j] + s->b[i] * e;
    }
}

static void model_input(const ingot_sampler_plan_t *p, const ingot_sampler_schedule_t *s, int i, const float *x,
                        ingot_tensor_t *in) {
  const int64_t BL = p->batch * p->latent_numel;
  float *xin = in[p->x_input].data, *tin = in[p->t_input].data;
  for (int64_t j = 0; j < BL; j++) xin[j] = xin[BL + j] = s->c_in[i] * x[j];
  for (int64_t b = 0; b < 2 * p->batch; b++) tin[b] = s->t[i];
}

int cmd_quant_trajectory(int argc, char **argv) {
  const char *path = NULL;
  quant_cli_t qc;
  quant_cli_init(&qc);
  ingot_sampler_opts_t so = {INGOT_SAMPLER_DDIM, 20, 4.0, -1};
  uint64_t seed = 0;
  int64_t cls = -1;
  double gate = -1;
  for (int i = 1; i < argc; i++) {
    int r = quant_cli_option(&qc, "quant-report", argc, argv, &i);
    if (r < 0) {
      quant_cli_free(&qc);
      return 1;
    }
    if (r > 0) continue;
    const char *a = argv[i];
    if (!strcmp(a, "--trajectory") || !strcmp(a, "--json")) continue; /* the trajectory is always JSON */
    if (a[0] != '-') {
      if (path) {
        quant_cli_free(&qc);
        return cli_usage("quant-report", "more than one model given");
      }
      path = a;
      continue;
    }
    static const char *const opts[] = {"--sampler", "--steps", "--guidance", "--seed", "--class", "--max-rel-l2", NULL};
    int k = 0;
    while (opts[k] && strcmp(a, opts[k])) k++;
    if (!opts[k] || i + 1 >= argc) {
      quant_cli_free(&qc);
      return cli_usage("quant-report", opts[k] ? "%s needs a value" : "unknown option '%s'", a);
    }
    const char *v = argv[++i];
    char *end;
    double d = strtod(v, &end);
    int okn = *v && !*end && d >= 0 && isfinite(d);
    if (k == 0) {
      so.kind = !strcmp(v, "ddim") ? INGOT_SAMPLER_DDIM : !strcmp(v, "euler") ? INGOT_SAMPLER_EULER : 0;
      okn = so.kind != 0;
    } else if (k == 1) {
      okn = okn && d >= 1 && d <= INGOT_SAMPLER_TRAIN_STEPS && d == floor(d);
      so.steps = (int)d;
    } else if (k == 2) {
      okn = okn && d <= 100;
      so.guidance = d;
    } else if (k == 3) {
      okn = okn && d == floor(d) && d < 1.8e19;
      seed = okn ? (uint64_t)d : 0;
    } else if (k == 4) {
      okn = okn && d == floor(d) && d < 1e9;
      cls = (int64_t)d;
    } else {
      gate = d;
    }
    if (!okn) {
      quant_cli_free(&qc);
      return cli_usage("quant-report", "%s: bad value '%s'", a, v);
    }
  }
  ingot_quant_t *q = &qc.q;
  if (!path || !q->mode || !q->calib_dir) {
    quant_cli_free(&qc);
    return cli_usage("quant-report",
                     "usage: ingot quant-report MODEL.onnx --quantize MODE --calibrate DIR --trajectory "
                     "[--sampler ddim|euler] [--steps N] [--guidance G] [--seed S] [--class C] [--max-rel-l2 E]");
  }
  if (q->save_scales) {
    quant_cli_free(&qc);
    return cli_usage("quant-report", "--save-scales is an option of ingot compile");
  }
  int rc = quant_cli_check(&qc, "quant-report", true);
  if (rc) {
    quant_cli_free(&qc);
    return rc;
  }
  ingot_graph_t *gf = NULL, *gq = NULL;
  ingot_calib_set_t cs = {0};
  ingot_sampler_plan_t p;
  ingot_sampler_schedule_t s = {0};
  traj_layer_t *layers = NULL;
  ingot_tensor_t in[64], of[1024], oq[1024];
  memset(in, 0, sizeof in);
  memset(of, 0, sizeof of);
  memset(oq, 0, sizeof oq);
  float *noise = NULL, *xf = NULL, *xq = NULL;
  int nl = 0;
  ingot_status_t st = ingot_quant_prepare(q, path, NULL);
  if (!st) st = ingot_quant_load_fp32(path, NULL, &gf);
  if (!st) st = ingot_calib_load(gf, q->calib_dir, &cs);
  if (!st) {
    ingot_graph_free(gf);
    gf = NULL;
    st = ingot_quant_load_fp32(path, &cs, &gf);
  }
  if (!st) st = ingot_quant_load_quantized(path, &cs, q, &gq);
  if (!st) st = ingot_sampler_plan(gf, &so, &p);
  if (!st) st = ingot_sampler_schedule(p.o.kind, p.o.steps, &s);
  if (!st && gf->ninputs > 64) st = ingot_error(INGOT_CODE_UNSUPPORTED, "more than 64 inputs");
  if (!st) {
    layers = calloc((size_t)q->nlayers + 1, sizeof *layers);
    if (!layers) st = ingot_error(INGOT_CODE_NOMEM, "out of memory");
  }
  for (int i = 0; !st && i < q->nlayers; i++) {
    traj_layer_t *l = &layers[nl];
    l->l = &q->layers[i];
    st = quant_cli_expose(gf, l->l->output, &l->out_f);
    if (!st) st = quant_cli_expose(gq, l->l->output, &l->out_q);
    if (!st && l->out_f >= 0 && l->out_q >= 0) nl++;
  }
  if (!st && (gf->noutputs > 1024 || gq->noutputs > 1024)) st = ingot_error(INGOT_CODE_UNSUPPORTED, "too many layers");
  /* inputs: x and t rewritten each step; conditioning from calibration sample 0 (first half), then unconditional */
  const int64_t B = st ? 0 : p.batch, BL = st ? 0 : p.batch * p.latent_numel;
  for (uint32_t i = 0; !st && i < gf->ninputs; i++) {
    const ingot_tensor_t *c0 = &cs.inputs[i];
    st = ingot_tensor_alloc(&in[i], c0->dtype, c0->rank, c0->dims);
    if (st) break;
    for (int k = 0; k < p.ncond; k++) {
      if (p.cond_input[k] != (int32_t)i) continue;
      int64_t half = B * p.cond_row_numel[k];
      for (int64_t j = 0; j < half; j++) {
        if (p.cond_dtype[k] == INGOT_DT_INT64) {
          ((int64_t *)in[i].data)[j] = cls >= 0 ? cls : ((const int64_t *)c0->data)[j];
          ((int64_t *)in[i].data)[half + j] = p.o.null_class;
        } else {
          ((float *)in[i].data)[j] = ((const float *)c0->data)[j];
        }
      }
    }
  }
  if (!st) {
    noise = malloc((size_t)BL * sizeof *noise);
    xf = malloc((size_t)BL * sizeof *xf);
    xq = malloc((size_t)BL * sizeof *xq);
    if (!noise || !xf || !xq) st = ingot_error(INGOT_CODE_NOMEM, "out of memory");
  }
  if (!st) {
    uint64_t state = seed;
    int have = 0;
    double spare = 0;
    for (int64_t j = 0; j < BL; j++) noise[j] = (float)gauss(&state, &have, &spare);
    for (int64_t j = 0; j < BL; j++) xf[j] = xq[j] = s.x_scale * noise[j];
    printf("{\"model\": ");
    quant_cli_json_str(stdout, path);
    printf(", \"mode\": \"%s\", \"per_token\": %s, \"scale_table_hash\": \"%016llx\", ", ingot_quant_mode_name(q->mode),
           q->per_token ? "true" : "false", (unsigned long long)q->hash);
    printf("\"sampler\": {\"kind\": \"%s\", \"steps\": %d, \"guidance\": ", ingot_sampler_kind_name(p.o.kind),
           p.o.steps);
    quant_cli_json_num(stdout, p.o.guidance);
    printf(", \"seed\": %llu, \"null_class\": %lld, \"samples\": %lld}, \"steps\": [", (unsigned long long)seed,
           (long long)p.o.null_class, (long long)B);
  }
  ingot_interp_opts_t io = {1, false};
  double worst_layer = 0, last_latent = 0;
  const char *worst_name = "";
  int worst_step = 0;
  for (int i = 0; !st && i < s.steps; i++) {
    if (isatty(2)) fprintf(stderr, "\r[ingot] trajectory: step %d/%d   ", i + 1, s.steps);
    /* this step's own error: both graphs on the float32 trajectory's input */
    model_input(&p, &s, i, xf, in);
    st = ingot_interp_run(gf, &io, in, of);
    if (!st) st = ingot_interp_run(gq, &io, in, oq);
    if (st) break;
    ingot_err_t eps_e = {0, 0, 0, 0};
    ingot_err_add(&eps_e, &oq[0], &of[0]);
    printf("%s{\"step\": %d, \"t\": %g, \"eps_rel_l2\": ", i ? ", " : "", i + 1, (double)s.t[i]);
    quant_cli_json_num(stdout, ingot_err_rel(&eps_e));
    printf(", \"layers\": [");
    for (int l = 0; l < nl; l++) {
      ingot_err_t e = {0, 0, 0, 0};
      ingot_err_add(&e, &oq[layers[l].out_q], &of[layers[l].out_f]);
      double rel = ingot_err_rel(&e);
      if (rel > worst_layer) {
        worst_layer = rel;
        worst_name = layers[l].l->layer;
        worst_step = i + 1;
      }
      printf("%s{\"layer\": ", l ? ", " : "");
      quant_cli_json_str(stdout, layers[l].l->layer);
      printf(", \"rel_l2\": ");
      quant_cli_json_num(stdout, rel);
      printf(", \"sqnr_db\": ");
      quant_cli_json_num(stdout, ingot_err_sqnr(&e));
      printf(", \"max_abs\": ");
      quant_cli_json_num(stdout, e.maxabs);
      printf("}");
    }
    update(&p, &s, i, of[0].data, xf);
    release_all(of, gf->noutputs);
    release_all(oq, gq->noutputs);
    /* the quantized trajectory, on its own latent */
    model_input(&p, &s, i, xq, in);
    st = ingot_interp_run(gq, &io, in, oq);
    if (st) break;
    update(&p, &s, i, oq[0].data, xq);
    release_all(oq, gq->noutputs);
    double num = 0, den = 0;
    for (int64_t j = 0; j < BL; j++) {
      num += ((double)xq[j] - xf[j]) * ((double)xq[j] - xf[j]);
      den += (double)xf[j] * xf[j];
    }
    last_latent = den > 0 ? sqrt(num / den) : sqrt(num);
    printf("], \"latent_rel_l2\": ");
    quant_cli_json_num(stdout, last_latent);
    printf("}");
  }
  if (isatty(2)) fprintf(stderr, "\r%60s\r", "");
  if (!st) {
    printf("], \"final_latent_rel_l2\": ");
    quant_cli_json_num(stdout, last_latent);
    printf(", \"worst_layer\": {\"layer\": ");
    quant_cli_json_str(stdout, worst_name);
    printf(", \"step\": %d, \"rel_l2\": ", worst_step);
    quant_cli_json_num(stdout, worst_layer);
    printf("}");
    if (gate >= 0) {
      printf(", \"max_rel_l2\": ");
      quant_cli_json_num(stdout, gate);
      printf(", \"pass\": %s", last_latent <= gate ? "true" : "false");
      if (!(last_latent <= gate)) rc = 1;
    }
    printf("}\n");
  }
  release_all(of, 1024);
  release_all(oq, 1024);
  release_all(in, 64);
  free(noise);
  free(xf);
  free(xq);
  free(layers);
  ingot_sampler_schedule_free(&s);
  ingot_calib_free(&cs);
  ingot_graph_free(gf);
  ingot_graph_free(gq);
  quant_cli_free(&qc);
  if (st) return cli_fail(st);
  return rc;
}
