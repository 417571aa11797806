/* The reference evaluator's run loop.
 *
 * requires: nodes in topological order (the frontend sorts them); every
 *           value a node reads is a graph input, an initializer, an OUTER
 *           value with data, or the output of an earlier node.
 * produces: outputs[i] for each g->outputs[i], owned by the caller.
 *
 * The loop is deliberately plain (it is the oracle, not the fast path):
 *   1. validate the caller's tensors against the declared input types,
 *      binding symbolic dims ("batch") consistently across inputs;
 *   2. count, for every value, the last node that reads it, so
 *      intermediates are freed as soon as they are dead (ggml-alloc's rule:
 *      never free a graph output);
 *   3. per node: widen float16/bfloat16 inputs to float32 (ONNX computes
 *      those in float32; only Cast/CastLike see the narrow types), call the
 *      op's kernel, narrow float32 outputs back, optionally check the
 *      result against the inferred static type, free dead values;
 *   4. move the graph outputs out (copying those that are borrowed).
 * Every error path releases everything it allocated (tests run under ASan). */
#include <stdlib.h>
#include <string.h>

#include "interp/interp.h"

enum { VAL_EMPTY = 0, VAL_READY = 1 };

typedef struct {
  const ingot_graph_t *g;
  ingot_tensor_t *vals; /* one per value */
  uint8_t *state;       /* VAL_* per value */
  uint8_t *is_output;   /* 1 for values listed in g->outputs: never freed early */
  int32_t *last_use;    /* last node index reading each value; -1 none */
} run_state_t;

static void run_free(run_state_t *r) {
  if (r->vals)
    for (uint32_t v = 0; v < r->g->nvalues; v++) ingot_tensor_release(&r->vals[v]);
  free(r->vals);
  free(r->state);
  free(r->is_output);
  free(r->last_use);
}

static const char *src_of(const ingot_graph_t *g) {
  return g->source ? g->source : "<graph>";
}

/* "float32 [2,4,15,16]" for an actual tensor. */
static const char *tensor_str(const ingot_tensor_t *t, char *buf, size_t len) {
  size_t o = (size_t)snprintf(buf, len, "%s [", ingot_dtype_name(t->dtype));
  for (int i = 0; i < t->rank && o < len; i++)
    o += (size_t)snprintf(buf + o, len - o, "%s%lld", i ? "," : "", (long long)t->dims[i]);
  if (o < len) snprintf(buf + o, len - o, "]");
  return buf;
}

static const char *decl_str(const ingot_graph_t *g, const ingot_type_t *t, char *buf, size_t len) {
  char shape[256];
  ingot_type_str(g, t, shape, sizeof shape);
  snprintf(buf, len, "%s %s", ingot_dtype_name(t->dtype), shape);
  return buf;
}

/* Checks inputs[i] against the declared type of g->inputs[i]; sym_val/sym_src
 * hold the value each symbol is bound to and the input that bound it. */
