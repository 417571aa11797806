/* Quantization before the pass: calibration sets, activation ranges, scale
 * files, and the sensitivity search behind --keep-fp32=auto.
 *
 * Calibration runs the float32 graph (import, inference, folding) in the
 * reference evaluator, single-threaded, on every sample in name order, with
 * the activation input of every MatMul / Gemm / Conv added as an extra graph
 * output.  minmax keeps max |x| per layer; percentile makes a second pass
 * that fills a 4096-bin histogram of |x| over [0, max] per layer and takes
 * the upper edge of the bin where the cumulative count reaches p% (bounded
 * memory, and a pure function of the data: deterministic).
 *
 * --keep-fp32=auto --error-budget E: each candidate layer is quantized alone
 * and the end-to-end relative L2 error of the graph outputs over the whole
 * calibration set is measured (its sensitivity); layers are ranked most
 * sensitive first (ties by name), and the k most sensitive are kept in
 * float32 for k = 0, 1, 2, ... until the whole quantized graph's error is
 * at most E.  Costs one evaluator run per layer plus one per step. */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "frontend/onnx_import.h"
#include "ir/infer.h"
#include "ir/quant_codec.h"
#include "ir/verify.h"
#include "passes/pass.h"
#include "passes/quantize.h"
#include "runtime/ingot_npy.h"

#define HIST_BINS 4096

/* Progress lines ("\r...") only on a terminal. */
static FILE *progress(FILE *log) { return log && isatty(fileno(log)) ? log : NULL; }

static const char *const mode_names[] = {"none", "int8-weight", "w8a8", "fp8-e4m3"};

int ingot_quant_mode_parse(const char *s) {
  for (int i = 1; i < 4; i++)
    if (!strcmp(s, mode_names[i])) return i;
  return INGOT_QUANT_NONE;
}

const char *ingot_quant_mode_name(int mode) { return mode >= 0 && mode < 4 ? mode_names[mode] : "?"; }

void ingot_quant_init(ingot_quant_t *q) {
  memset(q, 0, sizeof *q);
  q->percentile = 99.99;
  q->fault_scale = 1.0f;
  q->hash = INGOT_FNV64_INIT;
}

static void free_strs(char **s, int n) {
  for (int i = 0; i < n; i++) free(s[i]);
  free(s);
}

void ingot_quant_free(ingot_quant_t *q) {
  if (!q) return;
  ingot_quant_clear_results(q);
  free_strs(q->keep, q->nkeep);
  free_strs(q->auto_keep, q->nauto_keep);
  for (int i = 0; i < q->nranges; i++) free(q->ranges[i].layer);
  free(q->ranges);
  q->keep = q->auto_keep = NULL;
  q->ranges = NULL;
  q->nkeep = q->nauto_keep = q->nranges = 0;
}

const ingot_qrange_t *ingot_quant_range(const ingot_quant_t *q, const char *layer) {
  for (int i = 0; i < q->nranges; i++)
    if (!strcmp(q->ranges[i].layer, layer)) return &q->ranges[i];
  return NULL;
}

static ingot_status_t add_range(ingot_quant_t *q, const char *layer, float amax) {
  for (int i = 0; i < q->nranges; i++)
    if (!strcmp(q->ranges[i].layer, layer)) {
      q->ranges[i].amax = amax;
      return INGOT_OK;
    }
  ingot_qrange_t *p = realloc(q->ranges, (size_t)(q->nranges + 1) * sizeof *p);
  if (!p) return ingot_error(INGOT_CODE_NOMEM, "out of memory");
  q->ranges = p;
  p[q->nranges].layer = strdup(layer);
  p[q->nranges].amax = amax;
  if (!p[q->nranges].layer) return ingot_error(INGOT_CODE_NOMEM, "out of memory");
  q->nranges++;
  return INGOT_OK;
}

/* ---- errors ------------------------------------------------------------------------- */

void ingot_err_add(ingot_err_t *e, const ingot_tensor_t *a, const ingot_tensor_t *ref) {
  int64_t n = ingot_tensor_numel(ref);
  if (ingot_tensor_numel(a) != n) {
    e->num = INFINITY;
    return;
  }
  for (int64_t i = 0; i < n; i++) {
    double x = ingot_tensor_get_f64(a, i), y = ingot_tensor_get_f64(ref, i), d = x - y;
    e->num += d * d;
    e->den += y * y;
    if (fabs(d) > e->maxabs || d != d) e->maxabs = d != d ? INFINITY : fabs(d);
  }
  e->n += n;
}

