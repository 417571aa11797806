/* Reference kernels for shape ops: Reshape, Flatten, Unsqueeze, Squeeze,
 * Shape, Size, Range, Constant, ConstantOfShape.
 *
 * Semantics follow the ONNX operator specs for opsets 13-20 (default domain).
 * These ops only move bytes (or make small int64 tensors), so every kernel
 * is dtype-generic: elements are copied by ingot_dtype_size.  Kernels never
 * share storage with their inputs; each output is a fresh owned tensor.
 *
 * Constants whose dtype is float16/bfloat16 are widened to float32 here: the
 * evaluator's contract (interp.h) is that kernels see and produce float32 for
 * the narrow float types, and the run loop narrows outputs back. */
#include <math.h>
#include <string.h>

#include "interp/interp.h"

/* ---- small helpers (each kernel file keeps its own; see k_movement.c) ----- */

static const ingot_tensor_t *opt_in(const ingot_tensor_t *const *in, uint32_t nin, uint32_t i) {
  return i < nin ? in[i] : NULL;
}

static int64_t opset_of(const ingot_kctx_t *k) {
  const ingot_graph_t *g = k->g;
  while (g->parent && !g->opset) g = g->parent;
  return g->opset ? g->opset : 20; /* no opset recorded: assume the newest we know */
}

static bool is_index_dtype(int dt) { return dt == INGOT_DT_INT64 || dt == INGOT_DT_INT32; }

/* Reads a 0-D or 1-D int32/int64 tensor of at most cap entries. */
static ingot_status_t read_ints(const ingot_kctx_t *k, const ingot_tensor_t *t, const char *what, int64_t *vals,
                                int64_t cap, int64_t *count) {
  if (!is_index_dtype(t->dtype))
    return ingot_kerr(k, INGOT_CODE_INPUT, "input '%s' must be int64 (got %s)", what, ingot_dtype_name(t->dtype));
  if (t->rank > 1) return ingot_kerr(k, INGOT_CODE_INPUT, "input '%s' must be 1-D (got rank %d)", what, t->rank);
  int64_t n = ingot_tensor_numel(t);
  if (n > cap)
    return ingot_kerr(k, INGOT_CODE_UNSUPPORTED, "input '%s' has %lld entries (at most %lld supported)", what,
                      (long long)n, (long long)cap);
  for (int64_t i = 0; i < n; i++) vals[i] = ingot_tensor_get_i64(t, i);
  *count = n;
  return INGOT_OK;
}

/* ingot_tensor_alloc with the node named in any error (size limit, rank). */
static ingot_status_t kalloc(const ingot_kctx_t *k, ingot_tensor_t *t, int dtype, int rank, const int64_t *dims) {
  ingot_status_t st = ingot_tensor_alloc(t, dtype, rank, dims);
  if (!st) return INGOT_OK;
  char where[512];
  ingot_node_where(k->g, k->node, where, sizeof where);
  return ingot_status_annotate(st, "%s: %s", k->g->source ? k->g->source : "<graph>", where);
}

/* Copies x's bytes into a fresh tensor of the given shape (same numel). */
static ingot_status_t copy_reshaped(const ingot_kctx_t *k, const ingot_tensor_t *x, int rank, const int64_t *dims,
                                    ingot_tensor_t *out) {
  INGOT_RETURN_IF_ERROR(kalloc(k, out, x->dtype, rank, dims));
  if (out->nbytes) memcpy(out->data, x->data, out->nbytes);
  return INGOT_OK;
}

/* ---- Reshape ---------------------------------------------------------------- */

