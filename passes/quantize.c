/* Quantization pass.
 * requires: shapes inferred and static, constants folded (weights are
 *           constant data), topological order.
 * changes:  every quantized layer (a MatMul, Gemm or Conv with constant
 *           float32 weights that the policy does not keep in float32) becomes
 *           an IngotQLinear / IngotQConv node with the same name, reading
 *           new constant values (quantized weights in the kernels' panel
 *           layout, scales, the folded Gemm bias); in w8a8 and fp8 modes an
 *           IngotQuantAct node is inserted before it.  The original weights
 *           become unused (DCE drops them).  Nodes are re-sorted
 *           topologically when any were inserted.  Fills ctx->quant's
 *           layer list, kept list and scale-table hash.
 * why:      weights stored in 8 bits cut the weights file 4x and the memory
 *           traffic of weight-bound GEMMs; int8 activations allow integer
 *           dot products (VNNI).  Semantics: interp/k_quant.c.
 *
 * The fp32 policy.  Only constant-weight linear layers are ever quantized,
 * so norms, softmax, attention's activation x activation MatMuls and all
 * elementwise ops stay float32.  Of the linear layers, two kinds are kept:
 *
 *   conditioning embedders -- the timestep, class and pooled-text MLPs.
 *     "Token" inputs are the graph inputs of rank >= 3 (latents, masks,
 *     text tokens); the others (t [B], class labels [B], pooled vectors
 *     [B, D]) are conditioning inputs.  A linear layer is on the
 *     conditioning path when its activation depends on no token input.  It
 *     is an embedder when, following its output forward through non-linear
 *     ops, every path reaches another linear layer before any op that also
 *     reads token data: the t-embedder's Linear-SiLU-Linear and the pooled
 *     MLP feed the adaLN modulation Linears, not the tokens.  The adaLN
 *     modulation Linears themselves (their shift/scale/gate multiply
 *     tokens directly) and UNet ResBlocks' time projections (added to the
 *     feature map) are quantized.  Models without token inputs have no
 *     embedders.
 *   final projections -- linear layers from whose output a graph output is
 *     reached without passing another linear layer (DiT's final Linear,
 *     UNet's conv_out).
 *
 * References: symmetric per-channel int8 weights and per-tensor activations
 * follow Jacob et al., "Quantization and Training of Neural Networks for
 * Efficient Integer-Arithmetic-Only Inference" (CVPR 2018) with zero points
 * fixed at 0; per-token activation scales follow LLM.int8()/SmoothQuant;
 * FP8 per-tensor scaling follows Micikevicius et al., "FP8 Formats for Deep
 * Learning" (2022). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ir/quant_codec.h"
#include "passes/pass.h"
#include "passes/quantize.h"

enum { K_MATMUL, K_GEMM, K_CONV };

typedef struct {
  int32_t node;
  int kind;
  int32_t a, w, c; /* activation, weight (constant), bias (constant, -1) */
  int64_t K, N;
  bool trans_b;
  float alpha, beta;
  int64_t ks[2], pads[4], strides[2], dil[2]; /* conv */
} cand_t;

static bool is_const(const ingot_graph_t *g, int32_t v) { return v >= 0 && g->values[v].data != NULL; }

static bool static_f32(const ingot_graph_t *g, int32_t v) {
  return v >= 0 && g->values[v].type.dtype == INGOT_DT_FLOAT && ingot_type_is_static(&g->values[v].type);
}

static int64_t dim(const ingot_graph_t *g, int32_t v, int d) { return g->values[v].type.dims[d].v; }

static int64_t numel_of(const ingot_graph_t *g, int32_t v) {
  int64_t n = 0;
  return ingot_type_numel(&g->values[v].type, &n) ? n : -1;
}

