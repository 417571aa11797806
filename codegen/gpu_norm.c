/* Row kernels for the GPU backend: LayerNormalization (any axis),
 * InstanceNormalization (and so the GroupNorm torch exports), Softmax and
 * LogSoftmax over the last axis -- with the fused epilogue (modulate,
 * SiLU, residual... passes/fusion.h) applied as each element is stored.
 *
 * One warp per row, four rows per block.  A row is read three times from
 * global memory (it stays in L1/L2): the mean (or max), then the centred
 * sum of squares (or the sum of exponentials) -- two passes, no Welford,
 * accurate to float32 rounding --, then the normalised values go out through
 * cg_store_out.  Reductions are shfl.sync.bfly butterflies.  Lanes stride
 * the row by 32 elements, so each pass is one coalesced sweep. */
#include <math.h>
#include <string.h>

#include "codegen/cg_fused_impl.h"
#include "codegen/gpu_impl.h"
#include "passes/fusion.h"

#define ROWS_PER_BLOCK 4

enum { R_LAYERNORM, R_INSTANCENORM, R_SOFTMAX, R_LOGSOFTMAX };

static bool f32s(const ingot_graph_t *g, int32_t v) {
  return v >= 0 && g->values[v].type.dtype == INGOT_DT_FLOAT && ingot_type_is_static(&g->values[v].type);
}

static int64_t numel(const ingot_graph_t *g, int32_t v) {
  int64_t n = 1;
  for (int d = 0; d < g->values[v].type.rank; d++) n *= g->values[v].type.dims[d].v;
  return n;
}

/* The anchor (or the node) and what kind of row kernel it is; -1 if none. */
static int kind_of(const ingot_graph_t *g, int32_t node, const ingot_node_t **out) {
  const ingot_node_t *n = &g->nodes[node];
  if (n->op == INGOT_OP_FUSED) {
    const ingot_fusion_t *f = (const ingot_fusion_t *)n->pass_data;
    if (!f || f->anchor_op < 0) return -1;
    n = &f->anchor;
  }
  *out = n;
  switch (n->op) {
    case INGOT_OP_LAYER_NORM: return R_LAYERNORM;
    case INGOT_OP_INSTANCE_NORM: return R_INSTANCENORM;
    case INGOT_OP_SOFTMAX: return R_SOFTMAX;
    case INGOT_OP_LOG_SOFTMAX: return R_LOGSOFTMAX;
    default: return -1;
  }
}

/* Rows and row length for the anchor n (its input 0's type). */
static bool geometry(const ingot_graph_t *g, const ingot_node_t *n, int kind, int64_t *rows, int64_t *len) {
  const ingot_type_t *t = &g->values[n->inputs[0]].type;
  int r = t->rank;
  int64_t axis;
  if (kind == R_LAYERNORM) axis = ingot_node_attr_i(n, "axis", -1);
  else if (kind == R_INSTANCENORM) axis = 2;
  else axis = ingot_node_attr_i(n, "axis", g->opset > 0 && g->opset < 13 ? 1 : -1);
  if (axis < 0) axis += r;
  if (axis < 0 || axis >= r) return false;
  if ((kind == R_SOFTMAX || kind == R_LOGSOFTMAX) && axis != r - 1) return false;
  *rows = 1;
  *len = 1;
  for (int d = 0; d < r; d++) *(d < axis ? rows : len) *= t->dims[d].v;
  return *rows >= 1 && *len >= 1;
}