static ingot_status_t check_input(const ingot_graph_t *g, uint32_t i, const ingot_tensor_t *t, int64_t *sym_val,
                                  int32_t *sym_src) {
  const ingot_value_t *val = &g->values[g->inputs[i]];
  const ingot_type_t *d = &val->type;
  char want[320], got[320];
  bool bad = false;
  const char *why = "";
  char whybuf[256] = "";
  if (t->rank < 0 || t->rank > INGOT_MAX_RANK) {
    return ingot_error(INGOT_CODE_INPUT, "%s: input '%s': invalid rank %d", src_of(g), val->name, t->rank);
  }
  if (d->dtype != INGOT_DT_UNDEFINED && d->dtype != t->dtype) bad = true;
  if (d->rank >= 0 && d->rank != t->rank) bad = true;
  for (int a = 0; !bad && d->rank >= 0 && a < d->rank; a++) {
    ingot_dim_t dim = d->dims[a];
    if (t->dims[a] < 0) {
      bad = true;
    } else if (!dim.sym) {
      if (dim.v >= 0 && dim.v != t->dims[a]) bad = true;
    } else if (sym_val[dim.sym] >= 0 && sym_val[dim.sym] != t->dims[a]) {
      bad = true;
      const char *sname = ingot_graph_sym_name((ingot_graph_t *)g, dim.sym);
      snprintf(whybuf, sizeof whybuf, " ('%s' is %lld in input '%s')", sname, (long long)sym_val[dim.sym],
               g->values[sym_src[dim.sym]].name);
      why = whybuf;
    } else {
      sym_val[dim.sym] = t->dims[a];
      sym_src[dim.sym] = g->inputs[i];
    }
  }
  if (bad)
    return ingot_error(INGOT_CODE_INPUT, "%s: input '%s': expected %s, got %s%s", src_of(g), val->name,
                       decl_str(g, d, want, sizeof want), tensor_str(t, got, sizeof got), why);
  /* The bytes must be there. */
  size_t es = ingot_dtype_size(t->dtype);
  if (!es || !ingot_dtype_supported(t->dtype))
    return ingot_error(INGOT_CODE_UNSUPPORTED, "%s: input '%s': dtype %s is not supported", src_of(g), val->name,
                       ingot_dtype_name(t->dtype));
  uint64_t n = 1;
  for (int a = 0; a < t->rank; a++) {
    if (t->dims[a] && n > (uint64_t)INGOT_INTERP_MAX_TENSOR_BYTES / es / (uint64_t)t->dims[a])
      return ingot_error(INGOT_CODE_INPUT, "%s: input '%s' is too large", src_of(g), val->name);
    n *= (uint64_t)t->dims[a];
  }
  if (t->nbytes < n * es || (n && !t->data))
    return ingot_error(INGOT_CODE_INPUT, "%s: input '%s': %s needs %llu bytes, got %zu", src_of(g), val->name,
                       tensor_str(t, got, sizeof got), (unsigned long long)(n * es), t->nbytes);
  return INGOT_OK;
}

static ingot_status_t bind_inputs(run_state_t *r, const ingot_tensor_t *inputs) {
  const ingot_graph_t *g = r->g;
  const ingot_graph_t *root = g;
  while (root->parent) root = root->parent;
  uint32_t nsyms = root->nsyms ? root->nsyms : 1;
  int64_t *sym_val = malloc(nsyms * sizeof *sym_val);
  int32_t *sym_src = calloc(nsyms, sizeof *sym_src);
  if (!sym_val || !sym_src) {
    free(sym_val);
    free(sym_src);
    return ingot_error(INGOT_CODE_NOMEM, "out of memory binding inputs");
  }
  for (uint32_t s = 0; s < nsyms; s++) sym_val[s] = -1;
  ingot_status_t st = INGOT_OK;
  for (uint32_t i = 0; i < g->ninputs && !st; i++) {
    st = check_input(g, i, &inputs[i], sym_val, sym_src);
    if (st) break;
    int32_t v = g->inputs[i];
    const ingot_tensor_t *t = &inputs[i];
    r->vals[v] = ingot_tensor_view(t->dtype, t->rank, t->dims, t->data, t->nbytes);
    r->state[v] = VAL_READY;
  }
  free(sym_val);
  free(sym_src);
  return st;
}

/* Initializers and OUTER values: borrowed views of the graph's constant data. */
static ingot_status_t bind_constants(run_state_t *r) {
  const ingot_graph_t *g = r->g;
  for (uint32_t v = 0; v < g->nvalues; v++) {
    const ingot_value_t *val = &g->values[v];
    if (r->state[v] == VAL_READY || val->producer >= 0) continue;
    bool is_const = (val->flags & (INGOT_VAL_INIT | INGOT_VAL_OUTER)) || val->data;
    if (!is_const) continue;
    if (r->last_use[v] < 0 && !r->is_output[v]) continue; /* never read */
    if ((val->flags & INGOT_VAL_OUTER) && !val->data) continue; /* reported when read */
    int64_t dims[INGOT_MAX_RANK] = {0};
    int64_t n;
    if (!ingot_type_numel(&val->type, &n) || val->type.rank > INGOT_MAX_RANK)
      return ingot_error(INGOT_CODE_INPUT, "%s: initializer '%s' has no static shape", src_of(g), val->name);
    size_t es = ingot_dtype_size(val->type.dtype);
    if (!es || !ingot_dtype_supported(val->type.dtype))
      return ingot_error(INGOT_CODE_UNSUPPORTED, "%s: initializer '%s' has unsupported dtype %s", src_of(g),
                         val->name, ingot_dtype_name(val->type.dtype));
    if ((uint64_t)n > SIZE_MAX / es || val->nbytes < (size_t)n * es || (n && !val->data))
      return ingot_error(INGOT_CODE_INPUT, "%s: initializer '%s' holds %zu bytes, its type needs %llu", src_of(g),
                         val->name, val->nbytes, (unsigned long long)n * es);
    for (int a = 0; a < val->type.rank; a++) dims[a] = val->type.dims[a].v;
    r->vals[v] = ingot_tensor_view(val->type.dtype, val->type.rank, dims, val->data, val->nbytes);
    r->state[v] = VAL_READY;
  }
  return INGOT_OK;
}

