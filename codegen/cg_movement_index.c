/* Data-movement emitters, part 2: the ops that look elements up through an
 * index: Gather, GatherElements, ScatterND (runtime or constant indices),
 * Pad and Resize (per-axis index tables built at compile time).
 *
 * Runtime indices.  ONNX says an out-of-range index is an error; the
 * evaluator reports one.  Compiled code cannot report errors from inside a
 * kernel, and must never read or write out of bounds, so a runtime index
 * is wrapped once if negative (as ONNX says) and then clamped into
 * [0, dim-1].  A valid model gives identical results; an invalid index
 * gives the nearest edge element instead of an error.  Constant indices
 * are checked at compile time and reported like the evaluator does.
 *
 * Pad (reflect/edge/wrap) and Resize precompute, per axis, where each
 * output coordinate reads from (already multiplied by the input stride),
 * and for linear Resize the two neighbours' weight, into private constant
 * globals: the kernel then only adds table entries, with no per-element
 * float coordinate math.  The tables are computed with the evaluator's
 * own formulas (interp/k_resize.c), in double, so indices agree exactly. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "codegen/cg_movement_impl.h"
#include "interp/interp.h"

static bool is_index_dtype(int dt) { return dt == INGOT_DT_INT64 || dt == INGOT_DT_INT32; }

/* Runtime index element i as i64 (sign-extended from int32). */
static LLVMValueRef load_index(cg_t *cg, const cg_kernel_t *k, uint32_t in, LLVMValueRef i) {
  int dt = k->vin[in]->type.dtype;
  return cg_convert(cg, cg_load(cg, dt, k->in[in], i), dt, INGOT_DT_INT64);
}

static int64_t const_index(const ingot_value_t *v, int64_t i) {
  return v->type.dtype == INGOT_DT_INT64 ? ((const int64_t *)v->data)[i] : ((const int32_t *)v->data)[i];
}

/* Checks every constant index against dim like the evaluator. */
static ingot_status_t check_const_indices(cg_t *cg, const cg_kernel_t *k, uint32_t in, int64_t stride_c,
                                          int64_t ncomp, const int64_t *dims_c) {
  const ingot_value_t *v = k->vin[in];
  int64_t n = mv_numel(v);
  for (int64_t i = 0; i < n; i++) {
    int64_t dim = dims_c[(i / stride_c) % ncomp], x = const_index(v, i);
    int64_t w = x < 0 ? x + dim : x;
    if (w < 0 || w >= dim)
      return cg_error(cg, k, INGOT_CODE_INPUT, "index %lld out of range for an axis of size %lld", (long long)x,
                      (long long)dim);
  }
  return INGOT_OK;
}

/* ---- Gather --------------------------------------------------------------------- */

/* Output viewed as [outer, ni, inner]: row (b, j) copies inner elements
 * from x[b, idx[j], :]. */
typedef struct {
  const cg_kernel_t *k;
  LLVMValueRef src, dst;
  int dtype; /* the move type */
  int64_t dim, ni, inner;
  LLVMValueRef table; /* constant indices, wrapped at compile time; NULL: runtime */
} gather_ctx_t;

static void gather_row(cg_t *cg, void *vctx, const LLVMValueRef *c, LLVMValueRef j0, LLVMValueRef j1) {
  gather_ctx_t *g = vctx;
  LLVMValueRef w = g->table ? cg_load(cg, INGOT_DT_INT64, g->table, c[1])
                            : mv_wrap_clamp(cg, load_index(cg, g->k, 1, c[1]), g->dim);
  /* source row b * dim + w, destination row b * ni + j, inner elements each */
  LLVMValueRef srow = LLVMBuildNSWAdd(cg->b, LLVMBuildNSWMul(cg->b, c[0], cg_i64(cg, g->dim), ""), w, "");
  LLVMValueRef drow = LLVMBuildNSWAdd(cg->b, LLVMBuildNSWMul(cg->b, c[0], cg_i64(cg, g->ni), ""), c[1], "");
  LLVMValueRef src = LLVMBuildNSWMul(cg->b, srow, cg_i64(cg, g->inner), "");
  LLVMValueRef dst = LLVMBuildNSWMul(cg->b, drow, cg_i64(cg, g->inner), "");
  cg_loop_t L;
  LLVMValueRef j = cg_loop_begin(cg, &L, j0, j1, "j");
  cg_store(cg, g->dtype, g->dst, LLVMBuildNSWAdd(cg->b, dst, j, ""),
           cg_load(cg, g->dtype, g->src, LLVMBuildNSWAdd(cg->b, src, j, "")));
  cg_loop_end(cg, &L);
}

ingot_status_t cg_emit_gather(cg_t *cg, cg_kernel_t *k) {
  if (!mv_has(k, 1)) return cg_error(cg, k, INGOT_CODE_INPUT, "Gather needs 'indices'");
  const ingot_value_t *x = k->vin[0], *ind = k->vin[1];
  if (!is_index_dtype(ind->type.dtype))
    return cg_error(cg, k, INGOT_CODE_INPUT, "Gather indices must be int32/int64 (got %s)",
                    ingot_dtype_name(ind->type.dtype));
  int64_t xd[INGOT_MAX_RANK];
  int r = cg_dims(x, xd), axis = 0;
  if (r == 0) return cg_error(cg, k, INGOT_CODE_INPUT, "Gather on a scalar (rank 0)");
  INGOT_RETURN_IF_ERROR(mv_axis(cg, k, ingot_node_attr_i(k->n, "axis", 0), r, "axis", &axis));
  int mdt = mv_move_dtype(x->type.dtype);
  gather_ctx_t g = {k,    mv_cast(cg, k->in[0], mdt), mv_cast(cg, k->out[0], mdt), mdt, xd[axis], mv_numel(ind),
                    mv_prod(xd, axis + 1, r), NULL};
  int64_t dims[3] = {mv_prod(xd, 0, axis), g.ni, g.inner};
  int64_t total = mv_prod(dims, 0, 3);
  if (total != mv_numel(k->vout[0]))
    return cg_error(cg, k, INGOT_CODE_INTERNAL, "Gather output size disagrees with the inferred shape");
  if (total > 0 && g.dim == 0) return cg_error(cg, k, INGOT_CODE_INPUT, "Gather from an empty axis");
  if (ind->data && g.ni > 0) {
    INGOT_RETURN_IF_ERROR(check_const_indices(cg, k, 1, 1, 1, &g.dim));
    int64_t *w = malloc((size_t)g.ni * sizeof *w);
    if (!w) return cg_error(cg, k, INGOT_CODE_NOMEM, "out of memory");
    for (int64_t i = 0; i < g.ni; i++) {
      int64_t v = const_index(ind, i);
      w[i] = v < 0 ? v + g.dim : v;
    }
    g.table = mv_global(cg, w, (size_t)g.ni * sizeof *w, INGOT_DT_INT64);
    free(w);
  }
  mv_nest_t N;
  mv_nest_plan(&N, 3, dims);
  k->work = N.work ? N.work : 1;
  k->bytes = 2.0 * (double)total * (double)ingot_dtype_size(x->type.dtype);
  mv_nest_emit(cg, &N, k->begin, k->end, gather_row, &g);
  return INGOT_OK;
}