double ingot_err_rel(const ingot_err_t *e) {
  if (e->num != e->num) return INFINITY;
  return e->den > 0 ? sqrt(e->num / e->den) : sqrt(e->num);
}

double ingot_err_sqnr(const ingot_err_t *e) {
  if (e->num == 0) return INFINITY;
  if (e->num != e->num || e->den == 0) return -INFINITY;
  return 10.0 * log10(e->den / e->num);
}

/* ---- calibration sets ---------------------------------------------------------------- */

void ingot_calib_free(ingot_calib_set_t *c) {
  if (!c) return;
  for (int s = 0; s < c->nsamples; s++) {
    free(c->sample_names[s]);
    for (uint32_t i = 0; c->inputs && i < c->ninputs; i++) ingot_tensor_release(&c->inputs[(size_t)s * c->ninputs + i]);
  }
  free(c->sample_names);
  free(c->inputs);
  memset(c, 0, sizeof *c);
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static bool is_dir(const char *p) {
  struct stat sb;
  return stat(p, &sb) == 0 && S_ISDIR(sb.st_mode);
}

static const char *shape_text(const ingot_graph_t *g, int dtype, int rank, const int64_t *dims, char *buf, size_t n) {
  size_t o = (size_t)snprintf(buf, n, "%s [", ingot_dtype_name(dtype));
  for (int d = 0; d < rank && o < n; d++) o += (size_t)snprintf(buf + o, n - o, "%s%lld", d ? "," : "", (long long)dims[d]);
  if (o < n) snprintf(buf + o, n - o, "]");
  (void)g;
  return buf;
}

/* Checks one sample's .npy files against the graph inputs and loads them. */
static ingot_status_t load_sample(const ingot_graph_t *g, const char *dir, const char *sname, ingot_tensor_t *ts) {
  char path[4096], err[512];
  snprintf(path, sizeof path, "%s/%s", dir, sname);
  DIR *d = opendir(path);
  if (!d) return ingot_error(INGOT_CODE_IO, "calibration sample '%s': cannot read it: %s", path, strerror(errno));
  ingot_status_t st = INGOT_OK;
  struct dirent *e;
  while (!st && (e = readdir(d))) {
    size_t l = strlen(e->d_name);
    if (l < 5 || strcmp(e->d_name + l - 4, ".npy")) continue;
    bool known = false;
    for (uint32_t i = 0; i < g->ninputs && !known; i++) {
      const char *nm = g->values[g->inputs[i]].name;
      known = strlen(nm) == l - 4 && !strncmp(nm, e->d_name, l - 4);
    }
    if (!known) {
      char names[1024] = "";
      size_t o = 0;
      for (uint32_t i = 0; i < g->ninputs && o < sizeof names; i++)
        o += (size_t)snprintf(names + o, sizeof names - o, "%s%s", i ? ", " : "", g->values[g->inputs[i]].name);
      st = ingot_error(INGOT_CODE_INPUT, "calibration sample '%s': '%s' is not an input of the model (inputs: %s)", path,
                       e->d_name, names);
    }
  }
  closedir(d);
  for (uint32_t i = 0; !st && i < g->ninputs; i++) {
    const ingot_value_t *v = &g->values[g->inputs[i]];
    if (strchr(v->name, '/') || v->name[0] == '.')
      return ingot_error(INGOT_CODE_UNSUPPORTED, "input '%s' cannot be named by a file in a calibration folder", v->name);
    char f[4200];
    snprintf(f, sizeof f, "%s/%s.npy", path, v->name);
    struct stat sb;
    if (stat(f, &sb) != 0)
      return ingot_error(INGOT_CODE_INPUT, "calibration sample '%s' has no '%s.npy' (one .npy per graph input)", path,
                         v->name);
    ingot_npy_t t;
    if (ingot_npy_read(f, &t, err, sizeof err) != 0)
      return ingot_error(INGOT_CODE_INPUT, "calibration sample '%s': %s", path, err);
    ts[i] = ingot_tensor_view(t.dtype, t.rank, t.dims, t.data, t.nbytes);
    ts[i].owned = true;
    const ingot_type_t *dt = &v->type;
    bool bad = dt->dtype != t.dtype || (dt->rank >= 0 && dt->rank != t.rank);
    for (int a = 0; !bad && dt->rank >= 0 && a < dt->rank; a++)
      bad = !dt->dims[a].sym && dt->dims[a].v >= 0 && dt->dims[a].v != t.dims[a];
    if (bad) {
      char want[256], got[256];
      ingot_type_str(g, dt, want, sizeof want);
      return ingot_error(INGOT_CODE_INPUT, "calibration sample '%s': %s.npy is %s, the model's input '%s' is %s %s",
                         path, v->name, shape_text(g, t.dtype, t.rank, t.dims, got, sizeof got), v->name,
                         ingot_dtype_name(dt->dtype), want);
    }
  }
  return st;
}

ingot_status_t ingot_calib_load(const ingot_graph_t *g, const char *dir, ingot_calib_set_t *out) {
  memset(out, 0, sizeof *out);
  if (!is_dir(dir))
    return ingot_error(INGOT_CODE_INPUT, "calibration folder '%s' does not exist or is not a folder", dir);
  DIR *d = opendir(dir);
  if (!d) return ingot_error(INGOT_CODE_IO, "calibration folder '%s': %s", dir, strerror(errno));
  char **names = NULL;
  int n = 0, cap = 0;
  ingot_status_t st = INGOT_OK;
  struct dirent *e;
  while ((e = readdir(d))) {
    if (e->d_name[0] == '.') continue;
    char p[4096];
    snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
    if (!is_dir(p)) continue;
    if (n == cap) {
      cap = cap ? cap * 2 : 16;
      char **q = realloc(names, (size_t)cap * sizeof *q);
      if (!q) {
        st = ingot_error(INGOT_CODE_NOMEM, "out of memory");
        break;
      }
      names = q;
    }
    if (!(names[n] = strdup(e->d_name))) {
      st = ingot_error(INGOT_CODE_NOMEM, "out of memory");
      break;
    }
    n++;
  }
  closedir(d);
  if (!st && n == 0)
    st = ingot_error(INGOT_CODE_INPUT,
                     "calibration folder '%s' holds no samples (it needs one subfolder per sample, each with one "
                     "<input name>.npy per graph input)",
                     dir);
  if (st) {
    free_strs(names, n);
    return st;
  }
  qsort(names, (size_t)n, sizeof *names, cmp_str);
  out->sample_names = names;
  out->nsamples = n;
  out->ninputs = g->ninputs;
  out->inputs = calloc((size_t)n * g->ninputs + 1, sizeof *out->inputs);
  if (!out->inputs) st = ingot_error(INGOT_CODE_NOMEM, "out of memory");
  for (int s = 0; !st && s < n; s++) st = load_sample(g, dir, names[s], &out->inputs[(size_t)s * g->ninputs]);
  if (st) ingot_calib_free(out);
  return st;
}

ingot_status_t ingot_calib_run(const ingot_graph_t *g, const ingot_calib_set_t *c, int s, ingot_tensor_t *outputs) {
  if (c->ninputs != g->ninputs) return ingot_error(INGOT_CODE_INTERNAL, "calibration set built for another graph");
  ingot_interp_opts_t o = {1, false};
  return ingot_status_annotate(ingot_interp_run(g, &o, &c->inputs[(size_t)s * c->ninputs], outputs),
                                  "calibration sample '%s'", c->sample_names[s]);
}

/* ---- graphs -------------------------------------------------------------------------- */

static ingot_status_t load_graph(const char *path, const ingot_calib_set_t *shapes, ingot_quant_t *q,
                                 ingot_graph_t **out) {
  *out = NULL;
  ingot_graph_t *g = NULL;
  INGOT_RETURN_IF_ERROR(ingot_import_onnx(path, &g));
  ingot_status_t st = ingot_infer_shapes(g);
  if (!st) st = ingot_verify(g);
  ingot_shape_binding_t *b = NULL;
  ingot_pass_ctx_t ctx;
  ingot_pass_ctx_init(&ctx);
  if (!st && shapes && shapes->nsamples > 0) {
    b = calloc(g->ninputs + 1, sizeof *b);
    if (!b) st = ingot_error(INGOT_CODE_NOMEM, "out of memory");
    for (uint32_t i = 0; !st && i < g->ninputs; i++) {
      const ingot_tensor_t *t = &shapes->inputs[i];
      b[i].input = g->values[g->inputs[i]].name;
      b[i].rank = t->rank;
      memcpy(b[i].dims, t->dims, sizeof b[i].dims);
    }
    ctx.bindings = b;
    ctx.nbindings = (int)g->ninputs;
    if (!st) st = ingot_pass_specialize(g, &ctx);
  }
  if (!st) st = ingot_pass_fold_constants(g, &ctx);
  if (!st && q) {
    ctx.quant = q;
    st = ingot_pass_quantize(g, &ctx);
  }
  if (!st) st = ingot_pass_dce(g, &ctx);
  if (!st) st = ingot_verify(g);
  free(b);
  if (st) {
    ingot_graph_free(g);
    return st;
  }
  *out = g;
  return INGOT_OK;
}

ingot_status_t ingot_quant_load_fp32(const char *path, const ingot_calib_set_t *shapes, ingot_graph_t **out) {
  return load_graph(path, shapes, NULL, out);
}

ingot_status_t ingot_quant_load_quantized(const char *path, const ingot_calib_set_t *shapes, ingot_quant_t *q,
                                          ingot_graph_t **out) {
  return load_graph(path, shapes, q, out);
}

/* ---- activation ranges ------------------------------------------------------------------- */

typedef struct {
  char *layer;
  int out; /* index among the graph's outputs */
  float amax;
  uint64_t *hist;
} stat_t;

static bool linear_op(int op) { return op == INGOT_OP_MATMUL || op == INGOT_OP_GEMM || op == INGOT_OP_CONV; }

static ingot_status_t calibrate(ingot_quant_t *q, const char *path, const ingot_calib_set_t *cs, FILE *log) {
  ingot_graph_t *g;
  INGOT_RETURN_IF_ERROR(ingot_quant_load_fp32(path, NULL, &g));
  uint32_t nmodel = g->noutputs;
  stat_t *sv = calloc(g->nnodes + 1, sizeof *sv);
  int ns = 0;
  ingot_status_t st = sv ? INGOT_OK : ingot_error(INGOT_CODE_NOMEM, "out of memory");
  uint32_t nn = g->nnodes;
  for (uint32_t i = 0; !st && i < nn; i++) {
    const ingot_node_t *n = &g->nodes[i];
    if (!linear_op(n->op) || n->ninputs < 2 || n->inputs[0] < 0) continue;
    int32_t a = n->inputs[0];
    if (g->values[a].data || g->values[a].type.dtype != INGOT_DT_FLOAT) continue;
    char key[512];
    ingot_quant_layer_key(g, (int32_t)i, key, sizeof key);
    int out = -1;
    for (uint32_t o = 0; o < g->noutputs; o++)
      if (g->outputs[o] == a) out = (int)o;
    if (out < 0) {
      out = (int)g->noutputs;
      st = ingot_graph_add_output(g, a);
    }
    sv[ns].layer = strdup(key);
    sv[ns].out = out;
    if (!sv[ns].layer) st = ingot_error(INGOT_CODE_NOMEM, "out of memory");
    ns++;
  }
  ingot_tensor_t *outs = calloc(g->noutputs + 1, sizeof *outs);
  if (!st && !outs) st = ingot_error(INGOT_CODE_NOMEM, "out of memory");
  bool pct = q->calib_method == INGOT_CALIB_PERCENTILE;
  for (int pass = 0; !st && pass < (pct ? 2 : 1); pass++) {
    for (int k = 0; !st && pass == 1 && k < ns; k++)
      if (!(sv[k].hist = calloc(HIST_BINS, sizeof *sv[k].hist))) st = ingot_error(INGOT_CODE_NOMEM, "out of memory");
    for (int s = 0; !st && s < cs->nsamples; s++) {
      if (progress(log)) fprintf(log, "\r[ingot] calibrating: sample %d/%d%s   ", s + 1, cs->nsamples, pct ? (pass ? " (histograms)" : " (ranges)") : "");
      st = ingot_calib_run(g, cs, s, outs);
      for (int k = 0; !st && k < ns; k++) {
        const ingot_tensor_t *t = &outs[sv[k].out];
        const float *x = t->data;
        int64_t n = ingot_tensor_numel(t);
        if (pass == 0) {
          for (int64_t i = 0; i < n; i++) {
            float v = fabsf(x[i]);
            if (v > sv[k].amax) sv[k].amax = v;
          }
        } else if (sv[k].amax > 0) {
          double w = HIST_BINS / (double)sv[k].amax;
          for (int64_t i = 0; i < n; i++) {
            float v = fabsf(x[i]);
            if (!(v == v)) continue;
            int64_t b = (int64_t)(v * w);
            sv[k].hist[b >= HIST_BINS ? HIST_BINS - 1 : b < 0 ? 0 : b]++;
          }
        }
      }
      for (uint32_t o = 0; o < g->noutputs; o++) ingot_tensor_release(&outs[o]);
    }
  }
  if (progress(log)) fprintf(log, "\r%60s\r", "");
  for (int k = 0; !st && k < ns; k++) {
    float amax = sv[k].amax;
    if (pct && amax > 0 && isfinite(amax)) {
      uint64_t total = 0, cum = 0;
      for (int b = 0; b < HIST_BINS; b++) total += sv[k].hist[b];
      uint64_t need = (uint64_t)ceil(q->percentile / 100.0 * (double)total);
      if (need < 1) need = 1;
      int b = 0;
      for (; b < HIST_BINS; b++) {
        cum += sv[k].hist[b];
        if (cum >= need) break;
      }
      float edge = (float)((double)(b + 1) * (double)amax / HIST_BINS);
      amax = edge < amax ? edge : amax;
    }
    st = add_range(q, sv[k].layer, amax);
  }
  (void)nmodel;
  for (int k = 0; k < ns; k++) {
    free(sv[k].layer);
    free(sv[k].hist);
  }
  free(sv);
  free(outs);
  ingot_graph_free(g);
  return st;
}

/* ---- scale files ------------------------------------------------------------------------ */

ingot_status_t ingot_quant_save_scales(const ingot_quant_t *q, const char *path) {
  for (int i = 0; i < q->nranges; i++)
    if (strpbrk(q->ranges[i].layer, "\r\n"))
      return ingot_error(INGOT_CODE_UNSUPPORTED, "--save-scales: layer name '%s' holds a line break", q->ranges[i].layer);
  FILE *f = fopen(path, "w");
  if (!f) return ingot_error(INGOT_CODE_IO, "--save-scales: cannot write '%s': %s", path, strerror(errno));
  fprintf(f, "ingot-scales 1\n");
  if (q->calib_method == INGOT_CALIB_PERCENTILE) fprintf(f, "method percentile %.17g\n", q->percentile);
  else fprintf(f, "method minmax\n");
  for (int i = 0; i < q->nranges; i++) fprintf(f, "amax %a %s\n", (double)q->ranges[i].amax, q->ranges[i].layer);
  bool bad = ferror(f) != 0;
  if (fclose(f) != 0 || bad) {
    remove(path);
    return ingot_error(INGOT_CODE_IO, "--save-scales: writing '%s' failed", path);
  }
  return INGOT_OK;
}

ingot_status_t ingot_quant_load_scales(ingot_quant_t *q, const char *path) {
  FILE *f = fopen(path, "r");
  if (!f) return ingot_error(INGOT_CODE_IO, "--load-scales: cannot read '%s': %s", path, strerror(errno));
  char line[4096];
  int ln = 0;
  ingot_status_t st = INGOT_OK;
  while (!st && fgets(line, sizeof line, f)) {
    ln++;
    size_t l = strlen(line);
    if (l && line[l - 1] != '\n' && !feof(f)) {
      st = ingot_error(INGOT_CODE_INPUT, "%s:%d: line too long", path, ln);
      break;
    }
    while (l && (line[l - 1] == '\n' || line[l - 1] == '\r')) line[--l] = 0;
    if (ln == 1) {
      if (strcmp(line, "ingot-scales 1"))
        st = ingot_error(INGOT_CODE_INPUT, "%s: not an ingot scales file (the first line must be 'ingot-scales 1')", path);
      continue;
    }
    if (!l || line[0] == '#' || !strncmp(line, "method ", 7)) continue;
    if (strncmp(line, "amax ", 5)) {
      st = ingot_error(INGOT_CODE_INPUT, "%s:%d: expected 'amax <hex float> <layer>'", path, ln);
      break;
    }
    char *end;
    errno = 0;
    float v = strtof(line + 5, &end);
    if (end == line + 5 || errno || *end != ' ' || !end[1] || !isfinite(v) || v < 0) {
      st = ingot_error(INGOT_CODE_INPUT, "%s:%d: bad range (want 'amax <finite float >= 0> <layer>')", path, ln);
      break;
    }
    st = add_range(q, end + 1, v);
  }
  if (!st && ln == 0) st = ingot_error(INGOT_CODE_INPUT, "%s: empty scales file", path);
  fclose(f);
  return st;
}

/* ---- --keep-fp32=auto ---------------------------------------------------------------------- */

typedef struct {
  ingot_tensor_t *ref; /* [sample * nout + o] */
  uint32_t nout;
} refs_t;

static void refs_free(refs_t *r, int nsamples) {
  if (r->ref)
    for (size_t i = 0; i < (size_t)nsamples * r->nout; i++) ingot_tensor_release(&r->ref[i]);
  free(r->ref);
}

/* End-to-end error of a quantized configuration over the calibration set. */
static ingot_status_t trial(const char *path, const ingot_calib_set_t *cs, const refs_t *r, ingot_quant_t *t,
                            double *err) {
  ingot_graph_t *g;
  INGOT_RETURN_IF_ERROR(ingot_quant_load_quantized(path, cs, t, &g));
  ingot_err_t e = {0};
  ingot_tensor_t *outs = calloc(g->noutputs + 1, sizeof *outs);
  ingot_status_t st = outs ? INGOT_OK : ingot_error(INGOT_CODE_NOMEM, "out of memory");
  for (int s = 0; !st && s < cs->nsamples; s++) {
    st = ingot_calib_run(g, cs, s, outs);
    for (uint32_t o = 0; !st && o < g->noutputs && o < r->nout; o++) ingot_err_add(&e, &outs[o], &r->ref[(size_t)s * r->nout + o]);
    for (uint32_t o = 0; o < g->noutputs; o++) ingot_tensor_release(&outs[o]);
  }
  free(outs);
  ingot_graph_free(g);
  *err = ingot_err_rel(&e);
  return st;
}

static void trial_init(ingot_quant_t *t, const ingot_quant_t *q) {
  ingot_quant_init(t);
  t->mode = q->mode;
  t->per_token = q->per_token;
  t->ranges = q->ranges; /* borrowed */
  t->nranges = q->nranges;
}

typedef struct {
  char *layer;
  double err;
} sens_t;

static int cmp_sens(const void *a, const void *b) {
  const sens_t *x = a, *y = b;
  if (x->err != y->err) return x->err > y->err ? -1 : 1;
  return strcmp(x->layer, y->layer);
}

static ingot_status_t choose_auto(ingot_quant_t *q, const char *path, const ingot_calib_set_t *cs, FILE *log) {
  refs_t r = {0};
  ingot_graph_t *g;
  INGOT_RETURN_IF_ERROR(ingot_quant_load_fp32(path, cs, &g));
  r.nout = g->noutputs;
  r.ref = calloc((size_t)cs->nsamples * r.nout + 1, sizeof *r.ref);
  ingot_status_t st = r.ref ? INGOT_OK : ingot_error(INGOT_CODE_NOMEM, "out of memory");
  for (int s = 0; !st && s < cs->nsamples; s++) st = ingot_calib_run(g, cs, s, &r.ref[(size_t)s * r.nout]);
  ingot_graph_free(g);
  /* every candidate layer: quantize all (keep nothing) and read the list */
  ingot_quant_t t;
  trial_init(&t, q);
  char *none = "none";
  t.keep = &none;
  t.nkeep = 1;
  t.keep_given = true;
  double all_err = 0;
  if (!st) st = trial(path, cs, &r, &t, &all_err);
  int nl = t.nlayers;
  sens_t *sens = calloc((size_t)nl + 1, sizeof *sens);
  if (!st && !sens) st = ingot_error(INGOT_CODE_NOMEM, "out of memory");
  for (int i = 0; !st && i < nl; i++)
    if (!(sens[i].layer = strdup(t.layers[i].layer))) st = ingot_error(INGOT_CODE_NOMEM, "out of memory");
  ingot_quant_clear_results(&t);
  t.keep = NULL;
  t.nkeep = 0;
  t.keep_given = false;
  for (int i = 0; !st && i < nl; i++) {
    if (progress(log)) fprintf(log, "\r[ingot] sensitivity: layer %d/%d   ", i + 1, nl);
    const char *only[1] = {sens[i].layer};
    t.only = only;
    t.nonly = 1;
    st = trial(path, cs, &r, &t, &sens[i].err);
    ingot_quant_clear_results(&t);
  }
  t.only = NULL;
  if (progress(log)) fprintf(log, "\r%60s\r", "");
  if (!st) qsort(sens, (size_t)nl, sizeof *sens, cmp_sens);
  double err = all_err;
  int k = 0;
  char **keep = calloc((size_t)nl + 1, sizeof *keep);
  if (!st && !keep) st = ingot_error(INGOT_CODE_NOMEM, "out of memory");
  while (!st && err > q->error_budget && k < nl) {
    keep[k] = sens[k].layer;
    k++;
    t.keep = keep;
    t.nkeep = k;
    t.keep_given = true;
    if (k == nl) {
      err = 0; /* nothing quantized: the fp32 graph */
      break;
    }
    st = trial(path, cs, &r, &t, &err);
    ingot_quant_clear_results(&t);
  }
  if (!st) {
    q->auto_keep = calloc((size_t)k + 1, sizeof *q->auto_keep);
    if (!q->auto_keep) st = ingot_error(INGOT_CODE_NOMEM, "out of memory");
    for (int i = 0; !st && i < k; i++)
      if (!(q->auto_keep[q->nauto_keep++] = strdup(keep[i]))) st = ingot_error(INGOT_CODE_NOMEM, "out of memory");
    q->auto_error = err;
  }
  if (!st && log) {
    fprintf(log, "keep-fp32=auto (%s, error budget %g): %d of %d layers quantized; all quantized: rel L2 %.4g\n",
            ingot_quant_mode_name(q->mode), q->error_budget, nl - k, nl, all_err);
    fprintf(log, "  sensitivity (rel L2 of the outputs with only that layer quantized), most sensitive first:\n");
    for (int i = 0; i < nl; i++)
      fprintf(log, "  %s %-60s %.4g\n", i < k ? "fp32 " : "quant", sens[i].layer, sens[i].err);
    fprintf(log, "  kept in fp32: %d layer(s); end-to-end rel L2 error %.4g (budget %g)\n", k, err, q->error_budget);
  }
  free(keep);
  for (int i = 0; sens && i < nl; i++) free(sens[i].layer);
  free(sens);
  refs_free(&r, cs->nsamples);
  return st;
}

/* ---- prepare ----------------------------------------------------------------------------- */

ingot_status_t ingot_quant_prepare(ingot_quant_t *q, const char *path, FILE *log) {
  if (q->mode == INGOT_QUANT_NONE) return INGOT_OK;
  bool need_ranges = q->mode == INGOT_QUANT_W8A8 || q->mode == INGOT_QUANT_FP8_E4M3;
  if (need_ranges && !q->calib_dir && !q->load_scales)
    return ingot_error(INGOT_CODE_INPUT,
                       "--quantize %s needs activation ranges: pass --calibrate DIR or --load-scales FILE",
                       ingot_quant_mode_name(q->mode));
  if (q->keep_auto && !q->calib_dir)
    return ingot_error(INGOT_CODE_INPUT, "--keep-fp32=auto needs --calibrate DIR (the error is measured on it)");
  if (q->save_scales && !q->calib_dir && !q->load_scales)
    return ingot_error(INGOT_CODE_INPUT, "--save-scales needs --calibrate DIR (nothing was calibrated)");
  /* ranges from the file when given (the calibration set then only serves
   * the error measurements), else from the calibration set */
  if (q->load_scales) INGOT_RETURN_IF_ERROR(ingot_quant_load_scales(q, q->load_scales));
  if (!q->calib_dir) {
    if (q->save_scales) INGOT_RETURN_IF_ERROR(ingot_quant_save_scales(q, q->save_scales));
    return INGOT_OK;
  }
  ingot_graph_t *g;
  INGOT_RETURN_IF_ERROR(ingot_quant_load_fp32(path, NULL, &g));
  ingot_calib_set_t cs;
  ingot_status_t st = ingot_calib_load(g, q->calib_dir, &cs);
  ingot_graph_free(g);
  if (st) return st;
  /* int8-weight uses no activation ranges: calibrate only to save them */
  if (!q->load_scales && (q->mode != INGOT_QUANT_INT8_WEIGHT || q->save_scales)) st = calibrate(q, path, &cs, log);
  if (!st && q->save_scales) st = ingot_quant_save_scales(q, q->save_scales);
  if (!st && q->keep_auto) st = choose_auto(q, path, &cs, log);
  ingot_calib_free(&cs);
  return st;
}
