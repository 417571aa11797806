/* Operator fusion (passes/fuse.c) and the fused kernels (codegen/cg_fused.c,
 * cg_epilogue.c, cg_attention.c).
 *
 * Every pattern is built twice by the same function: once to check what the
 * pass makes of it (which nodes fuse, which stay, the descriptor), once with
 * data to compare the compiled fused graph against the reference evaluator
 * on the unfused graph (cg_harness: 1 and 2 threads, rel L2 <= 1e-5). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include <math.h>

#include "cg_harness.h"
#include "passes/fusion.h"

#define D(...) ((const int64_t[]){__VA_ARGS__})
#define F32 INGOT_DT_FLOAT
#define TOL 1e-5

typedef struct {
  ingot_tensor_t t[16];
  int n;
} ins_t;

static int64_t count(int rank, const int64_t *dims) {
  int64_t n = 1;
  for (int d = 0; d < rank; d++) n *= dims[d];
  return n;
}

/* A graph input; with ins, deterministic data in [-1, 1) scaled by `scale`. */
static int32_t input_s(ingot_graph_t *g, ins_t *ins, const char *name, int rank, const int64_t *dims, uint32_t seed,
                       float scale) {
  int32_t v = cgt_input(g, name, F32, rank, dims);
  if (ins) {
    ingot_tensor_t *t = &ins->t[ins->n++];
    cgt_ok(ingot_tensor_alloc(t, F32, rank, dims));
    float *p = t->data;
    cgt_fill(p, count(rank, dims), seed);
    for (int64_t i = 0; i < count(rank, dims); i++) p[i] *= scale;
  }
  return v;
}

static int32_t input(ingot_graph_t *g, ins_t *ins, const char *name, int rank, const int64_t *dims, uint32_t seed) {
  return input_s(g, ins, name, rank, dims, seed, 1.0f);
}

static int32_t weight(ingot_graph_t *g, const char *name, int rank, const int64_t *dims, uint32_t seed) {
  int64_t n = count(rank, dims);
  float *buf = malloc((size_t)(n ? n : 1) * sizeof *buf);
  cgt_fill(buf, n, seed);
  int32_t v = cgt_const(g, name, F32, rank, dims, buf);
  free(buf);
  return v;
}

static int32_t scalar(ingot_graph_t *g, const char *name, float x) { return cgt_const(g, name, F32, 0, NULL, &x); }

static int32_t filled(ingot_graph_t *g, const char *name, int rank, const int64_t *dims, float x) {
  int64_t n = count(rank, dims);
  float *buf = malloc((size_t)n * sizeof *buf);
  for (int64_t i = 0; i < n; i++) buf[i] = x;
  int32_t v = cgt_const(g, name, F32, rank, dims, buf);
  free(buf);
  return v;
}

static int32_t ints(ingot_graph_t *g, const char *name, int64_t n, const int64_t *v) {
  return cgt_const(g, name, INGOT_DT_INT64, 1, &n, v);
}

/* One-output node; returns its output value. */
static int32_t op(ingot_graph_t *g, ingot_op_t o, uint32_t nin, const int32_t *in, const char *out) {
  int32_t n = cgt_node(g, o, nin, in, out);
  return g->nodes[n].outputs[0];
}
#define OP(g, o, out, ...) op(g, o, sizeof((int32_t[]){__VA_ARGS__}) / sizeof(int32_t), (int32_t[]){__VA_ARGS__}, out)

static int32_t producer_node(ingot_graph_t *g, int32_t v) { return g->values[v].producer; }

/* ---- the pass's view ------------------------------------------------------------------- */

typedef ingot_graph_t *(*build_fn)(ins_t *ins, int variant);

typedef struct {
  int nnodes, nfused;
  const ingot_fusion_t *f[16];
  const char *ops[64]; /* op names of the nodes left, in order */
} result_t;

/* Builds the pattern without data, runs the compile pipeline, describes the result. */
static ingot_graph_t *run_pass(build_fn build, int variant, bool no_fuse, result_t *r) {
  ingot_graph_t *g = build(NULL, variant);
  cgt_ok(ingot_infer_shapes(g));
  ingot_pass_ctx_t pc;
  ingot_pass_ctx_init(&pc);
  pc.no_fuse = no_fuse;
  pc.verify_each = true;
  cgt_ok(ingot_run_pipeline(g, &pc));
  memset(r, 0, sizeof *r);
  for (uint32_t i = 0; i < g->nnodes; i++) {
    const ingot_node_t *n = &g->nodes[i];
    if (r->nnodes < 64) r->ops[r->nnodes] = n->op == INGOT_OP_FUSED ? "Fused" : ingot_op_name((ingot_op_t)n->op);
    r->nnodes++;
    if (n->op == INGOT_OP_FUSED) {
      assert_non_null(n->pass_data);
      const ingot_fusion_t *f = n->pass_data;
      assert_non_null(f->desc);
      assert_int_equal(n->ninputs, f->anchor_ninputs + f->nextra);
      if (r->nfused < 16) r->f[r->nfused] = f;
      r->nfused++;
    }
  }
  assert_int_equal(pc.fused, r->nfused);
  return g;
}

static void check_numerics(build_fn build, int variant) {
  ins_t ins = {0};
  ingot_graph_t *g = build(&ins, variant);
  cgt_check(g, ins.t, TOL);
  for (int i = 0; i < ins.n; i++) ingot_tensor_release(&ins.t[i]);
}