/* Conv geometry: explicit pads or auto_pad (ONNX rules, as the evaluator). */
static bool conv_geometry(const ingot_graph_t *g, const ingot_node_t *n, cand_t *c) {
  int64_t H = dim(g, c->a, 2), W = dim(g, c->a, 3);
  int64_t kh = dim(g, c->w, 2), kw = dim(g, c->w, 3);
  const int64_t *v;
  int64_t cnt = ingot_node_attr_ints(n, "kernel_shape", &v);
  if (cnt >= 0 && (cnt != 2 || v[0] != kh || v[1] != kw)) return false;
  c->ks[0] = kh;
  c->ks[1] = kw;
  c->strides[0] = c->strides[1] = c->dil[0] = c->dil[1] = 1;
  if ((cnt = ingot_node_attr_ints(n, "strides", &v)) >= 0) {
    if (cnt != 2 || v[0] < 1 || v[1] < 1) return false;
    c->strides[0] = v[0];
    c->strides[1] = v[1];
  }
  if ((cnt = ingot_node_attr_ints(n, "dilations", &v)) >= 0) {
    if (cnt != 2 || v[0] < 1 || v[1] < 1) return false;
    c->dil[0] = v[0];
    c->dil[1] = v[1];
  }
  memset(c->pads, 0, sizeof c->pads);
  const char *ap = ingot_node_attr_s(n, "auto_pad", "NOTSET");
  if (!strcmp(ap, "NOTSET")) {
    if ((cnt = ingot_node_attr_ints(n, "pads", &v)) >= 0) {
      if (cnt != 4) return false;
      for (int i = 0; i < 4; i++) {
        if (v[i] < 0) return false;
        c->pads[i] = v[i];
      }
    }
  } else if (!strcmp(ap, "SAME_UPPER") || !strcmp(ap, "SAME_LOWER")) {
    int64_t in[2] = {H, W};
    for (int d = 0; d < 2; d++) {
      int64_t ext = c->dil[d] * (c->ks[d] - 1) + 1, out = (in[d] + c->strides[d] - 1) / c->strides[d];
      int64_t total = (out - 1) * c->strides[d] + ext - in[d];
      if (total < 0) total = 0;
      c->pads[d] = !strcmp(ap, "SAME_UPPER") ? total / 2 : total - total / 2;
      c->pads[d + 2] = total - c->pads[d];
    }
  } else if (strcmp(ap, "VALID")) {
    return false;
  }
  return true;
}

/* Is node i a constant-weight float32 linear layer this pass can quantize? */
static bool candidate(const ingot_graph_t *g, int32_t i, cand_t *c) {
  const ingot_node_t *n = &g->nodes[i];
  memset(c, 0, sizeof *c);
  c->node = i;
  c->c = -1;
  c->alpha = c->beta = 1.0f;
  if (n->noutputs < 1 || !static_f32(g, n->outputs[0]) || n->ninputs < 2) return false;
  c->a = n->inputs[0];
  c->w = n->inputs[1];
  if (!static_f32(g, c->a) || is_const(g, c->a) || !static_f32(g, c->w) || !is_const(g, c->w)) return false;
  int ra = g->values[c->a].type.rank, rw = g->values[c->w].type.rank;
  if (n->op == INGOT_OP_MATMUL) {
    if (ra < 2 || rw != 2) return false;
    c->kind = K_MATMUL;
    c->K = dim(g, c->w, 0);
    c->N = dim(g, c->w, 1);
    return dim(g, c->a, ra - 1) == c->K && c->K > 0 && c->N > 0;
  }
  if (n->op == INGOT_OP_GEMM) {
    if (ra != 2 || rw != 2 || ingot_node_attr_i(n, "transA", 0) != 0) return false;
    c->kind = K_GEMM;
    c->trans_b = ingot_node_attr_i(n, "transB", 0) != 0;
    c->K = dim(g, c->w, c->trans_b ? 1 : 0);
    c->N = dim(g, c->w, c->trans_b ? 0 : 1);
    c->alpha = ingot_node_attr_f(n, "alpha", 1.0f);
    c->beta = ingot_node_attr_f(n, "beta", 1.0f);
    if (dim(g, c->a, 1) != c->K || c->K < 1 || c->N < 1 || !isfinite(c->alpha) || !isfinite(c->beta)) return false;
    if (n->ninputs > 2 && n->inputs[2] >= 0) {
      int32_t cv = n->inputs[2];
      if (!static_f32(g, cv) || !is_const(g, cv)) return false;
      int64_t cn = numel_of(g, cv);
      const ingot_type_t *ct = &g->values[cv].type;
      bool row = cn == c->N && (ct->rank == 1 || (ct->rank == 2 && ct->dims[0].v == 1));
      if (!row && cn != 1) return false; /* a per-row or full [M, N] C stays a Gemm */
      c->c = cv;
    }
    return true;
  }
  if (n->op == INGOT_OP_CONV) {
    if (ra != 4 || rw != 4 || ingot_node_attr_i(n, "group", 1) != 1) return false;
    c->kind = K_CONV;
    c->N = dim(g, c->w, 0);
    if (dim(g, c->w, 1) != dim(g, c->a, 1)) return false;
    c->K = dim(g, c->w, 1) * dim(g, c->w, 2) * dim(g, c->w, 3);
    if (c->K < 1 || c->N < 1 || !conv_geometry(g, n, c)) return false;
    if (n->ninputs > 2 && n->inputs[2] >= 0) {
      int32_t bv = n->inputs[2];
      if (!static_f32(g, bv) || !is_const(g, bv) || numel_of(g, bv) != c->N) return false;
      c->c = bv;
    }
    return true;
  }
  return false;
}

