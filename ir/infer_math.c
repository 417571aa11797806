/* Inference rules for arithmetic: elementwise ops, normalisation, linear
 * algebra, convolution, Einsum and reductions.  Output sizes follow the
 * formulas in the ONNX operator specs (opsets 13-20), cited at each rule. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "infer_impl.h"

static bool is_int_dtype(int dt) { return dt == INGOT_DT_INT64 || dt == INGOT_DT_INT32; }

/* ---- elementwise ------------------------------------------------------------------ */

/* Known contents through Add/Sub/Mul/Div/Equal/Where on shape tensors. */
static ingot_status_t elementwise_vals(ix_t *c) {
  int op = c->n->op;
  uint32_t nin = c->n->ninputs;
  if (nin > 3) return INGOT_OK;
  ingot_dim_t v[3][IX_MAXV];
  int len[3], n = 1;
  for (uint32_t i = 0; i < nin; i++) {
    if (!ix_vals(c, i, v[i], &len[i])) return INGOT_OK;
    if (len[i] != 1 && n != 1 && len[i] != n) return INGOT_OK;
    if (len[i] != 1) n = len[i];
  }
  ingot_dim_t r[IX_MAXV];
  for (int k = 0; k < n; k++) {
    ingot_dim_t x[3];
    for (uint32_t i = 0; i < nin; i++) x[i] = v[i][len[i] == 1 ? 0 : k];
    switch (op) {
      case INGOT_OP_ADD: INGOT_RETURN_IF_ERROR(ix_arith(c, '+', x[0], x[1], &r[k])); break;
      case INGOT_OP_SUB: INGOT_RETURN_IF_ERROR(ix_arith(c, '-', x[0], x[1], &r[k])); break;
      case INGOT_OP_MUL: INGOT_RETURN_IF_ERROR(ix_arith(c, '*', x[0], x[1], &r[k])); break;
      case INGOT_OP_DIV: INGOT_RETURN_IF_ERROR(ix_arith(c, '/', x[0], x[1], &r[k])); break;
      case INGOT_OP_EQUAL:
        if (!x[0].sym && !x[1].sym) r[k] = ingot_dim_const(x[0].v == x[1].v);
        else if (x[0].sym == x[1].sym) r[k] = ingot_dim_const(1);
        /* symbols in shape tensors stand for sizes, never negative */
        else if ((!x[0].sym && x[0].v < 0) || (!x[1].sym && x[1].v < 0)) r[k] = ingot_dim_const(0);
        else INGOT_RETURN_IF_ERROR(ix_fresh(c, &r[k]));
        break;
      case INGOT_OP_WHERE:
        if (x[0].sym) INGOT_RETURN_IF_ERROR(ix_fresh(c, &r[k]));
        else r[k] = x[0].v ? x[1] : x[2];
        break;
      default: return INGOT_OK;
    }
  }
  return ix_set_vals(c, 0, r, n);
}

ingot_status_t ix_elementwise(ix_t *c) {
  int op = c->n->op;
  uint32_t nin = c->n->ninputs;
  static const int boolean[] = {INGOT_DT_BOOL, 0};
  if (op == INGOT_OP_WHERE) {
    INGOT_RETURN_IF_ERROR(ix_dtype_in(c, 0, "condition", boolean));
    INGOT_RETURN_IF_ERROR(ix_same_dtype(c, 1, 2));
  } else if (op == INGOT_OP_AND || op == INGOT_OP_OR || op == INGOT_OP_XOR) {
    INGOT_RETURN_IF_ERROR(ix_dtype_in(c, 0, "A", boolean));
    INGOT_RETURN_IF_ERROR(ix_dtype_in(c, 1, "B", boolean));
  } else if (op != INGOT_OP_POW) { /* Pow's exponent may have another dtype */
    for (uint32_t i = 1; i < nin; i++) INGOT_RETURN_IF_ERROR(ix_same_dtype(c, 0, i));
  }
  ingot_type_t acc = *ix_in(c, 0);
  for (uint32_t i = 1; i < nin; i++) {
    const ingot_type_t *pair[2] = {&acc, ix_in(c, i)};
    ingot_type_t t;
    INGOT_RETURN_IF_ERROR(ix_bcast(c, pair, 2, &t));
    acc = t;
  }
  int dt = ix_in(c, 0)->dtype;
  switch (op) {
    case INGOT_OP_EQUAL: case INGOT_OP_LESS: case INGOT_OP_LESS_OR_EQUAL: case INGOT_OP_GREATER:
    case INGOT_OP_GREATER_OR_EQUAL: case INGOT_OP_AND: case INGOT_OP_OR: case INGOT_OP_XOR:
      dt = INGOT_DT_BOOL;
      break;
    case INGOT_OP_WHERE: dt = ix_in(c, 1)->dtype; break;
    default: break;
  }
  acc.dtype = dt;
  INGOT_RETURN_IF_ERROR(ix_set(c, 0, &acc));
  bool arith = op == INGOT_OP_ADD || op == INGOT_OP_SUB || op == INGOT_OP_MUL || op == INGOT_OP_DIV;
  if ((arith && is_int_dtype(dt)) || op == INGOT_OP_EQUAL || op == INGOT_OP_WHERE)
    return elementwise_vals(c);
  return INGOT_OK;
}

