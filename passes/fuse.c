/* Operator fusion.
 *
 * requires: a compacted graph in topological order with static shapes (the
 * compile pipeline after specialize, fold, cse and dce).  changes: groups of
 * nodes become one INGOT_OP_FUSED node each, whose pass_data points at an
 * ingot_fusion_t in the graph's arena (passes/fusion.h); the graph is
 * compacted.  why: every node is a kernel launch and a round trip of its
 * output through memory.  A DiT block is mostly small elementwise ops around
 * a few matrix products (bias, gate, residual, GELU, adaLN modulation), and
 * attention materialises an N x M score matrix three times; fused, the
 * elementwise work happens while the anchor's result is still in registers
 * and attention streams over keys (codegen/cg_attention.c).
 *
 * A group is an optional anchor (MatMul, Gemm, Conv, ConvTranspose,
 * LayerNormalization, InstanceNormalization, GroupNormalization, Softmax,
 * LogSoftmax, or the attention core MatMul -> [Mul|Div by a scalar] ->
 * Softmax(last axis) -> MatMul) followed by an elementwise DAG evaluated per
 * output element (the epilogue).  Groups grow greedily, in three phases so
 * that anchors get first pick: attention cores, then anchors, then
 * anchor-less elementwise DAGs.  Growing a group scans the nodes after its
 * last member in topological order:
 *   - a node that reads nothing of the group is skipped (it is independent);
 *   - a node that reads a group value joins if it is a fusable elementwise op
 *     or a view (Reshape, Squeeze, Unsqueeze, Flatten), else growth stops:
 *     that value escapes, so only it could be the group's output;
 *   - a joining node also pulls in the producers of its other operands when
 *     they are fusable elementwise ops used by nothing else ("1 + scale" of
 *     adaLN, "(1 - mask) * latent"): they are recomputed per output element,
 *     so non-full-size ones must be cheap ops.
 * An attention core also absorbs the data movement around it where that is a
 * strided view (attention_layout): the Reshape/Transpose/Split/Squeeze
 * chains that cut Q, K and V out of one packed projection, and the Transpose
 * that puts the heads back (CPU only: ctx->dense_attention keeps them).
 * After each addition the group is checked (group_valid) and the last valid
 * state is kept.  A valid group has one output, produced by its
 * topologically last member; every other member's outputs are read only
 * inside the group and are not graph outputs.  The fused node takes the last
 * member's place, so the node order stays topological: every input of a
 * member comes before that member, and nothing outside reads the group's
 * internals, so nothing outside can sit between the group and its inputs.
 *
 * Index spaces.  The epilogue runs in the flat (C order) index space of the
 * fused output, whose element count E equals the anchor's.  Views keep flat
 * indices, so they are free -- but only on full-size (E-element) values.  An
 * extra input is broadcast against the fused output's shape, which is
 * right only where no view lies between its use and the output (numpy
 * broadcasting composes along elementwise ops); before a view, extra inputs
 * must be scalars or full-size in the same layout.
 *
 * Only float32 tensors with static shapes are fused, and only ops whose f32
 * semantics cg_scalar_f32 (the elementwise emitter's own scalar code)
 * implements. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "passes/fusion.h"
#include "passes/pass.h"

#define FZ_MAX_MEMBERS 64 /* nodes in one group */
#define FZ_MAX_STEPS 64   /* epilogue steps (codegen keeps 64 registers) */
#define FZ_MAX_INPUTS 16  /* inputs of the fused node (CG_MAX_IO) */
#define FZ_WINDOW 1024    /* nodes scanned past the last addition before giving up */
#define FZ_PULL_DEPTH 4   /* producer chains pulled in behind an operand */
#define FZ_MAX_HEAD_DIM 256 /* attention head dims the flash kernel keeps on its stack */

typedef struct {
  ingot_graph_t *g;
  ingot_pass_ctx_t *ctx;
  int32_t *ustart, *users; /* CSR: the distinct nodes reading each value */
  uint8_t *gout;           /* per value: a graph output */
  int32_t *owner;          /* per node: the fused group it went to, -1 */
  uint8_t *in_s;           /* per node: a member of the group being grown */
  int ngroups;
} fz_t;

typedef struct {
  int32_t mem[FZ_MAX_MEMBERS];
  int n;
  int ncore;          /* mem[0, ncore): the anchor, or the attention core */
  int32_t anchor_op;  /* ingot_op_t, INGOT_ANCHOR_NONE or INGOT_ANCHOR_ATTENTION */
  int32_t anchor;     /* the anchor node (attention: the first MatMul), -1 */
  int32_t acc;        /* the value the epilogue's ACC is (anchor / second MatMul output), -1 */
  int64_t acc_numel;
  /* attention */
  int32_t q, k, v;
  int k_transposed;
  double scale;
} grp_t;

/* ---- value and node predicates ---------------------------------------------------- */

static int64_t numel(const ingot_graph_t *g, int32_t v) {
  int64_t n;
  return v >= 0 && ingot_type_numel(&g->values[v].type, &n) ? n : -1;
}

static bool f32_static(const ingot_graph_t *g, int32_t v) {
  if (v < 0) return false;
  const ingot_type_t *t = &g->values[v].type;
  return t->dtype == INGOT_DT_FLOAT && t->rank >= 0 && ingot_type_is_static(t) && numel(g, v) >= 0;
}

/* A one-element float32 constant (initializer or folded value). */
static bool scalar_const(const ingot_graph_t *g, int32_t v, float *out) {
  const ingot_value_t *x = &g->values[v];
  if (!x->data || x->type.dtype != INGOT_DT_FLOAT || numel(g, v) != 1 || x->nbytes < sizeof(float)) return false;
  memcpy(out, x->data, sizeof(float));
  return true;
}

static int32_t producer(const fz_t *f, int32_t v) { return v >= 0 ? f->g->values[v].producer : -1; }

static int nusers(const fz_t *f, int32_t v) { return f->ustart[v + 1] - f->ustart[v]; }

/* The one node reading v (and v is no graph output), else -1. */
static int32_t sole_user(const fz_t *f, int32_t v) {
  if (v < 0 || f->gout[v] || nusers(f, v) != 1) return -1;
  return f->users[f->ustart[v]];
}

static bool default_domain(const ingot_node_t *n) { return !n->domain || !*n->domain; }