/* Logical weight W[k, j] (k reduction, j output channel). */
static float wget(const ingot_graph_t *g, const cand_t *c, int64_t k, int64_t j) {
  const float *w = g->values[c->w].data;
  switch (c->kind) {
    case K_CONV: return w[j * c->K + k];
    case K_GEMM: return c->trans_b ? w[j * c->K + k] : w[k * c->N + j];
    default: return w[k * c->N + j];
  }
}

const char *ingot_quant_layer_key(const ingot_graph_t *g, int32_t node, char *buf, size_t len) {
  const ingot_node_t *n = &g->nodes[node];
  if (n->name && *n->name) snprintf(buf, len, "%s", n->name);
  else snprintf(buf, len, "output:%s", n->noutputs && n->outputs[0] >= 0 ? g->values[n->outputs[0]].name : "?");
  return buf;
}

/* ---- the policy ------------------------------------------------------------------- */

typedef struct {
  int32_t *off, *list; /* consumers of value v: list[off[v] .. off[v+1]) */
  uint8_t *token;      /* per value: depends on a token input */
  uint8_t *lin;        /* per node: a candidate linear layer */
} flow_t;

static void flow_free(flow_t *f) {
  free(f->off);
  free(f->list);
  free(f->token);
  free(f->lin);
}

static ingot_status_t flow_build(const ingot_graph_t *g, const uint8_t *lin, flow_t *f) {
  memset(f, 0, sizeof *f);
  uint32_t nv = g->nvalues, nn = g->nnodes;
  f->off = calloc(nv + 2, sizeof *f->off);
  f->token = calloc(nv + 1, 1);
  f->lin = calloc(nn + 1, 1);
  size_t nuse = 0;
  for (uint32_t i = 0; i < nn; i++)
    if (g->nodes[i].op != INGOT_OP_NOP) nuse += g->nodes[i].ninputs;
  f->list = malloc((nuse + 1) * sizeof *f->list);
  if (!f->off || !f->token || !f->lin || !f->list) {
    flow_free(f);
    return ingot_error(INGOT_CODE_NOMEM, "quantize: out of memory");
  }
  memcpy(f->lin, lin, nn);
  for (uint32_t i = 0; i < nn; i++) {
    const ingot_node_t *n = &g->nodes[i];
    if (n->op == INGOT_OP_NOP) continue;
    for (uint32_t k = 0; k < n->ninputs; k++)
      if (n->inputs[k] >= 0) f->off[n->inputs[k] + 1]++;
  }
  for (uint32_t v = 0; v < nv; v++) f->off[v + 1] += f->off[v];
  int32_t *fill = calloc(nv + 1, sizeof *fill);
  if (!fill) {
    flow_free(f);
    return ingot_error(INGOT_CODE_NOMEM, "quantize: out of memory");
  }
  for (uint32_t i = 0; i < nn; i++) {
    const ingot_node_t *n = &g->nodes[i];
    if (n->op == INGOT_OP_NOP) continue;
    for (uint32_t k = 0; k < n->ninputs; k++) {
      int32_t v = n->inputs[k];
      if (v < 0) continue;
      bool dup = false; /* a node reading v twice is listed once */
      for (int32_t e = f->off[v]; e < f->off[v] + fill[v]; e++) dup |= f->list[e] == (int32_t)i;
      if (!dup) f->list[f->off[v] + fill[v]++] = (int32_t)i;
    }
  }
  /* token dependence, forward in topological order */
  for (uint32_t i = 0; i < g->ninputs; i++) {
    int32_t v = g->inputs[i];
    if (g->values[v].type.rank >= 3) f->token[v] = 1;
  }
  for (uint32_t i = 0; i < nn; i++) {
    const ingot_node_t *n = &g->nodes[i];
    if (n->op == INGOT_OP_NOP) continue;
    bool t = false;
    for (uint32_t k = 0; k < n->ninputs; k++) t |= n->inputs[k] >= 0 && f->token[n->inputs[k]];
    for (uint32_t o = 0; o < n->noutputs; o++)
      if (n->outputs[o] >= 0) f->token[n->outputs[o]] = t;
  }
  /* a node reading a value twice left a hole in its list: mark holes -1 */
  for (uint32_t v = 0; v < nv; v++)
    for (int32_t e = f->off[v] + fill[v]; e < f->off[v + 1]; e++) f->list[e] = -1;
  free(fill);
  return INGOT_OK;
}

/* Forward walk from node `from`'s outputs through non-linear nodes.
 * want_output: true when a graph output is reached;
 * else: true when a node that also reads token data is reached. */