bool gpu_rownorm_match(const ingot_gpu_t *gpu, const ingot_graph_t *g, int32_t node) {
  const ingot_node_t *n;
  int kind = kind_of(g, node, &n);
  if (kind < 0 || !f32s(g, n->inputs[0]) || !f32s(g, g->nodes[node].outputs[0])) return false;
  int64_t rows, len;
  if (!geometry(g, n, kind, &rows, &len)) return false;
  if (rows > (int64_t)0x7fffffff * ROWS_PER_BLOCK) return false;
  if (kind == R_LAYERNORM) {
    for (uint32_t o = 1; o < n->noutputs; o++)
      if (n->outputs[o] >= 0) return false; /* Mean / InvStdDev wanted */
    for (uint32_t i = 1; i < 3 && i < n->ninputs; i++) {
      if (n->inputs[i] < 0) continue;
      int64_t e = numel(g, n->inputs[i]);
      if (!f32s(g, n->inputs[i]) || (e != len && e != 1)) return false;
    }
    if (n->ninputs < 2 || n->inputs[1] < 0) return false;
  }
  if (kind == R_INSTANCENORM) {
    const ingot_type_t *t = &g->values[n->inputs[0]].type;
    if (t->rank < 3 || n->ninputs < 3 || !f32s(g, n->inputs[1]) || !f32s(g, n->inputs[2])) return false;
    if (numel(g, n->inputs[1]) != t->dims[1].v || numel(g, n->inputs[2]) != t->dims[1].v) return false;
  }
  return true;
}

static LLVMValueRef warp_sum(cg_t *c, LLVMValueRef v) {
  for (int m = 16; m >= 1; m /= 2) v = LLVMBuildFAdd(c->b, v, gpu_shfl_xor(c, v, m), "");
  return v;
}

static LLVMValueRef warp_max(cg_t *c, LLVMValueRef v) {
  for (int m = 16; m >= 1; m /= 2) {
    LLVMValueRef args[2] = {v, gpu_shfl_xor(c, v, m)};
    v = cg_intrinsic(c, "llvm.maxnum", c->t_f32, args, 2);
  }
  return v;
}

/* for (j = lane; j < len; j += 32) body(j); with a float accumulator. */
typedef LLVMValueRef (*row_fn)(void *ud, LLVMValueRef j, LLVMValueRef acc);

static LLVMValueRef row_loop(cg_t *c, LLVMValueRef lane, int64_t len, LLVMValueRef init, row_fn fn, void *ud) {
  LLVMValueRef acc = cg_alloca(c, c->t_f32, "racc");
  LLVMBuildStore(c->b, init, acc);
  int64_t iters = (len + 31) / 32;
  cg_loop_t L;
  LLVMValueRef it = cg_loop_begin(c, &L, cg_i64(c, 0), cg_i64(c, iters), "row");
  LLVMValueRef j = LLVMBuildAdd(c->b, LLVMBuildMul(c->b, it, cg_i64(c, 32), ""), lane, "");
  cg_if_t ci;
  bool tail = len % 32 != 0;
  if (tail) cg_if_begin(c, &ci, LLVMBuildICmp(c->b, LLVMIntULT, j, cg_i64(c, len), ""));
  LLVMBuildStore(c->b, fn(ud, j, LLVMBuildLoad2(c->b, c->t_f32, acc, "")), acc);
  if (tail) cg_if_end(c, &ci);
  cg_loop_end_no_unroll(c, &L);
  return LLVMBuildLoad2(c->b, c->t_f32, acc, "");
}

typedef struct {
  cg_t *c;
  cg_kernel_t *k;
  int kind;
  LLVMValueRef x, row_off, mean, rstd, sub, scale, bias;
  int64_t len, sc_n, bi_n;
  LLVMValueRef ch; /* instance norm: the row's channel */
} rn_t;

static LLVMValueRef ld_x(rn_t *R, LLVMValueRef j) {
  return cg_load(R->c, INGOT_DT_FLOAT, R->x, LLVMBuildAdd(R->c->b, R->row_off, j, ""));
}

static LLVMValueRef f_sum(void *ud, LLVMValueRef j, LLVMValueRef acc) {
  rn_t *R = ud;
  return LLVMBuildFAdd(R->c->b, acc, ld_x(R, j), "");
}

static LLVMValueRef f_max(void *ud, LLVMValueRef j, LLVMValueRef acc) {
  rn_t *R = ud;
  LLVMValueRef args[2] = {acc, ld_x(R, j)};
  return cg_intrinsic(R->c, "llvm.maxnum", R->c->t_f32, args, 2);
}