static int nonfused(const result_t *r, const char *name) {
  int c = 0;
  for (int i = 0; i < r->nnodes && i < 64; i++) c += strcmp(r->ops[i], name) == 0;
  return c;
}

/* ---- GEMM epilogues ------------------------------------------------------------------------ */

/* DiT's gated residual: res + gate * (bias + x @ W), torch's operand order.
 * variant 1: the Add's output is also read by a Transpose (must stay). */
static ingot_graph_t *b_gated(ins_t *ins, int variant) {
  ingot_graph_t *g = cgt_graph();
  int32_t x = input(g, ins, "x", 3, D(2, 10, 24), 1);
  int32_t gate = input(g, ins, "gate", 3, D(2, 1, 16), 2);
  int32_t res = input(g, ins, "res", 3, D(2, 10, 16), 3);
  int32_t w = weight(g, "w", 2, D(24, 16), 4), b = weight(g, "b", 1, D(16), 5);
  int32_t mm = OP(g, INGOT_OP_MATMUL, "mm", x, w);
  int32_t a = OP(g, INGOT_OP_ADD, "a", b, mm);
  int32_t m = OP(g, INGOT_OP_MUL, "m", gate, a);
  OP(g, INGOT_OP_ADD, "y", res, m);
  cgt_output(g, "y");
  if (variant == 1) {
    int32_t t = cgt_node(g, INGOT_OP_TRANSPOSE, 1, &a, "t");
    cgt_attr_ints(g, t, "perm", 3, D(0, 2, 1));
    cgt_output(g, "t");
  }
  return g;
}

static void test_gemm_gated_residual(void **state) {
  (void)state;
  result_t r;
  ingot_graph_t *g = run_pass(b_gated, 0, false, &r);
  assert_int_equal(r.nnodes, 1);
  assert_int_equal(r.nfused, 1);
  assert_int_equal(r.f[0]->anchor_op, INGOT_OP_MATMUL);
  assert_int_equal(r.f[0]->anchor_ninputs, 2);
  assert_int_equal(r.f[0]->nsteps, 3);
  assert_int_equal(r.f[0]->nextra, 3); /* bias, gate, residual */
  assert_string_equal(r.f[0]->desc, "MatMul+Add+Mul+Add");
  ingot_graph_free(g);
  check_numerics(b_gated, 0);
  /* --no-fuse leaves the graph alone */
  g = run_pass(b_gated, 0, true, &r);
  assert_int_equal(r.nfused, 0);
  assert_int_equal(r.nnodes, 4);
  ingot_graph_free(g);
}

static void test_gemm_second_consumer(void **state) {
  (void)state;
  result_t r;
  ingot_graph_t *g = run_pass(b_gated, 1, false, &r);
  /* the Add feeds the Transpose too: MatMul+Add fuse, the gate and residual
   * (Mul, Add) do too as an anchor-less group, the Transpose stays */
  assert_int_equal(r.nfused, 2);
  assert_int_equal(nonfused(&r, "Transpose"), 1);
  assert_int_equal(r.f[0]->anchor_op, INGOT_OP_MATMUL);
  assert_int_equal(r.f[0]->nsteps, 1);
  assert_int_equal(r.f[1]->anchor_op, INGOT_ANCHOR_NONE);
  ingot_graph_free(g);
  check_numerics(b_gated, 1);
}

/* Graph outputs in the middle of a chain stay materialised. */
static ingot_graph_t *b_mid_output(ins_t *ins, int variant) {
  ingot_graph_t *g = cgt_graph();
  int32_t x = input(g, ins, "x", 2, D(7, 12), 1);
  int32_t w = weight(g, "w", 2, D(12, 9), 2), b = weight(g, "b", 1, D(9), 3);
  int32_t mm = OP(g, INGOT_OP_MATMUL, "mm", x, w);
  int32_t a = OP(g, INGOT_OP_ADD, "a", mm, b);
  OP(g, INGOT_OP_RELU, "y", a);
  cgt_output(g, "a");
  cgt_output(g, "y");
  (void)variant;
  return g;
}

static void test_graph_output_kept(void **state) {
  (void)state;
  result_t r;
  ingot_graph_t *g = run_pass(b_mid_output, 0, false, &r);
  assert_int_equal(r.nfused, 1);
  assert_int_equal(r.nnodes, 2);
  assert_int_equal(nonfused(&r, "Relu"), 1);
  assert_int_equal(r.f[0]->nsteps, 1);
  /* both outputs still produced by nodes */
  for (uint32_t i = 0; i < g->noutputs; i++) assert_true(producer_node(g, g->outputs[i]) >= 0);
  ingot_graph_free(g);
  check_numerics(b_mid_output, 0);
}

/* GELU: torch's tanh decomposition (variant 0: x*x*x as Muls, 1: Pow(x, 3)),
 * or the erf form (2), after Gemm or MatMul + bias; 3: variant 0 plus the
 * tanh itself added to the result. */
