/* Reference kernels for data movement: Transpose, Concat, Split, Slice,
 * Gather, GatherElements, ScatterND, Expand, Tile, Pad, Trilu.
 *
 * Semantics follow the ONNX operator specs for opsets 13-20 (default domain);
 * where the spec leaves something open the ONNX reference implementation
 * (onnx/reference/ops, numpy based) decides.  Everything is dtype-generic:
 * elements are copied by ingot_dtype_size bytes; only ScatterND's add/mul/
 * max/min reductions look at values.
 *
 * Most kernels are one walk over the output's multi-index (an "odometer")
 * that keeps the matching input offset up to date.  Simple, and obviously
 * correct; speed is the compiled kernels' job. */
#include <stdlib.h>
#include <string.h>

#include "interp/interp.h"

/* ---- small helpers ------------------------------------------------------------- */

static const ingot_tensor_t *opt_in(const ingot_tensor_t *const *in, uint32_t nin, uint32_t i) {
  return i < nin ? in[i] : NULL;
}

static int64_t opset_of(const ingot_kctx_t *k) {
  const ingot_graph_t *g = k->g;
  while (g->parent && !g->opset) g = g->parent;
  return g->opset ? g->opset : 20; /* no opset recorded: assume the newest we know */
}

static bool is_index_dtype(int dt) { return dt == INGOT_DT_INT64 || dt == INGOT_DT_INT32; }

/* ingot_tensor_alloc with the node named in any error (size limit, rank). */
static ingot_status_t kalloc(const ingot_kctx_t *k, ingot_tensor_t *t, int dtype, int rank, const int64_t *dims) {
  ingot_status_t st = ingot_tensor_alloc(t, dtype, rank, dims);
  if (!st) return INGOT_OK;
  char where[512];
  ingot_node_where(k->g, k->node, where, sizeof where);
  return ingot_status_annotate(st, "%s: %s", k->g->source ? k->g->source : "<graph>", where);
}

/* Reads a 0-D or 1-D int32/int64 tensor of at most cap entries. */
static ingot_status_t read_ints(const ingot_kctx_t *k, const ingot_tensor_t *t, const char *what, int64_t *vals,
                                int64_t cap, int64_t *count) {
  if (!is_index_dtype(t->dtype))
    return ingot_kerr(k, INGOT_CODE_INPUT, "input '%s' must be int64 (got %s)", what, ingot_dtype_name(t->dtype));
  if (t->rank > 1) return ingot_kerr(k, INGOT_CODE_INPUT, "input '%s' must be 1-D (got rank %d)", what, t->rank);
  int64_t n = ingot_tensor_numel(t);
  if (n > cap)
    return ingot_kerr(k, INGOT_CODE_INPUT, "input '%s' has %lld entries, more than the %lld expected", what,
                      (long long)n, (long long)cap);
  for (int64_t i = 0; i < n; i++) vals[i] = ingot_tensor_get_i64(t, i);
  *count = n;
  return INGOT_OK;
}

static ingot_status_t norm_axis(const ingot_kctx_t *k, int64_t axis, int rank, const char *what, int *out) {
  if (axis < -rank || axis >= rank)
    return ingot_kerr(k, INGOT_CODE_INPUT, "%s %lld out of range for rank %d", what, (long long)axis, rank);
  *out = (int)(axis < 0 ? axis + rank : axis);
  return INGOT_OK;
}

static void c_strides(int rank, const int64_t *dims, int64_t *s) {
  int64_t acc = 1;
  for (int d = rank - 1; d >= 0; d--) {
    s[d] = acc;
    acc *= dims[d];
  }
}

static int64_t prod(const int64_t *dims, int from, int to) {
  int64_t p = 1;
  for (int d = from; d < to; d++) p *= dims[d];
  return p;
}

/* dst[o] = src[base + sum_d idx_d * stride[d]] (strides in elements, may be
 * 0 or negative) for every multi-index idx of dims, in C order. */
static void copy_strided(char *dst, const char *src, size_t es, int rank, const int64_t *dims, const int64_t *stride,
                         int64_t base) {
  int64_t total = prod(dims, 0, rank);
  if (total == 0) return;
  int64_t idx[INGOT_MAX_RANK] = {0};
  int64_t off = base;
  for (int64_t o = 0; o < total; o++) {
    memcpy(dst + (size_t)o * es, src + (size_t)off * es, es);
    for (int d = rank - 1; d >= 0; d--) {
      if (++idx[d] < dims[d]) {
        off += stride[d];
        break;
      }
      off -= stride[d] * (idx[d] - 1);
      idx[d] = 0;
    }
  }
}

static void release_all(ingot_tensor_t *out, uint32_t nout) {
  for (uint32_t i = 0; i < nout; i++) ingot_tensor_release(&out[i]);
}

/* ---- Transpose ------------------------------------------------------------------ */

