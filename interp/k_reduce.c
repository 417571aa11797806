/* Reference kernels: reductions (Reduce*), ArgMax, CumSum.
 *
 * Axes: an attribute before opset 18 (ReduceSum: before 13), an optional
 * int64 input from then on.  The kernels accept whichever the node carries,
 * so graphs made by passes need not care about the opset.  Empty axes mean
 * "all axes" unless noop_with_empty_axes=1, which makes the op an identity.
 * Repeated or out-of-range axes are errors.
 *
 * Float reductions accumulate in double, integer ones in 64 bits (wrapping);
 * the reduction of an empty set is the op's identity (0 for sums, 1 for the
 * product, the dtype's lowest/highest value for Max/Min, NaN for a float
 * mean).  Max/Min propagate NaN like numpy. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "interp/interp.h"

enum { DOM_FLOAT, DOM_SINT, DOM_UINT, DOM_BOOL, DOM_OTHER };

static int dom_of(int dt) {
  switch (dt) {
    case INGOT_DT_FLOAT:
    case INGOT_DT_DOUBLE: return DOM_FLOAT;
    case INGOT_DT_INT8:
    case INGOT_DT_INT16:
    case INGOT_DT_INT32:
    case INGOT_DT_INT64: return DOM_SINT;
    case INGOT_DT_UINT8:
    case INGOT_DT_UINT16:
    case INGOT_DT_UINT32:
    case INGOT_DT_UINT64: return DOM_UINT;
    case INGOT_DT_BOOL: return DOM_BOOL;
    default: return DOM_OTHER;
  }
}


/* Lowest / highest value of an integer dtype (as int64 bits for uint64). */
static int64_t int_lowest(int dt) {
  switch (dt) {
    case INGOT_DT_INT8: return INT8_MIN;
    case INGOT_DT_INT16: return INT16_MIN;
    case INGOT_DT_INT32: return INT32_MIN;
    case INGOT_DT_INT64: return INT64_MIN;
    default: return 0; /* unsigned, bool */
  }
}
static int64_t int_highest(int dt) {
  switch (dt) {
    case INGOT_DT_INT8: return INT8_MAX;
    case INGOT_DT_INT16: return INT16_MAX;
    case INGOT_DT_INT32: return INT32_MAX;
    case INGOT_DT_INT64: return INT64_MAX;
    case INGOT_DT_UINT8: return UINT8_MAX;
    case INGOT_DT_UINT16: return UINT16_MAX;
    case INGOT_DT_UINT32: return UINT32_MAX;
    case INGOT_DT_UINT64: return -1; /* all ones */
    case INGOT_DT_BOOL: return 1;
    default: return 0;
  }
}

static int64_t wadd(int64_t a, int64_t b) {
  return (int64_t)((uint64_t)a + (uint64_t)b);
}
static int64_t wmul(int64_t a, int64_t b) {
  return (int64_t)((uint64_t)a * (uint64_t)b);
}

static ingot_status_t bad_dtype(const ingot_kctx_t *k, const ingot_tensor_t *t) {
  return ingot_kerr(k, INGOT_CODE_UNSUPPORTED, "%s is not supported for dtype %s", ingot_op_name((ingot_op_t)k->n->op),
                    ingot_dtype_name(t->dtype));
}

/* Normalises axis a of a rank-r tensor into [0, r). */
static ingot_status_t norm_axis(const ingot_kctx_t *k, int64_t a, int r, const char *what, int *out) {
  if (a < -r || a >= r)
    return ingot_kerr(k, INGOT_CODE_INPUT, "%s %lld is out of range for rank %d", what, (long long)a, r);
  *out = (int)(a < 0 ? a + r : a);
  return INGOT_OK;
}

/* ---- Reduce* ---------------------------------------------------------------- */

typedef enum { R_SUM, R_MEAN, R_MAX, R_MIN, R_PROD, R_SUMSQ, R_L2 } redop_t;