static ingot_graph_t *b_gelu(ins_t *ins, int variant) {
  ingot_graph_t *g = cgt_graph();
  int32_t x = input_s(g, ins, "x", 3, D(2, 9, 20), 1, 2.0f);
  int32_t w = weight(g, "w", 2, D(20, 40), 2), b = weight(g, "b", 1, D(40), 3);
  int32_t h = OP(g, INGOT_OP_ADD, "h", b, OP(g, INGOT_OP_MATMUL, "mm", x, w));
  if (variant != 2) {
    int32_t h3 = variant != 1 ? OP(g, INGOT_OP_MUL, "h3", h, OP(g, INGOT_OP_MUL, "h2", h, h))
                              : OP(g, INGOT_OP_POW, "h3", h, scalar(g, "three", 3.0f));
    int32_t in = OP(g, INGOT_OP_ADD, "in", h, OP(g, INGOT_OP_MUL, "c3", scalar(g, "k1", 0.044715f), h3));
    int32_t th = OP(g, INGOT_OP_TANH, "th", OP(g, INGOT_OP_MUL, "s", scalar(g, "k2", 0.7978845608f), in));
    int32_t p = OP(g, INGOT_OP_MUL, "p", h, OP(g, INGOT_OP_ADD, "one", scalar(g, "k3", 1.0f), th));
    if (variant == 3) /* tanh read twice: it stays */
      OP(g, INGOT_OP_ADD, "y", OP(g, INGOT_OP_MUL, "g", scalar(g, "k4", 0.5f), p), th);
    else
      OP(g, INGOT_OP_MUL, "y", scalar(g, "k4", 0.5f), p);
  } else {
    int32_t e = OP(g, INGOT_OP_ERF, "e", OP(g, INGOT_OP_DIV, "d", h, scalar(g, "r2", 1.4142135f)));
    int32_t p = OP(g, INGOT_OP_MUL, "p", h, OP(g, INGOT_OP_ADD, "one", e, scalar(g, "k3", 1.0f)));
    OP(g, INGOT_OP_MUL, "y", p, scalar(g, "k4", 0.5f));
  }
  cgt_output(g, "y");
  return g;
}

static void test_gemm_gelu(void **state) {
  (void)state;
  /* the tanh forms: 1 + tanh(z) becomes 2 sigmoid(2 z), one step more */
  static const int steps[4] = {11, 10, 6, 11};
  for (int v = 0; v < 4; v++) {
    result_t r;
    ingot_graph_t *g = run_pass(b_gelu, v, false, &r);
    assert_int_equal(r.nnodes, 1);
    assert_int_equal(r.nfused, 1);
    assert_int_equal(r.f[0]->nsteps, steps[v]);
    assert_int_equal(r.f[0]->nextra, 1); /* the bias; the rest are constants */
    int ntanh = 0, nsig = 0;
    for (uint32_t i = 0; i < r.f[0]->nsteps; i++) {
      ntanh += r.f[0]->steps[i].op == INGOT_OP_TANH;
      nsig += r.f[0]->steps[i].op == INGOT_OP_SIGMOID;
    }
    assert_int_equal(ntanh, v == 3);
    assert_int_equal(nsig, v < 2);
    ingot_graph_free(g);
    check_numerics(b_gelu, v);
  }
}

/* SiLU after a Gemm (transB, C); variant 1: a Gelu op with approximate=tanh. */
static ingot_graph_t *b_silu(ins_t *ins, int variant) {
  ingot_graph_t *g = cgt_graph();
  int32_t x = input_s(g, ins, "x", 2, D(3, 32), 1, 3.0f);
  int32_t w = weight(g, "w", 2, D(48, 32), 2), c = weight(g, "c", 1, D(48), 3);
  int32_t gm = cgt_node(g, INGOT_OP_GEMM, 3, (int32_t[]){x, w, c}, "gm");
  cgt_attr_i(g, gm, "transB", 1);
  int32_t h = g->nodes[gm].outputs[0];
  if (variant == 0) {
    OP(g, INGOT_OP_MUL, "y", h, OP(g, INGOT_OP_SIGMOID, "s", h));
  } else {
    g->opset = 20;
    int32_t n = cgt_node(g, INGOT_OP_GELU, 1, &h, "y");
    cgt_attr_s(g, n, "approximate", "tanh");
  }
  cgt_output(g, "y");
  return g;
}

static void test_gemm_silu(void **state) {
  (void)state;
  for (int v = 0; v < 2; v++) {
    result_t r;
    ingot_graph_t *g = run_pass(b_silu, v, false, &r);
    assert_int_equal(r.nfused, 1);
    assert_int_equal(r.nnodes, 1);
    assert_int_equal(r.f[0]->anchor_op, INGOT_OP_GEMM);
    assert_int_equal(r.f[0]->anchor_ninputs, 3);
    ingot_graph_free(g);
    check_numerics(b_silu, v);
  }
}

/* Views between the anchor and the epilogue: [2,6,24] -> [2,6,4,6] * w[6]
 * (variant 0), or a bias [24] added before the view and a [6] weight after
 * (variant 1: the bias's broadcast is not the output's, so the Mul stays
 * out). */
static ingot_graph_t *b_view(ins_t *ins, int variant) {
  ingot_graph_t *g = cgt_graph();
  int32_t x = input(g, ins, "x", 3, D(2, 6, 16), 1);
  int32_t w = weight(g, "w", 2, D(16, 24), 2), s = weight(g, "s", 1, D(6), 3), b = weight(g, "b", 1, D(24), 4);
  int32_t h = OP(g, INGOT_OP_MATMUL, "mm", x, w);
  if (variant == 1) h = OP(g, INGOT_OP_ADD, "hb", h, b);
  int32_t rs = OP(g, INGOT_OP_RESHAPE, "rs", h, ints(g, "shape", 4, D(2, 6, 4, 6)));
  OP(g, INGOT_OP_MUL, "y", rs, s);
  cgt_output(g, "y");
  return g;
}