ingot_status_t ingot_kernel_RESHAPE(const ingot_kctx_t *k, const ingot_tensor_t *const *in, uint32_t nin,
                                    ingot_tensor_t *out, uint32_t nout) {
  const ingot_tensor_t *x = opt_in(in, nin, 0), *s = opt_in(in, nin, 1);
  if (!x || !s) return ingot_kerr(k, INGOT_CODE_INPUT, "Reshape needs 'data' and 'shape' inputs");
  int64_t shape[INGOT_MAX_RANK], n;
  INGOT_RETURN_IF_ERROR(read_ints(k, s, "shape", shape, INGOT_MAX_RANK, &n));
  bool allowzero = ingot_node_attr_i(k->n, "allowzero", 0) != 0;
  int64_t dims[INGOT_MAX_RANK];
  int infer = -1;
  int64_t known = 1; /* product of the explicit dims; -2 once it exceeds any real numel */
  for (int i = 0; i < (int)n; i++) {
    int64_t v = shape[i];
    if (v == 0 && !allowzero) {
      if (i >= x->rank)
        return ingot_kerr(k, INGOT_CODE_INPUT, "shape[%d] = 0 copies input dim %d, but the input has rank %d", i, i,
                          x->rank);
      v = x->dims[i];
    }
    if (v == -1) {
      if (infer >= 0) return ingot_kerr(k, INGOT_CODE_INPUT, "shape has more than one -1 (at %d and %d)", infer, i);
      infer = i;
      dims[i] = -1;
      continue;
    }
    if (v < -1) return ingot_kerr(k, INGOT_CODE_INPUT, "shape[%d] = %lld is invalid", i, (long long)v);
    dims[i] = v;
    if (known >= 0) known = (v && known > INT64_MAX / v) ? -2 : known * v;
  }
  int64_t numel = ingot_tensor_numel(x);
  if (infer >= 0) {
    if (allowzero && known == 0)
      return ingot_kerr(k, INGOT_CODE_INPUT, "shape has both 0 (with allowzero=1) and -1");
    if (known == 0)
      return ingot_kerr(k, INGOT_CODE_INPUT, "cannot infer the -1 in shape: the other dims multiply to 0");
    if (known < 0 || numel % known)
      return ingot_kerr(k, INGOT_CODE_INPUT, "cannot reshape %lld elements: not a multiple of the other dims",
                        (long long)numel);
    dims[infer] = numel / known;
  } else if (known != numel) {
    if (known < 0)
      return ingot_kerr(k, INGOT_CODE_INPUT, "cannot reshape %lld elements: the shape's size overflows int64",
                        (long long)numel);
    return ingot_kerr(k, INGOT_CODE_INPUT, "cannot reshape %lld elements into a shape of %lld elements",
                      (long long)numel, (long long)known);
  }
  return copy_reshaped(k, x, (int)n, dims, &out[0]);
}

/* ---- Flatten ---------------------------------------------------------------- */

ingot_status_t ingot_kernel_FLATTEN(const ingot_kctx_t *k, const ingot_tensor_t *const *in, uint32_t nin,
                                    ingot_tensor_t *out, uint32_t nout) {
  const ingot_tensor_t *x = opt_in(in, nin, 0);
  if (!x) return ingot_kerr(k, INGOT_CODE_INPUT, "Flatten needs an input");
  int64_t axis = ingot_node_attr_i(k->n, "axis", 1);
  if (axis < -x->rank || axis > x->rank)
    return ingot_kerr(k, INGOT_CODE_INPUT, "axis %lld out of range for rank %d", (long long)axis, x->rank);
  if (axis < 0) axis += x->rank;
  int64_t dims[2] = {1, 1};
  for (int i = 0; i < x->rank; i++) dims[i < axis ? 0 : 1] *= x->dims[i]; /* numel fits, so each part does */
  return copy_reshaped(k, x, 2, dims, &out[0]);
}

/* ---- Unsqueeze / Squeeze ---------------------------------------------------- */

/* axes from input 1 (opset >= 13) or the attribute (older opsets). */
static ingot_status_t get_axes(const ingot_kctx_t *k, const ingot_tensor_t *const *in, uint32_t nin, int64_t *axes,
                               int64_t *n, bool *present) {
  const ingot_tensor_t *a = opt_in(in, nin, 1);
  *present = false;
  *n = 0;
  if (a) {
    *present = true;
    return read_ints(k, a, "axes", axes, INGOT_MAX_RANK, n);
  }
  const int64_t *attr;
  int64_t na = ingot_node_attr_ints(k->n, "axes", &attr);
  if (na >= 0 && opset_of(k) < 13) {
    if (na > INGOT_MAX_RANK)
      return ingot_kerr(k, INGOT_CODE_UNSUPPORTED, "%lld axes (at most %d supported)", (long long)na, INGOT_MAX_RANK);
    memcpy(axes, attr, (size_t)na * sizeof *axes);
    *n = na;
    *present = true;
  }
  return INGOT_OK;
}