ingot_status_t ingot_kernel_TRANSPOSE(const ingot_kctx_t *k, const ingot_tensor_t *const *in, uint32_t nin,
                                      ingot_tensor_t *out, uint32_t nout) {
  const ingot_tensor_t *x = opt_in(in, nin, 0);
  if (!x) return ingot_kerr(k, INGOT_CODE_INPUT, "Transpose needs an input");
  int r = x->rank;
  int64_t perm[INGOT_MAX_RANK];
  const int64_t *p;
  int64_t np = ingot_node_attr_ints(k->n, "perm", &p);
  if (np < 0) { /* default: reverse the axes */
    for (int d = 0; d < r; d++) perm[d] = r - 1 - d;
  } else {
    if (np != r) return ingot_kerr(k, INGOT_CODE_INPUT, "perm has %lld entries for rank %d", (long long)np, r);
    bool seen[INGOT_MAX_RANK] = {false};
    for (int d = 0; d < r; d++) {
      if (p[d] < 0 || p[d] >= r || seen[p[d]])
        return ingot_kerr(k, INGOT_CODE_INPUT, "perm is not a permutation of 0..%d (entry %d is %lld)", r - 1, d,
                          (long long)p[d]);
      seen[p[d]] = true;
      perm[d] = p[d];
    }
  }
  int64_t dims[INGOT_MAX_RANK], istr[INGOT_MAX_RANK], stride[INGOT_MAX_RANK];
  c_strides(r, x->dims, istr);
  for (int d = 0; d < r; d++) {
    dims[d] = x->dims[perm[d]];
    stride[d] = istr[perm[d]];
  }
  INGOT_RETURN_IF_ERROR(kalloc(k, &out[0], x->dtype, r, dims));
  copy_strided(out[0].data, x->data, ingot_dtype_size(x->dtype), r, dims, stride, 0);
  return INGOT_OK;
}

/* ---- Concat ------------------------------------------------------------------- */

ingot_status_t ingot_kernel_CONCAT(const ingot_kctx_t *k, const ingot_tensor_t *const *in, uint32_t nin,
                                   ingot_tensor_t *out, uint32_t nout) {
  if (nin == 0 || !in[0]) return ingot_kerr(k, INGOT_CODE_INPUT, "Concat needs at least one input");
  const ingot_tensor_t *x0 = in[0];
  int r = x0->rank;
  if (r == 0) return ingot_kerr(k, INGOT_CODE_INPUT, "Concat of scalars (rank 0)");
  const ingot_attr_t *aa = ingot_node_attr(k->n, "axis");
  if (!aa || aa->type != INGOT_ATTR_INT) return ingot_kerr(k, INGOT_CODE_INPUT, "Concat needs an int 'axis'");
  int axis = 0;
  INGOT_RETURN_IF_ERROR(norm_axis(k, aa->i, r, "axis", &axis));
  int64_t dims[INGOT_MAX_RANK];
  memcpy(dims, x0->dims, sizeof dims);
  dims[axis] = 0;
  for (uint32_t i = 0; i < nin; i++) {
    const ingot_tensor_t *x = in[i];
    if (!x) return ingot_kerr(k, INGOT_CODE_INPUT, "Concat input %u is missing", i);
    if (x->dtype != x0->dtype)
      return ingot_kerr(k, INGOT_CODE_INPUT, "Concat input %u has dtype %s, input 0 has %s", i,
                        ingot_dtype_name(x->dtype), ingot_dtype_name(x0->dtype));
    if (x->rank != r) return ingot_kerr(k, INGOT_CODE_INPUT, "Concat input %u has rank %d, input 0 has %d", i, x->rank, r);
    for (int d = 0; d < r; d++)
      if (d != axis && x->dims[d] != x0->dims[d])
        return ingot_kerr(k, INGOT_CODE_INPUT, "Concat input %u has dim %lld at axis %d, input 0 has %lld", i,
                          (long long)x->dims[d], d, (long long)x0->dims[d]);
    if (dims[axis] > INT64_MAX - x->dims[axis]) return ingot_kerr(k, INGOT_CODE_INPUT, "Concat result too large");
    dims[axis] += x->dims[axis];
  }
  INGOT_RETURN_IF_ERROR(kalloc(k, &out[0], x0->dtype, r, dims));
  size_t es = ingot_dtype_size(x0->dtype);
  int64_t outer = prod(dims, 0, axis), inner = prod(dims, axis + 1, r);
  char *dst = out[0].data;
  for (int64_t o = 0; o < outer; o++)
    for (uint32_t i = 0; i < nin; i++) {
      size_t bytes = (size_t)(in[i]->dims[axis] * inner) * es;
      if (bytes) memcpy(dst, (const char *)in[i]->data + (size_t)o * bytes, bytes);
      dst += bytes;
    }
  return INGOT_OK;
}

/* ---- Split -------------------------------------------------------------------- */

/* Sizes: the 'split' input (opset >= 13) or attribute (older); else
 * num_outputs (opset 18) or the number of outputs, equal parts.  Opset 18
 * allows an uneven split: parts of ceil(dim / n), the last one smaller (the
 * ONNX reference gives 9 into 4 as 3,3,3,0; 5 into 4 would need a negative
 * last part and is an error). */