/* ---- GatherElements ---------------------------------------------------------------- */

typedef struct {
  const cg_kernel_t *k;
  LLVMValueRef src, dst;
  int dtype, rank, axis; /* dtype: the move type */
  int64_t dim;
  int64_t os[INGOT_MAX_RANK], xs[INGOT_MAX_RANK];
} gel_ctx_t;

static void gel_elem(cg_t *cg, void *vctx, const LLVMValueRef *c) {
  gel_ctx_t *g = vctx;
  LLVMValueRef cc[INGOT_MAX_RANK];
  memcpy(cc, c, (size_t)g->rank * sizeof *cc);
  LLVMValueRef o = cg_dot(cg, g->rank, cc, g->os);
  cc[g->axis] = mv_wrap_clamp(cg, load_index(cg, g->k, 1, o), g->dim);
  LLVMValueRef src = cg_dot(cg, g->rank, cc, g->xs);
  cg_store(cg, g->dtype, g->dst, o, cg_load(cg, g->dtype, g->src, src));
}

ingot_status_t cg_emit_gather_elements(cg_t *cg, cg_kernel_t *k) {
  if (!mv_has(k, 1)) return cg_error(cg, k, INGOT_CODE_INPUT, "GatherElements needs 'indices'");
  const ingot_value_t *x = k->vin[0], *ind = k->vin[1];
  if (!is_index_dtype(ind->type.dtype))
    return cg_error(cg, k, INGOT_CODE_INPUT, "GatherElements indices must be int32/int64");
  int64_t xd[INGOT_MAX_RANK], id[INGOT_MAX_RANK];
  int r = cg_dims(x, xd), axis = 0;
  if (r == 0) return cg_error(cg, k, INGOT_CODE_INPUT, "GatherElements on a scalar (rank 0)");
  if (cg_dims(ind, id) != r) return cg_error(cg, k, INGOT_CODE_INPUT, "GatherElements indices have another rank");
  INGOT_RETURN_IF_ERROR(mv_axis(cg, k, ingot_node_attr_i(k->n, "axis", 0), r, "axis", &axis));
  for (int d = 0; d < r; d++)
    if (d != axis && id[d] > xd[d])
      return cg_error(cg, k, INGOT_CODE_INPUT, "GatherElements indices dim exceeds data dim at axis %d", d);
  INGOT_RETURN_IF_ERROR(mv_check_dims(cg, k, 0, r, id));
  int64_t total = mv_prod(id, 0, r);
  if (total > 0 && xd[axis] == 0) return cg_error(cg, k, INGOT_CODE_INPUT, "GatherElements from an empty axis");
  if (ind->data && total > 0) INGOT_RETURN_IF_ERROR(check_const_indices(cg, k, 1, 1, 1, &xd[axis]));
  int mdt = mv_move_dtype(x->type.dtype);
  gel_ctx_t g = {.k = k, .src = mv_cast(cg, k->in[0], mdt), .dst = mv_cast(cg, k->out[0], mdt), .dtype = mdt,
                 .rank = r, .axis = axis, .dim = xd[axis]};
  mv_strides(r, id, g.os);
  mv_strides(r, xd, g.xs);
  mv_nest_t N;
  mv_nest_plan(&N, r, id);
  k->work = N.work ? N.work : 1;
  size_t es = ingot_dtype_size(x->type.dtype), is = ingot_dtype_size(ind->type.dtype);
  k->bytes = (double)total * (double)(2 * es + is);
  mv_nest_emit_elems(cg, &N, k->begin, k->end, gel_elem, &g);
  return INGOT_OK;
}

/* ---- ScatterND --------------------------------------------------------------------- */

/* The output is split by its first kk dims (the "prefix" an index tuple
 * selects; P of them), each prefix's slice of S elements into nsb blocks of
 * sb.  A work item (prefix p, block s) first copies its part of data, then
 * walks ALL index tuples in order and applies those that hit it.  So every
 * output element is owned by one thread, updates to it happen in index
 * order (duplicates behave exactly as in the evaluator, reductions
 * included), and no barrier is needed between the copy and the scatter. */
enum { RED_NONE, RED_ADD, RED_MUL, RED_MAX, RED_MIN };

typedef struct {
  const cg_kernel_t *k;
  LLVMValueRef data, upd, out; /* move-type pointers */
  int dtype, red;
  int64_t kk, nupd, slice, nsb, sb;
  int64_t xd[INGOT_MAX_RANK], ps[INGOT_MAX_RANK]; /* data dims; strides of the prefix space */
} scatter_ctx_t;

static bool is_unsigned(int dt) {
  return dt == INGOT_DT_UINT8 || dt == INGOT_DT_UINT16 || dt == INGOT_DT_UINT32 || dt == INGOT_DT_UINT64;
}

/* a op b on move-type bits.  float/float16/bfloat16 combine in f32, double
 * in double (the evaluator: double, rounded once, which is the same for
 * one add or multiply of float32s). */
static LLVMValueRef combine(cg_t *cg, int dtype, int red, LLVMValueRef a, LLVMValueRef b) {
  bool fl = ingot_dtype_is_float(dtype);
  if (fl) {
    a = dtype == INGOT_DT_DOUBLE ? mv_bits_to_f64(cg, dtype, a) : mv_bits_to_f32(cg, dtype, a);
    b = dtype == INGOT_DT_DOUBLE ? mv_bits_to_f64(cg, dtype, b) : mv_bits_to_f32(cg, dtype, b);
  }
  LLVMValueRef r;
  switch (red) {
    case RED_ADD: r = fl ? LLVMBuildFAdd(cg->b, a, b, "") : LLVMBuildAdd(cg->b, a, b, ""); break;
    case RED_MUL: r = fl ? LLVMBuildFMul(cg->b, a, b, "") : LLVMBuildMul(cg->b, a, b, ""); break;
    default: {
      bool mx = red == RED_MAX;
      LLVMValueRef take;
      if (fl) /* b wins when it is larger (smaller) or NaN, as the evaluator */
        take = LLVMBuildFCmp(cg->b, mx ? LLVMRealUGT : LLVMRealULT, b, a, "");
      else if (is_unsigned(dtype))
        take = LLVMBuildICmp(cg->b, mx ? LLVMIntUGT : LLVMIntULT, b, a, "");
      else
        take = LLVMBuildICmp(cg->b, mx ? LLVMIntSGT : LLVMIntSLT, b, a, "");
      r = LLVMBuildSelect(cg->b, take, b, a, "");
    }
  }
  if (!fl) return r;
  return dtype == INGOT_DT_DOUBLE ? mv_f64_to_bits(cg, dtype, r) : mv_f32_to_bits(cg, dtype, r);
}