ingot_status_t ingot_kernel_UNSQUEEZE(const ingot_kctx_t *k, const ingot_tensor_t *const *in, uint32_t nin,
                                      ingot_tensor_t *out, uint32_t nout) {
  const ingot_tensor_t *x = opt_in(in, nin, 0);
  if (!x) return ingot_kerr(k, INGOT_CODE_INPUT, "Unsqueeze needs an input");
  int64_t axes[INGOT_MAX_RANK], n;
  bool present;
  INGOT_RETURN_IF_ERROR(get_axes(k, in, nin, axes, &n, &present));
  if (!present) return ingot_kerr(k, INGOT_CODE_INPUT, "Unsqueeze needs 'axes'");
  int r = x->rank + (int)n;
  if (r > INGOT_MAX_RANK)
    return ingot_kerr(k, INGOT_CODE_UNSUPPORTED, "output rank %d (at most %d supported)", r, INGOT_MAX_RANK);
  bool unit[INGOT_MAX_RANK] = {false};
  for (int64_t i = 0; i < n; i++) {
    int64_t a = axes[i];
    if (a < -r || a >= r)
      return ingot_kerr(k, INGOT_CODE_INPUT, "axis %lld out of range for output rank %d", (long long)a, r);
    if (a < 0) a += r;
    if (unit[a]) return ingot_kerr(k, INGOT_CODE_INPUT, "axis %lld repeated", (long long)axes[i]);
    unit[a] = true;
  }
  int64_t dims[INGOT_MAX_RANK];
  for (int d = 0, j = 0; d < r; d++) dims[d] = unit[d] ? 1 : x->dims[j++];
  return copy_reshaped(k, x, r, dims, &out[0]);
}

ingot_status_t ingot_kernel_SQUEEZE(const ingot_kctx_t *k, const ingot_tensor_t *const *in, uint32_t nin,
                                    ingot_tensor_t *out, uint32_t nout) {
  const ingot_tensor_t *x = opt_in(in, nin, 0);
  if (!x) return ingot_kerr(k, INGOT_CODE_INPUT, "Squeeze needs an input");
  int64_t axes[INGOT_MAX_RANK], n;
  bool present;
  INGOT_RETURN_IF_ERROR(get_axes(k, in, nin, axes, &n, &present));
  bool drop[INGOT_MAX_RANK] = {false};
  if (present) { /* an empty axes tensor squeezes nothing (the spec's "not provided" is absence) */
    for (int64_t i = 0; i < n; i++) {
      int64_t a = axes[i];
      if (a < -x->rank || a >= x->rank)
        return ingot_kerr(k, INGOT_CODE_INPUT, "axis %lld out of range for rank %d", (long long)a, x->rank);
      if (a < 0) a += x->rank;
      if (drop[a]) return ingot_kerr(k, INGOT_CODE_INPUT, "axis %lld repeated", (long long)axes[i]);
      if (x->dims[a] != 1)
        return ingot_kerr(k, INGOT_CODE_INPUT, "cannot squeeze axis %lld of size %lld", (long long)axes[i],
                          (long long)x->dims[a]);
      drop[a] = true;
    }
  } else {
    for (int d = 0; d < x->rank; d++) drop[d] = x->dims[d] == 1;
  }
  int64_t dims[INGOT_MAX_RANK];
  int r = 0;
  for (int d = 0; d < x->rank; d++)
    if (!drop[d]) dims[r++] = x->dims[d];
  return copy_reshaped(k, x, r, dims, &out[0]);
}

/* ---- Shape / Size ------------------------------------------------------------ */