static ingot_status_t walk(const ingot_graph_t *g, const flow_t *f, int32_t from, bool want_output, bool *hit) {
  *hit = false;
  uint8_t *seen = calloc(g->nnodes + 1, 1);
  int32_t *stack = malloc((g->nnodes + 1) * sizeof *stack);
  if (!seen || !stack) {
    free(seen);
    free(stack);
    return ingot_error(INGOT_CODE_NOMEM, "quantize: out of memory");
  }
  int sp = 0;
  stack[sp++] = from;
  seen[from] = 1;
  while (sp && !*hit) {
    const ingot_node_t *n = &g->nodes[stack[--sp]];
    for (uint32_t o = 0; o < n->noutputs && !*hit; o++) {
      int32_t v = n->outputs[o];
      if (v < 0) continue;
      if (want_output && (g->values[v].flags & INGOT_VAL_OUTPUT)) *hit = true;
      for (int32_t e = f->off[v]; e < f->off[v + 1] && !*hit; e++) {
        int32_t u = f->list[e];
        if (u < 0 || seen[u]) continue;
        seen[u] = 1;
        if (f->lin[u]) continue; /* another linear layer: this path stops */
        const ingot_node_t *un = &g->nodes[u];
        if (!want_output) {
          bool tok = false;
          for (uint32_t q = 0; q < un->noutputs; q++) tok |= un->outputs[q] >= 0 && f->token[un->outputs[q]];
          if (tok) {
            *hit = true;
            break;
          }
        }
        stack[sp++] = u;
      }
    }
  }
  free(seen);
  free(stack);
  return INGOT_OK;
}

static bool in_list(char *const *list, int n, const char *s) {
  for (int i = 0; i < n; i++)
    if (!strcmp(list[i], s)) return true;
  return false;
}

static bool in_clist(const char *const *list, int n, const char *s) {
  for (int i = 0; i < n; i++)
    if (!strcmp(list[i], s)) return true;
  return false;
}

static ingot_status_t add_kept(ingot_quant_t *q, const char *layer, const char *why) {
  ingot_qkept_t *p = realloc(q->kept, (size_t)(q->nkept + 1) * sizeof *p);
  if (!p) return ingot_error(INGOT_CODE_NOMEM, "quantize: out of memory");
  q->kept = p;
  p[q->nkept].layer = strdup(layer);
  p[q->nkept].why = why;
  if (!p[q->nkept].layer) return ingot_error(INGOT_CODE_NOMEM, "quantize: out of memory");
  q->nkept++;
  return INGOT_OK;
}

/* Why the default policy keeps candidate i in fp32, or NULL. */
static ingot_status_t policy(const ingot_graph_t *g, const flow_t *f, const cand_t *c, bool have_tokens,
                             const char **why) {
  *why = NULL;
  bool hit;
  INGOT_RETURN_IF_ERROR(walk(g, f, c->node, true, &hit));
  if (hit) {
    *why = "final projection";
    return INGOT_OK;
  }
  if (have_tokens && !f->token[c->a]) {
    INGOT_RETURN_IF_ERROR(walk(g, f, c->node, false, &hit));
    if (!hit) *why = "conditioning embedder";
  }
  return INGOT_OK;
}

/* ---- graph edits ------------------------------------------------------------------ */

static ingot_status_t unique_value(ingot_graph_t *g, const char *base, const char *suffix, int32_t *out) {
  char name[512];
  snprintf(name, sizeof name, "%s%s", base, suffix);
  for (int k = 2; ingot_graph_find(g, name) >= 0; k++) snprintf(name, sizeof name, "%s%s#%d", base, suffix, k);
  return ingot_graph_add_value(g, name, out);
}

static ingot_status_t new_const(ingot_graph_t *g, const char *base, const char *suffix, int dtype, int rank,
                                const int64_t *dims, void *data, size_t nbytes, int32_t *out) {
  INGOT_RETURN_IF_ERROR(unique_value(g, base, suffix, out));
  ingot_value_t *v = &g->values[*out];
  v->type.dtype = dtype;
  v->type.rank = rank;
  for (int d = 0; d < rank; d++) v->type.dims[d] = ingot_dim_const(dims[d]);
  v->data = data;
  v->nbytes = nbytes;
  v->flags |= INGOT_VAL_INIT;
  return INGOT_OK;
}

typedef struct {
  ingot_attr_t a[12];
  int n;
} attrs_t;

static void attr_s(ingot_graph_t *g, attrs_t *as, const char *name, const char *s) {
  ingot_attr_t *a = &as->a[as->n++];
  memset(a, 0, sizeof *a);
  a->name = name;
  a->type = INGOT_ATTR_STRING;
  a->s = ingot_arena_strdup(g->arena, s);
  a->slen = strlen(s);
}