ingot_status_t ix_unary(ix_t *c) {
  int op = c->n->op;
  ingot_type_t t = *ix_in(c, 0);
  if (op == INGOT_OP_NOT) {
    static const int boolean[] = {INGOT_DT_BOOL, 0};
    INGOT_RETURN_IF_ERROR(ix_dtype_in(c, 0, "X", boolean));
  }
  if (op == INGOT_OP_ISNAN) t.dtype = INGOT_DT_BOOL;
  INGOT_RETURN_IF_ERROR(ix_set(c, 0, &t));
  ingot_dim_t v[IX_MAXV];
  int n;
  if ((op == INGOT_OP_IDENTITY || op == INGOT_OP_NEG) && ix_vals(c, 0, v, &n)) {
    if (op == INGOT_OP_NEG) {
      if (!is_int_dtype(t.dtype)) return INGOT_OK;
      for (int k = 0; k < n; k++) INGOT_RETURN_IF_ERROR(ix_arith(c, '-', ingot_dim_const(0), v[k], &v[k]));
    }
    return ix_set_vals(c, 0, v, n);
  }
  return INGOT_OK;
}

/* Clip(input, min, max): min and max are scalars (opset 13). */
ingot_status_t ix_clip(ix_t *c) {
  for (uint32_t i = 1; i < 3; i++) {
    INGOT_RETURN_IF_ERROR(ix_same_dtype(c, 0, i));
    int64_t n = ix_in_numel(c, i);
    const ingot_type_t *t = ix_in(c, i);
    if (t && n >= 0 && n != 1) {
      char b[IX_BUF];
      return ix_err(c, INGOT_CODE_INPUT, "Clip %s must be a scalar, got %s", i == 1 ? "min" : "max", ix_str(c, t, b));
    }
  }
  return ix_same(c, 0, 0);
}

ingot_status_t ix_cast(ix_t *c) {
  ingot_type_t t = *ix_in(c, 0);
  int from = t.dtype;
  if (c->n->op == INGOT_OP_CAST_LIKE) {
    t.dtype = ix_in(c, 1)->dtype;
  } else {
    int64_t to = ingot_node_attr_i(c->n, "to", 0);
    if (to <= 0 || to >= INGOT_DT_COUNT_)
      return ix_err(c, INGOT_CODE_INPUT, "Cast 'to' is %" PRId64 ", not an ONNX dtype", to);
    t.dtype = (int32_t)to;
  }
  INGOT_RETURN_IF_ERROR(ix_set(c, 0, &t));
  ingot_dim_t v[IX_MAXV];
  int n;
  bool from_int = is_int_dtype(from) || from == INGOT_DT_BOOL;
  if (!from_int || !ix_vals(c, 0, v, &n)) return INGOT_OK;
  if (is_int_dtype(t.dtype)) return ix_set_vals(c, 0, v, n);
  if (t.dtype == INGOT_DT_BOOL) {
    for (int k = 0; k < n; k++) {
      if (v[k].sym) return INGOT_OK;
      v[k] = ingot_dim_const(v[k].v != 0);
    }
    return ix_set_vals(c, 0, v, n);
  }
  return INGOT_OK;
}

/* Dropout(data, ratio, training_mode) -> (output, mask: bool). */
ingot_status_t ix_dropout(ix_t *c) {
  ingot_type_t t = *ix_in(c, 0);
  INGOT_RETURN_IF_ERROR(ix_set(c, 0, &t));
  t.dtype = INGOT_DT_BOOL;
  return ix_set(c, 1, &t);
}

/* ---- normalisation ------------------------------------------------------------------- */

ingot_status_t ix_softmax(ix_t *c) {
  const ingot_type_t *x = ix_in(c, 0);
  int axis;
  INGOT_RETURN_IF_ERROR(ix_axis(c, "axis", ingot_node_attr_i(c->n, "axis", -1), x->rank, &axis));
  return ix_same(c, 0, 0);
}

/* Input i must broadcast unidirectionally to dims[0..rank). */
static ingot_status_t check_unidir(ix_t *c, uint32_t i, const char *what, const ingot_dim_t *dims, int rank) {
  const ingot_type_t *t = ix_in(c, i);
  if (!t) return INGOT_OK;
  INGOT_RETURN_IF_ERROR(ix_same_dtype(c, 0, i));
  char b1[IX_BUF], b2[IX_BUF];
  ingot_type_t target = ix_type(0, rank);
  memcpy(target.dims, dims, (size_t)rank * sizeof *dims);
  bool bad = t->rank > rank;
  for (int k = 0; !bad && k < t->rank; k++) {
    ingot_dim_t a = t->dims[t->rank - 1 - k], d = dims[rank - 1 - k];
    bad = !a.sym && !d.sym && a.v != 1 && a.v != d.v;
  }
  if (bad)
    return ix_err(c, INGOT_CODE_INPUT, "%s %s %s does not broadcast to %s", c->op, what, ix_str(c, t, b1),
                  ix_str(c, &target, b2));
  return INGOT_OK;
}

/* LayerNormalization (opset 17): Y like X; Mean and InvStdDev keep X's dims
 * before axis and have 1 from axis on, in the stash_type dtype. */