static LLVMValueRef f_sq(void *ud, LLVMValueRef j, LLVMValueRef acc) {
  rn_t *R = ud;
  LLVMValueRef d = LLVMBuildFSub(R->c->b, ld_x(R, j), R->mean, "");
  return LLVMBuildFAdd(R->c->b, acc, LLVMBuildFMul(R->c->b, d, d, ""), "");
}

static LLVMValueRef f_exp(void *ud, LLVMValueRef j, LLVMValueRef acc) {
  rn_t *R = ud;
  LLVMValueRef d = LLVMBuildFSub(R->c->b, ld_x(R, j), R->mean, "");
  return LLVMBuildFAdd(R->c->b, acc, cg_intrinsic(R->c, "llvm.exp", R->c->t_f32, &d, 1), "");
}

static LLVMValueRef f_store(void *ud, LLVMValueRef j, LLVMValueRef acc) {
  rn_t *R = ud;
  cg_t *c = R->c;
  LLVMValueRef x = ld_x(R, j), y;
  switch (R->kind) {
    case R_SOFTMAX: {
      LLVMValueRef d = LLVMBuildFSub(c->b, x, R->mean, "");
      y = LLVMBuildFMul(c->b, cg_intrinsic(c, "llvm.exp", c->t_f32, &d, 1), R->rstd, "");
      break;
    }
    case R_LOGSOFTMAX: y = LLVMBuildFSub(c->b, LLVMBuildFSub(c->b, x, R->mean, ""), R->rstd, ""); break;
    default: {
      y = LLVMBuildFMul(c->b, LLVMBuildFSub(c->b, x, R->mean, ""), R->rstd, "");
      LLVMValueRef si = R->kind == R_INSTANCENORM ? R->ch : R->sc_n == 1 ? cg_i64(c, 0) : j;
      y = LLVMBuildFMul(c->b, y, cg_load(c, INGOT_DT_FLOAT, R->scale, si), "");
      if (R->bias) {
        LLVMValueRef bi = R->kind == R_INSTANCENORM ? R->ch : R->bi_n == 1 ? cg_i64(c, 0) : j;
        y = LLVMBuildFAdd(c->b, y, cg_load(c, INGOT_DT_FLOAT, R->bias, bi), "");
      }
    }
  }
  LLVMValueRef idx = LLVMBuildAdd(c->b, R->row_off, j, "");
  if (R->k->fusion) cg_store_out(c, R->k, idx, y);
  else cg_store(c, INGOT_DT_FLOAT, R->k->out[0], idx, y);
  return acc;
}