static void test_views(void **state) {
  (void)state;
  result_t r;
  ingot_graph_t *g = run_pass(b_view, 0, false, &r);
  assert_int_equal(r.nnodes, 1);
  assert_int_equal(r.f[0]->nsteps, 1);
  assert_int_equal(r.f[0]->anchor_type.rank, 3);
  ingot_graph_free(g);
  check_numerics(b_view, 0);
  g = run_pass(b_view, 1, false, &r);
  assert_int_equal(r.nfused, 1);
  assert_string_equal(r.f[0]->desc, "MatMul+Add");
  assert_int_equal(nonfused(&r, "Mul"), 1);
  ingot_graph_free(g);
  check_numerics(b_view, 1);
}

/* ---- normalisations -------------------------------------------------------------------------- */

/* DiT's adaLN: LayerNorm(x, ones, zeros) * (1 + scale) + shift, with scale
 * and shift unsqueezed from [B, C]. */
static ingot_graph_t *b_adaln(ins_t *ins, int variant) {
  ingot_graph_t *g = cgt_graph();
  int32_t x = input_s(g, ins, "x", 3, D(2, 33, 48), 1, 4.0f);
  int32_t sc = input(g, ins, "scale", 2, D(2, 48), 2), sh = input(g, ins, "shift", 2, D(2, 48), 3);
  int32_t ln = cgt_node(g, INGOT_OP_LAYER_NORM, 3,
                        (int32_t[]){x, filled(g, "ones", 1, D(48), 1), filled(g, "zeros", 1, D(48), 0)}, "ln");
  cgt_attr_i(g, ln, "axis", -1);
  cgt_attr_f(g, ln, "epsilon", 1e-6f);
  int32_t ax = ints(g, "ax", 1, D(1));
  int32_t s1 = OP(g, INGOT_OP_ADD, "s1", OP(g, INGOT_OP_UNSQUEEZE, "su", sc, ax), scalar(g, "one", 1.0f));
  int32_t m = OP(g, INGOT_OP_MUL, "m", g->nodes[ln].outputs[0], s1);
  OP(g, INGOT_OP_ADD, "y", m, OP(g, INGOT_OP_UNSQUEEZE, "hu", sh, ax));
  cgt_output(g, "y");
  (void)variant;
  return g;
}

static void test_layernorm_adaln(void **state) {
  (void)state;
  result_t r;
  ingot_graph_t *g = run_pass(b_adaln, 0, false, &r);
  assert_int_equal(r.nfused, 1);
  assert_int_equal(r.f[0]->anchor_op, INGOT_OP_LAYER_NORM);
  assert_int_equal(r.f[0]->nsteps, 3); /* 1 + scale is pulled in */
  assert_int_equal(nonfused(&r, "Add"), 0);
  ingot_graph_free(g);
  check_numerics(b_adaln, 0);
}

/* torch's GroupNorm export: Reshape [B, G, -1] -> InstanceNormalization(ones,
 * zeros) -> Reshape back -> Mul w[C,1,1] -> Add b[C,1,1], then SiLU (variant
 * 0); variant 1: a GroupNormalization op (opset 18, per-group scale). */
static ingot_graph_t *b_groupnorm(ins_t *ins, int variant) {
  ingot_graph_t *g = cgt_graph();
  int32_t x = input_s(g, ins, "x", 4, D(2, 8, 5, 7), 1, 3.0f);
  int32_t y;
  if (variant == 0) {
    int32_t r1 = OP(g, INGOT_OP_RESHAPE, "r1", x, ints(g, "s1", 3, D(2, 4, -1)));
    int32_t in = OP(g, INGOT_OP_INSTANCE_NORM, "in", r1, filled(g, "ones", 1, D(4), 1), filled(g, "zeros", 1, D(4), 0));
    int32_t r2 = OP(g, INGOT_OP_RESHAPE, "r2", in, ints(g, "s2", 4, D(2, 8, 5, 7)));
    y = OP(g, INGOT_OP_ADD, "a", OP(g, INGOT_OP_MUL, "m", r2, weight(g, "w", 3, D(8, 1, 1), 2)),
           weight(g, "b", 3, D(8, 1, 1), 3));
  } else {
    g->opset = 18;
    int32_t gw = weight(g, "w", 1, D(4), 2), gb = weight(g, "b", 1, D(4), 3);
    int32_t n = cgt_node(g, INGOT_OP_GROUP_NORM, 3, (int32_t[]){x, gw, gb}, "a");
    cgt_attr_i(g, n, "num_groups", 4);
    y = g->nodes[n].outputs[0];
  }
  OP(g, INGOT_OP_MUL, "y", y, OP(g, INGOT_OP_SIGMOID, "sg", y));
  cgt_output(g, "y");
  return g;
}

static void test_groupnorm_silu(void **state) {
  (void)state;
  result_t r;
  ingot_graph_t *g = run_pass(b_groupnorm, 0, false, &r);
  assert_int_equal(r.nfused, 1);
  assert_int_equal(r.f[0]->anchor_op, INGOT_OP_INSTANCE_NORM);
  assert_string_equal(r.f[0]->desc, "InstanceNormalization+Reshape+Mul+Add+Sigmoid+Mul");
  assert_int_equal(r.nnodes, 2); /* the first Reshape (a view) and the fused node */
  ingot_graph_free(g);
  check_numerics(b_groupnorm, 0);
  g = run_pass(b_groupnorm, 1, false, &r);
  assert_int_equal(r.nfused, 1);
  assert_int_equal(r.f[0]->anchor_op, INGOT_OP_GROUP_NORM);
  ingot_graph_free(g);
  check_numerics(b_groupnorm, 1);
}