ingot_status_t ix_layer_norm(ix_t *c) {
  const ingot_type_t *x = ix_in(c, 0);
  int axis;
  INGOT_RETURN_IF_ERROR(ix_axis(c, "axis", ingot_node_attr_i(c->n, "axis", -1), x->rank, &axis));
  INGOT_RETURN_IF_ERROR(check_unidir(c, 1, "Scale", x->dims + axis, x->rank - axis));
  INGOT_RETURN_IF_ERROR(check_unidir(c, 2, "B", x->dims + axis, x->rank - axis));
  int64_t stash = ingot_node_attr_i(c->n, "stash_type", INGOT_DT_FLOAT);
  if (!ingot_dtype_is_float((int)stash) || stash >= INGOT_DT_FLOAT8E4M3FN)
    return ix_err(c, INGOT_CODE_INPUT, "LayerNormalization stash_type %" PRId64 " is not a float dtype", stash);
  ingot_type_t y = *x, m = *x;
  INGOT_RETURN_IF_ERROR(ix_set(c, 0, &y));
  m.dtype = (int32_t)stash;
  for (int i = axis; i < m.rank; i++) m.dims[i] = ingot_dim_const(1);
  INGOT_RETURN_IF_ERROR(ix_set(c, 1, &m));
  return ix_set(c, 2, &m);
}

/* A 1-D per-channel parameter (scale, bias, mean, var) of length n. */
static ingot_status_t check_vec(ix_t *c, uint32_t i, const char *what, ingot_dim_t n, ingot_dim_t alt) {
  const ingot_type_t *t = ix_in(c, i);
  if (!t) return INGOT_OK;
  char b[IX_BUF];
  if (t->rank != 1)
    return ix_err(c, INGOT_CODE_INPUT, "%s %s must be 1-D, got %s", c->op, what, ix_str(c, t, b));
  ingot_dim_t d = t->dims[0];
  if (!d.sym && !n.sym && d.v != n.v && (alt.sym || d.v != alt.v))
    return ix_err(c, INGOT_CODE_INPUT, "%s %s has %" PRId64 " entries, expected %" PRId64, c->op, what, d.v, n.v);
  return INGOT_OK;
}

/* GroupNormalization (opset 18): scale and bias are [num_groups] (opset 21
 * made them [C]; both are accepted). */
ingot_status_t ix_group_norm(ix_t *c) {
  const ingot_type_t *x = ix_in(c, 0);
  char b[IX_BUF];
  if (x->rank < 2)
    return ix_err(c, INGOT_CODE_INPUT, "GroupNormalization needs X of rank >= 2 (N,C,...), got %s", ix_str(c, x, b));
  int64_t groups = ingot_node_attr_i(c->n, "num_groups", 0);
  if (groups <= 0) return ix_err(c, INGOT_CODE_INPUT, "GroupNormalization num_groups %" PRId64 " must be > 0", groups);
  ingot_dim_t ch = x->dims[1];
  if (!ch.sym && ch.v % groups)
    return ix_err(c, INGOT_CODE_INPUT, "GroupNormalization: %" PRId64 " channels do not split into %" PRId64 " groups",
                  ch.v, groups);
  INGOT_RETURN_IF_ERROR(ix_same_dtype(c, 0, 1));
  INGOT_RETURN_IF_ERROR(ix_same_dtype(c, 0, 2));
  INGOT_RETURN_IF_ERROR(check_vec(c, 1, "scale", ingot_dim_const(groups), ch));
  INGOT_RETURN_IF_ERROR(check_vec(c, 2, "bias", ingot_dim_const(groups), ch));
  return ix_same(c, 0, 0);
}

ingot_status_t ix_instance_norm(ix_t *c) {
  const ingot_type_t *x = ix_in(c, 0);
  char b[IX_BUF];
  if (x->rank < 2)
    return ix_err(c, INGOT_CODE_INPUT, "InstanceNormalization needs input of rank >= 2 (N,C,...), got %s",
                  ix_str(c, x, b));
  INGOT_RETURN_IF_ERROR(ix_same_dtype(c, 0, 1));
  INGOT_RETURN_IF_ERROR(ix_same_dtype(c, 0, 2));
  INGOT_RETURN_IF_ERROR(check_vec(c, 1, "scale", x->dims[1], x->dims[1]));
  INGOT_RETURN_IF_ERROR(check_vec(c, 2, "B", x->dims[1], x->dims[1]));
  return ix_same(c, 0, 0);
}

/* BatchNormalization (opset 15): X is (N,C,...) or (N) with C = 1; the
 * optional running_mean/var outputs are [C] in input_mean's dtype. */
ingot_status_t ix_batch_norm(ix_t *c) {
  const ingot_type_t *x = ix_in(c, 0);
  char b[IX_BUF];
  if (x->rank < 1) return ix_err(c, INGOT_CODE_INPUT, "BatchNormalization needs X of rank >= 1, got %s", ix_str(c, x, b));
  ingot_dim_t ch = x->rank >= 2 ? x->dims[1] : ingot_dim_const(1);
  static const char *names[] = {"X", "scale", "B", "input_mean", "input_var"};
  for (uint32_t i = 1; i < 5; i++) INGOT_RETURN_IF_ERROR(check_vec(c, i, names[i], ch, ch));
  INGOT_RETURN_IF_ERROR(ix_same(c, 0, 0));
  ingot_type_t r = ix_type(ix_in(c, 3)->dtype, 1);
  r.dims[0] = ch;
  INGOT_RETURN_IF_ERROR(ix_set(c, 1, &r));
  return ix_set(c, 2, &r);
}

/* ---- linear algebra ---------------------------------------------------------------------- */