/* Fills mask[] with the reduced axes; *noop when the op is an identity. */
static ingot_status_t reduce_axes(const ingot_kctx_t *k, const ingot_tensor_t *const *in, uint32_t nin, int rank,
                                  bool *mask, bool *noop) {
  const int64_t *attr_axes = NULL;
  int64_t nattr = ingot_node_attr_ints(k->n, "axes", &attr_axes);
  const ingot_tensor_t *ax = nin > 1 ? in[1] : NULL;
  int64_t naxes = 0;
  if (nattr >= 0 && ax)
    return ingot_kerr(k, INGOT_CODE_INPUT, "axes given both as an attribute and as an input");
  if (ax) {
    if (ax->dtype != INGOT_DT_INT64 && ax->dtype != INGOT_DT_INT32)
      return ingot_kerr(k, INGOT_CODE_INPUT, "axes must be int64, got %s", ingot_dtype_name(ax->dtype));
    if (ax->rank > 1) return ingot_kerr(k, INGOT_CODE_INPUT, "axes must be 1-D, got rank %d", ax->rank);
    naxes = ingot_tensor_numel(ax);
  } else if (nattr > 0) {
    naxes = nattr;
  }
  for (int d = 0; d < rank; d++) mask[d] = false;
  *noop = false;
  if (naxes == 0) {
    if (ingot_node_attr_i(k->n, "noop_with_empty_axes", 0)) *noop = true;
    else
      for (int d = 0; d < rank; d++) mask[d] = true;
    return INGOT_OK;
  }
  for (int64_t i = 0; i < naxes; i++) {
    int64_t a = ax ? ingot_tensor_get_i64(ax, i) : attr_axes[i];
    int d = 0;
    INGOT_RETURN_IF_ERROR(norm_axis(k, a, rank, "axis", &d));
    if (mask[d]) return ingot_kerr(k, INGOT_CODE_INPUT, "axis %lld is repeated", (long long)a);
    mask[d] = true;
  }
  return INGOT_OK;
}

static ingot_status_t reduce(const ingot_kctx_t *k, const ingot_tensor_t *const *in, uint32_t nin,
                             ingot_tensor_t *out, uint32_t nout, redop_t op) {
  if (nin < 1 || !in[0] || nout < 1) return ingot_kerr(k, INGOT_CODE_INPUT, "expects data and one output");
  const ingot_tensor_t *x = in[0];
  int dom = dom_of(x->dtype);
  if (dom == DOM_OTHER || (dom == DOM_BOOL && op != R_MAX && op != R_MIN)) return bad_dtype(k, x);
  bool mask[INGOT_MAX_RANK], noop;
  INGOT_RETURN_IF_ERROR(reduce_axes(k, in, nin, x->rank, mask, &noop));
  if (noop) { /* identity */
    INGOT_RETURN_IF_ERROR(ingot_tensor_alloc(&out[0], x->dtype, x->rank, x->dims));
    if (out[0].nbytes) memcpy(out[0].data, x->data, out[0].nbytes);
    return INGOT_OK;
  }
  bool keep = ingot_node_attr_i(k->n, "keepdims", 1) != 0;
  int64_t kdims[INGOT_MAX_RANK], odims[INGOT_MAX_RANK], count = 1;
  int orank = 0;
  for (int d = 0; d < x->rank; d++) {
    kdims[d] = mask[d] ? 1 : x->dims[d];
    if (mask[d]) count *= x->dims[d];
    if (!mask[d] || keep) odims[orank++] = kdims[d];
  }
  INGOT_RETURN_IF_ERROR(ingot_tensor_alloc(&out[0], x->dtype, orank, odims));
  ingot_tensor_t *y = &out[0];
  int64_t on = ingot_tensor_numel(y), n = ingot_tensor_numel(x);
  /* Output offset of each input element: C-order strides of the keepdims
   * shape, zeroed on reduced axes. */
  int64_t ost[INGOT_MAX_RANK], s = 1;
  for (int d = x->rank - 1; d >= 0; d--) {
    ost[d] = mask[d] ? 0 : s;
    s *= kdims[d];
  }
  bool fl = dom == DOM_FLOAT;
  double *af = NULL;
  int64_t *ai = NULL;
  if (fl) af = malloc((size_t)(on ? on : 1) * sizeof *af);
  else ai = malloc((size_t)(on ? on : 1) * sizeof *ai);
  if (!af && !ai) {
    ingot_tensor_release(y);
    return ingot_kerr(k, INGOT_CODE_NOMEM, "out of memory");
  }
  for (int64_t i = 0; i < on; i++) {
    switch (op) {
      case R_PROD:
        if (fl) af[i] = 1;
        else ai[i] = 1;
        break;
      case R_MAX:
        if (fl) af[i] = -INFINITY;
        else ai[i] = int_lowest(x->dtype);
        break;
      case R_MIN:
        if (fl) af[i] = INFINITY;
        else ai[i] = int_highest(x->dtype);
        break;
      default:
        if (fl) af[i] = 0;
        else ai[i] = 0;
        break;
    }
  }
  int64_t idx[INGOT_MAX_RANK] = {0}, o = 0;
  for (int64_t i = 0; i < n; i++) {
    if (fl) {
      double v = ingot_tensor_get_f64(x, i), *a = &af[o];
      switch (op) {
        case R_SUM:
        case R_MEAN: *a += v; break;
        case R_SUMSQ:
        case R_L2: *a += v * v; break;
        case R_PROD: *a *= v; break;
        case R_MAX:
          if (isnan(v) || v > *a) *a = isnan(*a) ? *a : v;
          break;
        case R_MIN:
          if (isnan(v) || v < *a) *a = isnan(*a) ? *a : v;
          break;
      }
    } else {
      int64_t v = ingot_tensor_get_i64(x, i), *a = &ai[o];
      bool u = dom == DOM_UINT;
      switch (op) {
        case R_SUM:
        case R_MEAN: *a = wadd(*a, v); break;
        case R_SUMSQ:
        case R_L2: *a = wadd(*a, wmul(v, v)); break;
        case R_PROD: *a = wmul(*a, v); break;
        case R_MAX:
          if (u ? (uint64_t)v > (uint64_t)*a : v > *a) *a = v;
          break;
        case R_MIN:
          if (u ? (uint64_t)v < (uint64_t)*a : v < *a) *a = v;
          break;
      }
    }
    for (int d = x->rank - 1; d >= 0; d--) {
      o += ost[d];
      if (++idx[d] < x->dims[d]) break;
      o -= ost[d] * x->dims[d];
      idx[d] = 0;
    }
  }
  for (int64_t i = 0; i < on; i++) {
    if (fl) {
      double v = af[i];
      if (op == R_MEAN) v = v / (double)count; /* empty: 0/0 = NaN */
      if (op == R_L2) v = sqrt(v);
      ingot_tensor_set_f64(y, i, v);
    } else {
      int64_t v = ai[i];
      if (op == R_MEAN) {
        if (count == 0) v = 0;
        else if (dom == DOM_UINT) v = (int64_t)((uint64_t)v / (uint64_t)count);
        else v = v / count;
      }
      if (op == R_L2) {
        ingot_tensor_set_f64(y, i, sqrt(dom == DOM_UINT ? (double)(uint64_t)v : (double)v));
        continue;
      }
      ingot_tensor_set_i64(y, i, v);
    }
  }
  free(af);
  free(ai);
  return INGOT_OK;
}