/* Softmax over the last axis (variant 0) or a middle one (1), then * c + d. */
static ingot_graph_t *b_softmax(ins_t *ins, int variant) {
  ingot_graph_t *g = cgt_graph();
  int32_t x = input_s(g, ins, "x", 3, D(3, 10, 20), 1, 4.0f);
  int32_t s = cgt_node(g, INGOT_OP_SOFTMAX, 1, &x, "s");
  cgt_attr_i(g, s, "axis", variant == 0 ? -1 : 1);
  int32_t m = OP(g, INGOT_OP_MUL, "m", g->nodes[s].outputs[0], input(g, ins, "c", 1, D(20), 2));
  OP(g, INGOT_OP_ADD, "y", m, input(g, ins, "d", 3, D(3, 1, 20), 3));
  cgt_output(g, "y");
  return g;
}

static void test_softmax_epilogue(void **state) {
  (void)state;
  for (int v = 0; v < 2; v++) {
    result_t r;
    ingot_graph_t *g = run_pass(b_softmax, v, false, &r);
    assert_int_equal(r.nnodes, 1);
    assert_int_equal(r.f[0]->anchor_op, INGOT_OP_SOFTMAX);
    ingot_graph_free(g);
    check_numerics(b_softmax, v);
  }
}

/* ---- Conv -------------------------------------------------------------------------------------- */

/* Conv + bias, + a per-(batch, channel) time embedding [B, M, 1, 1], + a
 * residual, then ReLU; variant 1: 3x3 stride 2 with padding; variant 2: the
 * UNet's masked composite mask * conv + (1 - mask) * latent. */
static ingot_graph_t *b_conv(ins_t *ins, int variant) {
  ingot_graph_t *g = cgt_graph();
  int64_t H = variant == 1 ? 11 : 9, OH = variant == 1 ? 6 : 9;
  int32_t x = input(g, ins, "x", 4, D(2, 5, H, H), 1);
  int32_t w = weight(g, "w", 4, D(6, 5, 3, 3), 2), b = weight(g, "b", 1, D(6), 3);
  int32_t c = cgt_node(g, INGOT_OP_CONV, 3, (int32_t[]){x, w, b}, "c");
  cgt_attr_ints(g, c, "pads", 4, D(1, 1, 1, 1));
  if (variant == 1) cgt_attr_ints(g, c, "strides", 2, D(2, 2));
  int32_t y = g->nodes[c].outputs[0];
  if (variant < 2) {
    y = OP(g, INGOT_OP_ADD, "t", y, input(g, ins, "temb", 4, D(2, 6, 1, 1), 4));
    y = OP(g, INGOT_OP_ADD, "r", input(g, ins, "res", 4, D(2, 6, OH, OH), 5), y);
    OP(g, INGOT_OP_RELU, "y", y);
  } else {
    int32_t mask = input(g, ins, "mask", 4, D(2, 1, OH, OH), 4), lat = input(g, ins, "lat", 4, D(2, 6, OH, OH), 5);
    int32_t keep = OP(g, INGOT_OP_MUL, "keep", OP(g, INGOT_OP_SUB, "inv", scalar(g, "one", 1.0f), mask), lat);
    OP(g, INGOT_OP_ADD, "y", OP(g, INGOT_OP_MUL, "mp", mask, y), keep);
  }
  cgt_output(g, "y");
  return g;
}

static void test_conv_epilogue(void **state) {
  (void)state;
  for (int v = 0; v < 3; v++) {
    result_t r;
    ingot_graph_t *g = run_pass(b_conv, v, false, &r);
    assert_int_equal(r.nnodes, 1);
    assert_int_equal(r.f[0]->anchor_op, INGOT_OP_CONV);
    assert_int_equal(r.f[0]->nsteps, v < 2 ? 3 : 4);
    ingot_graph_free(g);
    check_numerics(b_conv, v);
  }
}

/* ---- anchor-less DAGs --------------------------------------------------------------------------- */

/* MMDiT's per-head RMSNorm, x * rsqrt(mean(x^2) + eps) * w: the ReduceMean
 * stays, the rest is one loop (variant 0); the timestep embedding's math,
 * cos(t[:, None] * f) * 0.5 + 1 (variant 1). */
static ingot_graph_t *b_none(ins_t *ins, int variant) {
  ingot_graph_t *g = cgt_graph();
  if (variant == 0) {
    int32_t x = input_s(g, ins, "x", 4, D(2, 5, 3, 16), 1, 2.0f);
    int32_t p = OP(g, INGOT_OP_POW, "p", x, scalar(g, "two", 2.0f));
    int32_t rm = cgt_node(g, INGOT_OP_REDUCE_MEAN, 1, &p, "ms");
    cgt_attr_ints(g, rm, "axes", 1, D(-1));
    cgt_attr_i(g, rm, "keepdims", 1);
    int32_t e = OP(g, INGOT_OP_ADD, "e", g->nodes[rm].outputs[0], scalar(g, "eps", 1e-6f));
    int32_t rs = OP(g, INGOT_OP_DIV, "rs", scalar(g, "one", 1.0f), OP(g, INGOT_OP_SQRT, "sq", e));
    OP(g, INGOT_OP_MUL, "y", OP(g, INGOT_OP_MUL, "xn", x, rs), weight(g, "w", 1, D(16), 2));
  } else {
    int32_t t = input_s(g, ins, "t", 1, D(3), 1, 500.0f);
    int32_t tu = OP(g, INGOT_OP_UNSQUEEZE, "tu", t, ints(g, "ax", 1, D(1)));
    int32_t a = OP(g, INGOT_OP_MUL, "a", tu, weight(g, "f", 2, D(1, 32), 2));
    OP(g, INGOT_OP_ADD, "y", OP(g, INGOT_OP_MUL, "h", OP(g, INGOT_OP_COS, "c", a), scalar(g, "half", 0.5f)),
       scalar(g, "one", 1.0f));
  }
  cgt_output(g, "y");
  return g;
}