ingot_status_t ingot_kernel_SPLIT(const ingot_kctx_t *k, const ingot_tensor_t *const *in, uint32_t nin,
                                  ingot_tensor_t *out, uint32_t nout) {
  const ingot_tensor_t *x = opt_in(in, nin, 0), *sp = opt_in(in, nin, 1);
  if (!x) return ingot_kerr(k, INGOT_CODE_INPUT, "Split needs an input");
  if (nout == 0) return ingot_kerr(k, INGOT_CODE_INPUT, "Split has no outputs");
  int r = x->rank, axis = 0;
  INGOT_RETURN_IF_ERROR(norm_axis(k, ingot_node_attr_i(k->n, "axis", 0), r, "axis", &axis));
  int64_t dim = x->dims[axis];
  int64_t *sizes = calloc(nout, sizeof *sizes);
  if (!sizes) return ingot_kerr(k, INGOT_CODE_NOMEM, "out of memory");
  ingot_status_t st = INGOT_OK;
  const int64_t *attr;
  int64_t nattr = ingot_node_attr_ints(k->n, "split", &attr);
  if (sp || (nattr >= 0 && opset_of(k) < 13)) {
    int64_t cnt;
    if (sp) {
      if (!is_index_dtype(sp->dtype) || sp->rank != 1) {
        st = ingot_kerr(k, INGOT_CODE_INPUT, "input 'split' must be a 1-D int64 tensor");
        goto done;
      }
      cnt = ingot_tensor_numel(sp);
    } else {
      cnt = nattr;
    }
    if (cnt != (int64_t)nout) {
      st = ingot_kerr(k, INGOT_CODE_INPUT, "'split' has %lld entries for %u outputs", (long long)cnt, nout);
      goto done;
    }
    int64_t sum = 0;
    for (uint32_t i = 0; i < nout; i++) {
      sizes[i] = sp ? ingot_tensor_get_i64(sp, i) : attr[i];
      if (sizes[i] < 0 || sizes[i] > dim - sum) {
        st = ingot_kerr(k, INGOT_CODE_INPUT, "'split' sizes are negative or exceed dim %lld", (long long)dim);
        goto done;
      }
      sum += sizes[i];
    }
    if (sum != dim) {
      st = ingot_kerr(k, INGOT_CODE_INPUT, "'split' sizes add up to %lld, dim is %lld", (long long)sum, (long long)dim);
      goto done;
    }
  } else {
    int64_t n = ingot_node_attr_i(k->n, "num_outputs", (int64_t)nout);
    if (n != (int64_t)nout) {
      st = ingot_kerr(k, INGOT_CODE_INPUT, "num_outputs is %lld but the node has %u outputs", (long long)n, nout);
      goto done;
    }
    int64_t part = dim / n;
    if (dim % n) {
      if (opset_of(k) < 18) {
        st = ingot_kerr(k, INGOT_CODE_INPUT, "dim %lld does not split into %lld equal parts", (long long)dim,
                        (long long)n);
        goto done;
      }
      part = dim / n + 1;
      if (part * (n - 1) > dim) {
        st = ingot_kerr(k, INGOT_CODE_INPUT, "dim %lld cannot be split into %lld parts of %lld", (long long)dim,
                        (long long)n, (long long)part);
        goto done;
      }
    }
    for (uint32_t i = 0; i < nout; i++) sizes[i] = i + 1 < nout ? part : dim - part * (n - 1);
  }
  size_t es = ingot_dtype_size(x->dtype);
  int64_t outer = prod(x->dims, 0, axis), inner = prod(x->dims, axis + 1, r);
  int64_t off = 0;
  for (uint32_t i = 0; i < nout; i++) {
    int64_t dims[INGOT_MAX_RANK];
    memcpy(dims, x->dims, sizeof dims);
    dims[axis] = sizes[i];
    st = kalloc(k, &out[i], x->dtype, r, dims);
    if (st) goto done;
    size_t bytes = (size_t)(sizes[i] * inner) * es;
    for (int64_t o = 0; o < outer && bytes; o++)
      memcpy((char *)out[i].data + (size_t)o * bytes, (const char *)x->data + (size_t)((o * dim + off) * inner) * es,
             bytes);
    off += sizes[i];
  }
done:
  free(sizes);
  if (st) release_all(out, nout);
  return st;
}

/* ---- Slice -------------------------------------------------------------------- */

/* Slice-13: per axis, negative starts/ends add the dim, then starts clamp to
 * [0, dim] ([0, dim-1] for negative steps) and ends to [0, dim] ([-1, dim-1]
 * for negative steps); INT64_MAX / INT64_MIN ends mean "to the end". */