ingot_status_t ingot_kernel_SHAPE(const ingot_kctx_t *k, const ingot_tensor_t *const *in, uint32_t nin,
                                  ingot_tensor_t *out, uint32_t nout) {
  const ingot_tensor_t *x = opt_in(in, nin, 0);
  if (!x) return ingot_kerr(k, INGOT_CODE_INPUT, "Shape needs an input");
  int64_t r = x->rank;
  /* start/end (opset 15): negative counts from the back, then clamp to [0, r]. */
  int64_t start = ingot_node_attr_i(k->n, "start", 0), end = ingot_node_attr_i(k->n, "end", r);
  if (start < 0) start += r;
  if (end < 0) end += r;
  start = start < 0 ? 0 : start > r ? r : start;
  end = end < 0 ? 0 : end > r ? r : end;
  int64_t len = end > start ? end - start : 0;
  INGOT_RETURN_IF_ERROR(kalloc(k, &out[0], INGOT_DT_INT64, 1, &len));
  for (int64_t i = 0; i < len; i++) ((int64_t *)out[0].data)[i] = x->dims[start + i];
  return INGOT_OK;
}

ingot_status_t ingot_kernel_SIZE(const ingot_kctx_t *k, const ingot_tensor_t *const *in, uint32_t nin,
                                 ingot_tensor_t *out, uint32_t nout) {
  const ingot_tensor_t *x = opt_in(in, nin, 0);
  if (!x) return ingot_kerr(k, INGOT_CODE_INPUT, "Size needs an input");
  INGOT_RETURN_IF_ERROR(kalloc(k, &out[0], INGOT_DT_INT64, 0, NULL));
  *(int64_t *)out[0].data = ingot_tensor_numel(x);
  return INGOT_OK;
}

/* ---- Range ------------------------------------------------------------------- */


/* Range-11: number_of_elements = max(ceil((limit - start) / delta), 0) and
 * output[i] = start + i * delta, both computed in the input type T (float
 * arithmetic for float32, double for double, exact integers otherwise). */
ingot_status_t ingot_kernel_RANGE(const ingot_kctx_t *k, const ingot_tensor_t *const *in, uint32_t nin,
                                  ingot_tensor_t *out, uint32_t nout) {
  const ingot_tensor_t *t[3];
  static const char *const names[3] = {"start", "limit", "delta"};
  for (int i = 0; i < 3; i++) {
    t[i] = opt_in(in, nin, (uint32_t)i);
    if (!t[i]) return ingot_kerr(k, INGOT_CODE_INPUT, "Range needs input '%s'", names[i]);
    if (ingot_tensor_numel(t[i]) != 1 || t[i]->rank > 1)
      return ingot_kerr(k, INGOT_CODE_INPUT, "Range input '%s' must be a scalar", names[i]);
    if (t[i]->dtype != t[0]->dtype)
      return ingot_kerr(k, INGOT_CODE_INPUT, "Range inputs have different dtypes (%s and %s)",
                        ingot_dtype_name(t[0]->dtype), ingot_dtype_name(t[i]->dtype));
  }
  int dt = t[0]->dtype;
  int64_t n;
  if (dt == INGOT_DT_FLOAT || dt == INGOT_DT_DOUBLE) {
    double s = ingot_tensor_get_f64(t[0], 0), l = ingot_tensor_get_f64(t[1], 0), d = ingot_tensor_get_f64(t[2], 0);
    if (d == 0) return ingot_kerr(k, INGOT_CODE_INPUT, "Range delta is 0");
    double c = dt == INGOT_DT_FLOAT ? (double)ceilf(((float)l - (float)s) / (float)d) : ceil((l - s) / d);
    if (c != c) return ingot_kerr(k, INGOT_CODE_INPUT, "Range with start %g, limit %g, delta %g is NaN", s, l, d);
    if (c <= 0) c = 0;
    if (c > 9.0e18)
      return ingot_kerr(k, INGOT_CODE_INPUT, "Range with start %g, limit %g, delta %g has too many elements", s, l,
                        d);
    n = (int64_t)c;
    INGOT_RETURN_IF_ERROR(kalloc(k, &out[0], dt, 1, &n));
    if (dt == INGOT_DT_FLOAT) {
      float fs = (float)s, fd = (float)d;
      for (int64_t i = 0; i < n; i++) ((float *)out[0].data)[i] = fs + (float)i * fd;
    } else {
      for (int64_t i = 0; i < n; i++) ((double *)out[0].data)[i] = s + (double)i * d;
    }
    return INGOT_OK;
  }
  if (dt != INGOT_DT_INT64 && dt != INGOT_DT_INT32 && dt != INGOT_DT_INT16)
    return ingot_kerr(k, INGOT_CODE_UNSUPPORTED, "Range of dtype %s", ingot_dtype_name(dt));
  int64_t s = ingot_tensor_get_i64(t[0], 0), l = ingot_tensor_get_i64(t[1], 0), d = ingot_tensor_get_i64(t[2], 0);
  if (d == 0) return ingot_kerr(k, INGOT_CODE_INPUT, "Range delta is 0");
  /* ceil((l - s) / d) without overflow: the distance fits in uint64 */
  uint64_t dist, step;
  if (d > 0) {
    dist = l > s ? (uint64_t)l - (uint64_t)s : 0;
    step = (uint64_t)d;
  } else {
    dist = s > l ? (uint64_t)s - (uint64_t)l : 0;
    step = (uint64_t)0 - (uint64_t)d;
  }
  uint64_t cnt = dist / step + (dist % step != 0);
  if (cnt > (uint64_t)INT64_MAX) return ingot_kerr(k, INGOT_CODE_INPUT, "Range has too many elements");
  n = (int64_t)cnt;
  INGOT_RETURN_IF_ERROR(kalloc(k, &out[0], dt, 1, &n));
  for (int64_t i = 0; i < n; i++) ingot_tensor_set_i64(&out[0], i, (int64_t)((uint64_t)s + (uint64_t)i * (uint64_t)d));
  return INGOT_OK;
}