/* Inputs an elementwise op takes when fused (0: not fusable). */
static int ew_arity(int op) {
  switch (op) {
    case INGOT_OP_ADD: case INGOT_OP_SUB: case INGOT_OP_MUL: case INGOT_OP_DIV: case INGOT_OP_POW:
    case INGOT_OP_MAX: case INGOT_OP_MIN:
      return 2;
    case INGOT_OP_IDENTITY: case INGOT_OP_NEG: case INGOT_OP_ABS: case INGOT_OP_SQRT: case INGOT_OP_RECIPROCAL:
    case INGOT_OP_EXP: case INGOT_OP_LOG: case INGOT_OP_SIN: case INGOT_OP_COS: case INGOT_OP_FLOOR:
    case INGOT_OP_CEIL: case INGOT_OP_ROUND: case INGOT_OP_SIGN: case INGOT_OP_ERF: case INGOT_OP_TANH:
    case INGOT_OP_SIGMOID: case INGOT_OP_RELU: case INGOT_OP_LEAKY_RELU: case INGOT_OP_SOFTPLUS: case INGOT_OP_GELU:
    case INGOT_OP_MISH: case INGOT_OP_HARD_SIGMOID: case INGOT_OP_HARD_SWISH: case INGOT_OP_ELU:
      return 1;
    case INGOT_OP_CLIP: return 3;
    default: return 0;
  }
}

/* Ops cheap enough to recompute for every output element when their own
 * result is smaller (a broadcast operand pulled into a group). */
static bool cheap_op(int op) {
  switch (op) {
    case INGOT_OP_ADD: case INGOT_OP_SUB: case INGOT_OP_MUL: case INGOT_OP_DIV: case INGOT_OP_NEG:
    case INGOT_OP_ABS: case INGOT_OP_SQRT: case INGOT_OP_RECIPROCAL: case INGOT_OP_IDENTITY: case INGOT_OP_RELU:
    case INGOT_OP_MAX: case INGOT_OP_MIN: case INGOT_OP_CLIP:
      return true;
    default: return false;
  }
}

static bool is_view_op(int op) {
  return op == INGOT_OP_RESHAPE || op == INGOT_OP_SQUEEZE || op == INGOT_OP_UNSQUEEZE || op == INGOT_OP_FLATTEN;
}

/* A float32 elementwise node the epilogue can evaluate. */
static bool ew_node_ok(const fz_t *f, int32_t i) {
  const ingot_node_t *n = &f->g->nodes[i];
  int ar = ew_arity(n->op);
  if (!ar || !default_domain(n) || n->noutputs != 1 || !f32_static(f->g, n->outputs[0])) return false;
  if (n->op == INGOT_OP_CLIP) {
    if (n->nattrs > 0 || n->ninputs < 1 || n->ninputs > 3 || n->inputs[0] < 0) return false; /* opset < 11 bounds */
    for (uint32_t k = 1; k < n->ninputs; k++)
      if (n->inputs[k] >= 0 && numel(f->g, n->inputs[k]) != 1) return false;
  } else if (n->ninputs != (uint32_t)ar) {
    return false;
  }
  for (uint32_t k = 0; k < n->ninputs; k++)
    if (n->inputs[k] >= 0 && !f32_static(f->g, n->inputs[k])) return false;
  if (n->op == INGOT_OP_GELU) {
    const char *a = ingot_node_attr_s(n, "approximate", "none");
    if (strcmp(a, "none") && strcmp(a, "tanh")) return false;
  }
  return true;
}

static bool view_node_ok(const fz_t *f, int32_t i) {
  const ingot_node_t *n = &f->g->nodes[i];
  return is_view_op(n->op) && default_domain(n) && n->ninputs >= 1 && n->noutputs == 1 &&
         f32_static(f->g, n->inputs[0]) && f32_static(f->g, n->outputs[0]);
}

static bool anchor_op_ok(int op) {
  switch (op) {
    case INGOT_OP_MATMUL: case INGOT_OP_GEMM: case INGOT_OP_CONV: case INGOT_OP_CONV_TRANSPOSE:
    case INGOT_OP_LAYER_NORM: case INGOT_OP_INSTANCE_NORM: case INGOT_OP_GROUP_NORM: case INGOT_OP_SOFTMAX:
    case INGOT_OP_LOG_SOFTMAX:
      return true;
    default: return false;
  }
}

/* An anchor whose output 0 is float32 and whose other outputs nobody reads. */
static bool anchor_node_ok(const fz_t *f, int32_t i) {
  const ingot_node_t *n = &f->g->nodes[i];
  if (!anchor_op_ok(n->op) || !default_domain(n) || n->noutputs < 1 || !f32_static(f->g, n->outputs[0])) return false;
  if (n->ninputs >= FZ_MAX_INPUTS) return false;
  for (uint32_t k = 0; k < n->ninputs; k++)
    if (n->inputs[k] >= 0 && !f32_static(f->g, n->inputs[k])) return false;
  for (uint32_t o = 1; o < n->noutputs; o++) {
    int32_t v = n->outputs[o];
    if (v >= 0 && (f->gout[v] || nusers(f, v) > 0)) return false;
  }
  return true;
}

/* ---- groups ---------------------------------------------------------------------------- */

static void add_member(fz_t *f, grp_t *G, int32_t node) {
  G->mem[G->n++] = node;
  f->in_s[node] = 1;
}

static void truncate_group(fz_t *f, grp_t *G, int n) {
  while (G->n > n) f->in_s[G->mem[--G->n]] = 0;
}

static int member_index(const grp_t *G, int32_t node) {
  for (int i = 0; i < G->n; i++)
    if (G->mem[i] == node) return i;
  return -1;
}

static bool in_core(const grp_t *G, int32_t node) {
  for (int i = 0; i < G->ncore; i++)
    if (G->mem[i] == node) return true;
  return false;
}

static bool consumes_group(const fz_t *f, const ingot_node_t *n) {
  for (uint32_t k = 0; k < n->ninputs; k++) {
    int32_t p = producer(f, n->inputs[k]);
    if (p >= 0 && f->in_s[p]) return true;
  }
  return false;
}

/* Pulls the producers of c's operands into G when they are fusable
 * elementwise ops whose result only c reads (see the essay above). */
static void pull_operands(fz_t *f, grp_t *G, int32_t c, int depth) {
  const ingot_node_t *n = &f->g->nodes[c];
  int64_t nc = numel(f->g, n->outputs[0]);
  for (uint32_t k = 0; k < n->ninputs; k++) {
    int32_t v = n->inputs[k], p = producer(f, v);
    if (p < 0 || f->in_s[p] || f->owner[p] >= 0 || G->n >= FZ_MAX_MEMBERS) continue;
    if (sole_user(f, v) != c || !ew_node_ok(f, p)) continue;
    if (numel(f->g, v) != nc && !cheap_op(f->g->nodes[p].op)) continue;
    add_member(f, G, p);
    if (depth > 1) pull_operands(f, G, p, depth - 1);
  }
}