ingot_status_t ingot_kernel_SLICE(const ingot_kctx_t *k, const ingot_tensor_t *const *in, uint32_t nin,
                                  ingot_tensor_t *out, uint32_t nout) {
  const ingot_tensor_t *x = opt_in(in, nin, 0), *ts = opt_in(in, nin, 1), *te = opt_in(in, nin, 2),
                       *ta = opt_in(in, nin, 3), *tp = opt_in(in, nin, 4);
  if (!x || !ts || !te) return ingot_kerr(k, INGOT_CODE_INPUT, "Slice needs 'data', 'starts' and 'ends'");
  int r = x->rank;
  int64_t starts[INGOT_MAX_RANK], ends[INGOT_MAX_RANK], axes[INGOT_MAX_RANK], steps[INGOT_MAX_RANK];
  int64_t m, n;
  INGOT_RETURN_IF_ERROR(read_ints(k, ts, "starts", starts, r, &m));
  INGOT_RETURN_IF_ERROR(read_ints(k, te, "ends", ends, r, &n));
  if (n != m) return ingot_kerr(k, INGOT_CODE_INPUT, "starts has %lld entries, ends %lld", (long long)m, (long long)n);
  if (ta) {
    INGOT_RETURN_IF_ERROR(read_ints(k, ta, "axes", axes, r, &n));
    if (n != m) return ingot_kerr(k, INGOT_CODE_INPUT, "starts has %lld entries, axes %lld", (long long)m, (long long)n);
  } else {
    for (int64_t i = 0; i < m; i++) axes[i] = i;
  }
  if (tp) {
    INGOT_RETURN_IF_ERROR(read_ints(k, tp, "steps", steps, r, &n));
    if (n != m)
      return ingot_kerr(k, INGOT_CODE_INPUT, "starts has %lld entries, steps %lld", (long long)m, (long long)n);
  } else {
    for (int64_t i = 0; i < m; i++) steps[i] = 1;
  }
  int64_t dims[INGOT_MAX_RANK] = {0}, istr[INGOT_MAX_RANK] = {0}, stride[INGOT_MAX_RANK] = {0};
  c_strides(r, x->dims, istr);
  memcpy(dims, x->dims, sizeof dims);
  memcpy(stride, istr, sizeof stride);
  bool seen[INGOT_MAX_RANK] = {false};
  int64_t base = 0;
  for (int64_t i = 0; i < m; i++) {
    int a = 0;
    INGOT_RETURN_IF_ERROR(norm_axis(k, axes[i], r, "axes entry", &a));
    if (seen[a]) return ingot_kerr(k, INGOT_CODE_INPUT, "axis %lld repeated", (long long)axes[i]);
    seen[a] = true;
    int64_t dim = x->dims[a], step = steps[i], s = starts[i], e = ends[i];
    if (step == 0) return ingot_kerr(k, INGOT_CODE_INPUT, "steps[%lld] is 0", (long long)i);
    if (s < 0) s += dim; /* no overflow: dim >= 0 */
    if (e < 0) e += dim;
    uint64_t cnt;
    if (step > 0) {
      s = s < 0 ? 0 : s > dim ? dim : s;
      e = e < 0 ? 0 : e > dim ? dim : e;
      cnt = e > s ? (uint64_t)(e - s - 1) / (uint64_t)step + 1 : 0;
    } else {
      s = s < 0 ? 0 : s > dim - 1 ? dim - 1 : s;
      e = e < -1 ? -1 : e > dim - 1 ? dim - 1 : e;
      cnt = s > e ? (uint64_t)(s - e - 1) / ((uint64_t)0 - (uint64_t)step) + 1 : 0;
    }
    if (dim == 0) cnt = 0;
    dims[a] = (int64_t)cnt;
    stride[a] = cnt > 1 ? istr[a] * step : 0; /* |step| < dim here, so no overflow */
    if (cnt) base += s * istr[a];
  }
  INGOT_RETURN_IF_ERROR(kalloc(k, &out[0], x->dtype, r, dims));
  copy_strided(out[0].data, x->data, ingot_dtype_size(x->dtype), r, dims, stride, base);
  return INGOT_OK;
}

/* ---- Gather / GatherElements ------------------------------------------------------ */

static ingot_status_t fetch_index(const ingot_kctx_t *k, const ingot_tensor_t *ind, int64_t i, int64_t dim,
                                  int64_t *out) {
  int64_t v = ingot_tensor_get_i64(ind, i);
  int64_t w = v < 0 ? v + dim : v;
  if (w < 0 || w >= dim)
    return ingot_kerr(k, INGOT_CODE_INPUT, "index %lld out of range for an axis of size %lld", (long long)v,
                      (long long)dim);
  *out = w;
  return INGOT_OK;
}

ingot_status_t ingot_kernel_GATHER(const ingot_kctx_t *k, const ingot_tensor_t *const *in, uint32_t nin,
                                   ingot_tensor_t *out, uint32_t nout) {
  const ingot_tensor_t *x = opt_in(in, nin, 0), *ind = opt_in(in, nin, 1);
  if (!x || !ind) return ingot_kerr(k, INGOT_CODE_INPUT, "Gather needs 'data' and 'indices'");
  if (!is_index_dtype(ind->dtype))
    return ingot_kerr(k, INGOT_CODE_INPUT, "Gather indices must be int32/int64 (got %s)", ingot_dtype_name(ind->dtype));
  int r = x->rank, q = ind->rank, axis = 0;
  if (r == 0) return ingot_kerr(k, INGOT_CODE_INPUT, "Gather on a scalar (rank 0)");
  INGOT_RETURN_IF_ERROR(norm_axis(k, ingot_node_attr_i(k->n, "axis", 0), r, "axis", &axis));
  int orank = r - 1 + q;
  if (orank > INGOT_MAX_RANK)
    return ingot_kerr(k, INGOT_CODE_UNSUPPORTED, "Gather output rank %d (at most %d supported)", orank, INGOT_MAX_RANK);
  int64_t dims[INGOT_MAX_RANK];
  int o = 0;
  for (int d = 0; d < axis; d++) dims[o++] = x->dims[d];
  for (int d = 0; d < q; d++) dims[o++] = ind->dims[d];
  for (int d = axis + 1; d < r; d++) dims[o++] = x->dims[d];
  INGOT_RETURN_IF_ERROR(kalloc(k, &out[0], x->dtype, orank, dims));
  size_t es = ingot_dtype_size(x->dtype);
  int64_t outer = prod(x->dims, 0, axis), inner = prod(x->dims, axis + 1, r), dim = x->dims[axis];
  int64_t ni = ingot_tensor_numel(ind);
  size_t block = (size_t)inner * es;
  char *dst = out[0].data;
  for (int64_t b = 0; b < outer; b++)
    for (int64_t j = 0; j < ni; j++) {
      int64_t w = 0;
      ingot_status_t st = fetch_index(k, ind, j, dim, &w);
      if (st) {
        ingot_tensor_release(&out[0]);
        return st;
      }
      if (block) memcpy(dst, (const char *)x->data + (size_t)(b * dim + w) * block, block);
      dst += block;
    }
  return INGOT_OK;
}