/* ---- Constant / ConstantOfShape ---------------------------------------------- */

/* Copies an attribute tensor into out, widening float16/bfloat16 to float32. */
static ingot_status_t const_to_tensor(const ingot_kctx_t *k, const ingot_const_t *c, const char *what,
                                      ingot_tensor_t *out) {
  if (!c || !ingot_dtype_supported(c->dtype))
    return ingot_kerr(k, INGOT_CODE_UNSUPPORTED, "%s has unsupported dtype %s", what,
                      c ? ingot_dtype_name(c->dtype) : "?");
  if (c->rank < 0 || c->rank > INGOT_MAX_RANK)
    return ingot_kerr(k, INGOT_CODE_UNSUPPORTED, "%s has rank %d", what, c->rank);
  bool narrow = c->dtype == INGOT_DT_FLOAT16 || c->dtype == INGOT_DT_BFLOAT16;
  INGOT_RETURN_IF_ERROR(kalloc(k, out, narrow ? INGOT_DT_FLOAT : c->dtype, c->rank, c->dims));
  int64_t n = ingot_tensor_numel(out);
  size_t need = (size_t)n * ingot_dtype_size(c->dtype);
  if (c->nbytes != need || (need && !c->data)) {
    ingot_tensor_release(out);
    return ingot_kerr(k, INGOT_CODE_INPUT, "%s holds %zu bytes but its dims need %zu", what, c->nbytes, need);
  }
  if (!narrow) {
    if (need) memcpy(out->data, c->data, need);
    return INGOT_OK;
  }
  const uint16_t *h = c->data;
  for (int64_t i = 0; i < n; i++)
    ((float *)out->data)[i] = c->dtype == INGOT_DT_FLOAT16 ? ingot_f16_to_f32(h[i]) : ingot_bf16_to_f32(h[i]);
  return INGOT_OK;
}