/* Element range [e0, e1) of block s of a slice. */
static void block_range(cg_t *cg, const scatter_ctx_t *s, LLVMValueRef blk, LLVMValueRef *e0, LLVMValueRef *e1) {
  if (s->nsb == 1) {
    *e0 = cg_i64(cg, 0);
    *e1 = cg_i64(cg, s->slice);
    return;
  }
  *e0 = LLVMBuildNSWMul(cg->b, blk, cg_i64(cg, s->sb), "");
  *e1 = mv_smin(cg, LLVMBuildNSWAdd(cg->b, *e0, cg_i64(cg, s->sb), ""), cg_i64(cg, s->slice));
}

static void scatter_emit(cg_t *cg, const scatter_ctx_t *s) {
  const cg_kernel_t *k = s->k;
  int dt = mv_move_dtype(s->dtype);
  LLVMValueRef nsb = cg_i64(cg, s->nsb), sl = cg_i64(cg, s->slice);
  /* 1: copy data for the items [begin, end) */
  cg_loop_t Lw, Le;
  LLVMValueRef w = cg_loop_begin(cg, &Lw, k->begin, k->end, "w");
  LLVMValueRef p = s->nsb == 1 ? w : LLVMBuildUDiv(cg->b, w, nsb, "");
  LLVMValueRef e0, e1;
  block_range(cg, s, s->nsb == 1 ? NULL : LLVMBuildURem(cg->b, w, nsb, ""), &e0, &e1);
  LLVMValueRef base = LLVMBuildNSWMul(cg->b, p, sl, "");
  LLVMValueRef e = cg_loop_begin(cg, &Le, e0, e1, "e");
  LLVMValueRef o = LLVMBuildNSWAdd(cg->b, base, e, "");
  cg_store(cg, dt, s->out, o, cg_load(cg, dt, s->data, o));
  cg_loop_end(cg, &Le);
  mv_loop_end_novec(cg, &Lw);
  /* 2: every update, in order, restricted to the items [begin, end) */
  cg_loop_t Lj, Lb, Lu;
  LLVMValueRef j = cg_loop_begin(cg, &Lj, cg_i64(cg, 0), cg_i64(cg, s->nupd), "j");
  LLVMValueRef jk = LLVMBuildNSWMul(cg->b, j, cg_i64(cg, s->kk), "");
  p = cg_i64(cg, 0);
  for (int64_t c = 0; c < s->kk; c++) {
    LLVMValueRef idx = load_index(cg, k, 1, LLVMBuildNSWAdd(cg->b, jk, cg_i64(cg, c), ""));
    idx = mv_wrap_clamp(cg, idx, s->xd[c]);
    p = LLVMBuildNSWAdd(cg->b, p, LLVMBuildNSWMul(cg->b, idx, cg_i64(cg, s->ps[c]), ""), "");
  }
  LLVMValueRef first = LLVMBuildNSWMul(cg->b, p, nsb, "");
  LLVMValueRef lo = mv_smax(cg, k->begin, first);
  LLVMValueRef hi = mv_smin(cg, k->end, LLVMBuildNSWAdd(cg->b, first, nsb, ""));
  LLVMValueRef wb = cg_loop_begin(cg, &Lb, lo, hi, "b");
  block_range(cg, s, LLVMBuildNSWSub(cg->b, wb, first, ""), &e0, &e1);
  base = LLVMBuildNSWMul(cg->b, p, sl, "");
  LLVMValueRef ub = LLVMBuildNSWMul(cg->b, j, sl, "");
  e = cg_loop_begin(cg, &Lu, e0, e1, "e");
  o = LLVMBuildNSWAdd(cg->b, base, e, "");
  LLVMValueRef u = cg_load(cg, dt, s->upd, LLVMBuildNSWAdd(cg->b, ub, e, ""));
  if (s->red != RED_NONE) u = combine(cg, s->dtype, s->red, cg_load(cg, dt, s->out, o), u);
  cg_store(cg, dt, s->out, o, u);
  cg_loop_end(cg, &Lu);
  mv_loop_end_novec(cg, &Lb);
  mv_loop_end_novec(cg, &Lj);
}

ingot_status_t cg_emit_scatter_nd(cg_t *cg, cg_kernel_t *k) {
  if (!mv_has(k, 1) || !mv_has(k, 2)) return cg_error(cg, k, INGOT_CODE_INPUT, "ScatterND needs indices and updates");
  const ingot_value_t *x = k->vin[0], *ind = k->vin[1], *upd = k->vin[2];
  if (!is_index_dtype(ind->type.dtype)) return cg_error(cg, k, INGOT_CODE_INPUT, "ScatterND indices must be int64");
  if (upd->type.dtype != x->type.dtype)
    return cg_error(cg, k, INGOT_CODE_INPUT, "ScatterND updates and data differ in dtype");
  const char *rs = ingot_node_attr_s(k->n, "reduction", "none");
  scatter_ctx_t s;
  memset(&s, 0, sizeof s);
  s.k = k;
  s.dtype = x->type.dtype;
  if (!strcmp(rs, "none")) s.red = RED_NONE;
  else if (!strcmp(rs, "add")) s.red = RED_ADD;
  else if (!strcmp(rs, "mul")) s.red = RED_MUL;
  else if (!strcmp(rs, "max")) s.red = RED_MAX;
  else if (!strcmp(rs, "min")) s.red = RED_MIN;
  else return cg_error(cg, k, INGOT_CODE_INPUT, "ScatterND reduction '%s' is not none/add/mul/max/min", rs);
  if ((s.red == RED_MAX || s.red == RED_MIN) && mv_opset(cg) < 18)
    return cg_error(cg, k, INGOT_CODE_INPUT, "ScatterND reduction '%s' needs opset 18", rs);
  if (s.red != RED_NONE && s.dtype == INGOT_DT_BOOL)
    return cg_error(cg, k, INGOT_CODE_UNSUPPORTED, "ScatterND reduction '%s' on bool", rs);
  int64_t id[INGOT_MAX_RANK], ud[INGOT_MAX_RANK];
  int r = cg_dims(x, s.xd), q = cg_dims(ind, id), ur = cg_dims(upd, ud);
  if (r < 1 || q < 1) return cg_error(cg, k, INGOT_CODE_INPUT, "ScatterND data and indices need rank >= 1");
  s.kk = id[q - 1];
  if (s.kk < 1 || s.kk > r) return cg_error(cg, k, INGOT_CODE_INPUT, "ScatterND indices last dim out of range");
  if (ur != q - 1 + r - (int)s.kk) return cg_error(cg, k, INGOT_CODE_INPUT, "ScatterND updates have a wrong rank");
  for (int d = 0; d < ur; d++)
    if (ud[d] != (d < q - 1 ? id[d] : s.xd[s.kk + d - (q - 1)]))
      return cg_error(cg, k, INGOT_CODE_INPUT, "ScatterND updates dim %d is wrong", d);
  s.nupd = mv_prod(id, 0, q - 1);
  s.slice = mv_prod(s.xd, (int)s.kk, r);
  int64_t P = mv_prod(s.xd, 0, (int)s.kk);
  mv_strides((int)s.kk, s.xd, s.ps);
  if (ind->data && s.nupd > 0) INGOT_RETURN_IF_ERROR(check_const_indices(cg, k, 1, 1, s.kk, s.xd));
  k->bytes = (double)(P * s.slice * 2 + s.nupd * s.slice * 2) * (double)ingot_dtype_size(s.dtype);
  if (P * s.slice == 0) {
    k->work = 1;
    return INGOT_OK;
  }
  s.nsb = 1;
  s.sb = s.slice;
  if (P < 128 && s.slice >= 4096) {
    int64_t want = (128 + P - 1) / P;
    s.sb = (s.slice + want - 1) / want;
    if (s.sb < 1024) s.sb = 1024;
    s.nsb = (s.slice + s.sb - 1) / s.sb;
  }
  k->work = P * s.nsb;
  int mdt = mv_move_dtype(s.dtype);
  s.data = mv_cast(cg, k->in[0], mdt);
  s.upd = mv_cast(cg, k->in[2], mdt);
  s.out = mv_cast(cg, k->out[0], mdt);
  scatter_emit(cg, &s);
  return INGOT_OK;
}