static void attr_i(attrs_t *as, const char *name, int64_t v) {
  ingot_attr_t *a = &as->a[as->n++];
  memset(a, 0, sizeof *a);
  a->name = name;
  a->type = INGOT_ATTR_INT;
  a->i = v;
}

static void attr_f(attrs_t *as, const char *name, float v) {
  ingot_attr_t *a = &as->a[as->n++];
  memset(a, 0, sizeof *a);
  a->name = name;
  a->type = INGOT_ATTR_FLOAT;
  a->f = v;
}

static void attr_ints(ingot_graph_t *g, attrs_t *as, const char *name, const int64_t *v, int n) {
  ingot_attr_t *a = &as->a[as->n++];
  memset(a, 0, sizeof *a);
  a->name = name;
  a->type = INGOT_ATTR_INTS;
  a->n = (size_t)n;
  a->ints = ingot_arena_calloc(g->arena, (size_t)n, sizeof(int64_t));
  if (a->ints) memcpy(a->ints, v, (size_t)n * sizeof(int64_t));
}

static ingot_status_t set_attrs(ingot_graph_t *g, ingot_node_t *n, const attrs_t *as) {
  ingot_attr_t *a = ingot_arena_calloc(g->arena, (size_t)as->n, sizeof *a);
  if (!a) return ingot_error(INGOT_CODE_NOMEM, "quantize: out of memory");
  for (int i = 0; i < as->n; i++) {
    if ((as->a[i].type == INGOT_ATTR_STRING && !as->a[i].s) || (as->a[i].type == INGOT_ATTR_INTS && !as->a[i].ints))
      return ingot_error(INGOT_CODE_NOMEM, "quantize: out of memory");
    a[i] = as->a[i];
  }
  n->attrs = a;
  n->nattrs = (uint32_t)as->n;
  return INGOT_OK;
}

/* Stable topological re-sort (nodes appended before their consumers move
 * right before them); DFS in original order. */
static ingot_status_t toposort(ingot_graph_t *g) {
  uint32_t nn = g->nnodes;
  int32_t *order = malloc((nn + 1) * sizeof *order), *stack = malloc((nn + 1) * sizeof *stack);
  uint8_t *state = calloc(nn + 1, 1); /* 0 new, 1 on stack, 2 emitted */
  ingot_node_t *nodes = malloc((nn + 1) * sizeof *nodes);
  int32_t *newidx = malloc((nn + 1) * sizeof *newidx);
  ingot_status_t st = INGOT_OK;
  if (!order || !stack || !state || !nodes || !newidx) {
    st = ingot_error(INGOT_CODE_NOMEM, "quantize: out of memory");
    goto out;
  }
  uint32_t no = 0;
  for (uint32_t r = 0; r < nn && !st; r++) {
    if (state[r]) continue;
    int sp = 0;
    stack[sp++] = (int32_t)r;
    state[r] = 1;
    while (sp) {
      int32_t i = stack[sp - 1];
      const ingot_node_t *n = &g->nodes[i];
      int32_t next = -1;
      for (uint32_t k = 0; k < n->ninputs && next < 0; k++) {
        int32_t v = n->inputs[k];
        if (v < 0) continue;
        int32_t p = g->values[v].producer;
        if (p < 0 || state[p] == 2) continue;
        if (state[p] == 1) {
          st = ingot_error(INGOT_CODE_INTERNAL, "quantize: the graph has a cycle");
          goto out;
        }
        next = p;
      }
      if (next >= 0) {
        state[next] = 1;
        stack[sp++] = next;
      } else {
        state[i] = 2;
        order[no++] = i;
        sp--;
      }
    }
  }
  for (uint32_t k = 0; k < nn; k++) {
    nodes[k] = g->nodes[order[k]];
    newidx[order[k]] = (int32_t)k;
  }
  memcpy(g->nodes, nodes, nn * sizeof *nodes);
  for (uint32_t v = 0; v < g->nvalues; v++)
    if (g->values[v].producer >= 0) g->values[v].producer = newidx[g->values[v].producer];
out:
  free(order);
  free(stack);
  free(state);
  free(nodes);
  free(newidx);
  return st;
}

/* ---- one layer ---------------------------------------------------------------------- */