ingot_status_t ingot_kernel_CONSTANT(const ingot_kctx_t *k, const ingot_tensor_t *const *in, uint32_t nin,
                                     ingot_tensor_t *out, uint32_t nout) {
  static const char *const names[] = {"value",      "value_float",  "value_floats",  "value_int",
                                      "value_ints", "value_string", "value_strings", "sparse_value"};
  const ingot_attr_t *a = NULL;
  int which = -1;
  for (int i = 0; i < (int)(sizeof names / sizeof *names); i++) {
    const ingot_attr_t *x = ingot_node_attr(k->n, names[i]);
    if (!x) continue;
    if (a) return ingot_kerr(k, INGOT_CODE_INPUT, "Constant has both '%s' and '%s'", names[which], names[i]);
    a = x;
    which = i;
  }
  if (!a) return ingot_kerr(k, INGOT_CODE_INPUT, "Constant has no value attribute");
  static const int want[] = {INGOT_ATTR_TENSOR, INGOT_ATTR_FLOAT,  INGOT_ATTR_FLOATS,  INGOT_ATTR_INT,
                             INGOT_ATTR_INTS,   INGOT_ATTR_STRING, INGOT_ATTR_STRINGS, INGOT_ATTR_SPARSE_TENSOR};
  if (a->type != want[which])
    return ingot_kerr(k, INGOT_CODE_INPUT, "Constant attribute '%s' has type %s", names[which],
                      ingot_attr_type_name(a->type));
  int64_t len = (int64_t)a->n;
  switch (which) {
    case 0: return const_to_tensor(k, a->t, "Constant value", &out[0]);
    case 1:
      INGOT_RETURN_IF_ERROR(kalloc(k, &out[0], INGOT_DT_FLOAT, 0, NULL));
      *(float *)out[0].data = a->f;
      return INGOT_OK;
    case 2:
      INGOT_RETURN_IF_ERROR(kalloc(k, &out[0], INGOT_DT_FLOAT, 1, &len));
      if (len) memcpy(out[0].data, a->floats, (size_t)len * sizeof(float));
      return INGOT_OK;
    case 3:
      INGOT_RETURN_IF_ERROR(kalloc(k, &out[0], INGOT_DT_INT64, 0, NULL));
      *(int64_t *)out[0].data = a->i;
      return INGOT_OK;
    case 4:
      INGOT_RETURN_IF_ERROR(kalloc(k, &out[0], INGOT_DT_INT64, 1, &len));
      if (len) memcpy(out[0].data, a->ints, (size_t)len * sizeof(int64_t));
      return INGOT_OK;
    default:
      return ingot_kerr(k, INGOT_CODE_UNSUPPORTED, "Constant '%s' (string/sparse tensors) is not supported",
                        names[which]);
  }
}

ingot_status_t ingot_kernel_CONSTANT_OF_SHAPE(const ingot_kctx_t *k, const ingot_tensor_t *const *in, uint32_t nin,
                                              ingot_tensor_t *out, uint32_t nout) {
  const ingot_tensor_t *s = opt_in(in, nin, 0);
  if (!s) return ingot_kerr(k, INGOT_CODE_INPUT, "ConstantOfShape needs a shape input");
  int64_t dims[INGOT_MAX_RANK], n;
  INGOT_RETURN_IF_ERROR(read_ints(k, s, "input", dims, INGOT_MAX_RANK, &n));
  for (int64_t i = 0; i < n; i++)
    if (dims[i] < 0) return ingot_kerr(k, INGOT_CODE_INPUT, "shape[%lld] = %lld is negative", (long long)i,
                                       (long long)dims[i]);
  const ingot_attr_t *a = ingot_node_attr(k->n, "value");
  if (!a) { /* default: float32 zeros */
    INGOT_RETURN_IF_ERROR(kalloc(k, &out[0], INGOT_DT_FLOAT, (int)n, dims));
    return INGOT_OK;
  }
  if (a->type != INGOT_ATTR_TENSOR || !a->t)
    return ingot_kerr(k, INGOT_CODE_INPUT, "ConstantOfShape 'value' is not a tensor");
  ingot_tensor_t v;
  INGOT_RETURN_IF_ERROR(const_to_tensor(k, a->t, "ConstantOfShape value", &v));
  if (ingot_tensor_numel(&v) != 1) {
    ingot_tensor_release(&v);
    return ingot_kerr(k, INGOT_CODE_INPUT, "ConstantOfShape 'value' must hold one element");
  }
  ingot_status_t st = kalloc(k, &out[0], v.dtype, (int)n, dims);
  if (st) {
    ingot_tensor_release(&v);
    return st;
  }
  size_t es = ingot_dtype_size(v.dtype);
  int64_t cnt = ingot_tensor_numel(&out[0]);
  for (int64_t i = 0; i < cnt; i++) memcpy((char *)out[0].data + (size_t)i * es, v.data, es);
  ingot_tensor_release(&v);
  return INGOT_OK;
}