/* ---- Pad ------------------------------------------------------------------------ */

enum { PAD_CONSTANT, PAD_REFLECT, PAD_EDGE, PAD_WRAP };

/* As the evaluator: position i relative to the kept range of n elements ->
 * [0, n) per numpy.pad's modes, or -1 for the constant. */
static int64_t pad_map(int64_t i, int64_t n, int mode) {
  if (i >= 0 && i < n) return i;
  switch (mode) {
    case PAD_EDGE: return i < 0 ? 0 : n - 1;
    case PAD_WRAP: return ((i % n) + n) % n;
    case PAD_REFLECT: {
      if (n == 1) return 0;
      int64_t p = 2 * (n - 1);
      int64_t m = ((i % p) + p) % p;
      return m < n ? m : p - m;
    }
    default: return -1;
  }
}

typedef struct {
  LLVMValueRef src, dst; /* move-type pointers */
  int dtype, rank;       /* dtype: the move type */
  int64_t lo[INGOT_MAX_RANK], keep[INGOT_MAX_RANK], front[INGOT_MAX_RANK];
  int64_t xs[INGOT_MAX_RANK], os[INGOT_MAX_RANK];
  LLVMValueRef cval;
  LLVMValueRef table[INGOT_MAX_RANK]; /* non-constant modes: input offset per output coordinate (NULL: shift) */
} pad_ctx_t;

/* Constant mode, one output row: fill it when an outer coordinate is in
 * the padding, else constant / copy / constant in three ranges. */
static void pad_const_row(cg_t *cg, void *vctx, const LLVMValueRef *c, LLVMValueRef j0, LLVMValueRef j1) {
  pad_ctx_t *p = vctx;
  int r = p->rank, dt = p->dtype;
  LLVMValueRef inside = LLVMConstInt(cg->t_i1, 1, 0), src = cg_i64(cg, 0), dst = cg_i64(cg, 0);
  for (int d = 0; d < r - 1; d++) {
    LLVMValueRef rel = LLVMBuildSub(cg->b, c[d], cg_i64(cg, p->front[d]), "");
    inside = LLVMBuildAnd(cg->b, inside, LLVMBuildICmp(cg->b, LLVMIntULT, rel, cg_i64(cg, p->keep[d]), ""), "");
    LLVMValueRef in = LLVMBuildAdd(cg->b, rel, cg_i64(cg, p->lo[d]), "");
    src = LLVMBuildAdd(cg->b, src, LLVMBuildMul(cg->b, in, cg_i64(cg, p->xs[d]), ""), "");
    dst = LLVMBuildNSWAdd(cg->b, dst, LLVMBuildNSWMul(cg->b, c[d], cg_i64(cg, p->os[d]), ""), "");
  }
  int l = r - 1;
  /* input row offset of output column 0 (may point before the row: only
   * columns in the copy range are read) */
  src = LLVMBuildAdd(cg->b, src, cg_i64(cg, p->lo[l] - p->front[l]), "");
  cg_if_t ci;
  cg_if_begin(cg, &ci, inside);
  LLVMValueRef a = mv_smin(cg, mv_smax(cg, cg_i64(cg, p->front[l]), j0), j1);
  LLVMValueRef b = mv_smin(cg, mv_smax(cg, cg_i64(cg, p->front[l] + p->keep[l]), j0), j1);
  mv_fill(cg, dt, p->dst, dst, j0, a, p->cval);
  cg_loop_t L;
  LLVMValueRef j = cg_loop_begin(cg, &L, a, b, "c");
  cg_store(cg, dt, p->dst, LLVMBuildNSWAdd(cg->b, dst, j, ""),
           cg_load(cg, dt, p->src, LLVMBuildAdd(cg->b, src, j, "")));
  cg_loop_end(cg, &L);
  mv_fill(cg, dt, p->dst, dst, b, j1, p->cval);
  cg_if_else(cg, &ci);
  mv_fill(cg, dt, p->dst, dst, j0, j1, p->cval);
  cg_if_end(cg, &ci);
}

/* Other modes, one element: the input offset is a sum of per-axis terms. */
static void pad_table_elem(cg_t *cg, void *vctx, const LLVMValueRef *c) {
  pad_ctx_t *p = vctx;
  LLVMValueRef src = cg_i64(cg, 0);
  for (int d = 0; d < p->rank; d++) {
    LLVMValueRef t = p->table[d] ? cg_load(cg, INGOT_DT_INT64, p->table[d], c[d])
                                 : LLVMBuildNSWMul(cg->b, LLVMBuildNSWAdd(cg->b, c[d], cg_i64(cg, p->lo[d]), ""),
                                                   cg_i64(cg, p->xs[d]), "");
    src = LLVMBuildNSWAdd(cg->b, src, t, "");
  }
  LLVMValueRef dst = cg_dot(cg, p->rank, (LLVMValueRef *)c, p->os);
  cg_store(cg, p->dtype, p->dst, dst, cg_load(cg, p->dtype, p->src, src));
}

/* Pad-13/18/19 as the evaluator: pads = [begin_0.., end_0..] for every axis
 * (or for 'axes'); negative pads crop first, the mode then pads the cropped
 * range.  pads, constant_value and axes must be constant. */