/* Is the current group fusable as it stands (see the essay)?  *last gets its
 * output's producer. */
static bool group_valid(const fz_t *f, const grp_t *G, int32_t *last_out) {
  const ingot_graph_t *g = f->g;
  int32_t last = -1;
  for (int i = 0; i < G->n; i++)
    if (G->mem[i] > last) last = G->mem[i];
  if (last < 0) return false;
  const ingot_node_t *L = &g->nodes[last];
  if (is_view_op(L->op) && !in_core(G, last)) return false; /* a trailing view gains nothing */
  int32_t out = L->outputs[0];
  int64_t E = numel(g, out);
  if (E < 0 || (G->anchor_op != INGOT_ANCHOR_NONE && E != G->acc_numel)) return false;
  int nsteps = 0, nviews = 0;
  /* members' outputs stay inside, but for the last one's */
  for (int i = 0; i < G->n; i++) {
    const ingot_node_t *m = &g->nodes[G->mem[i]];
    if (!in_core(G, G->mem[i])) {
      if (is_view_op(m->op)) nviews++;
      else nsteps++;
    }
    if (G->mem[i] == last) continue;
    for (uint32_t o = 0; o < m->noutputs; o++) {
      int32_t v = m->outputs[o];
      if (v < 0) continue;
      if (f->gout[v]) return false;
      for (int32_t u = f->ustart[v]; u < f->ustart[v + 1]; u++)
        if (!f->in_s[f->users[u]]) return false;
    }
  }
  /* worth a fused node? */
  if (G->anchor_op == INGOT_ANCHOR_NONE ? nsteps < 2 : (G->anchor_op != INGOT_ANCHOR_ATTENTION && nsteps < 1))
    return false;
  if (nsteps > FZ_MAX_STEPS) return false;
  /* index spaces: members with a view downstream (inside the group) */
  bool after_view[FZ_MAX_MEMBERS] = {false};
  if (nviews) {
    int order[FZ_MAX_MEMBERS];
    for (int i = 0; i < G->n; i++) order[i] = i;
    for (int i = 1; i < G->n; i++) /* by node index, descending */
      for (int j = i; j > 0 && G->mem[order[j]] > G->mem[order[j - 1]]; j--) {
        int t = order[j];
        order[j] = order[j - 1];
        order[j - 1] = t;
      }
    for (int oi = 0; oi < G->n; oi++) {
      int i = order[oi];
      int32_t v = g->nodes[G->mem[i]].outputs[0];
      for (int32_t u = f->ustart[v]; v >= 0 && u < f->ustart[v + 1]; u++) {
        int ui = member_index(G, f->users[u]);
        if (ui >= 0 && (is_view_op(g->nodes[G->mem[ui]].op) || after_view[ui])) after_view[i] = true;
      }
    }
  }
  int32_t extras[FZ_MAX_INPUTS];
  int nextra = 0;
  for (int i = 0; i < G->n; i++) {
    int32_t mi = G->mem[i];
    if (in_core(G, mi)) continue;
    const ingot_node_t *m = &g->nodes[mi];
    int64_t nm = numel(g, m->outputs[0]);
    if (is_view_op(m->op)) {
      if (numel(g, m->inputs[0]) != E) return false; /* views only on full-size values */
      continue;
    }
    if (nm > E) return false;
    if (after_view[i] && nm != E) return false;
    for (uint32_t k = 0; k < m->ninputs; k++) {
      int32_t v = m->inputs[k];
      if (v < 0) continue;
      int32_t p = producer(f, v);
      float c;
      if (p >= 0 && f->in_s[p]) {
        if (after_view[i] && numel(g, v) != E) return false;
        continue;
      }
      if (scalar_const(g, v, &c)) continue;
      if (after_view[i] && numel(g, v) != 1) {
        /* before a view: full size in the member's own layout */
        const ingot_type_t *a = &g->values[v].type, *b = &g->values[m->outputs[0]].type;
        if (numel(g, v) != E) return false;
        int ra = a->rank, rb = b->rank;
        for (int d = 0; d < (ra > rb ? ra : rb); d++) {
          int64_t da = d < ra ? a->dims[ra - 1 - d].v : 1, db = d < rb ? b->dims[rb - 1 - d].v : 1;
          if (da != db) return false;
        }
      }
      bool seen = false;
      for (int e = 0; e < nextra && !seen; e++) seen = extras[e] == v;
      if (!seen) {
        if (nextra == FZ_MAX_INPUTS) return false;
        extras[nextra++] = v;
      }
    }
  }
  uint32_t nanchor = G->anchor_op == INGOT_ANCHOR_ATTENTION ? 3
                     : G->anchor_op == INGOT_ANCHOR_NONE    ? 0
                                                            : g->nodes[G->anchor].ninputs;
  if (nanchor + (uint32_t)nextra > FZ_MAX_INPUTS) return false;
  *last_out = last;
  return true;
}

/* Grows G forward from its members (see the essay); keeps the last valid
 * state.  Returns whether G is worth fusing. */
static bool grow(fz_t *f, grp_t *G) {
  ingot_graph_t *g = f->g;
  int32_t last;
  int best = group_valid(f, G, &last) ? G->n : -1;
  int32_t start = -1;
  for (int i = 0; i < G->n; i++)
    if (G->mem[i] > start) start = G->mem[i];
  int idle = 0;
  for (uint32_t j = (uint32_t)start + 1; j < g->nnodes && idle < FZ_WINDOW; j++) {
    const ingot_node_t *c = &g->nodes[j];
    if (!consumes_group(f, c)) {
      idle++;
      continue;
    }
    if (f->owner[j] >= 0 || c->op == INGOT_OP_NOP || G->n >= FZ_MAX_MEMBERS) break;
    bool ew = ew_node_ok(f, (int32_t)j);
    if (!ew && !view_node_ok(f, (int32_t)j)) break;
    add_member(f, G, (int32_t)j);
    if (ew) pull_operands(f, G, (int32_t)j, FZ_PULL_DEPTH);
    idle = 0;
    if (group_valid(f, G, &last)) best = G->n;
  }
  truncate_group(f, G, best < 0 ? 0 : best);
  return best > 0;
}

/* ---- attention ----------------------------------------------------------------------- */

/* x * c, c * x or x / c with c a scalar float constant: the other operand
 * and the factor. */