ingot_status_t ingot_kernel_GATHER_ELEMENTS(const ingot_kctx_t *k, const ingot_tensor_t *const *in, uint32_t nin,
                                            ingot_tensor_t *out, uint32_t nout) {
  const ingot_tensor_t *x = opt_in(in, nin, 0), *ind = opt_in(in, nin, 1);
  if (!x || !ind) return ingot_kerr(k, INGOT_CODE_INPUT, "GatherElements needs 'data' and 'indices'");
  if (!is_index_dtype(ind->dtype))
    return ingot_kerr(k, INGOT_CODE_INPUT, "GatherElements indices must be int32/int64 (got %s)",
                      ingot_dtype_name(ind->dtype));
  int r = x->rank, axis = 0;
  if (r == 0) return ingot_kerr(k, INGOT_CODE_INPUT, "GatherElements on a scalar (rank 0)");
  if (ind->rank != r)
    return ingot_kerr(k, INGOT_CODE_INPUT, "GatherElements indices have rank %d, data %d", ind->rank, r);
  INGOT_RETURN_IF_ERROR(norm_axis(k, ingot_node_attr_i(k->n, "axis", 0), r, "axis", &axis));
  for (int d = 0; d < r; d++)
    if (d != axis && ind->dims[d] > x->dims[d])
      return ingot_kerr(k, INGOT_CODE_INPUT, "GatherElements indices dim %lld exceeds data dim %lld at axis %d",
                        (long long)ind->dims[d], (long long)x->dims[d], d);
  INGOT_RETURN_IF_ERROR(kalloc(k, &out[0], x->dtype, r, ind->dims));
  size_t es = ingot_dtype_size(x->dtype);
  int64_t xs[INGOT_MAX_RANK], idx[INGOT_MAX_RANK] = {0};
  c_strides(r, x->dims, xs);
  int64_t total = ingot_tensor_numel(ind);
  for (int64_t o = 0; o < total; o++) {
    int64_t w = 0;
    ingot_status_t st = fetch_index(k, ind, o, x->dims[axis], &w);
    if (st) {
      ingot_tensor_release(&out[0]);
      return st;
    }
    int64_t off = 0;
    for (int d = 0; d < r; d++) off += (d == axis ? w : idx[d]) * xs[d];
    memcpy((char *)out[0].data + (size_t)o * es, (const char *)x->data + (size_t)off * es, es);
    for (int d = r - 1; d >= 0; d--) {
      if (++idx[d] < ind->dims[d]) break;
      idx[d] = 0;
    }
  }
  return INGOT_OK;
}

/* ---- ScatterND ------------------------------------------------------------------ */


enum { RED_NONE, RED_ADD, RED_MUL, RED_MAX, RED_MIN };

/* Combines updates element u into output element o.  Floats go through
 * double: a float32 sum or product of two float32s rounded once to float32
 * is exactly float32 arithmetic.  Integers wrap like two's complement. */
static void reduce_elem(ingot_tensor_t *t, int64_t o, const ingot_tensor_t *u, int64_t ui, int red) {
  if (ingot_dtype_is_float(t->dtype)) {
    double a = ingot_tensor_get_f64(t, o), b = ingot_tensor_get_f64(u, ui), r;
    switch (red) {
      case RED_ADD: r = a + b; break;
      case RED_MUL: r = a * b; break;
      case RED_MAX: r = (b > a || b != b) ? b : a; break;
      default: r = (b < a || b != b) ? b : a; break;
    }
    ingot_tensor_set_f64(t, o, r);
    return;
  }
  bool is_unsigned = t->dtype == INGOT_DT_UINT64;
  int64_t a = ingot_tensor_get_i64(t, o), b = ingot_tensor_get_i64(u, ui), r;
  switch (red) {
    case RED_ADD: r = (int64_t)((uint64_t)a + (uint64_t)b); break;
    case RED_MUL: r = (int64_t)((uint64_t)a * (uint64_t)b); break;
    case RED_MAX: r = is_unsigned ? ((uint64_t)b > (uint64_t)a ? b : a) : (b > a ? b : a); break;
    default: r = is_unsigned ? ((uint64_t)b < (uint64_t)a ? b : a) : (b < a ? b : a); break;
  }
  ingot_tensor_set_i64(t, o, r);
}