/* numpy matmul: 1-D operands get a 1 prepended (A) or appended (B) that is
 * dropped again; batch dims broadcast. */
ingot_status_t ix_matmul(ix_t *c) {
  INGOT_RETURN_IF_ERROR(ix_same_dtype(c, 0, 1));
  const ingot_type_t *a = ix_in(c, 0), *b = ix_in(c, 1);
  char s1[IX_BUF], s2[IX_BUF];
  if (a->rank < 1 || b->rank < 1)
    return ix_err(c, INGOT_CODE_INPUT, "MatMul operands must have rank >= 1: %s x %s", ix_str(c, a, s1),
                  ix_str(c, b, s2));
  ingot_type_t ea = *a, eb = *b;
  if (a->rank == 1) {
    ea.rank = 2;
    ea.dims[1] = a->dims[0];
    ea.dims[0] = ingot_dim_const(1);
  }
  if (b->rank == 1) {
    eb.rank = 2;
    eb.dims[0] = b->dims[0];
    eb.dims[1] = ingot_dim_const(1);
  }
  ingot_dim_t k1 = ea.dims[ea.rank - 1], k2 = eb.dims[eb.rank - 2];
  if (!k1.sym && !k2.sym && k1.v != k2.v)
    return ix_err(c, INGOT_CODE_INPUT, "MatMul inner dims differ: %s x %s", ix_str(c, a, s1), ix_str(c, b, s2));
  ingot_type_t ba = ea, bb = eb;
  ba.rank -= 2;
  bb.rank -= 2;
  const ingot_type_t *pair[2] = {&ba, &bb};
  ingot_type_t out;
  INGOT_RETURN_IF_ERROR(ix_bcast(c, pair, 2, &out));
  if (a->rank > 1) out.dims[out.rank++] = ea.dims[ea.rank - 2];
  if (b->rank > 1) out.dims[out.rank++] = eb.dims[eb.rank - 1];
  out.dtype = a->dtype;
  return ix_set(c, 0, &out);
}

/* Gemm: Y[M,N] = alpha * A' B' + beta * C, C broadcasting to [M,N]. */
ingot_status_t ix_gemm(ix_t *c) {
  INGOT_RETURN_IF_ERROR(ix_same_dtype(c, 0, 1));
  const ingot_type_t *a = ix_in(c, 0), *b = ix_in(c, 1);
  char s1[IX_BUF], s2[IX_BUF];
  if (a->rank != 2 || b->rank != 2)
    return ix_err(c, INGOT_CODE_INPUT, "Gemm needs 2-D A and B, got %s and %s", ix_str(c, a, s1), ix_str(c, b, s2));
  bool ta = ingot_node_attr_i(c->n, "transA", 0) != 0, tb = ingot_node_attr_i(c->n, "transB", 0) != 0;
  ingot_dim_t m = a->dims[ta ? 1 : 0], ka = a->dims[ta ? 0 : 1];
  ingot_dim_t kb = b->dims[tb ? 1 : 0], n = b->dims[tb ? 0 : 1];
  if (!ka.sym && !kb.sym && ka.v != kb.v)
    return ix_err(c, INGOT_CODE_INPUT, "Gemm inner dims differ: A %s (transA=%d) x B %s (transB=%d)",
                  ix_str(c, a, s1), ta, ix_str(c, b, s2), tb);
  ingot_dim_t mn[2] = {m, n};
  INGOT_RETURN_IF_ERROR(check_unidir(c, 2, "C", mn, 2));
  ingot_type_t y = ix_type(a->dtype, 2);
  y.dims[0] = m;
  y.dims[1] = n;
  return ix_set(c, 0, &y);
}

/* ---- convolution ---------------------------------------------------------------------------- */

typedef struct {
  int nsp; /* spatial dims */
  int64_t k[INGOT_MAX_RANK], s[INGOT_MAX_RANK], d[INGOT_MAX_RANK], p[2 * INGOT_MAX_RANK];
  int64_t op[INGOT_MAX_RANK]; /* ConvTranspose output_padding */
  const char *auto_pad;
} conv_attrs_t;

/* An INTS attribute of exactly want entries, each >= lo, or the default. */
static ingot_status_t ints_attr(ix_t *c, const char *name, int want, int64_t lo, int64_t dflt, int64_t *out) {
  const int64_t *v;
  int64_t n = ingot_node_attr_ints(c->n, name, &v);
  for (int i = 0; i < want; i++) out[i] = dflt;
  if (n < 0) return INGOT_OK;
  if (n != want)
    return ix_err(c, INGOT_CODE_INPUT, "%s '%s' has %" PRId64 " entries, expected %d", c->op, name, n, want);
  for (int i = 0; i < want; i++) {
    if (v[i] < lo || v[i] > INGOT_INFER_MAX_ELEMENTS)
      return ix_err(c, INGOT_CODE_INPUT, "%s '%s' entry %d is %" PRId64 " (must be %s)", c->op, name, i, v[i],
                    lo ? "positive" : ">= 0");
    out[i] = v[i];
  }
  return INGOT_OK;
}