static ingot_status_t record(ingot_quant_t *q, const ingot_graph_t *g, const cand_t *c, const char *key,
                             float act_scale, const float *ws, int64_t nws, uint64_t bytes_q) {
  ingot_qlayer_t *p = realloc(q->layers, (size_t)(q->nlayers + 1) * sizeof *p);
  if (!p) return ingot_error(INGOT_CODE_NOMEM, "quantize: out of memory");
  q->layers = p;
  ingot_qlayer_t *l = &p[q->nlayers];
  memset(l, 0, sizeof *l);
  l->layer = strdup(key);
  l->output = strdup(g->values[g->nodes[c->node].outputs[0]].name);
  l->op = c->kind == K_CONV ? "Conv" : c->kind == K_GEMM ? "Gemm" : "MatMul";
  l->act_scale = act_scale;
  l->k = c->K;
  l->n = c->N;
  l->bytes_fp32 = (uint64_t)(c->K * c->N) * 4;
  l->bytes_q = bytes_q;
  q->nlayers++;
  if (!l->layer || !l->output) return ingot_error(INGOT_CODE_NOMEM, "quantize: out of memory");
  uint8_t mode = (uint8_t)q->mode;
  q->hash = ingot_fnv64(q->hash, key, strlen(key) + 1);
  q->hash = ingot_fnv64(q->hash, &mode, 1);
  q->hash = ingot_fnv64(q->hash, &act_scale, sizeof act_scale);
  q->hash = ingot_fnv64(q->hash, ws, (size_t)nws * sizeof *ws);
  return INGOT_OK;
}