static void test_elementwise_dags(void **state) {
  (void)state;
  for (int v = 0; v < 2; v++) {
    result_t r;
    ingot_graph_t *g = run_pass(b_none, v, false, &r);
    assert_int_equal(r.nfused, 1);
    assert_int_equal(r.f[0]->anchor_op, INGOT_ANCHOR_NONE);
    assert_int_equal(r.f[0]->anchor_ninputs, 0);
    assert_int_equal(r.f[0]->nsteps, v == 0 ? 5 : 4);
    if (v == 0) assert_int_equal(nonfused(&r, "ReduceMean") + nonfused(&r, "Pow"), 2);
    ingot_graph_free(g);
    check_numerics(b_none, v);
  }
}

/* ---- attention ----------------------------------------------------------------------------------- */

typedef struct {
  int64_t B, H, N, M, Dh, Dv;
  int style;    /* 0: DiT (Q * s, K transposed by a Transpose), 1: K^T given, scores * s, 2: scores / s */
  int epilogue; /* add a residual after */
  int softmax_out; /* the probabilities are also a graph output: no attention fusion */
} att_t;

static const att_t att_cases[] = {
    {2, 2, 64, 64, 64, 64, 0, 0, 0},  {1, 3, 77, 300, 64, 64, 1, 0, 0}, {2, 1, 300, 129, 64, 40, 2, 0, 0},
    {2, 2, 100, 65, 64, 64, 0, 1, 0}, {1, 2, 17, 33, 16, 16, 1, 0, 1},  {2, 2, 64, 64, 16, 16, 0, 0, 0},
};

static ingot_graph_t *b_attention(ins_t *ins, int variant) {
  const att_t *a = &att_cases[variant];
  ingot_graph_t *g = cgt_graph();
  float s = 1.0f / sqrtf((float)a->Dh);
  int32_t q = input_s(g, ins, "q", 4, D(a->B, a->H, a->N, a->Dh), 1, 2.0f);
  int32_t k = a->style == 0 ? input_s(g, ins, "k", 4, D(a->B, a->H, a->M, a->Dh), 2, 2.0f)
                            : input_s(g, ins, "kt", 4, D(a->B, a->H, a->Dh, a->M), 2, 2.0f);
  int32_t v = input(g, ins, "v", 4, D(a->B, a->H, a->M, a->Dv), 3);
  int32_t sc;
  if (a->style == 0) {
    int32_t qs = OP(g, INGOT_OP_MUL, "qs", q, scalar(g, "scale", s));
    int32_t t = cgt_node(g, INGOT_OP_TRANSPOSE, 1, &k, "kT");
    cgt_attr_ints(g, t, "perm", 4, D(0, 1, 3, 2));
    sc = OP(g, INGOT_OP_MATMUL, "sc", qs, g->nodes[t].outputs[0]);
  } else {
    int32_t raw = OP(g, INGOT_OP_MATMUL, "raw", q, k);
    sc = a->style == 1 ? OP(g, INGOT_OP_MUL, "sc", raw, scalar(g, "scale", s))
                       : OP(g, INGOT_OP_DIV, "sc", raw, scalar(g, "scale", 1.0f / s));
  }
  int32_t sm = cgt_node(g, INGOT_OP_SOFTMAX, 1, &sc, "p");
  cgt_attr_i(g, sm, "axis", -1);
  int32_t o = OP(g, INGOT_OP_MATMUL, a->epilogue ? "o" : "y", g->nodes[sm].outputs[0], v);
  if (a->epilogue) OP(g, INGOT_OP_ADD, "y", o, input(g, ins, "res", 4, D(a->B, a->H, a->N, a->Dv), 4));
  cgt_output(g, "y");
  if (a->softmax_out) cgt_output(g, "p");
  return g;
}

static void test_attention(void **state) {
  (void)state;
  for (int c = 0; c < (int)(sizeof att_cases / sizeof *att_cases); c++) {
    const att_t *a = &att_cases[c];
    result_t r;
    ingot_graph_t *g = run_pass(b_attention, c, false, &r);
    if (a->softmax_out) {
      for (int i = 0; i < r.nfused && i < 16; i++) assert_int_not_equal(r.f[i]->anchor_op, INGOT_ANCHOR_ATTENTION);
      assert_int_equal(nonfused(&r, "Softmax") + r.nfused, 2); /* Softmax kept (maybe fused as an anchor) */
    } else {
      assert_int_equal(r.nnodes, 1);
      assert_int_equal(r.f[0]->anchor_op, INGOT_ANCHOR_ATTENTION);
      assert_int_equal(r.f[0]->anchor_ninputs, 3);
      assert_int_equal(r.f[0]->k_transposed, a->style != 0);
      assert_true(fabsf(r.f[0]->attn_scale - 1.0f / sqrtf((float)a->Dh)) < 1e-6f);
      assert_int_equal(r.f[0]->nsteps, a->epilogue ? 1 : 0);
    }
    ingot_graph_free(g);
    check_numerics(b_attention, c);
  }
}