ingot_status_t ingot_kernel_SCATTER_ND(const ingot_kctx_t *k, const ingot_tensor_t *const *in, uint32_t nin,
                                       ingot_tensor_t *out, uint32_t nout) {
  const ingot_tensor_t *x = opt_in(in, nin, 0), *ind = opt_in(in, nin, 1), *upd = opt_in(in, nin, 2);
  if (!x || !ind || !upd) return ingot_kerr(k, INGOT_CODE_INPUT, "ScatterND needs 'data', 'indices' and 'updates'");
  if (ind->dtype != INGOT_DT_INT64 && ind->dtype != INGOT_DT_INT32)
    return ingot_kerr(k, INGOT_CODE_INPUT, "ScatterND indices must be int64 (got %s)", ingot_dtype_name(ind->dtype));
  if (upd->dtype != x->dtype)
    return ingot_kerr(k, INGOT_CODE_INPUT, "ScatterND updates have dtype %s, data %s", ingot_dtype_name(upd->dtype),
                      ingot_dtype_name(x->dtype));
  const char *rs = ingot_node_attr_s(k->n, "reduction", "none");
  int red;
  if (!strcmp(rs, "none")) red = RED_NONE;
  else if (!strcmp(rs, "add")) red = RED_ADD;
  else if (!strcmp(rs, "mul")) red = RED_MUL;
  else if (!strcmp(rs, "max")) red = RED_MAX;
  else if (!strcmp(rs, "min")) red = RED_MIN;
  else return ingot_kerr(k, INGOT_CODE_INPUT, "ScatterND reduction '%s' is not none/add/mul/max/min", rs);
  if ((red == RED_MAX || red == RED_MIN) && opset_of(k) < 18)
    return ingot_kerr(k, INGOT_CODE_INPUT, "ScatterND reduction '%s' needs opset 18", rs);
  if (red != RED_NONE && x->dtype == INGOT_DT_BOOL)
    return ingot_kerr(k, INGOT_CODE_UNSUPPORTED, "ScatterND reduction '%s' on bool", rs);
  int r = x->rank, q = ind->rank;
  if (r < 1 || q < 1) return ingot_kerr(k, INGOT_CODE_INPUT, "ScatterND data and indices need rank >= 1");
  int64_t kk = ind->dims[q - 1]; /* 0 is allowed: each update replaces the whole tensor */
  if (kk > r)
    return ingot_kerr(k, INGOT_CODE_INPUT, "ScatterND indices last dim %lld exceeds the data rank %d", (long long)kk, r);
  /* updates.shape == indices.shape[:-1] + data.shape[k:] */
  if (upd->rank != q - 1 + r - (int)kk)
    return ingot_kerr(k, INGOT_CODE_INPUT, "ScatterND updates have rank %d, expected %d", upd->rank,
                      q - 1 + r - (int)kk);
  for (int d = 0; d < upd->rank; d++) {
    int64_t want = d < q - 1 ? ind->dims[d] : x->dims[kk + d - (q - 1)];
    if (upd->dims[d] != want)
      return ingot_kerr(k, INGOT_CODE_INPUT, "ScatterND updates dim %d is %lld, expected %lld", d,
                        (long long)upd->dims[d], (long long)want);
  }
  INGOT_RETURN_IF_ERROR(kalloc(k, &out[0], x->dtype, r, x->dims));
  if (out[0].nbytes) memcpy(out[0].data, x->data, out[0].nbytes);
  size_t es = ingot_dtype_size(x->dtype);
  int64_t xs[INGOT_MAX_RANK];
  c_strides(r, x->dims, xs);
  int64_t nupd = prod(ind->dims, 0, q - 1), slice = prod(x->dims, (int)kk, r);
  for (int64_t j = 0; j < nupd; j++) {
    int64_t off = 0;
    for (int64_t c = 0; c < kk; c++) {
      int64_t w = 0;
      ingot_status_t st = fetch_index(k, ind, j * kk + c, x->dims[c], &w);
      if (st) {
        ingot_tensor_release(&out[0]);
        return st;
      }
      off += w * xs[c];
    }
    if (red == RED_NONE) {
      if (slice) memcpy((char *)out[0].data + (size_t)off * es, (const char *)upd->data + (size_t)(j * slice) * es,
                        (size_t)slice * es);
    } else {
      for (int64_t e = 0; e < slice; e++) reduce_elem(&out[0], off + e, upd, j * slice + e, red);
    }
  }
  return INGOT_OK;
}

/* ---- Expand / Tile ------------------------------------------------------------- */

ingot_status_t ingot_kernel_EXPAND(const ingot_kctx_t *k, const ingot_tensor_t *const *in, uint32_t nin,
                                   ingot_tensor_t *out, uint32_t nout) {
  const ingot_tensor_t *x = opt_in(in, nin, 0), *s = opt_in(in, nin, 1);
  if (!x || !s) return ingot_kerr(k, INGOT_CODE_INPUT, "Expand needs 'input' and 'shape'");
  int64_t shape[INGOT_MAX_RANK], n;
  INGOT_RETURN_IF_ERROR(read_ints(k, s, "shape", shape, INGOT_MAX_RANK, &n));
  /* bidirectional (numpy) broadcast of x's shape with the given one */
  int r = x->rank > (int)n ? x->rank : (int)n;
  int64_t dims[INGOT_MAX_RANK];
  for (int d = 0; d < r; d++) {
    int xa = d - (r - x->rank), sa = d - (r - (int)n);
    int64_t a = xa >= 0 ? x->dims[xa] : 1, b = sa >= 0 ? shape[sa] : 1;
    if (b < 0) return ingot_kerr(k, INGOT_CODE_INPUT, "shape[%d] = %lld is negative", sa, (long long)b);
    if (a == b || b == 1) dims[d] = a;
    else if (a == 1) dims[d] = b;
    else
      return ingot_kerr(k, INGOT_CODE_INPUT, "cannot expand dim %lld to %lld (output axis %d)", (long long)a,
                        (long long)b, d);
  }
  INGOT_RETURN_IF_ERROR(kalloc(k, &out[0], x->dtype, r, dims));
  int64_t stride[INGOT_MAX_RANK];
  ingot_broadcast_strides(x, r, dims, stride);
  copy_strided(out[0].data, x->data, ingot_dtype_size(x->dtype), r, dims, stride, 0);
  return INGOT_OK;
}