static bool scale_node(const fz_t *f, int32_t i, int32_t *x, double *factor) {
  const ingot_node_t *n = &f->g->nodes[i];
  if ((n->op != INGOT_OP_MUL && n->op != INGOT_OP_DIV) || n->ninputs != 2 || !ew_node_ok(f, i)) return false;
  float c;
  if (scalar_const(f->g, n->inputs[1], &c)) {
    *x = n->inputs[0];
    *factor = n->op == INGOT_OP_MUL ? (double)c : 1.0 / (double)c;
    return c != 0 && numel(f->g, n->inputs[0]) == numel(f->g, n->outputs[0]);
  }
  if (n->op == INGOT_OP_MUL && scalar_const(f->g, n->inputs[0], &c)) {
    *x = n->inputs[1];
    *factor = c;
    return numel(f->g, n->inputs[1]) == numel(f->g, n->outputs[0]);
  }
  return false;
}

static bool swaps_last_two(const ingot_node_t *n, int rank) {
  const int64_t *perm;
  int64_t np = ingot_node_attr_ints(n, "perm", &perm);
  if (np != rank || rank < 2) return false;
  for (int d = 0; d < rank - 2; d++)
    if (perm[d] != d) return false;
  return perm[rank - 2] == rank - 1 && perm[rank - 1] == rank - 2;
}

static bool same_batch(const ingot_type_t *a, const ingot_type_t *b, int rank) {
  if (a->rank != rank || b->rank != rank) return false;
  for (int d = 0; d < rank - 2; d++)
    if (a->dims[d].v != b->dims[d].v) return false;
  return true;
}

static bool usable(const fz_t *f, int32_t node) { return node >= 0 && f->owner[node] < 0 && !f->in_s[node]; }

/* MatMul(Q, K^T) -> [Mul|Div scalar] -> Softmax(last axis) -> MatMul(., V),
 * with scalar Mul/Div on Q or K and a Transpose making K^T absorbed. */
static bool match_attention(fz_t *f, int32_t i, grp_t *G) {
  ingot_graph_t *g = f->g;
  const ingot_node_t *m1 = &g->nodes[i];
  if (m1->op != INGOT_OP_MATMUL || !usable(f, i) || !anchor_node_ok(f, i) || m1->ninputs != 2) return false;
  memset(G, 0, sizeof *G);
  G->anchor_op = INGOT_ANCHOR_ATTENTION;
  G->anchor = i;
  G->scale = 1;
  add_member(f, G, i);
  int32_t cur = m1->outputs[0], u = sole_user(f, cur);
  int32_t x;
  double c;
  if (usable(f, u) && scale_node(f, u, &x, &c) && x == cur) {
    G->scale *= c;
    add_member(f, G, u);
    cur = g->nodes[u].outputs[0];
    u = sole_user(f, cur);
  }
  int rank = g->values[cur].type.rank;
  if (!usable(f, u) || g->nodes[u].op != INGOT_OP_SOFTMAX || !f32_static(g, g->nodes[u].outputs[0])) goto fail;
  {
    bool old = g->opset > 0 && g->opset < 13;
    int64_t ax = ingot_node_attr_i(&g->nodes[u], "axis", old ? 1 : -1);
    if (ax < 0) ax += rank;
    if (ax != rank - 1) goto fail;
  }
  add_member(f, G, u);
  cur = g->nodes[u].outputs[0];
  u = sole_user(f, cur);
  if (!usable(f, u) || g->nodes[u].op != INGOT_OP_MATMUL || !anchor_node_ok(f, u) || g->nodes[u].ninputs != 2 ||
      g->nodes[u].inputs[0] != cur || g->nodes[u].inputs[1] == cur)
    goto fail;
  add_member(f, G, u);
  int32_t m2 = u;
  G->v = g->nodes[m2].inputs[1];
  G->acc = g->nodes[m2].outputs[0];
  G->acc_numel = numel(g, G->acc);
  /* Q: peel scalar scales */
  G->q = m1->inputs[0];
  for (int it = 0; it < 2; it++) {
    int32_t p = producer(f, G->q);
    if (!usable(f, p) || sole_user(f, G->q) < 0 || !scale_node(f, p, &x, &c)) break;
    G->scale *= c;
    add_member(f, G, p);
    G->q = x;
  }
  /* K: peel scalar scales and one Transpose of the last two axes */
  G->k = m1->inputs[1];
  G->k_transposed = 1;
  for (int it = 0; it < 3; it++) {
    int32_t p = producer(f, G->k);
    if (!usable(f, p) || sole_user(f, G->k) < 0) break;
    const ingot_node_t *pn = &g->nodes[p];
    if (G->k_transposed && pn->op == INGOT_OP_TRANSPOSE && pn->ninputs == 1 && f32_static(g, pn->inputs[0]) &&
        swaps_last_two(pn, g->values[pn->inputs[0]].type.rank)) {
      G->k_transposed = 0;
      add_member(f, G, p);
      G->k = pn->inputs[0];
    } else if (scale_node(f, p, &x, &c)) {
      G->scale *= c;
      add_member(f, G, p);
      G->k = x;
    } else {
      break;
    }
  }
  {
    const ingot_type_t *tq = &g->values[G->q].type, *tk = &g->values[G->k].type, *tv = &g->values[G->v].type;
    const ingot_type_t *to = &g->values[G->acc].type;
    if (rank < 2 || !f32_static(g, G->q) || !f32_static(g, G->k) || !f32_static(g, G->v)) goto fail;
    if (!same_batch(tq, tk, rank) || !same_batch(tq, tv, rank) || !same_batch(tq, to, rank)) goto fail;
    int64_t N = tq->dims[rank - 2].v, D = tq->dims[rank - 1].v;
    int64_t M = G->k_transposed ? tk->dims[rank - 1].v : tk->dims[rank - 2].v;
    int64_t Dk = G->k_transposed ? tk->dims[rank - 2].v : tk->dims[rank - 1].v;
    int64_t Dv = tv->dims[rank - 1].v;
    if (Dk != D || tv->dims[rank - 2].v != M || to->dims[rank - 2].v != N || to->dims[rank - 1].v != Dv) goto fail;
    if (N < 1 || M < 1 || D < 1 || Dv < 1 || D > FZ_MAX_HEAD_DIM || Dv > FZ_MAX_HEAD_DIM) goto fail;
    if (rank - 2 > INGOT_ATTN_MAX_BATCH) goto fail; /* the operand layouts (fusion.h) hold this many batch dims */
  }
  G->ncore = G->n;
  return true;
fail:
  truncate_group(f, G, 0);
  return false;
}

/* ---- building the fused node --------------------------------------------------------------- */

static int cmp_i32(const void *a, const void *b) {
  int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
  return x < y ? -1 : x > y;
}

typedef struct {
  int32_t value;
  ingot_fuse_operand_t op;
} vmap_t;