/* A packed QKV projection split into heads (DiT, MMDiT):
 *   x [B, N, 3*H*Dh] -Reshape-> [B, N, 3, H, Dh] -Transpose(2,0,3,1,4)-> -Split(axis 0)-> 3 x Squeeze
 *   -> attention -> Transpose(0,2,1,3) -> Reshape [B, N, H*Dh]
 * variant 0: all of it becomes one fused node reading x and writing y;
 * variant 1: K given transposed by the chain itself (perm 2,0,3,4,1 for K only is not a view of
 *            the shared Split, so K's chain is Transpose-of-Squeeze) and an epilogue: only the
 *            input side is absorbed;
 * variant 2: a Split output is also a graph output: the chains must stay (and the output side
 *            still goes). */
static ingot_graph_t *b_packed_qkv(ins_t *ins, int variant) {
  const int64_t B = 2, N = 37, H = 3, Dh = 16;
  ingot_graph_t *g = cgt_graph();
  int32_t x = input_s(g, ins, "x", 3, D(B, N, 3 * H * Dh), 1, 2.0f);
  int32_t r5 = OP(g, INGOT_OP_RESHAPE, "r5", x, ints(g, "shape5", 5, D(B, N, 3, H, Dh)));
  int32_t t = cgt_node(g, INGOT_OP_TRANSPOSE, 1, &r5, "t");
  cgt_attr_ints(g, t, "perm", 5, D(2, 0, 3, 1, 4));
  int32_t tv = g->nodes[t].outputs[0];
  const char *souts[3] = {"s0", "s1", "s2"};
  int32_t sp = cgt_node_n(g, INGOT_OP_SPLIT, 2, (int32_t[]){tv, ints(g, "sizes", 3, D(1, 1, 1))}, 3, souts);
  cgt_attr_i(g, sp, "axis", 0);
  int32_t ax0 = ints(g, "ax0", 1, D(0)), hv[3];
  for (int i = 0; i < 3; i++) {
    char nm[8];
    snprintf(nm, sizeof nm, "h%d", i);
    hv[i] = OP(g, INGOT_OP_SQUEEZE, nm, g->nodes[sp].outputs[i], ax0);
  }
  int32_t qs = OP(g, INGOT_OP_MUL, "qs", hv[0], scalar(g, "scale", 1.0f / sqrtf((float)Dh)));
  int32_t kt = cgt_node(g, INGOT_OP_TRANSPOSE, 1, &hv[1], "kT");
  cgt_attr_ints(g, kt, "perm", 4, D(0, 1, 3, 2));
  int32_t sc = OP(g, INGOT_OP_MATMUL, "sc", qs, g->nodes[kt].outputs[0]);
  int32_t sm = cgt_node(g, INGOT_OP_SOFTMAX, 1, &sc, "p");
  cgt_attr_i(g, sm, "axis", -1);
  int32_t o = OP(g, INGOT_OP_MATMUL, "o", g->nodes[sm].outputs[0], hv[2]);
  if (variant == 1) o = OP(g, INGOT_OP_ADD, "oe", o, input(g, ins, "res", 4, D(B, H, N, Dh), 4));
  int32_t ot = cgt_node(g, INGOT_OP_TRANSPOSE, 1, &o, "ot");
  cgt_attr_ints(g, ot, "perm", 4, D(0, 2, 1, 3));
  OP(g, INGOT_OP_RESHAPE, "y", g->nodes[ot].outputs[0], ints(g, "shape3", 3, D(B, N, H * Dh)));
  cgt_output(g, "y");
  if (variant == 2) cgt_output(g, "s1");
  return g;
}

static void test_attention_packed_qkv(void **state) {
  (void)state;
  for (int v = 0; v < 3; v++) {
    result_t r;
    ingot_graph_t *g = run_pass(b_packed_qkv, v, false, &r);
    int att = -1;
    for (int i = 0; i < r.nfused && i < 16; i++)
      if (r.f[i]->anchor_op == INGOT_ANCHOR_ATTENTION) att = i;
    assert_true(att >= 0);
    const ingot_fusion_t *f = r.f[att];
    assert_int_equal(f->attn_views, 1);
    assert_int_equal(f->attn_nbatch, 2);
    assert_int_equal(f->attn_n, 37);
    assert_int_equal(f->attn_d, 16);
    if (v == 0) {
      /* the attention reads x and writes [B, N, H, Dh]; the graph output's Reshape stays */
      assert_int_equal(r.nnodes, 2);
      assert_int_equal(nonfused(&r, "Reshape"), 1);
      assert_int_equal(f->attn_view[0].off, 0);
      assert_int_equal(f->attn_view[1].off, 3 * 16);
      assert_int_equal(f->attn_view[2].off, 2 * 3 * 16);
      assert_int_equal(f->attn_view[0].row, 3 * 3 * 16); /* a token's row of the projection */
      assert_int_equal(f->attn_view[0].batch[1], 16);    /* heads */
      assert_int_equal(f->attn_view[3].row, 3 * 16);     /* output rows [N, H*Dh] */
    } else if (v == 1) {
      assert_int_equal(nonfused(&r, "Transpose"), 1); /* the output's: an epilogue sits between */
      assert_int_equal(nonfused(&r, "Split"), 0);
    } else {
      assert_int_equal(nonfused(&r, "Split"), 1);
      assert_int_equal(nonfused(&r, "Transpose"), 1); /* the heads' (shared by the Split) */
      assert_int_equal(f->attn_view[3].row, 3 * 16);
    }
    ingot_graph_free(g);
    check_numerics(b_packed_qkv, v);
  }
}

/* More leading dims than the operand layouts hold (INGOT_ATTN_MAX_BATCH): not fused as
 * attention, and still computed right. */