ingot_status_t cg_emit_pad(cg_t *cg, cg_kernel_t *k) {
  if (!mv_has(k, 1)) return cg_error(cg, k, INGOT_CODE_INPUT, "Pad needs 'pads'");
  const ingot_value_t *x = k->vin[0];
  pad_ctx_t p;
  memset(&p, 0, sizeof p);
  p.dtype = mv_move_dtype(x->type.dtype);
  p.src = mv_cast(cg, k->in[0], p.dtype);
  p.dst = mv_cast(cg, k->out[0], p.dtype);
  int64_t xd[INGOT_MAX_RANK], od[INGOT_MAX_RANK];
  int r = cg_dims(x, xd);
  const char *ms = ingot_node_attr_s(k->n, "mode", "constant");
  int mode;
  if (!strcmp(ms, "constant")) mode = PAD_CONSTANT;
  else if (!strcmp(ms, "reflect")) mode = PAD_REFLECT;
  else if (!strcmp(ms, "edge")) mode = PAD_EDGE;
  else if (!strcmp(ms, "wrap")) mode = PAD_WRAP;
  else return cg_error(cg, k, INGOT_CODE_INPUT, "Pad mode '%s' is not constant/reflect/edge/wrap", ms);
  if (mode == PAD_WRAP && mv_opset(cg) < 19)
    return cg_error(cg, k, INGOT_CODE_INPUT, "Pad mode 'wrap' needs opset 19");
  int64_t axes[INGOT_MAX_RANK], na, raw[2 * INGOT_MAX_RANK], np;
  if (mv_has(k, 3)) {
    INGOT_RETURN_IF_ERROR(mv_const_ints(cg, k, 3, "axes", axes, r, &na));
  } else {
    na = r;
    for (int d = 0; d < r; d++) axes[d] = d;
  }
  INGOT_RETURN_IF_ERROR(mv_const_ints(cg, k, 1, "pads", raw, 2 * INGOT_MAX_RANK, &np));
  if (np != 2 * na)
    return cg_error(cg, k, INGOT_CODE_INPUT, "pads has %lld entries, expected %lld", (long long)np,
                    (long long)(2 * na));
  int64_t pb[INGOT_MAX_RANK] = {0}, pe[INGOT_MAX_RANK] = {0};
  bool seen[INGOT_MAX_RANK] = {false};
  for (int64_t i = 0; i < na; i++) {
    int a = 0;
    INGOT_RETURN_IF_ERROR(mv_axis(cg, k, axes[i], r, "axes entry", &a));
    if (seen[a]) return cg_error(cg, k, INGOT_CODE_INPUT, "axis %lld repeated", (long long)axes[i]);
    seen[a] = true;
    pb[a] = raw[i];
    pe[a] = raw[na + i];
  }
  p.cval = LLVMConstNull(cg_type(cg, p.dtype));
  if (mv_has_nonempty(k, 2)) {
    const ingot_value_t *cv = k->vin[2];
    if (!cv->data) return cg_error(cg, k, INGOT_CODE_UNSUPPORTED, "input 'constant_value' must be constant");
    if (cv->type.dtype != x->type.dtype) return cg_error(cg, k, INGOT_CODE_INPUT, "constant_value has another dtype");
    if (mv_numel(cv) != 1) return cg_error(cg, k, INGOT_CODE_INPUT, "constant_value must be a scalar");
    p.cval = mv_const_bits(cg, p.dtype, cv->data);
  }
  const int64_t big = (int64_t)1 << 60;
  for (int d = 0; d < r; d++) {
    if (pb[d] > big || pe[d] > big || pb[d] < -big || pe[d] < -big)
      return cg_error(cg, k, INGOT_CODE_INPUT, "pads for axis %d are out of range", d);
    int64_t cb = pb[d] < 0 ? -pb[d] : 0, ce = pe[d] < 0 ? -pe[d] : 0;
    if (cb + ce > xd[d]) return cg_error(cg, k, INGOT_CODE_INPUT, "negative pads remove more than axis %d has", d);
    p.lo[d] = cb;
    p.keep[d] = xd[d] - cb - ce;
    p.front[d] = pb[d] > 0 ? pb[d] : 0;
    od[d] = p.keep[d] + p.front[d] + (pe[d] > 0 ? pe[d] : 0);
    if (od[d] > p.keep[d] && p.keep[d] == 0 && mode != PAD_CONSTANT)
      return cg_error(cg, k, INGOT_CODE_INPUT, "Pad mode '%s' cannot pad axis %d: it has no elements", ms, d);
  }
  INGOT_RETURN_IF_ERROR(mv_check_dims(cg, k, 0, r, od));
  int64_t total = mv_prod(od, 0, r);
  k->bytes = 2.0 * (double)total * (double)ingot_dtype_size(x->type.dtype);
  if (r == 0) { /* a scalar: nothing to pad */
    xd[0] = od[0] = p.keep[0] = 1;
    p.lo[0] = p.front[0] = 0;
    r = 1;
  }
  p.rank = r;
  mv_strides(r, xd, p.xs);
  mv_strides(r, od, p.os);
  mv_nest_t N;
  mv_nest_plan(&N, r, od);
  k->work = N.work ? N.work : 1;
  if (mode == PAD_CONSTANT) {
    mv_nest_emit(cg, &N, k->begin, k->end, pad_const_row, &p);
    return INGOT_OK;
  }
  for (int d = 0; d < r && total > 0; d++) {
    if (od[d] == p.keep[d]) continue; /* no padding on this axis: a shift */
    int64_t *t = malloc((size_t)od[d] * sizeof *t);
    if (!t) return cg_error(cg, k, INGOT_CODE_NOMEM, "out of memory");
    for (int64_t o = 0; o < od[d]; o++) t[o] = (p.lo[d] + pad_map(o - p.front[d], p.keep[d], mode)) * p.xs[d];
    p.table[d] = mv_global(cg, t, (size_t)od[d] * sizeof *t, INGOT_DT_INT64);
    free(t);
  }
  mv_nest_emit_elems(cg, &N, k->begin, k->end, pad_table_elem, &p);
  return INGOT_OK;
}

/* ---- Resize --------------------------------------------------------------------- */

enum { CT_HALF_PIXEL, CT_HALF_PIXEL_SYM, CT_PYTORCH_HALF_PIXEL, CT_ALIGN_CORNERS, CT_ASYMMETRIC, CT_TF_CROP,
       CT_TF_HALF_PIXEL_NN };
enum { NM_ROUND_PREFER_FLOOR, NM_ROUND_PREFER_CEIL, NM_FLOOR, NM_CEIL };