static bool is_narrow(int dt) {
  return dt == INGOT_DT_FLOAT16 || dt == INGOT_DT_BFLOAT16;
}

static ingot_status_t widen(const ingot_tensor_t *src, ingot_tensor_t *dst) {
  INGOT_RETURN_IF_ERROR(ingot_tensor_alloc(dst, INGOT_DT_FLOAT, src->rank, src->dims));
  int64_t n = ingot_tensor_numel(src);
  const uint16_t *s = src->data;
  float *d = dst->data;
  if (src->dtype == INGOT_DT_FLOAT16)
    for (int64_t i = 0; i < n; i++) d[i] = ingot_f16_to_f32(s[i]);
  else
    for (int64_t i = 0; i < n; i++) d[i] = ingot_bf16_to_f32(s[i]);
  return INGOT_OK;
}

static ingot_status_t narrow(ingot_tensor_t *t, int dt) {
  ingot_tensor_t n;
  INGOT_RETURN_IF_ERROR(ingot_tensor_alloc(&n, dt, t->rank, t->dims));
  int64_t cnt = ingot_tensor_numel(t);
  const float *s = t->data;
  uint16_t *d = n.data;
  if (dt == INGOT_DT_FLOAT16)
    for (int64_t i = 0; i < cnt; i++) d[i] = ingot_f32_to_f16(s[i]);
  else
    for (int64_t i = 0; i < cnt; i++) d[i] = ingot_f32_to_bf16(s[i]);
  ingot_tensor_release(t);
  *t = n;
  return INGOT_OK;
}

/* Owned deep copy (for outputs that are borrowed inputs/initializers). */
static ingot_status_t tensor_copy(const ingot_tensor_t *src, ingot_tensor_t *dst) {
  INGOT_RETURN_IF_ERROR(ingot_tensor_alloc(dst, src->dtype, src->rank, src->dims));
  if (dst->nbytes) memcpy(dst->data, src->data, dst->nbytes);
  return INGOT_OK;
}

/* With check_types: the computed tensor must agree with the inferred type
 * (dtype when known, rank when known, concrete dims). */
static ingot_status_t check_output(const ingot_graph_t *g, int32_t node, int32_t v, const ingot_tensor_t *t) {
  const ingot_type_t *ty = &g->values[v].type;
  bool bad = ty->dtype != INGOT_DT_UNDEFINED && ty->dtype != t->dtype;
  if (ty->rank >= 0) {
    if (ty->rank != t->rank) bad = true;
    for (int a = 0; !bad && a < ty->rank; a++)
      if (!ty->dims[a].sym && ty->dims[a].v >= 0 && ty->dims[a].v != t->dims[a]) bad = true;
  }
  if (!bad) return INGOT_OK;
  char want[320], got[320];
  return ingot_node_error(g, node, INGOT_CODE_INTERNAL,
                          "output '%s': shape inference says %s, the evaluator computed %s (internal inconsistency)",
                          g->values[v].name, decl_str(g, ty, want, sizeof want), tensor_str(t, got, sizeof got));
}

static bool op_runs(ingot_op_t op) {
  if ((unsigned)op >= INGOT_OP_COUNT_) return false;
  if (op == INGOT_OP_IF || op == INGOT_OP_LOOP || op == INGOT_OP_SCAN) return false;
  return ingot_interp_kernel(op) != NULL;
}

bool ingot_interp_supports(const ingot_graph_t *g, int32_t node, ingot_status_t *why) {
  if (why) *why = INGOT_OK;
  if (node < 0 || (uint32_t)node >= g->nnodes) {
    if (why) *why = ingot_error(INGOT_CODE_INTERNAL, "node #%d does not exist", node);
    return false;
  }
  const ingot_node_t *n = &g->nodes[node];
  if (op_runs((ingot_op_t)n->op)) return true;
  if (why)
    *why = ingot_node_error(g, node, INGOT_CODE_UNSUPPORTED, "the reference evaluator does not run op %s",
                            n->op_type ? n->op_type : ingot_op_name((ingot_op_t)n->op));
  return false;
}