/* X [N,C,D...] and W [M or C, ..., k...]: rank, kernel, strides, dilations, pads. */
static ingot_status_t conv_common(ix_t *c, const ingot_type_t *x, const ingot_type_t *w, conv_attrs_t *a) {
  char s1[IX_BUF], s2[IX_BUF];
  if (x->rank < 3)
    return ix_err(c, INGOT_CODE_INPUT, "%s needs X of rank >= 3 (N,C,spatial...), got %s", c->op, ix_str(c, x, s1));
  if (w->rank != x->rank)
    return ix_err(c, INGOT_CODE_INPUT, "%s weight %s and input %s differ in rank", c->op, ix_str(c, w, s1),
                  ix_str(c, x, s2));
  a->nsp = x->rank - 2;
  INGOT_RETURN_IF_ERROR(ints_attr(c, "kernel_shape", a->nsp, 1, 0, a->k));
  for (int i = 0; i < a->nsp; i++) {
    ingot_dim_t wd = w->dims[2 + i];
    if (ingot_node_attr_ints(c->n, "kernel_shape", NULL) < 0) {
      if (wd.sym)
        return ix_err(c, INGOT_CODE_UNSUPPORTED, "%s kernel size %d is symbolic and kernel_shape is not given", c->op,
                      i);
      a->k[i] = wd.v;
    } else if (!wd.sym && wd.v != a->k[i]) {
      return ix_err(c, INGOT_CODE_INPUT, "%s kernel_shape[%d] = %" PRId64 " but the weight %s has %" PRId64, c->op,
                    i, a->k[i], ix_str(c, w, s1), wd.v);
    }
    if (a->k[i] < 1) return ix_err(c, INGOT_CODE_INPUT, "%s kernel size %d is 0", c->op, i);
  }
  INGOT_RETURN_IF_ERROR(ints_attr(c, "strides", a->nsp, 1, 1, a->s));
  INGOT_RETURN_IF_ERROR(ints_attr(c, "dilations", a->nsp, 1, 1, a->d));
  INGOT_RETURN_IF_ERROR(ints_attr(c, "pads", 2 * a->nsp, 0, 0, a->p));
  a->auto_pad = ingot_node_attr_s(c->n, "auto_pad", "NOTSET");
  if (strcmp(a->auto_pad, "VALID") == 0)
    for (int i = 0; i < 2 * a->nsp; i++) a->p[i] = 0;
  int64_t group = ingot_node_attr_i(c->n, "group", 1);
  if (group < 1) return ix_err(c, INGOT_CODE_INPUT, "%s group %" PRId64 " must be >= 1", c->op, group);
  return INGOT_OK;
}

/* Conv (opset 11+): out = floor((in + pb + pe - ((k-1)*d + 1)) / s) + 1;
 * SAME_UPPER/SAME_LOWER: ceil(in / s). */
static ingot_status_t conv_dim(ix_t *c, const conv_attrs_t *a, int i, ingot_dim_t in, ingot_dim_t *out) {
  if (a->k[i] - 1 > 0 && a->d[i] > INGOT_INFER_MAX_ELEMENTS / (a->k[i] - 1))
    return ix_err(c, INGOT_CODE_INPUT, "%s dilated kernel on spatial axis %d is too large", c->op, i);
  int64_t ek = (a->k[i] - 1) * a->d[i] + 1; /* <= 2^40 + 1 after the check */
  bool same = strncmp(a->auto_pad, "SAME_", 5) == 0;
  int64_t pad = a->p[i] + a->p[i + a->nsp];
  if (in.sym) {
    if (a->s[i] == 1 && (same || pad == ek - 1)) *out = in;
    else INGOT_RETURN_IF_ERROR(ix_fresh(c, out));
    return INGOT_OK;
  }
  if (same) {
    *out = ingot_dim_const((in.v + a->s[i] - 1) / a->s[i]);
    return INGOT_OK;
  }
  int64_t num = in.v + pad - ek;
  if (num < 0)
    return ix_err(c, INGOT_CODE_INPUT,
                  "%s input size %" PRId64 " on spatial axis %d (padded by %" PRId64 ") is smaller than the dilated "
                  "kernel %" PRId64,
                  c->op, in.v, i, pad, ek);
  *out = ingot_dim_const(num / a->s[i] + 1);
  return INGOT_OK;
}

ingot_status_t ix_conv(ix_t *c) {
  INGOT_RETURN_IF_ERROR(ix_same_dtype(c, 0, 1));
  const ingot_type_t *x = ix_in(c, 0), *w = ix_in(c, 1);
  conv_attrs_t a;
  INGOT_RETURN_IF_ERROR(conv_common(c, x, w, &a));
  int64_t group = ingot_node_attr_i(c->n, "group", 1);
  ingot_dim_t cin = x->dims[1], wc = w->dims[1], m = w->dims[0];
  char s1[IX_BUF], s2[IX_BUF];
  if (!cin.sym && !wc.sym && (wc.v > INT64_MAX / group || cin.v != wc.v * group))
    return ix_err(c, INGOT_CODE_INPUT, "Conv input %s has %" PRId64 " channels but weight %s with group %" PRId64
                  " expects %" PRId64, ix_str(c, x, s1), cin.v, ix_str(c, w, s2), group, wc.v * group);
  if (!m.sym && m.v % group)
    return ix_err(c, INGOT_CODE_INPUT, "Conv: %" PRId64 " output channels do not split into %" PRId64 " groups", m.v,
                  group);
  INGOT_RETURN_IF_ERROR(check_vec(c, 2, "bias", m, m));
  ingot_type_t y = ix_type(x->dtype, x->rank);
  y.dims[0] = x->dims[0];
  y.dims[1] = m;
  for (int i = 0; i < a.nsp; i++) INGOT_RETURN_IF_ERROR(conv_dim(c, &a, i, x->dims[2 + i], &y.dims[2 + i]));
  return ix_set(c, 0, &y);
}