#define REDUCE_KERNEL(E, OP)                                                                                  \
  ingot_status_t ingot_kernel_##E(const ingot_kctx_t *k, const ingot_tensor_t *const *in, uint32_t nin,       \
                                  ingot_tensor_t *out, uint32_t nout) {                                       \
    return reduce(k, in, nin, out, nout, OP);                                                                 \
  }

REDUCE_KERNEL(REDUCE_SUM, R_SUM)
REDUCE_KERNEL(REDUCE_MEAN, R_MEAN)
REDUCE_KERNEL(REDUCE_MAX, R_MAX)
REDUCE_KERNEL(REDUCE_MIN, R_MIN)
REDUCE_KERNEL(REDUCE_PROD, R_PROD)
REDUCE_KERNEL(REDUCE_SUM_SQUARE, R_SUMSQ)
REDUCE_KERNEL(REDUCE_L2, R_L2)

/* ---- ArgMax ---------------------------------------------------------------- */

/* int64 indices of the maximum along axis; ties resolve to the first
 * (select_last_index=0) or last occurrence.  NaN counts as the maximum
 * (numpy.argmax). */
ingot_status_t ingot_kernel_ARGMAX(const ingot_kctx_t *k, const ingot_tensor_t *const *in, uint32_t nin,
                                   ingot_tensor_t *out, uint32_t nout) {
  if (nin < 1 || !in[0] || nout < 1) return ingot_kerr(k, INGOT_CODE_INPUT, "expects data and one output");
  const ingot_tensor_t *x = in[0];
  int dom = dom_of(x->dtype);
  if (dom == DOM_OTHER) return bad_dtype(k, x);
  int r = x->rank ? x->rank : 1; /* a scalar behaves as shape [1] */
  int axis = 0;
  INGOT_RETURN_IF_ERROR(norm_axis(k, ingot_node_attr_i(k->n, "axis", 0), r, "axis", &axis));
  bool keep = ingot_node_attr_i(k->n, "keepdims", 1) != 0;
  bool last = ingot_node_attr_i(k->n, "select_last_index", 0) != 0;
  int64_t dims[INGOT_MAX_RANK] = {0}, odims[INGOT_MAX_RANK];
  for (int d = 0; d < r; d++) dims[d] = x->rank ? x->dims[d] : 1;
  int orank = 0;
  int64_t outer = 1, inner = 1, len = dims[axis];
  for (int d = 0; d < r; d++) {
    if (d < axis) outer *= dims[d];
    if (d > axis) inner *= dims[d];
    if (d != axis) odims[orank++] = dims[d];
    else if (keep) odims[orank++] = 1;
  }
  if (x->rank == 0) orank = keep ? 1 : 0;
  if (len == 0 && outer * inner > 0) return ingot_kerr(k, INGOT_CODE_INPUT, "ArgMax over an empty axis");
  INGOT_RETURN_IF_ERROR(ingot_tensor_alloc(&out[0], INGOT_DT_INT64, orank, odims));
  int64_t *y = out[0].data;
  for (int64_t o = 0; o < outer; o++) {
    for (int64_t i = 0; i < inner; i++) {
      int64_t base = o * len * inner + i, best = 0;
      for (int64_t j = 1; j < len; j++) {
        int64_t p = base + j * inner, q = base + best * inner;
        bool better;
        if (dom == DOM_FLOAT) {
          double v = ingot_tensor_get_f64(x, p), b = ingot_tensor_get_f64(x, q);
          better = last ? (isnan(v) || (!isnan(b) && v >= b)) : (!isnan(b) && (isnan(v) || v > b));
        } else if (dom == DOM_UINT) {
          uint64_t v = (uint64_t)ingot_tensor_get_i64(x, p), b = (uint64_t)ingot_tensor_get_i64(x, q);
          better = last ? v >= b : v > b;
        } else {
          int64_t v = ingot_tensor_get_i64(x, p), b = ingot_tensor_get_i64(x, q);
          better = last ? v >= b : v > b;
        }
        if (better) best = j;
      }
      y[o * inner + i] = best;
    }
  }
  return INGOT_OK;
}