ingot_status_t gpu_emit_rownorm(ingot_gpu_t *gpu, cg_kernel_t *k, gpu_launch_t *L) {
  cg_t *c = &gpu->c;
  const ingot_node_t *n;
  INGOT_RETURN_IF_ERROR(gpu_narrow_fused(c, k, &n));
  rn_t R;
  memset(&R, 0, sizeof R);
  R.c = c;
  R.k = k;
  R.kind = n->op == INGOT_OP_LAYER_NORM      ? R_LAYERNORM
           : n->op == INGOT_OP_INSTANCE_NORM ? R_INSTANCENORM
           : n->op == INGOT_OP_SOFTMAX       ? R_SOFTMAX
                                             : R_LOGSOFTMAX;
  int64_t rows, len;
  if (!geometry(c->g, n, R.kind, &rows, &len)) return cg_error(c, k, INGOT_CODE_INTERNAL, "row kernel geometry");
  R.len = len;
  R.x = k->in[0];
  const ingot_attr_t *ea = ingot_node_attr(n, "epsilon");
  double eps = ea ? ea->f : R.kind == R_INSTANCENORM ? 1e-5 : 1e-5;
  if (R.kind == R_LAYERNORM || R.kind == R_INSTANCENORM) {
    R.scale = k->in[1];
    R.bias = k->nin > 2 ? k->in[2] : NULL;
    R.sc_n = R.scale ? 1 : 0;
    for (int d = 0; R.scale && d < k->vin[1]->type.rank; d++) R.sc_n *= k->vin[1]->type.dims[d].v;
    R.bi_n = R.bias ? 1 : 0;
    for (int d = 0; R.bias && d < k->vin[2]->type.rank; d++) R.bi_n *= k->vin[2]->type.dims[d].v;
  }
  LLVMValueRef tid = gpu_sreg(c, "tid.x");
  LLVMValueRef lane = LLVMBuildZExt(c->b, LLVMBuildAnd(c->b, tid, gpu_i32(c, 31), ""), c->t_i64, "");
  LLVMValueRef wid = LLVMBuildZExt(c->b, LLVMBuildLShr(c->b, tid, gpu_i32(c, 5), ""), c->t_i64, "");
  LLVMValueRef row = LLVMBuildAdd(c->b, LLVMBuildMul(c->b, LLVMBuildZExt(c->b, gpu_sreg(c, "ctaid.x"), c->t_i64, ""),
                                                     cg_i64(c, ROWS_PER_BLOCK), ""), wid, "");
  cg_if_t ci;
  cg_if_begin(c, &ci, LLVMBuildICmp(c->b, LLVMIntULT, row, cg_i64(c, rows), ""));
  R.row_off = LLVMBuildMul(c->b, row, cg_i64(c, len), "");
  if (R.kind == R_INSTANCENORM) R.ch = LLVMBuildURem(c->b, row, cg_i64(c, k->vin[0]->type.dims[1].v), "");
  LLVMValueRef zero = LLVMConstReal(c->t_f32, 0);
  if (R.kind == R_SOFTMAX || R.kind == R_LOGSOFTMAX) {
    R.mean = warp_max(c, row_loop(c, lane, len, LLVMConstReal(c->t_f32, -INFINITY), f_max, &R));
    LLVMValueRef s = warp_sum(c, row_loop(c, lane, len, zero, f_exp, &R));
    R.rstd = R.kind == R_SOFTMAX ? LLVMBuildFDiv(c->b, LLVMConstReal(c->t_f32, 1), s, "")
                                 : cg_intrinsic(c, "llvm.log", c->t_f32, &s, 1);
  } else {
    LLVMValueRef inv_n = LLVMConstReal(c->t_f32, 1.0 / (double)len);
    R.mean = LLVMBuildFMul(c->b, warp_sum(c, row_loop(c, lane, len, zero, f_sum, &R)), inv_n, "");
    LLVMValueRef var = LLVMBuildFMul(c->b, warp_sum(c, row_loop(c, lane, len, zero, f_sq, &R)), inv_n, "");
    LLVMValueRef ve = LLVMBuildFAdd(c->b, var, LLVMConstReal(c->t_f32, eps), "");
    LLVMValueRef sd = cg_intrinsic(c, "llvm.sqrt", c->t_f32, &ve, 1);
    R.rstd = LLVMBuildFDiv(c->b, LLVMConstReal(c->t_f32, 1), sd, "");
  }
  row_loop(c, lane, len, zero, f_store, &R);
  cg_if_end(c, &ci);
  if (k->fusion) cg_epilogue_take_marks(c);
  int64_t blocks = (rows + ROWS_PER_BLOCK - 1) / ROWS_PER_BLOCK;
  L->grid[0] = (uint32_t)blocks;
  L->grid[1] = L->grid[2] = 1;
  L->block[0] = 32 * ROWS_PER_BLOCK;
  L->block[1] = L->block[2] = 1;
  L->smem = 0;
  L->kind = "row";
  L->flops = 8.0 * (double)rows * (double)len;
  L->bytes = 8.0 * (double)rows * (double)len; /* one read from DRAM (the re-reads hit the caches), one write */
  L->peak_tflops = gpu->arch->fp32_tflops;
  L->regs_est = 32;
  snprintf(L->tiles, sizeof L->tiles, "%s: %lld rows x %lld, a warp per row, %d rows per block",
           ingot_op_name((ingot_op_t)n->op), (long long)rows, (long long)len, ROWS_PER_BLOCK);
  return INGOT_OK;
}