/* ConvTranspose: out = s*(in-1) + output_padding + (k-1)*d + 1 - pb - pe;
 * SAME_*: in * s; output_shape, when given, is the answer. */
ingot_status_t ix_conv_transpose(ix_t *c) {
  INGOT_RETURN_IF_ERROR(ix_same_dtype(c, 0, 1));
  const ingot_type_t *x = ix_in(c, 0), *w = ix_in(c, 1);
  conv_attrs_t a;
  INGOT_RETURN_IF_ERROR(conv_common(c, x, w, &a));
  int64_t group = ingot_node_attr_i(c->n, "group", 1);
  char s1[IX_BUF], s2[IX_BUF];
  ingot_dim_t cin = x->dims[1], wc = w->dims[0], wm = w->dims[1];
  if (!cin.sym && !wc.sym && cin.v != wc.v)
    return ix_err(c, INGOT_CODE_INPUT, "ConvTranspose input %s has %" PRId64 " channels but weight %s has %" PRId64,
                  ix_str(c, x, s1), cin.v, ix_str(c, w, s2), wc.v);
  if (!cin.sym && cin.v % group)
    return ix_err(c, INGOT_CODE_INPUT, "ConvTranspose: %" PRId64 " input channels do not split into %" PRId64 " groups",
                  cin.v, group);
  ingot_dim_t m;
  INGOT_RETURN_IF_ERROR(ix_scale(c, wm, group, &m));
  INGOT_RETURN_IF_ERROR(check_vec(c, 2, "bias", m, m));
  INGOT_RETURN_IF_ERROR(ints_attr(c, "output_padding", a.nsp, 0, 0, a.op));
  for (int i = 0; i < a.nsp; i++)
    if (a.op[i] >= a.s[i] && a.op[i] >= a.d[i])
      return ix_err(c, INGOT_CODE_INPUT,
                    "ConvTranspose output_padding[%d] = %" PRId64 " must be smaller than the stride or dilation", i,
                    a.op[i]);
  const int64_t *os;
  int64_t nos = ingot_node_attr_ints(c->n, "output_shape", &os);
  if (nos >= 0 && nos != a.nsp && nos != a.nsp + 2)
    return ix_err(c, INGOT_CODE_INPUT, "ConvTranspose output_shape has %" PRId64 " entries, expected %d", nos, a.nsp);
  ingot_type_t y = ix_type(x->dtype, x->rank);
  y.dims[0] = x->dims[0];
  y.dims[1] = m;
  bool same = strncmp(a.auto_pad, "SAME_", 5) == 0;
  for (int i = 0; i < a.nsp; i++) {
    ingot_dim_t in = x->dims[2 + i], *o = &y.dims[2 + i];
    if (nos >= 0) {
      int64_t v = os[nos - a.nsp + i];
      if (v < 1 || v > INGOT_INFER_MAX_ELEMENTS)
        return ix_err(c, INGOT_CODE_INPUT, "ConvTranspose output_shape entry %d is %" PRId64, i, v);
      *o = ingot_dim_const(v);
    } else if (in.sym) {
      if (same) INGOT_RETURN_IF_ERROR(ix_scale(c, in, a.s[i], o));
      else INGOT_RETURN_IF_ERROR(ix_fresh(c, o));
    } else if (same) {
      INGOT_RETURN_IF_ERROR(ix_scale(c, in, a.s[i], o));
    } else {
      /* every term is below 2^40, so the sum cannot overflow int64 */
      if (a.k[i] - 1 > 0 && a.d[i] > INGOT_INFER_MAX_ELEMENTS / (a.k[i] - 1))
        return ix_err(c, INGOT_CODE_INPUT, "ConvTranspose dilated kernel on spatial axis %d is too large", i);
      if (in.v > 0 && a.s[i] > INGOT_INFER_MAX_ELEMENTS / in.v)
        return ix_err(c, INGOT_CODE_INPUT, "ConvTranspose output on spatial axis %d is too large", i);
      int64_t v = a.s[i] * (in.v - 1) + a.op[i] + (a.k[i] - 1) * a.d[i] + 1 - a.p[i] - a.p[i + a.nsp];
      if (v < 1)
        return ix_err(c, INGOT_CODE_INPUT, "ConvTranspose output on spatial axis %d would be %" PRId64 " (pads too large)",
                      i, v);
      *o = ingot_dim_const(v);
    }
  }
  return ix_set(c, 0, &y);
}

/* ---- Einsum --------------------------------------------------------------------------------- */

typedef struct {
  char labels[INGOT_MAX_RANK];
  int nl;
  int ell; /* position of "..." among the labels, -1 if none */
} eterm_t;