/* ---- CumSum ---------------------------------------------------------------- */

ingot_status_t ingot_kernel_CUMSUM(const ingot_kctx_t *k, const ingot_tensor_t *const *in, uint32_t nin,
                                   ingot_tensor_t *out, uint32_t nout) {
  if (nin < 2 || !in[0] || !in[1] || nout < 1) return ingot_kerr(k, INGOT_CODE_INPUT, "expects x, axis and one output");
  const ingot_tensor_t *x = in[0], *ax = in[1];
  int dom = dom_of(x->dtype);
  if (dom != DOM_FLOAT && dom != DOM_SINT && dom != DOM_UINT) return bad_dtype(k, x);
  if ((ax->dtype != INGOT_DT_INT64 && ax->dtype != INGOT_DT_INT32) || ax->rank > 1 || ingot_tensor_numel(ax) != 1)
    return ingot_kerr(k, INGOT_CODE_INPUT, "axis must be an int32/int64 scalar");
  if (x->rank < 1) return ingot_kerr(k, INGOT_CODE_INPUT, "CumSum needs rank >= 1");
  int axis = 0;
  INGOT_RETURN_IF_ERROR(norm_axis(k, ingot_tensor_get_i64(ax, 0), x->rank, "axis", &axis));
  bool excl = ingot_node_attr_i(k->n, "exclusive", 0) != 0, rev = ingot_node_attr_i(k->n, "reverse", 0) != 0;
  INGOT_RETURN_IF_ERROR(ingot_tensor_alloc(&out[0], x->dtype, x->rank, x->dims));
  int64_t outer = 1, inner = 1, len = x->dims[axis];
  for (int d = 0; d < x->rank; d++) {
    if (d < axis) outer *= x->dims[d];
    if (d > axis) inner *= x->dims[d];
  }
  for (int64_t o = 0; o < outer; o++) {
    for (int64_t i = 0; i < inner; i++) {
      double af = 0;
      int64_t ai = 0;
      for (int64_t jj = 0; jj < len; jj++) {
        int64_t j = rev ? len - 1 - jj : jj, p = (o * len + j) * inner + i;
        if (dom == DOM_FLOAT) {
          double v = ingot_tensor_get_f64(x, p);
          if (!excl) af += v;
          ingot_tensor_set_f64(&out[0], p, af);
          if (excl) af += v;
        } else {
          int64_t v = ingot_tensor_get_i64(x, p);
          if (!excl) ai = wadd(ai, v);
          ingot_tensor_set_i64(&out[0], p, ai);
          if (excl) ai = wadd(ai, v);
        }
      }
    }
  }
  return INGOT_OK;
}