/* Runs node ni: gathers inputs (widening narrow floats), calls the kernel,
 * stores outputs.  On error nothing it allocated survives. */
static ingot_status_t run_node(run_state_t *r, const ingot_interp_opts_t *opts, int32_t ni) {
  const ingot_graph_t *g = r->g;
  const ingot_node_t *n = &g->nodes[ni];
  ingot_op_t op = (ingot_op_t)n->op;
  if (!op_runs(op))
    return ingot_node_error(g, ni, INGOT_CODE_UNSUPPORTED, "the reference evaluator does not run op %s",
                            n->op_type ? n->op_type : ingot_op_name(op));
  uint32_t nin = n->ninputs, nout = n->noutputs;
  const ingot_tensor_t **in = calloc(nin ? nin : 1, sizeof *in);
  ingot_tensor_t *wide = calloc(nin ? nin : 1, sizeof *wide);
  ingot_tensor_t *out = calloc(nout ? nout : 1, sizeof *out);
  ingot_status_t st = INGOT_OK;
  if (!in || !wide || !out) {
    st = ingot_error(INGOT_CODE_NOMEM, "out of memory running a node");
    goto done;
  }
  bool keep_narrow = op == INGOT_OP_CAST || op == INGOT_OP_CAST_LIKE;
  int narrow_dt = INGOT_DT_UNDEFINED;
  for (uint32_t j = 0; j < nin; j++) {
    int32_t v = n->inputs[j];
    if (v < 0) continue;
    if ((uint32_t)v >= g->nvalues || r->state[v] != VAL_READY) {
      st = ingot_node_error(g, ni, INGOT_CODE_INTERNAL, "input %u ('%s') is read before it is computed", j,
                            (uint32_t)v < g->nvalues ? g->values[v].name : "?");
      goto done;
    }
    in[j] = &r->vals[v];
    if (!keep_narrow && is_narrow(in[j]->dtype)) {
      if (narrow_dt == INGOT_DT_UNDEFINED) narrow_dt = in[j]->dtype;
      st = widen(in[j], &wide[j]);
      if (st) goto done;
      in[j] = &wide[j];
    }
  }
  ingot_kctx_t k = {g, ni, n, opts && opts->threads > 0 ? opts->threads : 1};
  st = ingot_interp_kernel(op)(&k, in, nin, out, nout);
  if (st) goto done;
  for (uint32_t j = 0; j < nout; j++) {
    int32_t v = n->outputs[j];
    if (v < 0) continue;
    if ((uint32_t)v >= g->nvalues) {
      st = ingot_node_error(g, ni, INGOT_CODE_INTERNAL, "output %u refers to value #%d, which does not exist", j, v);
      goto done;
    }
    if (!ingot_dtype_size(out[j].dtype) || (ingot_tensor_numel(&out[j]) && !out[j].data)) {
      st = ingot_node_error(g, ni, INGOT_CODE_INTERNAL, "the kernel produced no output %u ('%s')", j,
                            g->values[v].name);
      goto done;
    }
    if (!out[j].owned) { /* a borrowed result must not outlive what it borrows from */
      ingot_tensor_t copy;
      st = tensor_copy(&out[j], &copy);
      if (st) goto done;
      out[j] = copy;
    }
    /* float32 results of widened inputs go back to the narrow type, except
     * LayerNormalization's Mean/InvStdDev (stash_type, float32) and outputs
     * inference says are float32. */
    bool stash = op == INGOT_OP_LAYER_NORM && j >= 1;
    if (narrow_dt && out[j].dtype == INGOT_DT_FLOAT && !stash && g->values[v].type.dtype != INGOT_DT_FLOAT) {
      st = narrow(&out[j], narrow_dt);
      if (st) goto done;
    }
    if (opts && opts->check_types) {
      st = check_output(g, ni, v, &out[j]);
      if (st) goto done;
    }
  }
  for (uint32_t j = 0; j < nout; j++) {
    int32_t v = n->outputs[j];
    if (v < 0) continue;
    ingot_tensor_release(&r->vals[v]); /* a value written twice: keep the last */
    r->vals[v] = out[j];
    memset(&out[j], 0, sizeof out[j]);
    r->state[v] = VAL_READY;
  }
  /* Free what died here: inputs read for the last time, and outputs nobody
   * reads.  Graph outputs live on. */
  for (uint32_t j = 0; j < nin + nout; j++) {
    int32_t v = j < nin ? n->inputs[j] : n->outputs[j - nin];
    if (v < 0 || r->is_output[v]) continue;
    bool dead = j < nin ? r->last_use[v] == ni : r->last_use[v] < ni;
    if (dead) {
      ingot_tensor_release(&r->vals[v]);
      r->state[v] = VAL_EMPTY;
    }
  }
done:
  if (wide)
    for (uint32_t j = 0; j < nin; j++) ingot_tensor_release(&wide[j]);
  if (out)
    for (uint32_t j = 0; j < nout; j++) ingot_tensor_release(&out[j]);
  free(in);
  free(wide);
  free(out);
  return st;
}