/* x_original for x_resized = o: the evaluator's orig_coord, verbatim. */
static double orig_coord(int ct, double o, double scale, int64_t in_len, double lres, int64_t out_len, double rs,
                         double re) {
  double in = (double)in_len;
  switch (ct) {
    case CT_HALF_PIXEL: return (o + 0.5) / scale - 0.5;
    case CT_HALF_PIXEL_SYM: {
      double adjustment = (double)out_len / lres;
      return in / 2 * (1 - adjustment) + (o + 0.5) / scale - 0.5;
    }
    case CT_PYTORCH_HALF_PIXEL: return lres > 1 ? (o + 0.5) / scale - 0.5 : 0;
    case CT_ALIGN_CORNERS: return lres == 1 ? 0 : o * (in - 1) / (lres - 1);
    case CT_ASYMMETRIC: return o / scale;
    case CT_TF_HALF_PIXEL_NN: return (o + 0.5) / scale;
    default: return lres > 1 ? rs * (in - 1) + o * (re - rs) * (in - 1) / (lres - 1) : 0.5 * (rs + re) * (in - 1);
  }
}

static int64_t clamp_idx(double f, int64_t n) { return f < 0 ? 0 : f > (double)(n - 1) ? n - 1 : (int64_t)f; }

typedef struct {
  LLVMValueRef src, dst; /* move-type pointers */
  int dtype, mdt, rank;  /* mdt: the move type */
  bool linear, wide; /* wide: blend in double (integer and double data, as the evaluator) */
  int64_t xs[INGOT_MAX_RANK], os[INGOT_MAX_RANK];
  LLVMValueRef off0[INGOT_MAX_RANK];    /* i64: i0 * stride (NULL: the coordinate itself) */
  LLVMValueRef doff[INGOT_MAX_RANK];    /* blend axes, i64: (i1 - i0) * stride */
  LLVMValueRef w0[INGOT_MAX_RANK], w1[INGOT_MAX_RANK]; /* blend axes: weights of i0 and i1 */
  LLVMValueRef outside[INGOT_MAX_RANK]; /* tf_crop_and_resize, i8: extrapolate (NULL: never) */
  int blend[INGOT_MAX_RANK], nblend;
  LLVMValueRef extrap; /* extrapolation_value as a move-type constant */
} resize_ctx_t;

static void resize_elem(cg_t *cg, void *vctx, const LLVMValueRef *c) {
  resize_ctx_t *z = vctx;
  int dt = z->dtype, mdt = z->mdt;
  LLVMValueRef base = cg_i64(cg, 0);
  for (int d = 0; d < z->rank; d++) {
    LLVMValueRef t = z->off0[d] ? cg_load(cg, INGOT_DT_INT64, z->off0[d], c[d])
                                : LLVMBuildNSWMul(cg->b, c[d], cg_i64(cg, z->xs[d]), "");
    base = LLVMBuildNSWAdd(cg->b, base, t, "");
  }
  LLVMValueRef dst = cg_dot(cg, z->rank, (LLVMValueRef *)c, z->os);
  LLVMValueRef v;
  if (!z->linear) {
    v = cg_load(cg, mdt, z->src, base);
  } else {
    int wdt = z->wide ? INGOT_DT_DOUBLE : INGOT_DT_FLOAT;
    LLVMValueRef w0[INGOT_MAX_RANK], w1[INGOT_MAX_RANK], dd[INGOT_MAX_RANK], acc = NULL;
    for (int a = 0; a < z->nblend; a++) {
      int d = z->blend[a];
      w0[a] = cg_load(cg, wdt, z->w0[d], c[d]);
      w1[a] = cg_load(cg, wdt, z->w1[d], c[d]);
      dd[a] = cg_load(cg, INGOT_DT_INT64, z->doff[d], c[d]);
    }
    /* the evaluator's order: terms by mask, weights multiplied axis by axis */
    for (int mask = 0; mask < (1 << z->nblend); mask++) {
      LLVMValueRef wt = NULL, off = base;
      for (int a = 0; a < z->nblend; a++) {
        bool hi = (mask >> a) & 1;
        LLVMValueRef f = hi ? w1[a] : w0[a];
        wt = wt ? LLVMBuildFMul(cg->b, wt, f, "") : f;
        if (hi) off = LLVMBuildNSWAdd(cg->b, off, dd[a], "");
      }
      LLVMValueRef bits = cg_load(cg, mdt, z->src, off);
      LLVMValueRef xv = z->wide ? mv_bits_to_f64(cg, dt, bits) : mv_bits_to_f32(cg, dt, bits);
      LLVMValueRef term = wt ? LLVMBuildFMul(cg->b, wt, xv, "") : xv;
      acc = acc ? LLVMBuildFAdd(cg->b, acc, term, "") : term;
    }
    v = z->wide ? mv_f64_to_bits(cg, dt, acc) : mv_f32_to_bits(cg, dt, acc);
  }
  LLVMValueRef out = NULL;
  for (int d = 0; d < z->rank; d++) {
    if (!z->outside[d]) continue;
    LLVMValueRef o = LLVMBuildICmp(cg->b, LLVMIntNE, cg_load(cg, INGOT_DT_INT8, z->outside[d], c[d]),
                                   LLVMConstInt(cg->t_i8, 0, 0), "");
    out = out ? LLVMBuildOr(cg->b, out, o, "") : o;
  }
  if (out) v = LLVMBuildSelect(cg->b, out, z->extrap, v, "");
  cg_store(cg, mdt, z->dst, dst, v);
}

/* Scales, output sizes and ROI exactly as the evaluator derives them. */
typedef struct {
  double scale[INGOT_MAX_RANK], rs[INGOT_MAX_RANK], re[INGOT_MAX_RANK], lres[INGOT_MAX_RANK];
  int64_t odims[INGOT_MAX_RANK];
} resize_geom_t;