static ingot_status_t quantize_layer(ingot_graph_t *g, ingot_quant_t *q, const cand_t *c, bool *inserted) {
  char key[512];
  ingot_quant_layer_key(g, c->node, key, sizeof key);
  const char *base = key;
  bool fp8 = q->mode == INGOT_QUANT_FP8_E4M3, w8a8 = q->mode == INGOT_QUANT_W8A8;
  bool k4 = w8a8 && c->kind != K_CONV;
  int wfmt = fp8 ? INGOT_QW_E4M3FN : k4 ? INGOT_QW_INT8X4 : INGOT_QW_INT8;
  int64_t K = c->K, N = c->N, Kp = ingot_qweights_kpad(wfmt, K), NP = (N + INGOT_QPANEL - 1) / INGOT_QPANEL;
  size_t wbytes = (size_t)(NP * Kp * INGOT_QPANEL);
  int64_t nws = fp8 ? 1 : N;
  uint8_t *wq = ingot_arena_calloc(g->arena, wbytes, 1);
  float *ws = ingot_arena_calloc(g->arena, (size_t)nws, sizeof *ws);
  if (!wq || !ws) return ingot_error(INGOT_CODE_NOMEM, "quantize: out of memory for '%s'", key);

  /* activation scale */
  float act_scale = 0;
  bool per_token = w8a8 && q->per_token && c->kind != K_CONV;
  if ((w8a8 && !per_token) || fp8) {
    const ingot_qrange_t *r = ingot_quant_range(q, key);
    if (!r)
      return ingot_node_error(g, c->node, INGOT_CODE_INPUT,
                              "layer '%s' has no calibrated activation range (calibrate with --calibrate DIR, or "
                              "--load-scales a file made for this model)",
                              key);
    if (!isfinite(r->amax) || r->amax < 0)
      return ingot_node_error(g, c->node, INGOT_CODE_INPUT, "layer '%s': activation range %g is not usable", key,
                              (double)r->amax);
    act_scale = fp8 ? (r->amax >= 1e-30f ? r->amax / ingot_fp8_max(INGOT_FP8_E4M3FN) : 1.0f) : ingot_int8_scale(r->amax);
  }

  /* weights */
  if (fp8) {
    float amax = 0;
    for (int64_t k = 0; k < K; k++)
      for (int64_t j = 0; j < N; j++) {
        float v = fabsf(wget(g, c, k, j));
        if (v > amax) amax = v;
      }
    float s = amax >= 1e-30f && isfinite(amax) ? amax / ingot_fp8_max(INGOT_FP8_E4M3FN) : 1.0f, inv = 1.0f / s;
    for (int64_t k = 0; k < K; k++)
      for (int64_t j = 0; j < N; j++)
        wq[ingot_qweights_index(wfmt, K, k, j)] = ingot_fp8_encode(INGOT_FP8_E4M3FN, wget(g, c, k, j) * inv, true);
    ws[0] = s;
  } else {
    for (int64_t j = 0; j < N; j++) {
      float amax = 0;
      for (int64_t k = 0; k < K; k++) {
        float v = fabsf(wget(g, c, k, j));
        if (v > amax) amax = v;
      }
      float s = ingot_int8_scale(amax), inv = 1.0f / s;
      for (int64_t k = 0; k < K; k++)
        ((int8_t *)wq)[ingot_qweights_index(wfmt, K, k, j)] = ingot_int8_quantize(wget(g, c, k, j), inv);
      ws[j] = s;
    }
  }
  for (int64_t j = 0; j < nws; j++) {
    ws[j] *= c->alpha;
    if (q->fault_scale != 1.0f && (!q->fault_layer || !strcmp(q->fault_layer, key))) ws[j] *= q->fault_scale;
  }
  INGOT_RETURN_IF_ERROR(record(q, g, c, key, act_scale, ws, nws, wbytes + (uint64_t)nws * 4));

  int32_t vw, vws, vb = -1;
  int64_t wdims[4] = {NP, k4 ? Kp / 4 : K, INGOT_QPANEL, 4};
  INGOT_RETURN_IF_ERROR(new_const(g, base, ":wq", fp8 ? INGOT_DT_UINT8 : INGOT_DT_INT8, k4 ? 4 : 3, wdims, wq, wbytes,
                                  &vw));
  INGOT_RETURN_IF_ERROR(new_const(g, base, ":wscale", INGOT_DT_FLOAT, 1, &nws, ws, (size_t)nws * 4, &vws));
  if (c->c >= 0) {
    if (c->kind == K_CONV && g->values[c->c].type.rank == 1) {
      vb = c->c;
    } else {
      float *b = ingot_arena_calloc(g->arena, (size_t)N, sizeof *b);
      if (!b) return ingot_error(INGOT_CODE_NOMEM, "quantize: out of memory");
      const float *src = g->values[c->c].data;
      bool scalar = numel_of(g, c->c) == 1;
      for (int64_t j = 0; j < N; j++) b[j] = (c->kind == K_GEMM ? c->beta : 1.0f) * src[scalar ? 0 : j];
      INGOT_RETURN_IF_ERROR(new_const(g, base, ":bias", INGOT_DT_FLOAT, 1, &N, b, (size_t)N * 4, &vb));
    }
  }

  /* activation quantization node */
  int32_t va = c->a, vrs = -1;
  if (w8a8 || fp8) {
    const ingot_type_t at = g->values[c->a].type;
    int32_t qn;
    char qname[600];
    snprintf(qname, sizeof qname, "%s/quant_act", key);
    INGOT_RETURN_IF_ERROR(ingot_graph_add_node(g, INGOT_OP_QUANT_ACT, qname, 1, per_token ? 2 : 1, &qn));
    INGOT_RETURN_IF_ERROR(unique_value(g, g->values[c->a].name, fp8 ? ":fp8" : ":int8", &va));
    ingot_type_t yt = at;
    if (!fp8) {
      yt.dtype = INGOT_DT_INT8;
      if (k4) yt.dims[yt.rank - 1] = ingot_dim_const(Kp);
    }
    g->values[va].type = yt;
    g->values[va].producer = qn;
    g->nodes[qn].inputs[0] = c->a;
    g->nodes[qn].outputs[0] = va;
    if (per_token) {
      INGOT_RETURN_IF_ERROR(unique_value(g, g->values[c->a].name, ":rowscale", &vrs));
      ingot_type_t st = at;
      st.rank = at.rank - 1;
      g->values[vrs].type = st;
      g->values[vrs].producer = qn;
      g->nodes[qn].outputs[1] = vrs;
    }
    attrs_t as = {.n = 0};
    attr_s(g, &as, "format", fp8 ? "e4m3fn" : "int8");
    if (!per_token) attr_f(&as, "scale", act_scale);
    if (k4) attr_i(&as, "pad_to", 4);
    INGOT_RETURN_IF_ERROR(set_attrs(g, &g->nodes[qn], &as));
    *inserted = true;
  }

  /* the layer itself, rewritten in place (name and ONNX index kept) */
  ingot_node_t *n = &g->nodes[c->node];
  bool conv = c->kind == K_CONV;
  uint32_t nin = per_token ? 5 : vb >= 0 ? 4 : 3;
  int32_t *ins = ingot_arena_calloc(g->arena, nin, sizeof *ins);
  if (!ins) return ingot_error(INGOT_CODE_NOMEM, "quantize: out of memory");
  ins[0] = va;
  ins[1] = vw;
  ins[2] = vws;
  if (nin > 3) ins[3] = vb;
  if (nin > 4) ins[4] = vrs;
  attrs_t as = {.n = 0};
  attr_s(g, &as, "weights", ingot_qweights_name(wfmt));
  attr_i(&as, "n", N);
  if (!conv) attr_i(&as, "k", K);
  if (act_scale > 0 && !fp8) attr_f(&as, "act_scale", act_scale);
  if (conv) {
    attr_ints(g, &as, "kernel_shape", c->ks, 2);
    attr_ints(g, &as, "pads", c->pads, 4);
    attr_ints(g, &as, "strides", c->strides, 2);
    attr_ints(g, &as, "dilations", c->dil, 2);
  }
  INGOT_RETURN_IF_ERROR(set_attrs(g, n, &as));
  n->op = conv ? INGOT_OP_QCONV : INGOT_OP_QLINEAR;
  n->op_type = ingot_op_name((ingot_op_t)n->op);
  n->domain = "";
  n->inputs = ins;
  n->ninputs = nin;
  return INGOT_OK;
}