ingot_status_t ingot_kernel_TILE(const ingot_kctx_t *k, const ingot_tensor_t *const *in, uint32_t nin,
                                 ingot_tensor_t *out, uint32_t nout) {
  const ingot_tensor_t *x = opt_in(in, nin, 0), *rp = opt_in(in, nin, 1);
  if (!x || !rp) return ingot_kerr(k, INGOT_CODE_INPUT, "Tile needs 'input' and 'repeats'");
  int r = x->rank;
  int64_t reps[INGOT_MAX_RANK], n;
  INGOT_RETURN_IF_ERROR(read_ints(k, rp, "repeats", reps, INGOT_MAX_RANK, &n));
  if (n != r) return ingot_kerr(k, INGOT_CODE_INPUT, "repeats has %lld entries for rank %d", (long long)n, r);
  int64_t dims[INGOT_MAX_RANK];
  for (int d = 0; d < r; d++) {
    if (reps[d] < 0) return ingot_kerr(k, INGOT_CODE_INPUT, "repeats[%d] = %lld is negative", d, (long long)reps[d]);
    if (reps[d] && x->dims[d] > INT64_MAX / reps[d])
      return ingot_kerr(k, INGOT_CODE_INPUT, "Tile output dim %d overflows", d);
    dims[d] = x->dims[d] * reps[d];
  }
  INGOT_RETURN_IF_ERROR(kalloc(k, &out[0], x->dtype, r, dims));
  size_t es = ingot_dtype_size(x->dtype);
  int64_t xs[INGOT_MAX_RANK], idx[INGOT_MAX_RANK] = {0};
  c_strides(r, x->dims, xs);
  int64_t total = ingot_tensor_numel(&out[0]);
  for (int64_t o = 0; o < total; o++) {
    int64_t off = 0;
    for (int d = 0; d < r; d++) off += (idx[d] % x->dims[d]) * xs[d];
    memcpy((char *)out[0].data + (size_t)o * es, (const char *)x->data + (size_t)off * es, es);
    for (int d = r - 1; d >= 0; d--) {
      if (++idx[d] < dims[d]) break;
      idx[d] = 0;
    }
  }
  return INGOT_OK;
}

/* ---- Pad ------------------------------------------------------------------------ */

enum { PAD_CONSTANT, PAD_REFLECT, PAD_EDGE, PAD_WRAP };

/* Maps position i (relative to the kept, possibly cropped, range of n
 * elements) to [0, n) per numpy.pad's modes, or -1 for a constant. */
static int64_t pad_map(int64_t i, int64_t n, int mode) {
  if (i >= 0 && i < n) return i;
  switch (mode) {
    case PAD_EDGE: return i < 0 ? 0 : n - 1;
    case PAD_WRAP: return ((i % n) + n) % n;
    case PAD_REFLECT: {
      if (n == 1) return 0;
      int64_t p = 2 * (n - 1); /* reflection without repeating the edge has period 2(n-1) */
      int64_t m = ((i % p) + p) % p;
      return m < n ? m : p - m;
    }
    default: return -1;
  }
}

/* Pad-13/18/19: pads = [begin_0.., end_0..] for every axis (or for 'axes',
 * opset 18).  Negative pads crop first; the mode then pads the cropped range
 * (reflect/edge/wrap as numpy.pad, which the ONNX reference uses). */