static ingot_status_t nomem(void) { return ingot_error(INGOT_CODE_NOMEM, "fuse: out of memory"); }

/* Times step `r` is an operand in steps (the last step, the result, counts once more). */
static int reg_uses(const ingot_fuse_step_t *steps, uint32_t n, uint32_t r) {
  int u = r + 1 == n;
  for (uint32_t i = r + 1; i < n; i++)
    for (int k = 0; k < steps[i].nargs && k < 3; k++)
      u += steps[i].args[k].kind == INGOT_FUSE_REG && steps[i].args[k].index == (int32_t)r;
  return u;
}

/* 1 + tanh(z) = 2 sigmoid(2 z): the tanh form of GELU (torch's export spells it out as
 * 0.5 x (1 + tanh(..))) then costs one exponential and one division per element instead of
 * tanh's two branches (an exponential with a division, and a polynomial).  Rewrites Tanh(z)
 * read only by Add(., 1) into Mul(z, 2) -> Sigmoid -> Mul(., 2); returns the new step count. */
static uint32_t rewrite_tanh_plus_one(ingot_fuse_step_t *steps, uint32_t n) {
  for (uint32_t a = 0; a < n && n < FZ_MAX_STEPS; a++) {
    ingot_fuse_step_t *sa = &steps[a];
    if (sa->op != INGOT_OP_ADD || sa->nargs != 2) continue;
    int32_t t = -1;
    for (int k = 0; k < 2; k++) {
      const ingot_fuse_operand_t *o = &sa->args[k], *c = &sa->args[1 - k];
      if (o->kind == INGOT_FUSE_REG && c->kind == INGOT_FUSE_CONST && c->value == 1.0f &&
          steps[o->index].op == INGOT_OP_TANH && steps[o->index].nargs == 1)
        t = o->index;
    }
    if (t < 0 || reg_uses(steps, n, (uint32_t)t) != 1) continue;
    ingot_fuse_step_t *st = &steps[t];
    st->op = INGOT_OP_MUL;
    st->nargs = 2;
    st->args[1] = (ingot_fuse_operand_t){INGOT_FUSE_CONST, 0, 2.0f};
    st->src = NULL;
    memmove(&steps[a + 2], &steps[a + 1], (n - a - 1) * sizeof *steps);
    n++;
    for (uint32_t i = a + 2; i < n; i++)
      for (int k = 0; k < steps[i].nargs && k < 3; k++)
        if (steps[i].args[k].kind == INGOT_FUSE_REG && steps[i].args[k].index >= (int32_t)a) steps[i].args[k].index++;
    *sa = (ingot_fuse_step_t){INGOT_OP_SIGMOID, 1, {{INGOT_FUSE_REG, t, 0}}, NULL};
    steps[a + 1] = (ingot_fuse_step_t){INGOT_OP_MUL, 2, {{INGOT_FUSE_REG, (int32_t)a, 0}, {INGOT_FUSE_CONST, 0, 2.0f}}, NULL};
    a++;
  }
  return n;
}

static ingot_status_t build_fused(fz_t *f, grp_t *G, int32_t *node_out) {
  ingot_graph_t *g = f->g;
  ingot_arena_t *A = g->arena;
  int32_t last;
  if (!group_valid(f, G, &last)) return ingot_error(INGOT_CODE_INTERNAL, "fuse: building an invalid group");
  int32_t sorted[FZ_MAX_MEMBERS];
  memcpy(sorted, G->mem, (size_t)G->n * sizeof *sorted);
  qsort(sorted, (size_t)G->n, sizeof *sorted, cmp_i32);

  ingot_fusion_t *fu = ingot_arena_calloc(A, 1, sizeof *fu);
  ingot_fuse_step_t *steps = ingot_arena_calloc(A, FZ_MAX_STEPS, sizeof *steps);
  if (!fu || !steps) return nomem();
  /* anchor inputs */
  int32_t ain[FZ_MAX_INPUTS];
  uint32_t na = 0;
  if (G->anchor_op == INGOT_ANCHOR_ATTENTION) {
    ain[0] = G->q;
    ain[1] = G->k;
    ain[2] = G->v;
    na = 3;
  } else if (G->anchor_op != INGOT_ANCHOR_NONE) {
    const ingot_node_t *an = &g->nodes[G->anchor];
    for (uint32_t k = 0; k < an->ninputs; k++) ain[na++] = an->inputs[k];
  }
  /* the epilogue, in topological order */
  vmap_t map[FZ_MAX_MEMBERS + 1];
  int nmap = 0;
  int32_t extras[FZ_MAX_INPUTS];
  uint32_t nextra = 0, nsteps = 0;
  char desc[512];
  size_t dl = 0;
  desc[0] = 0;
  if (G->anchor_op == INGOT_ANCHOR_ATTENTION) dl += (size_t)snprintf(desc, sizeof desc, "Attention");
  else if (G->anchor_op != INGOT_ANCHOR_NONE)
    dl += (size_t)snprintf(desc, sizeof desc, "%s", g->nodes[G->anchor].op_type);
  if (G->acc >= 0) map[nmap++] = (vmap_t){G->acc, {INGOT_FUSE_ACC, 0, 0}};
  for (int si = 0; si < G->n; si++) {
    int32_t mi = sorted[si];
    if (in_core(G, mi)) continue;
    const ingot_node_t *m = &g->nodes[mi];
    if (dl + 32 < sizeof desc) dl += (size_t)snprintf(desc + dl, sizeof desc - dl, "%s%s", dl ? "+" : "", m->op_type);
    if (is_view_op(m->op)) {
      int j = 0;
      while (j < nmap && map[j].value != m->inputs[0]) j++;
      if (j == nmap) return ingot_error(INGOT_CODE_INTERNAL, "fuse: view of an unmapped value");
      map[nmap++] = (vmap_t){m->outputs[0], map[j].op};
      continue;
    }
    ingot_fuse_step_t *s = &steps[nsteps];
    s->op = m->op;
    s->nargs = (int32_t)m->ninputs;
    ingot_node_t *src = ingot_arena_alloc(A, sizeof *src);
    if (!src) return nomem();
    *src = *m;
    s->src = src;
    for (uint32_t k = 0; k < m->ninputs && k < 3; k++) {
      int32_t v = m->inputs[k];
      ingot_fuse_operand_t *o = &s->args[k];
      float c;
      int j = 0;
      while (j < nmap && map[j].value != v) j++;
      if (v < 0) { /* an omitted Clip bound: no limit */
        o->kind = INGOT_FUSE_CONST;
        o->value = k == 1 ? -INFINITY : INFINITY;
      } else if (j < nmap) {
        *o = map[j].op;
      } else if (producer(f, v) >= 0 && f->in_s[producer(f, v)]) {
        return ingot_error(INGOT_CODE_INTERNAL, "fuse: operand '%s' used before it is computed", g->values[v].name);
      } else if (scalar_const(g, v, &c)) {
        o->kind = INGOT_FUSE_CONST;
        o->value = c;
      } else {
        uint32_t e = 0;
        while (e < nextra && extras[e] != v) e++;
        if (e == nextra) extras[nextra++] = v;
        o->kind = INGOT_FUSE_INPUT;
        o->index = (int32_t)e;
      }
    }
    map[nmap++] = (vmap_t){m->outputs[0], {INGOT_FUSE_REG, (int32_t)nsteps, 0}};
    nsteps++;
  }
  /* the node */
  uint32_t nin = na + nextra;
  int32_t *ins = ingot_arena_calloc(A, nin ? nin : 1, sizeof *ins);
  int32_t *outs = ingot_arena_calloc(A, 1, sizeof *outs);
  char *dcopy = ingot_arena_strdup(A, desc);
  if (!ins || !outs || !dcopy) return nomem();
  memcpy(ins, ain, na * sizeof *ins);
  memcpy(ins + na, extras, nextra * sizeof *ins);
  ingot_node_t *L = &g->nodes[last];
  outs[0] = L->outputs[0];
  const ingot_node_t *named = G->anchor >= 0 ? &g->nodes[G->anchor] : L;
  if (G->anchor >= 0) fu->anchor = g->nodes[G->anchor];
  else fu->anchor = *L;
  fu->anchor.inputs = ins; /* shared with the fused node, so compaction renumbers both */
  fu->anchor.ninputs = na;
  fu->anchor.outputs = outs;
  fu->anchor.noutputs = 1;
  fu->anchor.pass_data = NULL;
  fu->anchor_op = G->anchor_op;
  fu->anchor_ninputs = na;
  fu->anchor_type = g->values[G->acc >= 0 ? G->acc : outs[0]].type;
  fu->k_transposed = G->k_transposed;
  fu->attn_scale = (float)G->scale;
  fu->nsteps = rewrite_tanh_plus_one(steps, nsteps);
  fu->steps = steps;
  fu->nextra = nextra;
  fu->desc = dcopy;
  const char *name = named->name;
  int32_t onnx_index = named->onnx_index;
  for (int i = 0; i < G->n; i++) {
    g->nodes[G->mem[i]].op = INGOT_OP_NOP;
    f->owner[G->mem[i]] = f->ngroups;
  }
  L->op = INGOT_OP_FUSED;
  L->op_type = "Fused";
  L->domain = "";
  L->name = name;
  L->onnx_index = onnx_index;
  L->ninputs = nin;
  L->inputs = ins;
  L->noutputs = 1;
  L->outputs = outs;
  L->nattrs = 0;
  L->attrs = NULL;
  L->pass_data = fu;
  if (node_out) *node_out = last;
  for (int i = 0; i < G->n; i++) f->in_s[G->mem[i]] = 0;
  f->ngroups++;
  f->ctx->fused++;
  f->ctx->fused_absorbed += G->n;
  return INGOT_OK;
}