static ingot_status_t resize_geometry(cg_t *cg, const cg_kernel_t *k, int ct, int r, const int64_t *xd,
                                      resize_geom_t *G) {
  const ingot_node_t *n = k->n;
  int axes[INGOT_MAX_RANK], na = r;
  bool seen[INGOT_MAX_RANK] = {false};
  const int64_t *aa;
  int64_t naa = ingot_node_attr_ints(n, "axes", &aa);
  if (naa >= 0) {
    if (naa > r) return cg_error(cg, k, INGOT_CODE_INPUT, "Resize has %lld axes for rank %d", (long long)naa, r);
    na = (int)naa;
    for (int i = 0; i < na; i++) {
      if (aa[i] < -r || aa[i] >= r) return cg_error(cg, k, INGOT_CODE_INPUT, "Resize axis out of range");
      axes[i] = (int)(aa[i] < 0 ? aa[i] + r : aa[i]);
      if (seen[axes[i]]) return cg_error(cg, k, INGOT_CODE_INPUT, "Resize axis repeated");
      seen[axes[i]] = true;
    }
  } else {
    for (int i = 0; i < r; i++) axes[i] = i;
  }
  bool hsc = mv_has_nonempty(k, 2), hsz = mv_has_nonempty(k, 3);
  if (hsc && hsz) return cg_error(cg, k, INGOT_CODE_INPUT, "Resize has both 'scales' and 'sizes'");
  if (!hsc && !hsz) return cg_error(cg, k, INGOT_CODE_INPUT, "Resize needs 'scales' or 'sizes'");
  const ingot_value_t *ts = k->vin[hsc ? 2 : 3];
  if (!ts->data)
    return cg_error(cg, k, INGOT_CODE_UNSUPPORTED, "Resize '%s' must be constant", hsc ? "scales" : "sizes");
  if (ts->type.rank != 1 || mv_numel(ts) != na)
    return cg_error(cg, k, INGOT_CODE_INPUT, "Resize '%s' must be 1-D with %d entries", hsc ? "scales" : "sizes", na);
  for (int d = 0; d < r; d++) {
    G->scale[d] = 1;
    G->rs[d] = 0;
    G->re[d] = 1;
    G->odims[d] = xd[d];
    G->lres[d] = (double)xd[d];
  }
  if (ct == CT_TF_CROP) {
    if (!mv_has_nonempty(k, 1)) return cg_error(cg, k, INGOT_CODE_INPUT, "Resize tf_crop_and_resize needs 'roi'");
    const ingot_value_t *troi = k->vin[1];
    if (!troi->data) return cg_error(cg, k, INGOT_CODE_UNSUPPORTED, "Resize 'roi' must be constant");
    if (!ingot_dtype_is_float(troi->type.dtype) || mv_numel(troi) != 2 * na)
      return cg_error(cg, k, INGOT_CODE_INPUT, "Resize 'roi' must be a float tensor of %d entries", 2 * na);
    for (int i = 0; i < na; i++) {
      G->rs[axes[i]] = mv_const_f64(troi, i);
      G->re[axes[i]] = mv_const_f64(troi, na + i);
    }
  }
  if (hsc) {
    if (!ingot_dtype_is_float(ts->type.dtype))
      return cg_error(cg, k, INGOT_CODE_INPUT, "Resize 'scales' must be float");
    for (int i = 0; i < na; i++) {
      int d = axes[i];
      double s = mv_const_f64(ts, i);
      if (!(s > 0) || isinf(s)) return cg_error(cg, k, INGOT_CODE_INPUT, "Resize scale %g for axis %d", s, d);
      double len = (double)xd[d] * (ct == CT_TF_CROP ? G->re[d] - G->rs[d] : 1) * s;
      if (!(len >= 0) || len > 4e18)
        return cg_error(cg, k, INGOT_CODE_INPUT, "Resize output size %g for axis %d is invalid", len, d);
      G->scale[d] = s;
      G->lres[d] = len;
      G->odims[d] = (int64_t)floor(len);
    }
    return INGOT_OK;
  }
  int64_t sz[INGOT_MAX_RANK], cnt;
  INGOT_RETURN_IF_ERROR(mv_const_ints(cg, k, 3, "sizes", sz, INGOT_MAX_RANK, &cnt));
  for (int i = 0; i < na; i++) {
    int d = axes[i];
    if (sz[i] < 0) return cg_error(cg, k, INGOT_CODE_INPUT, "Resize size for axis %d is negative", d);
    if (xd[d] == 0 && sz[i] != 0) return cg_error(cg, k, INGOT_CODE_INPUT, "Resize cannot grow empty axis %d", d);
    G->odims[d] = sz[i];
    G->lres[d] = (double)sz[i];
    G->scale[d] = xd[d] ? (double)sz[i] / (double)xd[d] : 1;
  }
  const char *kp = ingot_node_attr_s(n, "keep_aspect_ratio_policy", "stretch");
  if (strcmp(kp, "stretch") != 0) {
    bool larger;
    if (!strcmp(kp, "not_larger")) larger = false;
    else if (!strcmp(kp, "not_smaller")) larger = true;
    else return cg_error(cg, k, INGOT_CODE_INPUT, "Resize keep_aspect_ratio_policy '%s' is unknown", kp);
    double s = G->scale[axes[0]];
    for (int i = 1; i < na; i++) s = larger ? fmax(s, G->scale[axes[i]]) : fmin(s, G->scale[axes[i]]);
    for (int i = 0; i < na; i++) {
      int d = axes[i];
      double len = floor(s * (double)xd[d] + 0.5);
      if (len > 4e18) return cg_error(cg, k, INGOT_CODE_INPUT, "Resize output size for axis %d is too large", d);
      G->scale[d] = s;
      G->lres[d] = s * (double)xd[d];
      G->odims[d] = (int64_t)len;
    }
  }
  return INGOT_OK;
}

/* Builds axis d's tables (see resize_ctx_t) from m-entry scratch arrays.
 * A weight table that cannot be allocated stays NULL (checked by the caller). */
static void resize_axis(cg_t *cg, resize_ctx_t *z, int d, int ct, int nm, const resize_geom_t *G, int64_t in_len,
                        int64_t m, int64_t *i0, int64_t *i1, double *w, char *outside) {
  bool any_out = false, ident = m == in_len, any_w = false;
  for (int64_t o = 0; o < m; o++) {
    double xo = orig_coord(ct, (double)o, G->scale[d], in_len, G->lres[d], m, G->rs[d], G->re[d]);
    outside[o] = ct == CT_TF_CROP && (xo < 0 || xo > (double)(in_len - 1));
    any_out |= outside[o] != 0;
    if (xo < -1) xo = -1;
    if (xo > (double)in_len) xo = (double)in_len;
    double f = floor(xo);
    if (z->linear) {
      i0[o] = clamp_idx(f, in_len);
      i1[o] = clamp_idx(f + 1, in_len);
      w[o] = i1[o] == i0[o] ? 0 : xo - f; /* the evaluator skips such an axis: weight 1 on i0 */
    } else {
      double frac = xo - f, rnd;
      switch (nm) {
        case NM_FLOOR: rnd = f; break;
        case NM_CEIL: rnd = ceil(xo); break;
        case NM_ROUND_PREFER_CEIL: rnd = frac < 0.5 ? f : f + 1; break;
        default: rnd = frac <= 0.5 ? f : f + 1; break;
      }
      i0[o] = i1[o] = clamp_idx(rnd, in_len);
      w[o] = 0;
    }
    any_w |= w[o] != 0;
    ident &= i0[o] == o;
  }
  if (any_out) z->outside[d] = mv_global(cg, outside, (size_t)m, INGOT_DT_INT8);
  if (!ident || any_w) {
    for (int64_t o = 0; o < m; o++) i0[o] *= z->xs[d];
    z->off0[d] = mv_global(cg, i0, (size_t)m * sizeof *i0, INGOT_DT_INT64);
  }
  if (!any_w) return;
  z->blend[z->nblend++] = d;
  for (int64_t o = 0; o < m; o++) i1[o] = i1[o] * z->xs[d] - i0[o]; /* i0 is premultiplied now */
  z->doff[d] = mv_global(cg, i1, (size_t)m * sizeof *i1, INGOT_DT_INT64);
  /* weights in the compute type: w1 = w, w0 = 1 - w (computed in double as the evaluator) */
  if (z->wide) {
    double *t = malloc((size_t)m * sizeof *t);
    if (t) {
      z->w1[d] = mv_global(cg, w, (size_t)m * sizeof *w, INGOT_DT_DOUBLE);
      for (int64_t o = 0; o < m; o++) t[o] = 1 - w[o];
      z->w0[d] = mv_global(cg, t, (size_t)m * sizeof *t, INGOT_DT_DOUBLE);
      free(t);
    }
  } else {
    float *t = malloc((size_t)m * sizeof *t);
    if (t) {
      for (int64_t o = 0; o < m; o++) t[o] = (float)w[o];
      z->w1[d] = mv_global(cg, t, (size_t)m * sizeof *t, INGOT_DT_FLOAT);
      for (int64_t o = 0; o < m; o++) t[o] = (float)(1 - w[o]);
      z->w0[d] = mv_global(cg, t, (size_t)m * sizeof *t, INGOT_DT_FLOAT);
      free(t);
    }
  }
}