/* ---- the pass ------------------------------------------------------------------------- */

void ingot_quant_clear_results(ingot_quant_t *q) {
  for (int i = 0; i < q->nlayers; i++) {
    free(q->layers[i].layer);
    free(q->layers[i].output);
  }
  for (int i = 0; i < q->nkept; i++) free(q->kept[i].layer);
  free(q->layers);
  free(q->kept);
  q->layers = NULL;
  q->kept = NULL;
  q->nlayers = q->nkept = 0;
  q->hash = INGOT_FNV64_INIT;
}

ingot_status_t ingot_pass_quantize(ingot_graph_t *g, ingot_pass_ctx_t *ctx) {
  ingot_quant_t *q = ctx->quant;
  if (!q || q->mode == INGOT_QUANT_NONE) return INGOT_OK;
  ingot_quant_clear_results(q);
  uint32_t nn = g->nnodes;
  cand_t *cands = calloc(nn + 1, sizeof *cands);
  uint8_t *lin = calloc(nn + 1, 1);
  int nc = 0;
  flow_t f = {0};
  ingot_status_t st = INGOT_OK;
  if (!cands || !lin) st = ingot_error(INGOT_CODE_NOMEM, "quantize: out of memory");
  for (uint32_t i = 0; !st && i < nn; i++) {
    if (g->nodes[i].op == INGOT_OP_NOP || !candidate(g, (int32_t)i, &cands[nc])) continue;
    lin[i] = 1;
    nc++;
  }
  bool have_tokens = false;
  for (uint32_t i = 0; i < g->ninputs; i++) have_tokens |= g->values[g->inputs[i]].type.rank >= 3;
  if (!st) st = flow_build(g, lin, &f);
  /* --keep-fp32 names must name nodes */
  for (int i = 0; !st && q->keep_given && i < q->nkeep; i++) {
    const char *nm = q->keep[i];
    if (!strcmp(nm, "default") || !strcmp(nm, "none")) continue;
    bool found = false;
    char key[512];
    for (uint32_t n = 0; n < nn && !found; n++)
      found = g->nodes[n].op != INGOT_OP_NOP && !strcmp(ingot_quant_layer_key(g, (int32_t)n, key, sizeof key), nm);
    if (!found)
      st = ingot_error(INGOT_CODE_INPUT, "--keep-fp32: the model has no node named '%s'", nm);
  }
  bool inserted = false;
  bool use_default = !q->only && !q->keep_auto && (!q->keep_given || in_list(q->keep, q->nkeep, "default"));
  /* decide first (on the unmodified graph), then rewrite */
  const char **why = calloc((size_t)nc + 1, sizeof *why);
  uint8_t *skip = calloc((size_t)nc + 1, 1);
  if (!st && (!why || !skip)) st = ingot_error(INGOT_CODE_NOMEM, "quantize: out of memory");
  for (int ci = 0; !st && ci < nc; ci++) {
    const cand_t *c = &cands[ci];
    char key[512];
    ingot_quant_layer_key(g, c->node, key, sizeof key);
    if (q->only) {
      skip[ci] = !in_clist(q->only, q->nonly, key);
      continue;
    }
    if (use_default) st = policy(g, &f, c, have_tokens, &why[ci]);
    if (!why[ci] && q->keep_given && in_list(q->keep, q->nkeep, key)) why[ci] = "--keep-fp32";
    if (!why[ci] && q->keep_auto && in_list(q->auto_keep, q->nauto_keep, key)) why[ci] = "auto";
    if (!st && why[ci]) st = add_kept(q, key, why[ci]);
  }
  for (int ci = 0; !st && ci < nc; ci++) {
    if (skip[ci] || why[ci]) continue;
    char key[512];
    ingot_quant_layer_key(g, cands[ci].node, key, sizeof key);
    st = quantize_layer(g, q, &cands[ci], &inserted);
    if (st) st = ingot_status_annotate(st, "quantizing layer '%s'", key);
  }
  free(why);
  free(skip);
  if (!st && inserted) st = toposort(g);
  flow_free(&f);
  free(cands);
  free(lin);
  return st;
}