/* ---- attention: absorbing the data movement around the core -------------------------------------- */

/* A DiT/MMDiT attention reads Q, K and V out of one packed projection:
 *
 *     qkv [B, N, 3*H*D] -Reshape-> [B, N, 3, H, D] -Transpose-> [3, B, H, N, D] -Split-> 3 x Squeeze
 *
 * and its heads are put back with Transpose [B, H, N, Dv] -> [B, N, H, Dv].  Each of these is a
 * strided view of the tensor before it, so the flash kernel can read the projection and write
 * the transposed output directly: the copies (a Transpose and a Split of the whole projection,
 * a Transpose of the output, at 2 threads most of their time is moving cache lines between
 * cores) disappear.  Views are tracked as (dims, strides, offset) from the chain's source, with
 * Reshape allowed where it splits or merges contiguous runs (numpy's rule). */

#define FZ_MAX_CHAIN 8 /* movement nodes behind one attention operand */

typedef struct {
  int rank;
  int64_t dims[INGOT_MAX_RANK], str[INGOT_MAX_RANK];
  int64_t off;
} sview_t;

static void sv_dense(sview_t *v, const ingot_type_t *t) {
  v->rank = t->rank;
  v->off = 0;
  int64_t s = 1;
  for (int d = t->rank - 1; d >= 0; d--) {
    v->dims[d] = t->dims[d].v;
    v->str[d] = s;
    s *= t->dims[d].v;
  }
}

/* v viewed with the (same-size) shape `to`, if that needs no copy. */
static bool sv_reshape(sview_t *v, const ingot_type_t *to) {
  int64_t od[INGOT_MAX_RANK], os[INGOT_MAX_RANK], ns[INGOT_MAX_RANK];
  int on = 0, nr = to->rank;
  for (int k = 0; k < v->rank; k++)
    if (v->dims[k] != 1) od[on] = v->dims[k], os[on++] = v->str[k];
  int i = 0, j = 0;
  while (j < nr) {
    if (to->dims[j].v == 1) {
      ns[j++] = 0;
      continue;
    }
    if (i >= on) return false;
    int i0 = i, j0 = j;
    int64_t po = od[i], pn = to->dims[j].v;
    while (po != pn) {
      if (po < pn) {
        if (++i >= on) return false;
        po *= od[i];
      } else {
        if (++j >= nr) return false;
        pn *= to->dims[j].v;
      }
    }
    for (int k = i0; k < i; k++)
      if (os[k] != os[k + 1] * od[k + 1]) return false; /* the old run is not contiguous */
    int64_t st = os[i];
    for (int k = j; k >= j0; k--) {
      ns[k] = st;
      st *= to->dims[k].v;
    }
    i++, j++;
  }
  if (i != on) return false;
  v->rank = nr;
  for (int k = 0; k < nr; k++) v->dims[k] = to->dims[k].v, v->str[k] = ns[k];
  return true;
}