/* Resize-13/18/19: nearest (every nearest_mode) and linear, every
 * coordinate_transformation_mode the evaluator supports; scales or sizes,
 * axes, keep_aspect_ratio_policy, tf_crop_and_resize's roi and
 * extrapolation_value.  Cubic and antialiased downscaling are unsupported,
 * as in the evaluator. */
ingot_status_t cg_emit_resize(cg_t *cg, cg_kernel_t *k) {
  const ingot_value_t *x = k->vin[0];
  const ingot_node_t *n = k->n;
  resize_ctx_t z;
  memset(&z, 0, sizeof z);
  z.dtype = x->type.dtype;
  z.mdt = mv_move_dtype(z.dtype);
  const char *mode_s = ingot_node_attr_s(n, "mode", "nearest");
  if (!strcmp(mode_s, "nearest")) z.linear = false;
  else if (!strcmp(mode_s, "linear")) z.linear = true;
  else if (!strcmp(mode_s, "cubic"))
    return cg_error(cg, k, INGOT_CODE_UNSUPPORTED, "Resize mode 'cubic' is not supported");
  else return cg_error(cg, k, INGOT_CODE_INPUT, "Resize mode '%s' is not nearest/linear/cubic", mode_s);
  static const char *const ct_names[] = {"half_pixel",    "half_pixel_symmetric", "pytorch_half_pixel",
                                         "align_corners", "asymmetric",           "tf_crop_and_resize",
                                         "tf_half_pixel_for_nn"};
  const char *ct_s = ingot_node_attr_s(n, "coordinate_transformation_mode", "half_pixel");
  int ct = -1;
  for (int i = 0; i < (int)(sizeof ct_names / sizeof *ct_names); i++)
    if (!strcmp(ct_s, ct_names[i])) ct = i;
  if (ct < 0) return cg_error(cg, k, INGOT_CODE_INPUT, "Resize coordinate_transformation_mode '%s' is unknown", ct_s);
  if (ct == CT_HALF_PIXEL_SYM && mv_opset(cg) < 19)
    return cg_error(cg, k, INGOT_CODE_INPUT, "coordinate_transformation_mode 'half_pixel_symmetric' needs opset 19");
  static const char *const nm_names[] = {"round_prefer_floor", "round_prefer_ceil", "floor", "ceil"};
  const char *nm_s = ingot_node_attr_s(n, "nearest_mode", "round_prefer_floor");
  int nm = -1;
  for (int i = 0; i < 4; i++)
    if (!strcmp(nm_s, nm_names[i])) nm = i;
  if (nm < 0) return cg_error(cg, k, INGOT_CODE_INPUT, "Resize nearest_mode '%s' is unknown", nm_s);

  int64_t xd[INGOT_MAX_RANK];
  int r = cg_dims(x, xd);
  resize_geom_t G;
  INGOT_RETURN_IF_ERROR(resize_geometry(cg, k, ct, r, xd, &G));
  if (z.linear && ingot_node_attr_i(n, "antialias", 0))
    for (int d = 0; d < r; d++)
      if (G.scale[d] < 1)
        return cg_error(cg, k, INGOT_CODE_UNSUPPORTED, "Resize antialias when downscaling is not supported");
  if (z.linear && (z.dtype == INGOT_DT_BOOL || !ingot_dtype_supported(z.dtype)))
    return cg_error(cg, k, INGOT_CODE_UNSUPPORTED, "linear Resize of dtype %s", ingot_dtype_name(z.dtype));
  INGOT_RETURN_IF_ERROR(mv_check_dims(cg, k, 0, r, G.odims));
  int64_t total = mv_prod(G.odims, 0, r);
  z.rank = r;
  z.wide = !(z.dtype == INGOT_DT_FLOAT || z.dtype == INGOT_DT_FLOAT16 || z.dtype == INGOT_DT_BFLOAT16);
  { /* the evaluator's conversion of the value to the data's dtype */
    uint8_t bits[8] = {0};
    int64_t one = 1;
    ingot_tensor_t t = ingot_tensor_view(z.dtype, 1, &one, bits, ingot_dtype_size(z.dtype));
    ingot_tensor_set_f64(&t, 0, ingot_node_attr_f(n, "extrapolation_value", 0.0f));
    z.extrap = mv_const_bits(cg, z.mdt, bits);
  }
  z.src = mv_cast(cg, k->in[0], z.mdt);
  z.dst = mv_cast(cg, k->out[0], z.mdt);
  mv_strides(r, xd, z.xs);
  mv_strides(r, G.odims, z.os);
  k->bytes = 2.0 * (double)total * (double)ingot_dtype_size(z.dtype);
  k->work = 1;
  if (total == 0) return INGOT_OK;
  for (int d = 0; d < r; d++) {
    int64_t m = G.odims[d];
    int64_t *i0 = malloc((size_t)m * sizeof *i0), *i1 = malloc((size_t)m * sizeof *i1);
    double *w = malloc((size_t)m * sizeof *w);
    char *outside = malloc((size_t)m);
    bool ok = i0 && i1 && w && outside;
    if (ok) resize_axis(cg, &z, d, ct, nm, &G, xd[d], m, i0, i1, w, outside);
    free(i0);
    free(i1);
    free(w);
    free(outside);
    if (!ok) return cg_error(cg, k, INGOT_CODE_NOMEM, "out of memory");
  }
  for (int a = 0; a < z.nblend; a++)
    if (!z.w0[z.blend[a]] || !z.w1[z.blend[a]]) return cg_error(cg, k, INGOT_CODE_NOMEM, "out of memory");
  k->flops = z.linear ? (double)total * 3.0 * (double)(1 << z.nblend) : 0;
  mv_nest_t N;
  mv_nest_plan(&N, r, G.odims);
  k->work = N.work ? N.work : 1;
  mv_nest_emit_elems(cg, &N, k->begin, k->end, resize_elem, &z);
  return INGOT_OK;
}