ingot_status_t ingot_kernel_PAD(const ingot_kctx_t *k, const ingot_tensor_t *const *in, uint32_t nin,
                                ingot_tensor_t *out, uint32_t nout) {
  const ingot_tensor_t *x = opt_in(in, nin, 0), *tp = opt_in(in, nin, 1), *tc = opt_in(in, nin, 2),
                       *ta = opt_in(in, nin, 3);
  if (!x || !tp) return ingot_kerr(k, INGOT_CODE_INPUT, "Pad needs 'data' and 'pads'");
  int r = x->rank;
  const char *ms = ingot_node_attr_s(k->n, "mode", "constant");
  int mode;
  if (!strcmp(ms, "constant")) mode = PAD_CONSTANT;
  else if (!strcmp(ms, "reflect")) mode = PAD_REFLECT;
  else if (!strcmp(ms, "edge")) mode = PAD_EDGE;
  else if (!strcmp(ms, "wrap")) mode = PAD_WRAP;
  else return ingot_kerr(k, INGOT_CODE_INPUT, "Pad mode '%s' is not constant/reflect/edge/wrap", ms);
  if (mode == PAD_WRAP && opset_of(k) < 19)
    return ingot_kerr(k, INGOT_CODE_INPUT, "Pad mode 'wrap' needs opset 19 (model has %lld)", (long long)opset_of(k));
  int64_t axes[INGOT_MAX_RANK], na, raw[2 * INGOT_MAX_RANK], np;
  if (ta) {
    INGOT_RETURN_IF_ERROR(read_ints(k, ta, "axes", axes, r, &na));
  } else {
    na = r;
    for (int d = 0; d < r; d++) axes[d] = d;
  }
  INGOT_RETURN_IF_ERROR(read_ints(k, tp, "pads", raw, 2 * INGOT_MAX_RANK, &np));
  if (np != 2 * na)
    return ingot_kerr(k, INGOT_CODE_INPUT, "pads has %lld entries, expected %lld", (long long)np, (long long)(2 * na));
  int64_t pb[INGOT_MAX_RANK] = {0}, pe[INGOT_MAX_RANK] = {0};
  bool seen[INGOT_MAX_RANK] = {false};
  for (int64_t i = 0; i < na; i++) {
    int a = 0;
    INGOT_RETURN_IF_ERROR(norm_axis(k, axes[i], r, "axes entry", &a));
    if (seen[a]) return ingot_kerr(k, INGOT_CODE_INPUT, "axis %lld repeated", (long long)axes[i]);
    seen[a] = true;
    pb[a] = raw[i];
    pe[a] = raw[na + i];
  }
  const void *cval = NULL;
  if (tc && ingot_tensor_numel(tc) > 0) {
    if (tc->dtype != x->dtype)
      return ingot_kerr(k, INGOT_CODE_INPUT, "constant_value has dtype %s, data %s", ingot_dtype_name(tc->dtype),
                        ingot_dtype_name(x->dtype));
    if (ingot_tensor_numel(tc) != 1) return ingot_kerr(k, INGOT_CODE_INPUT, "constant_value must be a scalar");
    cval = tc->data;
  }
  /* kept range per axis after cropping: [lo, lo + keep) */
  int64_t lo[INGOT_MAX_RANK], keep[INGOT_MAX_RANK], front[INGOT_MAX_RANK], dims[INGOT_MAX_RANK];
  const int64_t big = (int64_t)1 << 60; /* pads beyond this cannot give an allocatable tensor */
  for (int d = 0; d < r; d++) {
    if (pb[d] > big || pe[d] > big || pb[d] < -big || pe[d] < -big)
      return ingot_kerr(k, INGOT_CODE_INPUT, "pads for axis %d are out of range", d);
    int64_t cb = pb[d] < 0 ? -pb[d] : 0, ce = pe[d] < 0 ? -pe[d] : 0;
    if (cb + ce > x->dims[d])
      return ingot_kerr(k, INGOT_CODE_INPUT, "negative pads remove %lld elements from axis %d of size %lld",
                        (long long)(cb + ce), d, (long long)x->dims[d]);
    lo[d] = cb;
    keep[d] = x->dims[d] - cb - ce;
    front[d] = pb[d] > 0 ? pb[d] : 0;
    dims[d] = keep[d] + front[d] + (pe[d] > 0 ? pe[d] : 0);
    if (dims[d] > keep[d] && keep[d] == 0 && mode != PAD_CONSTANT)
      return ingot_kerr(k, INGOT_CODE_INPUT, "Pad mode '%s' cannot pad axis %d: it has no elements", ms, d);
  }
  INGOT_RETURN_IF_ERROR(kalloc(k, &out[0], x->dtype, r, dims));
  size_t es = ingot_dtype_size(x->dtype);
  int64_t xs[INGOT_MAX_RANK], idx[INGOT_MAX_RANK] = {0};
  c_strides(r, x->dims, xs);
  int64_t total = ingot_tensor_numel(&out[0]);
  for (int64_t o = 0; o < total; o++) {
    int64_t off = 0;
    bool outside = false;
    for (int d = 0; d < r && !outside; d++) {
      int64_t m = pad_map(idx[d] - front[d], keep[d], mode);
      if (m < 0) outside = true;
      else off += (lo[d] + m) * xs[d];
    }
    char *dst = (char *)out[0].data + (size_t)o * es;
    if (!outside) memcpy(dst, (const char *)x->data + (size_t)off * es, es);
    else if (cval) memcpy(dst, cval, es); /* else stays zero: the default constant */
    for (int d = r - 1; d >= 0; d--) {
      if (++idx[d] < dims[d]) break;
      idx[d] = 0;
    }
  }
  return INGOT_OK;
}

/* ---- Trilu ---------------------------------------------------------------------- */

ingot_status_t ingot_kernel_TRILU(const ingot_kctx_t *k, const ingot_tensor_t *const *in, uint32_t nin,
                                  ingot_tensor_t *out, uint32_t nout) {
  const ingot_tensor_t *x = opt_in(in, nin, 0), *tk = opt_in(in, nin, 1);
  if (!x) return ingot_kerr(k, INGOT_CODE_INPUT, "Trilu needs an input");
  int r = x->rank;
  if (r < 2) return ingot_kerr(k, INGOT_CODE_INPUT, "Trilu needs rank >= 2 (got %d)", r);
  int64_t diag = 0;
  if (tk) {
    if (!is_index_dtype(tk->dtype) || ingot_tensor_numel(tk) != 1)
      return ingot_kerr(k, INGOT_CODE_INPUT, "Trilu 'k' must be an int64 scalar");
    diag = ingot_tensor_get_i64(tk, 0);
  }
  bool upper = ingot_node_attr_i(k->n, "upper", 1) != 0;
  INGOT_RETURN_IF_ERROR(kalloc(k, &out[0], x->dtype, r, x->dims));
  size_t es = ingot_dtype_size(x->dtype);
  int64_t rows = x->dims[r - 2], cols = x->dims[r - 1], mats = prod(x->dims, 0, r - 2);
  for (int64_t b = 0; b < mats; b++)
    for (int64_t i = 0; i < rows; i++)
      for (int64_t j = 0; j < cols; j++) {
        int64_t rel = j - i; /* both < 2^62: no overflow */
        if (upper ? rel >= diag : rel <= diag) {
          size_t off = (size_t)((b * rows + i) * cols + j) * es;
          memcpy((char *)out[0].data + off, (const char *)x->data + off, es);
        }
      }
  return INGOT_OK;
}