/* Applies movement node n (producing `out` from the view v of its first input). */
static bool sv_apply(const ingot_graph_t *g, const ingot_node_t *n, int32_t out, sview_t *v) {
  const ingot_type_t *to = &g->values[out].type;
  switch (n->op) {
    case INGOT_OP_IDENTITY: return true;
    case INGOT_OP_RESHAPE: case INGOT_OP_SQUEEZE: case INGOT_OP_UNSQUEEZE: case INGOT_OP_FLATTEN:
      return sv_reshape(v, to);
    case INGOT_OP_TRANSPOSE: {
      const int64_t *perm;
      int64_t np = ingot_node_attr_ints(n, "perm", &perm);
      int64_t p[INGOT_MAX_RANK];
      if (np < 0) np = 0;
      if (np != 0 && np != v->rank) return false;
      for (int k = 0; k < v->rank; k++) p[k] = np ? perm[k] : v->rank - 1 - k;
      sview_t w = *v;
      for (int k = 0; k < v->rank; k++) {
        if (p[k] < 0 || p[k] >= v->rank) return false;
        w.dims[k] = v->dims[p[k]];
        w.str[k] = v->str[p[k]];
      }
      *v = w;
      return to->rank == v->rank;
    }
    case INGOT_OP_SPLIT: {
      int64_t ax = ingot_node_attr_i(n, "axis", 0);
      if (ax < 0) ax += v->rank;
      if (ax < 0 || ax >= v->rank || to->rank != v->rank) return false;
      int64_t start = 0;
      uint32_t k = 0;
      for (; k < n->noutputs && n->outputs[k] != out; k++) {
        if (n->outputs[k] < 0 || g->values[n->outputs[k]].type.rank != v->rank) return false;
        start += g->values[n->outputs[k]].type.dims[ax].v;
      }
      if (k == n->noutputs || start + to->dims[ax].v > v->dims[ax]) return false;
      v->off += start * v->str[ax];
      v->dims[ax] = to->dims[ax].v;
      return true;
    }
    default: return false;
  }
}

static bool movement_op(int op) {
  return op == INGOT_OP_IDENTITY || op == INGOT_OP_TRANSPOSE || op == INGOT_OP_SPLIT || is_view_op(op);
}

typedef struct {
  int32_t src;                /* the tensor the operand is a view of */
  int32_t chain[FZ_MAX_CHAIN]; /* movement nodes, from the operand back to src */
  int n;
  sview_t view;               /* the operand as a view of src */
} chain_t;

/* The longest chain of movement nodes behind operand v whose composite is a strided view. */
static void operand_chain(const fz_t *f, int32_t v, chain_t *c) {
  const ingot_graph_t *g = f->g;
  int32_t vals[FZ_MAX_CHAIN + 1];
  vals[0] = v;
  c->n = 0;
  while (c->n < FZ_MAX_CHAIN) {
    int32_t p = producer(f, vals[c->n]);
    if (!usable(f, p)) break;
    const ingot_node_t *pn = &g->nodes[p];
    if (!movement_op(pn->op) || !default_domain(pn) || pn->ninputs < 1 || !f32_static(g, pn->inputs[0])) break;
    c->chain[c->n++] = p;
    vals[c->n] = pn->inputs[0];
  }
  /* shorten until the composite is a view */
  for (; c->n > 0; c->n--) {
    sv_dense(&c->view, &g->values[vals[c->n]].type);
    bool ok = true;
    for (int k = c->n - 1; k >= 0 && ok; k--) ok = sv_apply(g, &g->nodes[c->chain[k]], vals[k], &c->view);
    if (ok) break;
  }
  c->src = vals[c->n];
  if (c->n == 0) sv_dense(&c->view, &g->values[v].type);
}

static bool in_chains(const chain_t *c, int nc, int32_t node) {
  for (int i = 0; i < nc; i++)
    for (int k = 0; k < c[i].n; k++)
      if (c[i].chain[k] == node) return true;
  return false;
}

/* Every output of every chain node is read only by chain nodes or the group. */
static bool chains_private(const fz_t *f, const chain_t *c, int nc, int group) {
  for (int i = 0; i < nc; i++)
    for (int k = 0; k < c[i].n; k++) {
      const ingot_node_t *n = &f->g->nodes[c[i].chain[k]];
      for (uint32_t o = 0; o < n->noutputs; o++) {
        int32_t v = n->outputs[o];
        if (v < 0) continue;
        if (f->gout[v]) return false;
        for (int32_t u = f->ustart[v]; u < f->ustart[v + 1]; u++)
          if (f->owner[f->users[u]] != group && !in_chains(c, nc, f->users[u])) return false;
      }
    }
  return true;
}

static void set_view(ingot_attn_view_t *w, const sview_t *v, int nb, int row, int col) {
  memset(w, 0, sizeof *w);
  w->off = v->off;
  for (int k = 0; k < nb; k++) w->batch[k] = v->str[k];
  w->row = v->str[row];
  w->col = v->str[col];
}

/* Fills attention fused node `node`'s (group `group`) operand layouts (fusion.h: attn_view),
 * reading through its operands' movement chains and writing through a Transpose of its heads
 * where that is a view (not with ctx->dense_attention), else each operand dense. */