static bool is_label(char ch) { return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z'); }

/* Parses one term from *p up to ',' '-' or end. */
static ingot_status_t parse_term(ix_t *c, const char **p, eterm_t *t) {
  t->nl = 0;
  t->ell = -1;
  const char *s = *p;
  for (; *s && *s != ',' && *s != '-'; s++) {
    if (*s == ' ') continue;
    if (*s == '.') {
      if (strncmp(s, "...", 3) != 0 || t->ell >= 0)
        return ix_err(c, INGOT_CODE_INPUT, "Einsum equation has a malformed ellipsis");
      t->ell = t->nl;
      s += 2;
      continue;
    }
    if (!is_label(*s))
      return ix_err(c, INGOT_CODE_INPUT, "Einsum equation has invalid character '%c'", *s);
    if (t->nl == INGOT_MAX_RANK)
      return ix_err(c, INGOT_CODE_UNSUPPORTED, "Einsum term has more than %d labels", INGOT_MAX_RANK);
    t->labels[t->nl++] = *s;
  }
  *p = s;
  return INGOT_OK;
}

static int label_index(char ch) { return ch >= 'a' ? ch - 'a' : 26 + ch - 'A'; }

/* Records label ch = d, checking it against earlier occurrences. */
static ingot_status_t bind_label(ix_t *c, ingot_dim_t *dims, bool *seen, char ch, ingot_dim_t d) {
  int li = label_index(ch);
  if (!seen[li]) {
    seen[li] = true;
    dims[li] = d;
    return INGOT_OK;
  }
  ingot_dim_t e = dims[li];
  if (!e.sym && !d.sym && e.v != d.v && e.v != 1 && d.v != 1)
    return ix_err(c, INGOT_CODE_INPUT, "Einsum label '%c' has size %" PRId64 " and %" PRId64, ch, e.v, d.v);
  if ((e.sym && !d.sym) || (!e.sym && e.v == 1)) dims[li] = d;
  return INGOT_OK;
}

ingot_status_t ix_einsum(ix_t *c) {
  const char *eq = ingot_node_attr_s(c->n, "equation", "");
  ingot_dim_t dims[52];
  bool seen[52] = {false};
  int count[52] = {0};
  ingot_type_t ell = ix_type(0, 0);
  bool any_ell = false;
  const char *p = eq;
  uint32_t nin = c->n->ninputs;
  for (uint32_t i = 0;; i++) {
    eterm_t t;
    INGOT_RETURN_IF_ERROR(parse_term(c, &p, &t));
    if (i >= nin)
      return ix_err(c, INGOT_CODE_INPUT, "Einsum equation '%s' has more terms than the %u inputs", eq, nin);
    INGOT_RETURN_IF_ERROR(ix_same_dtype(c, 0, i));
    const ingot_type_t *x = ix_in(c, i);
    int erank = x->rank - t.nl;
    if (erank < 0 || (t.ell < 0 && erank != 0))
      return ix_err(c, INGOT_CODE_INPUT, "Einsum term %u of '%s' has %d labels but input %u has rank %d", i, eq, t.nl, i,
                    x->rank);
    int k = 0;
    for (int l = 0; l < t.nl; l++) {
      if (l == t.ell) k += erank;
      INGOT_RETURN_IF_ERROR(bind_label(c, dims, seen, t.labels[l], x->dims[k++]));
      count[label_index(t.labels[l])]++;
    }
    if (t.ell >= 0) {
      ingot_type_t e = ix_type(0, erank), acc = ell;
      memcpy(e.dims, x->dims + t.ell, (size_t)erank * sizeof e.dims[0]);
      const ingot_type_t *pair[2] = {&acc, &e};
      INGOT_RETURN_IF_ERROR(ix_bcast(c, pair, 2, &ell));
      any_ell = true;
    }
    if (*p == ',') {
      p++;
      continue;
    }
    if (i + 1 != nin)
      return ix_err(c, INGOT_CODE_INPUT, "Einsum equation '%s' has %u terms for %u inputs", eq, i + 1, nin);
    break;
  }
  ingot_type_t y = ix_type(ix_in(c, 0)->dtype, 0);
  if (*p == '-') {
    if (p[1] != '>') return ix_err(c, INGOT_CODE_INPUT, "Einsum equation '%s' has '-' without '>'", eq);
    p += 2;
    eterm_t o;
    INGOT_RETURN_IF_ERROR(parse_term(c, &p, &o));
    if (*p) return ix_err(c, INGOT_CODE_INPUT, "Einsum equation '%s' has more than one '->'", eq);
    bool used[52] = {false};
    for (int l = 0; l <= o.nl; l++) {
      if (l == o.ell) {
        if (y.rank + ell.rank > INGOT_MAX_RANK) break;
        memcpy(y.dims + y.rank, ell.dims, (size_t)ell.rank * sizeof y.dims[0]);
        y.rank += ell.rank;
      }
      if (l == o.nl) break;
      int li = label_index(o.labels[l]);
      if (!seen[li])
        return ix_err(c, INGOT_CODE_INPUT, "Einsum output label '%c' does not appear in the inputs", o.labels[l]);
      if (used[li]) return ix_err(c, INGOT_CODE_INPUT, "Einsum output label '%c' appears twice", o.labels[l]);
      used[li] = true;
      if (y.rank == INGOT_MAX_RANK) break;
      y.dims[y.rank++] = dims[li];
    }
    if (y.rank > INGOT_MAX_RANK || o.nl + (o.ell >= 0 ? ell.rank : 0) > INGOT_MAX_RANK)
      return ix_err(c, INGOT_CODE_UNSUPPORTED, "Einsum output would have rank above %d", INGOT_MAX_RANK);
  } else {
    /* implicit output: the ellipsis dims, then labels seen once, in ASCII order */
    if (any_ell) {
      memcpy(y.dims, ell.dims, (size_t)ell.rank * sizeof y.dims[0]);
      y.rank = ell.rank;
    }
    for (int ch = 'A'; ch <= 'z'; ch++) {
      if (!is_label((char)ch) || count[label_index((char)ch)] != 1) continue;
      if (y.rank == INGOT_MAX_RANK)
        return ix_err(c, INGOT_CODE_UNSUPPORTED, "Einsum output would have rank above %d", INGOT_MAX_RANK);
      y.dims[y.rank++] = dims[label_index((char)ch)];
    }
  }
  return ix_set(c, 0, &y);
}

/* ---- reductions --------------------------------------------------------------------------- */

/* Reduce*: axes from input 1 (ReduceSum since 13, the others since 18) or
 * the attribute (before 18); none means all axes unless
 * noop_with_empty_axes. */
ingot_status_t ix_reduce(ix_t *c) {
  const ingot_type_t *x = ix_in(c, 0);
  bool keep = ingot_node_attr_i(c->n, "keepdims", 1) != 0;
  bool noop = ingot_node_attr_i(c->n, "noop_with_empty_axes", 0) != 0;
  int64_t axes[IX_MAXV];
  int nax = 0;
  const int64_t *aa;
  int64_t na = ingot_node_attr_ints(c->n, "axes", &aa);
  bool known = true;
  if (ix_inv(c, 1) >= 0) {
    if (na >= 0) return ix_err(c, INGOT_CODE_INPUT, "%s has axes both as an attribute and as an input", c->op);
    INGOT_RETURN_IF_ERROR(ix_i64_input(c, 1, "axes"));
    known = ix_ints(c, 1, axes, &nax);
    if (!known && ix_in_numel(c, 1) == 0) { /* an empty axes tensor */
      known = true;
      nax = 0;
    }
  } else if (na >= 0) {
    if (na > IX_MAXV) return ix_err(c, INGOT_CODE_INPUT, "%s has %" PRId64 " axes", c->op, na);
    memcpy(axes, aa, (size_t)na * sizeof *aa);
    nax = (int)na;
  }
  ingot_type_t y = *x;
  if (!known) {
    if (!keep) y.rank = -1;
    for (int i = 0; i < y.rank; i++)
      if (y.dims[i].sym || y.dims[i].v != 1) INGOT_RETURN_IF_ERROR(ix_fresh(c, &y.dims[i]));
    return ix_set(c, 0, &y);
  }
  if (nax == 0 && noop) return ix_set(c, 0, &y);
  bool red[INGOT_MAX_RANK] = {false};
  for (int i = 0; i < nax; i++) {
    int ax;
    INGOT_RETURN_IF_ERROR(ix_axis(c, "axis", axes[i], x->rank, &ax));
    if (red[ax]) return ix_err(c, INGOT_CODE_INPUT, "%s axis %" PRId64 " is given twice", c->op, axes[i]);
    red[ax] = true;
  }
  if (nax == 0)
    for (int i = 0; i < x->rank; i++) red[i] = true;
  y.rank = 0;
  for (int i = 0; i < x->rank; i++) {
    if (!red[i]) y.dims[y.rank++] = x->dims[i];
    else if (keep) y.dims[y.rank++] = ingot_dim_const(1);
  }
  INGOT_RETURN_IF_ERROR(ix_set(c, 0, &y));
  /* ReduceProd over a shape tensor is its element count */
  ingot_dim_t v[IX_MAXV];
  int n;
  if (c->n->op == INGOT_OP_REDUCE_PROD && x->rank == 1 && is_int_dtype(x->dtype) && ix_vals(c, 0, v, &n)) {
    ingot_dim_t p;
    ix_mono_t m;
    if (!ix_mono_of(v, n, &m)) return INGOT_OK;
    INGOT_RETURN_IF_ERROR(ix_mono_dim(c, &m, &p));
    return ix_set_vals(c, 0, &p, 1);
  }
  return INGOT_OK;
}

ingot_status_t ix_argmax(ix_t *c) {
  const ingot_type_t *x = ix_in(c, 0);
  int axis;
  INGOT_RETURN_IF_ERROR(ix_axis(c, "axis", ingot_node_attr_i(c->n, "axis", 0), x->rank, &axis));
  bool keep = ingot_node_attr_i(c->n, "keepdims", 1) != 0;
  ingot_type_t y = *x;
  y.dtype = INGOT_DT_INT64;
  if (keep) {
    y.dims[axis] = ingot_dim_const(1);
  } else {
    memmove(&y.dims[axis], &y.dims[axis + 1], (size_t)(y.rank - axis - 1) * sizeof y.dims[0]);
    y.rank--;
  }
  return ix_set(c, 0, &y);
}

/* CumSum(x, axis): axis is an int32/int64 scalar (or 1-element) tensor. */
ingot_status_t ix_cumsum(ix_t *c) {
  INGOT_RETURN_IF_ERROR(ix_int_input(c, 1, "axis"));
  int64_t n = ix_in_numel(c, 1);
  if (n >= 0 && n != 1) return ix_err(c, INGOT_CODE_INPUT, "CumSum axis must be a scalar, got %" PRId64 " values", n);
  int64_t ax[IX_MAXV];
  int nax;
  if (ix_ints(c, 1, ax, &nax) && nax == 1) {
    int axis;
    INGOT_RETURN_IF_ERROR(ix_axis(c, "axis", ax[0], ix_in(c, 0)->rank, &axis));
  }
  return ix_same(c, 0, 0);
}