ingot_status_t ingot_interp_run(const ingot_graph_t *g, const ingot_interp_opts_t *opts, const ingot_tensor_t *inputs,
                                ingot_tensor_t *outputs) {
  for (uint32_t i = 0; i < g->noutputs; i++) memset(&outputs[i], 0, sizeof outputs[i]);
  run_state_t r = {g, NULL, NULL, NULL, NULL};
  uint32_t nv = g->nvalues ? g->nvalues : 1;
  r.vals = calloc(nv, sizeof *r.vals);
  r.state = calloc(nv, 1);
  r.is_output = calloc(nv, 1);
  r.last_use = malloc(nv * sizeof *r.last_use);
  ingot_status_t st = INGOT_OK;
  if (!r.vals || !r.state || !r.is_output || !r.last_use) {
    st = ingot_error(INGOT_CODE_NOMEM, "out of memory starting the evaluator");
    goto fail;
  }
  for (uint32_t v = 0; v < g->nvalues; v++) r.last_use[v] = -1;
  for (uint32_t i = 0; i < g->noutputs; i++)
    if (g->outputs[i] >= 0 && (uint32_t)g->outputs[i] < g->nvalues) r.is_output[g->outputs[i]] = 1;
  for (uint32_t ni = 0; ni < g->nnodes; ni++) {
    const ingot_node_t *n = &g->nodes[ni];
    if (n->op == INGOT_OP_NOP) continue;
    for (uint32_t j = 0; j < n->ninputs; j++) {
      int32_t v = n->inputs[j];
      if (v >= 0 && (uint32_t)v < g->nvalues) r.last_use[v] = (int32_t)ni;
    }
  }
  st = bind_inputs(&r, inputs);
  if (st) goto fail;
  st = bind_constants(&r);
  if (st) goto fail;
  for (uint32_t ni = 0; ni < g->nnodes; ni++) {
    /* A NOP is a node a pass deleted: it computes nothing.  Reading one of
     * its outputs is reported as "read before it is computed". */
    if (g->nodes[ni].op == INGOT_OP_NOP) continue;
    st = run_node(&r, opts, (int32_t)ni);
    if (st) goto fail;
  }
  for (uint32_t i = 0; i < g->noutputs; i++) {
    int32_t v = g->outputs[i];
    if (v < 0 || (uint32_t)v >= g->nvalues || r.state[v] != VAL_READY) {
      st = ingot_error(INGOT_CODE_INTERNAL, "%s: graph output '%s' was never computed", src_of(g),
                       v >= 0 && (uint32_t)v < g->nvalues ? g->values[v].name : "?");
      goto fail;
    }
    if (r.vals[v].owned) {
      /* Move it; a later duplicate of this output is then copied from here. */
      outputs[i] = r.vals[v];
      r.vals[v] = ingot_tensor_view(outputs[i].dtype, outputs[i].rank, outputs[i].dims, outputs[i].data,
                                    outputs[i].nbytes);
    } else {
      st = tensor_copy(&r.vals[v], &outputs[i]);
      if (st) goto fail;
    }
  }
  run_free(&r);
  return INGOT_OK;
fail:
  run_free(&r);
  for (uint32_t i = 0; i < g->noutputs; i++) ingot_tensor_release(&outputs[i]);
  return st;
}