static ingot_graph_t *b_attention_rank7(ins_t *ins, int variant) {
  (void)variant;
  ingot_graph_t *g = cgt_graph();
  int32_t q = input_s(g, ins, "q", 7, D(1, 2, 1, 1, 2, 9, 8), 1, 2.0f);
  int32_t kt = input_s(g, ins, "kt", 7, D(1, 2, 1, 1, 2, 8, 11), 2, 2.0f);
  int32_t v = input(g, ins, "v", 7, D(1, 2, 1, 1, 2, 11, 8), 3);
  int32_t sc = OP(g, INGOT_OP_MUL, "sc", OP(g, INGOT_OP_MATMUL, "raw", q, kt), scalar(g, "scale", 0.35f));
  int32_t sm = cgt_node(g, INGOT_OP_SOFTMAX, 1, &sc, "p");
  cgt_attr_i(g, sm, "axis", -1);
  OP(g, INGOT_OP_MATMUL, "y", g->nodes[sm].outputs[0], v);
  cgt_output(g, "y");
  return g;
}

static void test_attention_many_batch_dims(void **state) {
  (void)state;
  result_t r;
  ingot_graph_t *g = run_pass(b_attention_rank7, 0, false, &r);
  for (int i = 0; i < r.nfused && i < 16; i++) assert_int_not_equal(r.f[i]->anchor_op, INGOT_ANCHOR_ATTENTION);
  ingot_graph_free(g);
  check_numerics(b_attention_rank7, 0);
}

/* ---- an anchor whose emitter ignores the epilogue ------------------------------------------------- */

/* Transpose + Add by hand (the pass never anchors a Transpose): cg_emit_fused
 * must notice that the epilogue was not applied and still compute it. */
static ingot_graph_t *b_transpose_add(ins_t *ins, int variant) {
  ingot_graph_t *g = cgt_graph();
  int32_t x = input(g, ins, "x", 3, D(3, 40, 70), 1);
  int32_t t = cgt_node(g, INGOT_OP_TRANSPOSE, 1, &x, "t");
  cgt_attr_ints(g, t, "perm", 3, D(0, 2, 1));
  OP(g, INGOT_OP_ADD, "y", g->nodes[t].outputs[0], input(g, ins, "b", 2, D(1, 40), 2));
  cgt_output(g, "y");
  (void)variant;
  return g;
}

static void test_unmarked_anchor(void **state) {
  (void)state;
  ins_t ins = {0};
  ingot_graph_t *ref = b_transpose_add(&ins, 0);
  cgt_ok(ingot_infer_shapes(ref));
  ingot_tensor_t want;
  ingot_interp_opts_t io = {1, true};
  cgt_ok(ingot_interp_run(ref, &io, ins.t, &want));
  ingot_graph_free(ref);
  ingot_graph_t *g = b_transpose_add(NULL, 0);
  cgt_ok(ingot_infer_shapes(g));
  /* fuse by hand: node 0 Transpose (anchor), node 1 Add(t, b) */
  ingot_fusion_t *f = ingot_arena_calloc(g->arena, 1, sizeof *f);
  ingot_fuse_step_t *s = ingot_arena_calloc(g->arena, 1, sizeof *s);
  int32_t *in = ingot_arena_calloc(g->arena, 2, sizeof *in), *out = ingot_arena_calloc(g->arena, 1, sizeof *out);
  ingot_node_t *tn = &g->nodes[0], *an = &g->nodes[1];
  in[0] = tn->inputs[0];
  in[1] = an->inputs[1];
  out[0] = an->outputs[0];
  f->anchor = *tn;
  f->anchor.inputs = in;
  f->anchor.ninputs = 1;
  f->anchor.outputs = out;
  f->anchor_op = INGOT_OP_TRANSPOSE;
  f->anchor_ninputs = 1;
  f->anchor_type = g->values[tn->outputs[0]].type;
  s->op = INGOT_OP_ADD;
  s->nargs = 2;
  s->args[0].kind = INGOT_FUSE_ACC;
  s->args[1].kind = INGOT_FUSE_INPUT;
  f->steps = s;
  f->nsteps = 1;
  f->nextra = 1;
  f->desc = "Transpose+Add";
  tn->op = INGOT_OP_NOP;
  an->op = INGOT_OP_FUSED;
  an->inputs = in;
  an->ninputs = 2;
  an->outputs = out;
  an->pass_data = f;
  cgt_ok(ingot_graph_compact(g));
  cgt_run_compiled(g, ins.t, &want, 1, TOL, "native"); /* as fused by hand: no passes */
  ingot_tensor_release(&want);
  for (int i = 0; i < ins.n; i++) ingot_tensor_release(&ins.t[i]);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_gemm_gated_residual), cmocka_unit_test(test_gemm_second_consumer),
      cmocka_unit_test(test_graph_output_kept),   cmocka_unit_test(test_gemm_gelu),
      cmocka_unit_test(test_gemm_silu),           cmocka_unit_test(test_views),
      cmocka_unit_test(test_layernorm_adaln),     cmocka_unit_test(test_groupnorm_silu),
      cmocka_unit_test(test_softmax_epilogue),    cmocka_unit_test(test_conv_epilogue),
      cmocka_unit_test(test_elementwise_dags),    cmocka_unit_test(test_attention), cmocka_unit_test(test_attention_packed_qkv),
      cmocka_unit_test(test_attention_many_batch_dims),
      cmocka_unit_test(test_unmarked_anchor),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