static void attention_layout(fz_t *f, int32_t node, int group) {
  ingot_graph_t *g = f->g;
  ingot_node_t *L = &g->nodes[node];
  ingot_fusion_t *fu = L->pass_data;
  const ingot_type_t *tq = &g->values[L->inputs[0]].type, *tk = &g->values[L->inputs[1]].type;
  const ingot_type_t *tv = &g->values[L->inputs[2]].type, *ta = &fu->anchor_type;
  int r = tq->rank, nb = r - 2; /* match_attention: r - 2 <= INGOT_ATTN_MAX_BATCH, ta of rank r */
  chain_t c[3];
  bool use[3] = {false, false, false}, use_out = false;
  int32_t tr = -1;
  sview_t ov;
  if (!f->ctx->dense_attention) {
    for (int i = 0; i < 3; i++) {
      operand_chain(f, L->inputs[i], &c[i]);
      use[i] = c[i].n > 0;
    }
    use[2] = use[2] && c[2].view.str[r - 1] == 1; /* V rows are vector loads */
    /* all three together, or each alone */
    chain_t sel[3];
    int ns = 0;
    for (int i = 0; i < 3; i++)
      if (use[i]) sel[ns++] = c[i];
    if (!chains_private(f, sel, ns, group))
      for (int i = 0; i < 3; i++) use[i] = use[i] && chains_private(f, &c[i], 1, group);
    /* the output: a Transpose that keeps the last axis, when there is no epilogue */
    tr = fu->nsteps == 0 ? sole_user(f, L->outputs[0]) : -1;
    if (usable(f, tr) && g->nodes[tr].op == INGOT_OP_TRANSPOSE && g->nodes[tr].ninputs == 1 &&
        f32_static(g, g->nodes[tr].outputs[0])) {
      const int64_t *perm;
      const ingot_type_t *tt = &g->values[g->nodes[tr].outputs[0]].type;
      if (ingot_node_attr_ints(&g->nodes[tr], "perm", &perm) == r && perm[r - 1] == r - 1 && tt->rank == r) {
        sview_t dense;
        sv_dense(&dense, tt);
        ov.rank = r;
        ov.off = 0;
        use_out = true;
        for (int k = 0; k < r; k++) {
          if (perm[k] < 0 || perm[k] >= r) use_out = false;
          else ov.str[perm[k]] = dense.str[k], ov.dims[perm[k]] = dense.dims[k];
        }
      }
    }
  }
  /* logical shapes and views */
  fu->attn_views = 1;
  fu->attn_nbatch = nb;
  for (int k = 0; k < nb; k++) fu->attn_batch[k] = tq->dims[k].v;
  fu->attn_n = tq->dims[r - 2].v;
  fu->attn_d = tq->dims[r - 1].v;
  fu->attn_m = fu->k_transposed ? tk->dims[r - 1].v : tk->dims[r - 2].v;
  fu->attn_dv = tv->dims[r - 1].v;
  sview_t dq, dk, dv, da;
  sv_dense(&dq, tq);
  sv_dense(&dk, tk);
  sv_dense(&dv, tv);
  sv_dense(&da, ta);
  set_view(&fu->attn_view[0], use[0] ? &c[0].view : &dq, nb, r - 2, r - 1);
  if (fu->k_transposed) set_view(&fu->attn_view[1], use[1] ? &c[1].view : &dk, nb, r - 1, r - 2); /* K^T [.., D, M] */
  else set_view(&fu->attn_view[1], use[1] ? &c[1].view : &dk, nb, r - 2, r - 1);
  set_view(&fu->attn_view[2], use[2] ? &c[2].view : &dv, nb, r - 2, r - 1);
  set_view(&fu->attn_view[3], use_out ? &ov : &da, nb, r - 2, r - 1);
  for (int i = 0; i < 3; i++) {
    if (!use[i]) continue;
    L->inputs[i] = c[i].src;
    for (int k = 0; k < c[i].n; k++) {
      ingot_node_t *n = &g->nodes[c[i].chain[k]];
      if (n->op != INGOT_OP_NOP) f->ctx->fused_absorbed++; /* (a Split is shared by the chains) */
      n->op = INGOT_OP_NOP;
      f->owner[c[i].chain[k]] = group;
    }
  }
  if (use_out) {
    L->outputs[0] = g->nodes[tr].outputs[0];
    g->nodes[tr].op = INGOT_OP_NOP;
    f->owner[tr] = group;
    f->ctx->fused_absorbed++;
  }
}

/* ---- the pass ------------------------------------------------------------------------------- */

static ingot_status_t run(fz_t *f) {
  ingot_graph_t *g = f->g;
  grp_t G;
  /* attention cores */
  for (uint32_t i = 0; i < g->nnodes; i++) {
    if (g->nodes[i].op != INGOT_OP_MATMUL || !match_attention(f, (int32_t)i, &G)) continue;
    int32_t node;
    if (!grow(f, &G)) continue; /* (the core alone is valid) */
    INGOT_RETURN_IF_ERROR(build_fused(f, &G, &node));
    attention_layout(f, node, f->ngroups - 1);
  }
  /* anchors */
  for (uint32_t i = 0; i < g->nnodes; i++) {
    if (!usable(f, (int32_t)i) || !anchor_node_ok(f, (int32_t)i)) continue;
    memset(&G, 0, sizeof G);
    G.anchor_op = g->nodes[i].op;
    G.anchor = (int32_t)i;
    G.acc = g->nodes[i].outputs[0];
    G.acc_numel = numel(g, G.acc);
    add_member(f, &G, (int32_t)i);
    G.ncore = 1;
    if (grow(f, &G)) INGOT_RETURN_IF_ERROR(build_fused(f, &G, NULL));
  }
  /* anchor-less elementwise DAGs */
  for (uint32_t i = 0; i < g->nnodes; i++) {
    if (!usable(f, (int32_t)i) || !ew_node_ok(f, (int32_t)i)) continue;
    memset(&G, 0, sizeof G);
    G.anchor_op = INGOT_ANCHOR_NONE;
    G.anchor = -1;
    G.acc = -1;
    add_member(f, &G, (int32_t)i);
    pull_operands(f, &G, (int32_t)i, FZ_PULL_DEPTH);
    if (grow(f, &G)) INGOT_RETURN_IF_ERROR(build_fused(f, &G, NULL));
  }
  return INGOT_OK;
}

ingot_status_t ingot_pass_fuse(ingot_graph_t *g, ingot_pass_ctx_t *ctx) {
  if (ctx->no_fuse || g->nnodes == 0) return INGOT_OK;
  fz_t f;
  memset(&f, 0, sizeof f);
  f.g = g;
  f.ctx = ctx;
  uint32_t nv = g->nvalues, nn = g->nnodes;
  f.ustart = calloc(nv + 2, sizeof *f.ustart);
  f.gout = calloc(nv + 1, 1);
  f.owner = malloc((nn + 1) * sizeof *f.owner);
  f.in_s = calloc(nn + 1, 1);
  int32_t *fill = calloc(nv + 1, sizeof *fill);
  ingot_status_t st = INGOT_OK;
  if (!f.ustart || !f.gout || !f.owner || !f.in_s || !fill) {
    st = nomem();
    goto done;
  }
  for (uint32_t i = 0; i < nn; i++) f.owner[i] = -1;
  for (uint32_t i = 0; i < g->noutputs; i++) f.gout[g->outputs[i]] = 1;
  /* CSR of distinct readers: count, prefix sums, fill */
  for (int pass = 0; pass < 2; pass++) {
    for (uint32_t i = 0; i < nn; i++) {
      const ingot_node_t *n = &g->nodes[i];
      if (n->op == INGOT_OP_NOP) continue;
      for (uint32_t k = 0; k < n->ninputs; k++) {
        int32_t v = n->inputs[k];
        bool dup = v < 0;
        for (uint32_t j = 0; j < k && !dup; j++) dup = n->inputs[j] == v;
        if (dup) continue;
        if (pass == 0) f.ustart[v + 1]++;
        else f.users[f.ustart[v] + fill[v]++] = (int32_t)i;
      }
    }
    if (pass == 0) {
      for (uint32_t v = 0; v < nv; v++) f.ustart[v + 1] += f.ustart[v];
      f.users = malloc(((size_t)f.ustart[nv] + 1) * sizeof *f.users);
      if (!f.users) {
        st = nomem();
        goto done;
      }
    }
  }
  st = run(&f);
  if (!st && f.ngroups) st = ingot_graph_compact(g);
done:
  free(f.ustart);
  free(f.users);
  free(f.gout);
  free(f.owner);
  free(f.in_s);
  free(fill);
  return st;
}
