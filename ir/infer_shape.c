/* Inference rules for data movement and shape arithmetic: the ops torch's
 * exporter strings together to compute shapes at run time (Shape -> Gather
 * -> Unsqueeze -> Concat -> Reshape).  Each rule also carries the contents
 * of small int tensors (symval) through, so the consuming Reshape, Slice or
 * Expand sees concrete sizes or symbols instead of an unknown tensor. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "infer_impl.h"

/* Dims that stand for "to the end" in Slice (torch writes INT64_MAX). */
#define HUGE_INDEX ((int64_t)1 << 40)

static bool is_int_dtype(int dt) { return dt == INGOT_DT_INT64 || dt == INGOT_DT_INT32; }

/* "[2,-1,batch]" for shape-tensor contents, in messages. */
static const char *vals_str(const ix_t *c, const ingot_dim_t *v, int n, char *buf) {
  size_t o = (size_t)snprintf(buf, IX_BUF, "[");
  for (int i = 0; i < n && o < IX_BUF; i++) {
    if (v[i].sym) o += (size_t)snprintf(buf + o, IX_BUF - o, "%s%s", i ? "," : "", ingot_graph_sym_name(c->g, v[i].sym));
    else o += (size_t)snprintf(buf + o, IX_BUF - o, "%s%" PRId64, i ? "," : "", v[i].v);
  }
  if (o < IX_BUF) snprintf(buf + o, IX_BUF - o, "]");
  return buf;
}

/* Input i must be a 1-D tensor; *len gets its length (-1 when symbolic). */
static ingot_status_t need_1d(const ix_t *c, uint32_t i, const char *what, int64_t *len) {
  const ingot_type_t *t = ix_in(c, i);
  *len = -1;
  if (!t) return INGOT_OK;
  char b[IX_BUF];
  if (t->rank != 1) return ix_err(c, INGOT_CODE_INPUT, "%s %s must be 1-D, got %s", c->op, what, ix_str(c, t, b));
  if (!t->dims[0].sym) *len = t->dims[0].v;
  return INGOT_OK;
}

/* Normalises n axes against rank, rejecting repeats. */
static ingot_status_t norm_axes(const ix_t *c, const int64_t *ax, int n, int rank, int *out) {
  bool seen[INGOT_MAX_RANK] = {false};
  for (int i = 0; i < n; i++) {
    INGOT_RETURN_IF_ERROR(ix_axis(c, "axis", ax[i], rank, &out[i]));
    if (seen[out[i]]) return ix_err(c, INGOT_CODE_INPUT, "%s axis %" PRId64 " is repeated", c->op, ax[i]);
    seen[out[i]] = true;
  }
  return INGOT_OK;
}

/* Known int contents of input i that must fit max entries. */
static bool ints_upto(const ix_t *c, uint32_t i, int64_t *out, int *n, int max) {
  return ix_ints(c, i, out, n) && *n <= max;
}

/* Copies the known contents of input 0 to output 0 (Identity-like ops). */
static ingot_status_t pass_vals(const ix_t *c) {
  ingot_dim_t v[IX_MAXV];
  int n;
  if (ix_vals(c, 0, v, &n)) return ix_set_vals(c, 0, v, n);
  return INGOT_OK;
}

/* ---- Reshape ------------------------------------------------------------------------ */

ingot_status_t ix_reshape(ix_t *c) {
  INGOT_RETURN_IF_ERROR(ix_i64_input(c, 1, "shape"));
  const ingot_type_t *x = ix_in(c, 0);
  int64_t len;
  INGOT_RETURN_IF_ERROR(need_1d(c, 1, "shape", &len));
  bool allowzero = ingot_node_attr_i(c->n, "allowzero", 0) != 0;
  ingot_type_t y = ix_type(x->dtype, 0);
  ingot_dim_t v[IX_MAXV];
  int n;
  if (!ix_vals(c, 1, v, &n)) {
    if (len > INGOT_MAX_RANK)
      return ix_err(c, INGOT_CODE_UNSUPPORTED, "Reshape to rank %" PRId64 " (at most %d supported)", len, INGOT_MAX_RANK);
    y.rank = (int)len;
    INGOT_RETURN_IF_ERROR(ix_fresh_dims(c, &y));
    return ix_set(c, 0, &y);
  }
  if (n > INGOT_MAX_RANK)
    return ix_err(c, INGOT_CODE_UNSUPPORTED, "Reshape to rank %d (at most %d supported)", n, INGOT_MAX_RANK);
  char b1[IX_BUF], b2[IX_BUF];
  int neg = -1;
  bool zero = false;
  for (int k = 0; k < n; k++) {
    y.dims[k] = v[k];
    if (v[k].sym) continue;
    if (v[k].v == -1) {
      if (neg >= 0)
        return ix_err(c, INGOT_CODE_INPUT, "Reshape shape %s has more than one -1", vals_str(c, v, n, b1));
      neg = k;
    } else if (v[k].v < -1) {
      return ix_err(c, INGOT_CODE_INPUT, "Reshape shape %s has invalid entry %" PRId64, vals_str(c, v, n, b1), v[k].v);
    } else if (v[k].v == 0 && !allowzero) {
      if (k >= x->rank)
        return ix_err(c, INGOT_CODE_INPUT, "Reshape shape %s copies dim %d (0) from input %s, which has no such dim",
                      vals_str(c, v, n, b1), k, ix_str(c, x, b2));
      y.dims[k] = x->dims[k];
    } else if (v[k].v == 0) {
      zero = true;
    }
  }
  if (zero && neg >= 0)
    return ix_err(c, INGOT_CODE_INPUT, "Reshape shape %s has both 0 and -1 with allowzero=1", vals_str(c, v, n, b1));
  y.rank = n;
  ingot_dim_t known[INGOT_MAX_RANK];
  int nk = 0;
  for (int k = 0; k < n; k++)
    if (k != neg) known[nk++] = y.dims[k];
  ix_mono_t in, out, q;
  bool ok = ix_mono_of(x->dims, x->rank, &in) && ix_mono_of(known, nk, &out);
  bool concrete = ok && in.n == 0 && out.n == 0;
  if (neg >= 0) {
    if (concrete && (out.c == 0 || in.c % out.c))
      return ix_err(c, INGOT_CODE_INPUT, "Reshape cannot reshape %" PRId64 " elements %s into %s", in.c,
                    ix_str(c, x, b2), vals_str(c, v, n, b1));
    if (ok && ix_mono_div(&in, &out, &q)) INGOT_RETURN_IF_ERROR(ix_mono_dim(c, &q, &y.dims[neg]));
    else INGOT_RETURN_IF_ERROR(ix_fresh(c, &y.dims[neg]));
  } else if (concrete && in.c != out.c) {
    return ix_err(c, INGOT_CODE_INPUT, "Reshape cannot reshape %" PRId64 " elements %s into %s", in.c,
                  ix_str(c, x, b2), vals_str(c, v, n, b1));
  }
  INGOT_RETURN_IF_ERROR(ix_set(c, 0, &y));
  return pass_vals(c);
}

/* ---- Transpose, Concat, Split ---------------------------------------------------------- */

ingot_status_t ix_transpose(ix_t *c) {
  const ingot_type_t *x = ix_in(c, 0);
  const int64_t *perm;
  int64_t np = ingot_node_attr_ints(c->n, "perm", &perm);
  ingot_type_t y = *x;
  if (np < 0) {
    for (int i = 0; i < x->rank; i++) y.dims[i] = x->dims[x->rank - 1 - i];
    return ix_set(c, 0, &y);
  }
  char b[IX_BUF];
  if (np != x->rank)
    return ix_err(c, INGOT_CODE_INPUT, "Transpose perm has %" PRId64 " entries for input %s", np, ix_str(c, x, b));
  bool seen[INGOT_MAX_RANK] = {false};
  for (int i = 0; i < x->rank; i++) {
    if (perm[i] < 0 || perm[i] >= x->rank || seen[perm[i]])
      return ix_err(c, INGOT_CODE_INPUT, "Transpose perm is not a permutation of 0..%d (entry %d is %" PRId64 ")",
                    x->rank - 1, i, perm[i]);
    seen[perm[i]] = true;
    y.dims[i] = x->dims[perm[i]];
  }
  return ix_set(c, 0, &y);
}

/* Concat: ranks equal, dims equal off the axis, summed on it. */
ingot_status_t ix_concat(ix_t *c) {
  const ingot_type_t *x0 = ix_in(c, 0);
  int axis;
  INGOT_RETURN_IF_ERROR(ix_axis(c, "axis", ingot_node_attr_i(c->n, "axis", 0), x0->rank, &axis));
  ingot_type_t y = *x0;
  char b1[IX_BUF], b2[IX_BUF];
  for (uint32_t i = 1; i < c->n->ninputs; i++) {
    INGOT_RETURN_IF_ERROR(ix_same_dtype(c, 0, i));
    const ingot_type_t *x = ix_in(c, i);
    if (x->rank != x0->rank)
      return ix_err(c, INGOT_CODE_INPUT, "Concat inputs differ in rank: %s (input 0) vs %s (input %u)",
                    ix_str(c, x0, b1), ix_str(c, x, b2), i);
    for (int d = 0; d < x->rank; d++) {
      ingot_dim_t a = y.dims[d], e = x->dims[d];
      if (d == axis) {
        INGOT_RETURN_IF_ERROR(ix_arith(c, '+', a, e, &y.dims[d]));
      } else if (!a.sym && !e.sym && a.v != e.v) {
        return ix_err(c, INGOT_CODE_INPUT, "Concat inputs differ on axis %d: %s (input 0) vs %s (input %u)", d,
                      ix_str(c, x0, b1), ix_str(c, x, b2), i);
      } else if (a.sym && !e.sym) {
        y.dims[d] = e; /* they must be equal at run time */
      }
    }
  }
  INGOT_RETURN_IF_ERROR(ix_set(c, 0, &y));
  if (y.rank != 1) return INGOT_OK;
  ingot_dim_t all[IX_MAXV], v[IX_MAXV];
  int total = 0, n;
  for (uint32_t i = 0; i < c->n->ninputs; i++) {
    if (!ix_vals(c, i, v, &n) || total + n > IX_MAXV) return INGOT_OK;
    memcpy(all + total, v, (size_t)n * sizeof *v);
    total += n;
  }
  return ix_set_vals(c, 0, all, total);
}

/* Split: sizes from input 'split' (opset 13), or num_outputs (opset 18: the
 * last chunk may be smaller), or equal parts. */
ingot_status_t ix_split(ix_t *c) {
  const ingot_type_t *x = ix_in(c, 0);
  int axis;
  INGOT_RETURN_IF_ERROR(ix_axis(c, "axis", ingot_node_attr_i(c->n, "axis", 0), x->rank, &axis));
  uint32_t nout = c->n->noutputs;
  ingot_dim_t d = x->dims[axis];
  ingot_dim_t part[IX_MAXV];
  if (nout > IX_MAXV) return ix_err(c, INGOT_CODE_UNSUPPORTED, "Split into %u outputs (at most %d)", nout, IX_MAXV);
  const ingot_attr_t *numo = ingot_node_attr(c->n, "num_outputs");
  char b[IX_BUF];
  if (ix_inv(c, 1) >= 0) {
    INGOT_RETURN_IF_ERROR(ix_i64_input(c, 1, "split"));
    if (numo) return ix_err(c, INGOT_CODE_INPUT, "Split has both a 'split' input and num_outputs");
    int64_t s[IX_MAXV];
    int n;
    if (!ix_ints(c, 1, s, &n)) {
      for (uint32_t o = 0; o < nout; o++) INGOT_RETURN_IF_ERROR(ix_fresh(c, &part[o]));
    } else {
      if ((uint32_t)n != nout)
        return ix_err(c, INGOT_CODE_INPUT, "Split has %d sizes for %u outputs", n, nout);
      int64_t sum = 0;
      for (int k = 0; k < n; k++) {
        if (s[k] < 0 || s[k] > INGOT_INFER_MAX_ELEMENTS)
          return ix_err(c, INGOT_CODE_INPUT, "Split size %d is %" PRId64, k, s[k]);
        sum += s[k];
        part[k] = ingot_dim_const(s[k]);
      }
      if (!d.sym && sum != d.v)
        return ix_err(c, INGOT_CODE_INPUT, "Split sizes sum to %" PRId64 " but axis %d of %s has size %" PRId64, sum,
                      axis, ix_str(c, x, b), d.v);
    }
  } else if (numo) {
    int64_t k = numo->i;
    if (k != (int64_t)nout)
      return ix_err(c, INGOT_CODE_INPUT, "Split num_outputs is %" PRId64 " but the node has %u outputs", k, nout);
    if (d.sym) {
      for (uint32_t o = 0; o < nout; o++) INGOT_RETURN_IF_ERROR(ix_fresh(c, &part[o]));
    } else {
      int64_t chunk = d.v / k + (d.v % k != 0), last = d.v - chunk * (k - 1);
      if (last < 0)
        return ix_err(c, INGOT_CODE_INPUT, "Split cannot cut axis %d of size %" PRId64 " into %" PRId64 " chunks", axis,
                      d.v, k);
      for (uint32_t o = 0; o < nout; o++) part[o] = ingot_dim_const(o + 1 == nout ? last : chunk);
    }
  } else {
    if (!d.sym && d.v % nout)
      return ix_err(c, INGOT_CODE_INPUT, "Split cannot cut axis %d of %s into %u equal parts", axis, ix_str(c, x, b),
                    nout);
    ingot_dim_t p;
    INGOT_RETURN_IF_ERROR(ix_arith(c, '/', d, ingot_dim_const(nout), &p));
    for (uint32_t o = 0; o < nout; o++) part[o] = p;
  }
  ingot_dim_t v[IX_MAXV];
  int nv;
  bool vals = x->rank == 1 && ix_vals(c, 0, v, &nv);
  int64_t off = 0;
  for (uint32_t o = 0; o < nout; o++) {
    ingot_type_t y = *x;
    y.dims[axis] = part[o];
    INGOT_RETURN_IF_ERROR(ix_set(c, o, &y));
    if (vals && !part[o].sym && off + part[o].v <= nv) {
      INGOT_RETURN_IF_ERROR(ix_set_vals(c, o, v + off, (int)part[o].v));
      off += part[o].v;
    } else {
      vals = false;
    }
  }
  return INGOT_OK;
}

/* ---- Slice ---------------------------------------------------------------------------- */

/* Elements of [start, end) by step on an axis of size d (ONNX Slice-13
 * clamping: starts to [0,d] / [0,d-1], ends to [0,d] / [-1,d-1]). */
static int64_t slice_len(int64_t start, int64_t end, int64_t step, int64_t d, int64_t *first) {
  if (start < 0) start += d;
  if (end < 0) end += d;
  if (step == INT64_MIN) step = -INT64_MAX;
  if (step > 0) {
    start = start < 0 ? 0 : start > d ? d : start;
    end = end < 0 ? 0 : end > d ? d : end;
    *first = start;
    return end > start ? (end - start - 1) / step + 1 : 0;
  }
  *first = 0;
  if (d == 0) return 0;
  start = start < 0 ? 0 : start > d - 1 ? d - 1 : start;
  end = end < -1 ? -1 : end > d - 1 ? d - 1 : end;
  *first = start;
  return start > end ? (start - end - 1) / -step + 1 : 0;
}

ingot_status_t ix_slice(ix_t *c) {
  for (uint32_t i = 1; i < 5; i++) {
    static const char *names[] = {"", "starts", "ends", "axes", "steps"};
    INGOT_RETURN_IF_ERROR(ix_int_input(c, i, names[i]));
    int64_t len;
    INGOT_RETURN_IF_ERROR(need_1d(c, i, names[i], &len));
  }
  const ingot_type_t *x = ix_in(c, 0);
  ingot_type_t y = *x;
  int64_t st[IX_MAXV], en[IX_MAXV], ax[IX_MAXV], sp[IX_MAXV];
  int nst, nen, nax, nsp;
  bool have_axes = ix_inv(c, 3) >= 0, have_steps = ix_inv(c, 4) >= 0;
  bool axes_known = !have_axes || ints_upto(c, 3, ax, &nax, INGOT_MAX_RANK);
  if (!ints_upto(c, 1, st, &nst, INGOT_MAX_RANK) || !ints_upto(c, 2, en, &nen, INGOT_MAX_RANK) ||
      (have_steps && !ints_upto(c, 4, sp, &nsp, INGOT_MAX_RANK)) || !axes_known) {
    int axn[INGOT_MAX_RANK];
    if (axes_known && have_axes) {
      INGOT_RETURN_IF_ERROR(norm_axes(c, ax, nax, x->rank, axn));
      for (int i = 0; i < nax; i++) INGOT_RETURN_IF_ERROR(ix_fresh(c, &y.dims[axn[i]]));
    } else {
      INGOT_RETURN_IF_ERROR(ix_fresh_dims(c, &y));
    }
    return ix_set(c, 0, &y);
  }
  if (nst != nen) return ix_err(c, INGOT_CODE_INPUT, "Slice has %d starts but %d ends", nst, nen);
  if (!have_axes) {
    nax = nst;
    for (int i = 0; i < nax; i++) ax[i] = i;
  }
  if (!have_steps) {
    nsp = nst;
    for (int i = 0; i < nsp; i++) sp[i] = 1;
  }
  if (nax != nst || nsp != nst)
    return ix_err(c, INGOT_CODE_INPUT, "Slice has %d starts, %d axes and %d steps", nst, nax, nsp);
  int axn[INGOT_MAX_RANK];
  INGOT_RETURN_IF_ERROR(norm_axes(c, ax, nax, x->rank, axn));
  int64_t first0 = 0;
  for (int i = 0; i < nst; i++) {
    if (sp[i] == 0) return ix_err(c, INGOT_CODE_INPUT, "Slice step for axis %" PRId64 " is 0", ax[i]);
    ingot_dim_t d = x->dims[axn[i]];
    if (!d.sym) {
      int64_t first;
      y.dims[axn[i]] = ingot_dim_const(slice_len(st[i], en[i], sp[i], d.v, &first));
      if (axn[i] == 0) first0 = first;
      continue;
    }
    /* symbolic size: only the whole axis (torch's x[0:], x[::-1]) is knowable */
    bool whole = (sp[i] == 1 && st[i] == 0 && en[i] >= HUGE_INDEX) ||
                 (sp[i] == -1 && (st[i] == -1 || st[i] >= HUGE_INDEX) && en[i] <= -HUGE_INDEX);
    if (!whole) INGOT_RETURN_IF_ERROR(ix_fresh(c, &y.dims[axn[i]]));
  }
  INGOT_RETURN_IF_ERROR(ix_set(c, 0, &y));
  /* contents of a sliced shape tensor */
  ingot_dim_t v[IX_MAXV], r[IX_MAXV];
  int n;
  if (x->rank != 1 || y.dims[0].sym || !ix_vals(c, 0, v, &n)) return INGOT_OK;
  int64_t step = 1;
  for (int i = 0; i < nst; i++)
    if (axn[i] == 0) step = sp[i];
  for (int64_t k = 0; k < y.dims[0].v; k++) {
    int64_t idx = first0 + k * step;
    if (idx < 0 || idx >= n) return INGOT_OK;
    r[k] = v[idx];
  }
  return ix_set_vals(c, 0, r, (int)y.dims[0].v);
}

/* ---- Gather family ------------------------------------------------------------------------ */

ingot_status_t ix_gather(ix_t *c) {
  INGOT_RETURN_IF_ERROR(ix_int_input(c, 1, "indices"));
  const ingot_type_t *x = ix_in(c, 0), *ind = ix_in(c, 1);
  char b[IX_BUF];
  if (x->rank < 1) return ix_err(c, INGOT_CODE_INPUT, "Gather data must have rank >= 1, got %s", ix_str(c, x, b));
  int axis;
  INGOT_RETURN_IF_ERROR(ix_axis(c, "axis", ingot_node_attr_i(c->n, "axis", 0), x->rank, &axis));
  if (x->rank - 1 + ind->rank > INGOT_MAX_RANK)
    return ix_err(c, INGOT_CODE_UNSUPPORTED, "Gather output would have rank %d (at most %d supported)",
                  x->rank - 1 + ind->rank, INGOT_MAX_RANK);
  ingot_type_t y = ix_type(x->dtype, 0);
  for (int i = 0; i < axis; i++) y.dims[y.rank++] = x->dims[i];
  for (int i = 0; i < ind->rank; i++) y.dims[y.rank++] = ind->dims[i];
  for (int i = axis + 1; i < x->rank; i++) y.dims[y.rank++] = x->dims[i];
  int64_t idx[IX_MAXV];
  int ni;
  bool known = ix_ints(c, 1, idx, &ni);
  ingot_dim_t d = x->dims[axis];
  if (known && !d.sym)
    for (int k = 0; k < ni; k++)
      if (idx[k] < -d.v || idx[k] >= d.v)
        return ix_err(c, INGOT_CODE_INPUT, "Gather index %" PRId64 " is out of range for axis %d of %s", idx[k], axis,
                      ix_str(c, x, b));
  INGOT_RETURN_IF_ERROR(ix_set(c, 0, &y));
  ingot_dim_t v[IX_MAXV], r[IX_MAXV];
  int n;
  if (!known || x->rank != 1 || ind->rank > 1 || !ix_vals(c, 0, v, &n)) return INGOT_OK;
  for (int k = 0; k < ni; k++) {
    int64_t i = idx[k] < 0 ? idx[k] + n : idx[k];
    if (i < 0 || i >= n) return INGOT_OK;
    r[k] = v[i];
  }
  return ix_set_vals(c, 0, r, ni);
}

ingot_status_t ix_gather_elements(ix_t *c) {
  INGOT_RETURN_IF_ERROR(ix_int_input(c, 1, "indices"));
  const ingot_type_t *x = ix_in(c, 0), *ind = ix_in(c, 1);
  char b1[IX_BUF], b2[IX_BUF];
  if (x->rank < 1 || ind->rank != x->rank)
    return ix_err(c, INGOT_CODE_INPUT, "GatherElements needs data and indices of the same rank >= 1: %s and %s",
                  ix_str(c, x, b1), ix_str(c, ind, b2));
  int axis;
  INGOT_RETURN_IF_ERROR(ix_axis(c, "axis", ingot_node_attr_i(c->n, "axis", 0), x->rank, &axis));
  ingot_type_t y = *ind;
  y.dtype = x->dtype;
  return ix_set(c, 0, &y);
}

/* ScatterND(data[r], indices[q], updates): updates has rank q - 1 + r - k
 * where k = indices.shape[-1] <= r; the output is data's type. */
ingot_status_t ix_scatter_nd(ix_t *c) {
  static const int i64[] = {INGOT_DT_INT64, 0};
  INGOT_RETURN_IF_ERROR(ix_dtype_in(c, 1, "indices", i64));
  INGOT_RETURN_IF_ERROR(ix_same_dtype(c, 0, 2));
  const ingot_type_t *x = ix_in(c, 0), *ind = ix_in(c, 1), *upd = ix_in(c, 2);
  char b1[IX_BUF], b2[IX_BUF];
  if (x->rank < 1 || ind->rank < 1)
    return ix_err(c, INGOT_CODE_INPUT, "ScatterND needs data and indices of rank >= 1: %s and %s", ix_str(c, x, b1),
                  ix_str(c, ind, b2));
  ingot_dim_t k = ind->dims[ind->rank - 1];
  if (!k.sym) {
    if (k.v > x->rank)
      return ix_err(c, INGOT_CODE_INPUT, "ScatterND indices %s index %" PRId64 " axes of data %s", ix_str(c, ind, b1),
                    k.v, ix_str(c, x, b2));
    if (upd->rank != ind->rank - 1 + x->rank - k.v)
      return ix_err(c, INGOT_CODE_INPUT, "ScatterND updates %s should have rank %" PRId64, ix_str(c, upd, b1),
                    ind->rank - 1 + x->rank - k.v);
  }
  return ix_same(c, 0, 0);
}

/* ---- (Un)Squeeze, Flatten -------------------------------------------------------------------- */

ingot_status_t ix_unsqueeze(ix_t *c) {
  INGOT_RETURN_IF_ERROR(ix_i64_input(c, 1, "axes"));
  const ingot_type_t *x = ix_in(c, 0);
  int64_t len;
  INGOT_RETURN_IF_ERROR(need_1d(c, 1, "axes", &len));
  int64_t ax[IX_MAXV];
  int n;
  ingot_type_t y = ix_type(x->dtype, -1);
  if (!ix_ints(c, 1, ax, &n)) {
    if (len >= 0 && x->rank + len <= INGOT_MAX_RANK) {
      y.rank = x->rank + (int)len;
      INGOT_RETURN_IF_ERROR(ix_fresh_dims(c, &y));
    }
    return ix_set(c, 0, &y);
  }
  if (x->rank + n > INGOT_MAX_RANK)
    return ix_err(c, INGOT_CODE_UNSUPPORTED, "Unsqueeze output would have rank %d (at most %d)", x->rank + n,
                  INGOT_MAX_RANK);
  y.rank = x->rank + n;
  int axn[INGOT_MAX_RANK];
  INGOT_RETURN_IF_ERROR(norm_axes(c, ax, n, y.rank, axn));
  bool ins[INGOT_MAX_RANK] = {false};
  for (int i = 0; i < n; i++) ins[axn[i]] = true;
  for (int i = 0, k = 0; i < y.rank; i++) y.dims[i] = ins[i] ? ingot_dim_const(1) : x->dims[k++];
  INGOT_RETURN_IF_ERROR(ix_set(c, 0, &y));
  return pass_vals(c);
}

ingot_status_t ix_squeeze(ix_t *c) {
  const ingot_type_t *x = ix_in(c, 0);
  ingot_type_t y = ix_type(x->dtype, -1);
  bool drop[INGOT_MAX_RANK] = {false};
  if (ix_inv(c, 1) >= 0) {
    INGOT_RETURN_IF_ERROR(ix_i64_input(c, 1, "axes"));
    int64_t len;
    INGOT_RETURN_IF_ERROR(need_1d(c, 1, "axes", &len));
    int64_t ax[IX_MAXV];
    int n, axn[INGOT_MAX_RANK];
    if (!ints_upto(c, 1, ax, &n, INGOT_MAX_RANK)) return ix_set(c, 0, &y);
    INGOT_RETURN_IF_ERROR(norm_axes(c, ax, n, x->rank, axn));
    for (int i = 0; i < n; i++) {
      ingot_dim_t d = x->dims[axn[i]];
      char b[IX_BUF];
      if (!d.sym && d.v != 1)
        return ix_err(c, INGOT_CODE_INPUT, "Squeeze axis %" PRId64 " of %s has size %" PRId64 ", not 1", ax[i],
                      ix_str(c, x, b), d.v);
      drop[axn[i]] = true;
    }
  } else {
    for (int i = 0; i < x->rank; i++) {
      if (x->dims[i].sym) return ix_set(c, 0, &y); /* might be 1: the rank is unknowable */
      drop[i] = x->dims[i].v == 1;
    }
  }
  y.rank = 0;
  for (int i = 0; i < x->rank; i++)
    if (!drop[i]) y.dims[y.rank++] = x->dims[i];
  INGOT_RETURN_IF_ERROR(ix_set(c, 0, &y));
  return pass_vals(c);
}

/* Flatten: [prod(d[:axis]), prod(d[axis:])], axis in [-r, r]. */
ingot_status_t ix_flatten(ix_t *c) {
  const ingot_type_t *x = ix_in(c, 0);
  int64_t axis = ingot_node_attr_i(c->n, "axis", 1);
  if (axis < -(int64_t)x->rank || axis > x->rank)
    return ix_err(c, INGOT_CODE_INPUT, "Flatten axis %" PRId64 " is out of range for rank %d (allowed %d..%d)", axis,
                  x->rank, -x->rank, x->rank);
  if (axis < 0) axis += x->rank;
  ingot_type_t y = ix_type(x->dtype, 2);
  INGOT_RETURN_IF_ERROR(ix_product(c, x->dims, (int)axis, &y.dims[0]));
  INGOT_RETURN_IF_ERROR(ix_product(c, x->dims + axis, x->rank - (int)axis, &y.dims[1]));
  return ix_set(c, 0, &y);
}

/* ---- Expand, Tile, Pad ------------------------------------------------------------------------- */

/* Expand: bidirectional broadcast of the input with the shape input. */
ingot_status_t ix_expand(ix_t *c) {
  INGOT_RETURN_IF_ERROR(ix_i64_input(c, 1, "shape"));
  const ingot_type_t *x = ix_in(c, 0);
  int64_t len;
  INGOT_RETURN_IF_ERROR(need_1d(c, 1, "shape", &len));
  ingot_dim_t v[IX_MAXV];
  int n;
  ingot_type_t y = ix_type(x->dtype, -1);
  if (!ix_vals(c, 1, v, &n)) {
    if (len >= 0 && len <= INGOT_MAX_RANK) {
      y.rank = x->rank > len ? x->rank : (int)len;
      INGOT_RETURN_IF_ERROR(ix_fresh_dims(c, &y));
    }
    return ix_set(c, 0, &y);
  }
  if (n > INGOT_MAX_RANK)
    return ix_err(c, INGOT_CODE_UNSUPPORTED, "Expand to rank %d (at most %d supported)", n, INGOT_MAX_RANK);
  ingot_type_t s = ix_type(x->dtype, n);
  char b[IX_BUF];
  for (int i = 0; i < n; i++) {
    if (!v[i].sym && v[i].v < 0)
      return ix_err(c, INGOT_CODE_INPUT, "Expand shape %s has negative entry %" PRId64, vals_str(c, v, n, b), v[i].v);
    s.dims[i] = v[i];
  }
  const ingot_type_t *pair[2] = {x, &s};
  INGOT_RETURN_IF_ERROR(ix_bcast(c, pair, 2, &y));
  y.dtype = x->dtype;
  INGOT_RETURN_IF_ERROR(ix_set(c, 0, &y));
  /* a scalar shape value spread over a short vector */
  ingot_dim_t xv[IX_MAXV], r[IX_MAXV];
  int nx;
  if (y.rank == 1 && !y.dims[0].sym && y.dims[0].v <= IX_MAXV && ix_vals(c, 0, xv, &nx) && nx == 1) {
    for (int64_t k = 0; k < y.dims[0].v; k++) r[k] = xv[0];
    return ix_set_vals(c, 0, r, (int)y.dims[0].v);
  }
  return INGOT_OK;
}

ingot_status_t ix_tile(ix_t *c) {
  INGOT_RETURN_IF_ERROR(ix_i64_input(c, 1, "repeats"));
  const ingot_type_t *x = ix_in(c, 0);
  int64_t len;
  INGOT_RETURN_IF_ERROR(need_1d(c, 1, "repeats", &len));
  char b[IX_BUF];
  if (len >= 0 && len != x->rank)
    return ix_err(c, INGOT_CODE_INPUT, "Tile has %" PRId64 " repeats for input %s", len, ix_str(c, x, b));
  ingot_type_t y = *x;
  int64_t r[IX_MAXV];
  int n;
  if (!ints_upto(c, 1, r, &n, INGOT_MAX_RANK) || n != x->rank) {
    INGOT_RETURN_IF_ERROR(ix_fresh_dims(c, &y));
    return ix_set(c, 0, &y);
  }
  for (int i = 0; i < n; i++) {
    if (r[i] < 0) return ix_err(c, INGOT_CODE_INPUT, "Tile repeat %d is negative (%" PRId64 ")", i, r[i]);
    INGOT_RETURN_IF_ERROR(ix_scale(c, x->dims[i], r[i], &y.dims[i]));
  }
  return ix_set(c, 0, &y);
}

/* Pad(data, pads[2n], constant_value, axes[n] (opset 18)): begins then ends. */
ingot_status_t ix_pad(ix_t *c) {
  INGOT_RETURN_IF_ERROR(ix_i64_input(c, 1, "pads"));
  INGOT_RETURN_IF_ERROR(ix_int_input(c, 3, "axes"));
  INGOT_RETURN_IF_ERROR(ix_same_dtype(c, 0, 2));
  const ingot_type_t *x = ix_in(c, 0);
  int64_t len;
  INGOT_RETURN_IF_ERROR(need_1d(c, 1, "pads", &len));
  if (ix_in_numel(c, 2) > 1) return ix_err(c, INGOT_CODE_INPUT, "Pad constant_value must be a scalar");
  ingot_type_t y = *x;
  int64_t ax[IX_MAXV], p[IX_MAXV];
  int nax = x->rank, np, axn[INGOT_MAX_RANK];
  bool have_axes = ix_inv(c, 3) >= 0;
  if (have_axes) {
    if (!ints_upto(c, 3, ax, &nax, INGOT_MAX_RANK)) {
      INGOT_RETURN_IF_ERROR(ix_fresh_dims(c, &y));
      return ix_set(c, 0, &y);
    }
    INGOT_RETURN_IF_ERROR(norm_axes(c, ax, nax, x->rank, axn));
  } else {
    for (int i = 0; i < nax; i++) axn[i] = i;
  }
  if (len >= 0 && len != 2 * nax)
    return ix_err(c, INGOT_CODE_INPUT, "Pad has %" PRId64 " pads for %d axes (needs %d)", len, nax, 2 * nax);
  if (!ix_ints(c, 1, p, &np)) {
    for (int i = 0; i < nax; i++) INGOT_RETURN_IF_ERROR(ix_fresh(c, &y.dims[axn[i]]));
    return ix_set(c, 0, &y);
  }
  if (np != 2 * nax) return ix_err(c, INGOT_CODE_INPUT, "Pad has %d pads for %d axes (needs %d)", np, nax, 2 * nax);
  for (int i = 0; i < nax; i++) {
    int64_t pb = p[i], pe = p[i + nax];
    if (pb < -INGOT_INFER_MAX_ELEMENTS || pb > INGOT_INFER_MAX_ELEMENTS || pe < -INGOT_INFER_MAX_ELEMENTS ||
        pe > INGOT_INFER_MAX_ELEMENTS)
      return ix_err(c, INGOT_CODE_INPUT, "Pad amount for axis %d is out of range", axn[i]);
    ingot_dim_t d = x->dims[axn[i]];
    INGOT_RETURN_IF_ERROR(ix_arith(c, '+', d, ingot_dim_const(pb + pe), &y.dims[axn[i]]));
    if (!y.dims[axn[i]].sym && y.dims[axn[i]].v < 0)
      return ix_err(c, INGOT_CODE_INPUT, "Pad crops axis %d of size %" PRId64 " by %" PRId64, axn[i], d.v, -(pb + pe));
  }
  return ix_set(c, 0, &y);
}

/* ---- Shape, Size, Range ------------------------------------------------------------------------ */

/* Shape (opset 15): start/end clamp to [0, r] after adding r to negatives. */
ingot_status_t ix_shape(ix_t *c) {
  const ingot_type_t *x = ix_in(c, 0);
  int64_t r = x->rank;
  int64_t s = ingot_node_attr_i(c->n, "start", 0), e = ingot_node_attr_i(c->n, "end", r);
  if (s < 0) s += r;
  if (e < 0) e += r;
  s = s < 0 ? 0 : s > r ? r : s;
  e = e < 0 ? 0 : e > r ? r : e;
  int64_t n = e > s ? e - s : 0;
  ingot_type_t y = ix_type(INGOT_DT_INT64, 1);
  y.dims[0] = ingot_dim_const(n);
  INGOT_RETURN_IF_ERROR(ix_set(c, 0, &y));
  return ix_set_vals(c, 0, x->dims + s, (int)n);
}

ingot_status_t ix_size(ix_t *c) {
  const ingot_type_t *x = ix_in(c, 0);
  ingot_type_t y = ix_type(INGOT_DT_INT64, 0);
  INGOT_RETURN_IF_ERROR(ix_set(c, 0, &y));
  ingot_dim_t p;
  INGOT_RETURN_IF_ERROR(ix_product(c, x->dims, x->rank, &p));
  return ix_set_vals(c, 0, &p, 1);
}

/* Range: max(ceil((limit - start) / delta), 0) elements. */
ingot_status_t ix_range(ix_t *c) {
  static const int types[] = {INGOT_DT_FLOAT, INGOT_DT_DOUBLE, INGOT_DT_INT16, INGOT_DT_INT32, INGOT_DT_INT64, 0};
  static const char *names[] = {"start", "limit", "delta"};
  for (uint32_t i = 0; i < 3; i++) {
    INGOT_RETURN_IF_ERROR(ix_dtype_in(c, i, names[i], types));
    INGOT_RETURN_IF_ERROR(ix_same_dtype(c, 0, i));
    int64_t n = ix_in_numel(c, i);
    if (n >= 0 && n != 1) return ix_err(c, INGOT_CODE_INPUT, "Range %s must be a scalar", names[i]);
  }
  int dt = ix_in(c, 0)->dtype;
  ingot_type_t y = ix_type(dt, 1);
  ingot_dim_t v[3][IX_MAXV];
  int n[3];
  bool ints = dt == INGOT_DT_INT64 || dt == INGOT_DT_INT32 || dt == INGOT_DT_INT16;
  bool known = ints;
  for (uint32_t i = 0; i < 3 && known; i++) known = ix_vals(c, i, v[i], &n[i]) && n[i] == 1;
  if (known && !v[0][0].sym && !v[2][0].sym && v[0][0].v == 0 && v[2][0].v == 1 && v[1][0].sym) {
    y.dims[0] = v[1][0]; /* Range(0, n, 1) has n elements */
    return ix_set(c, 0, &y);
  }
  if (known && !v[0][0].sym && !v[1][0].sym && !v[2][0].sym) {
    int64_t s = v[0][0].v, l = v[1][0].v, d = v[2][0].v, diff, len = 0;
    if (d == 0) return ix_err(c, INGOT_CODE_INPUT, "Range delta is 0");
    if (__builtin_sub_overflow(l, s, &diff)) return ix_err(c, INGOT_CODE_INPUT, "Range is too long");
    if (diff > 0 && d > 0) len = (diff - 1) / d + 1;
    else if (diff < 0 && d < 0) len = (diff + 1) / d + 1;
    y.dims[0] = ingot_dim_const(len);
    INGOT_RETURN_IF_ERROR(ix_set(c, 0, &y));
    if (len > IX_MAXV) return INGOT_OK;
    ingot_dim_t r[IX_MAXV];
    for (int64_t k = 0; k < len; k++) r[k] = ingot_dim_const(s + k * d);
    return ix_set_vals(c, 0, r, (int)len);
  }
  double f[3][1];
  int nf;
  known = !ints;
  for (uint32_t i = 0; i < 3 && known; i++) known = ix_floats(c, i, f[i], 1, &nf) && nf == 1;
  if (!known) {
    INGOT_RETURN_IF_ERROR(ix_fresh(c, &y.dims[0]));
    return ix_set(c, 0, &y);
  }
  if (f[2][0] == 0) return ix_err(c, INGOT_CODE_INPUT, "Range delta is 0");
  double len = ceil((f[1][0] - f[0][0]) / f[2][0]);
  if (len != len || len > (double)INGOT_INFER_MAX_ELEMENTS)
    return ix_err(c, INGOT_CODE_INPUT, "Range from %g to %g by %g has too many elements", f[0][0], f[1][0], f[2][0]);
  y.dims[0] = ingot_dim_const(len > 0 ? (int64_t)len : 0);
  return ix_set(c, 0, &y);
}

/* ---- constants -------------------------------------------------------------------------------- */

static const char *const constant_attrs[] = {"value",      "value_float",   "value_floats", "value_int",
                                             "value_ints", "value_string", "value_strings", "sparse_value"};

ingot_status_t ix_constant(ix_t *c) {
  const ingot_attr_t *a = NULL;
  int count = 0;
  for (size_t i = 0; i < sizeof constant_attrs / sizeof *constant_attrs; i++) {
    const ingot_attr_t *x = ingot_node_attr(c->n, constant_attrs[i]);
    if (x) {
      a = x;
      count++;
    }
  }
  if (count != 1) return ix_err(c, INGOT_CODE_INPUT, "Constant needs exactly one value attribute, got %d", count);
  ingot_type_t y = ix_type(0, 0);
  const char *nm = a->name;
  if (strcmp(nm, "sparse_value") == 0) return ix_err(c, INGOT_CODE_UNSUPPORTED, "sparse constants are not supported");
  if (strcmp(nm, "value") == 0) {
    if (!a->t) return ix_err(c, INGOT_CODE_INPUT, "Constant value has no tensor");
    if (a->t->rank < 0 || a->t->rank > INGOT_MAX_RANK)
      return ix_err(c, INGOT_CODE_UNSUPPORTED, "Constant has rank %d", a->t->rank);
    y = ix_type(a->t->dtype, a->t->rank);
    for (int i = 0; i < y.rank; i++) y.dims[i] = ingot_dim_const(a->t->dims[i]);
  } else if (strcmp(nm, "value_float") == 0) {
    y.dtype = INGOT_DT_FLOAT;
  } else if (strcmp(nm, "value_int") == 0) {
    y.dtype = INGOT_DT_INT64;
  } else if (strcmp(nm, "value_string") == 0) {
    y.dtype = INGOT_DT_STRING;
  } else {
    y = ix_type(strcmp(nm, "value_floats") == 0 ? INGOT_DT_FLOAT
                : strcmp(nm, "value_ints") == 0 ? INGOT_DT_INT64
                                                 : INGOT_DT_STRING,
                1);
    y.dims[0] = ingot_dim_const((int64_t)a->n);
  }
  INGOT_RETURN_IF_ERROR(ix_set(c, 0, &y));
  if (!is_int_dtype(y.dtype) && y.dtype != INGOT_DT_BOOL) return INGOT_OK;
  ingot_dim_t v[IX_MAXV];
  int n;
  if (c->n->outputs[0] >= 0 && ix_value_vals(c->g, c->n->outputs[0], v, &n)) return ix_set_vals(c, 0, v, n);
  return INGOT_OK;
}

/* ConstantOfShape(shape): value is a one-element tensor (default float 0). */
ingot_status_t ix_constant_of_shape(ix_t *c) {
  INGOT_RETURN_IF_ERROR(ix_i64_input(c, 0, "input"));
  int64_t len;
  INGOT_RETURN_IF_ERROR(need_1d(c, 0, "input", &len));
  const ingot_attr_t *a = ingot_node_attr(c->n, "value");
  int dt = INGOT_DT_FLOAT;
  int64_t fill = 0;
  bool fill_known = true;
  if (a) {
    if (!a->t) return ix_err(c, INGOT_CODE_INPUT, "ConstantOfShape value has no tensor");
    bool one = a->t->rank == 0 || (a->t->rank == 1 && a->t->dims[0] == 1);
    if (!one || !a->t->data || a->t->nbytes < ingot_dtype_size(a->t->dtype))
      return ix_err(c, INGOT_CODE_INPUT, "ConstantOfShape value must hold exactly one element");
    dt = a->t->dtype;
    if (dt == INGOT_DT_INT64) memcpy(&fill, a->t->data, 8);
    else if (dt == INGOT_DT_INT32) {
      int32_t x;
      memcpy(&x, a->t->data, 4);
      fill = x;
    } else fill_known = false;
  }
  ingot_type_t y = ix_type(dt, -1);
  ingot_dim_t v[IX_MAXV];
  int n;
  if (!ix_vals(c, 0, v, &n)) {
    if (len > INGOT_MAX_RANK)
      return ix_err(c, INGOT_CODE_UNSUPPORTED, "ConstantOfShape output of rank %" PRId64, len);
    if (len >= 0) {
      y.rank = (int)len;
      INGOT_RETURN_IF_ERROR(ix_fresh_dims(c, &y));
    }
    return ix_set(c, 0, &y);
  }
  if (n > INGOT_MAX_RANK) return ix_err(c, INGOT_CODE_UNSUPPORTED, "ConstantOfShape output of rank %d", n);
  y.rank = n;
  char b[IX_BUF];
  for (int i = 0; i < n; i++) {
    if (!v[i].sym && v[i].v < 0)
      return ix_err(c, INGOT_CODE_INPUT, "ConstantOfShape shape %s has negative entry %" PRId64, vals_str(c, v, n, b),
                    v[i].v);
    y.dims[i] = v[i];
  }
  INGOT_RETURN_IF_ERROR(ix_set(c, 0, &y));
  if (!fill_known || !is_int_dtype(dt) || n > 1) return INGOT_OK;
  int64_t cnt = n == 0 ? 1 : (v[0].sym ? -1 : v[0].v);
  if (cnt < 0 || cnt > IX_MAXV) return INGOT_OK;
  ingot_dim_t r[IX_MAXV];
  for (int64_t k = 0; k < cnt; k++) r[k] = ingot_dim_const(fill);
  return ix_set_vals(c, 0, r, (int)cnt);
}

/* ---- Resize, Trilu ----------------------------------------------------------------------------- */

/* Present and non-empty: Resize treats an empty scales/sizes as omitted. */
static bool resize_given(const ix_t *c, uint32_t i) { return ix_inv(c, i) >= 0 && ix_in_numel(c, i) != 0; }

/* Resize (opsets 13-19): out = floor(in * scale) (times the roi extent for
 * tf_crop_and_resize), or sizes, adjusted by keep_aspect_ratio_policy:
 * scale = min/max(sizes[i] / in[i]), out = round(scale * in). */
ingot_status_t ix_resize(ix_t *c) {
  static const int floats[] = {INGOT_DT_FLOAT, 0};
  INGOT_RETURN_IF_ERROR(ix_dtype_in(c, 2, "scales", floats));
  INGOT_RETURN_IF_ERROR(ix_i64_input(c, 3, "sizes"));
  const ingot_type_t *x = ix_in(c, 0);
  bool has_scales = resize_given(c, 2), has_sizes = resize_given(c, 3);
  if (has_scales == has_sizes)
    return ix_err(c, INGOT_CODE_INPUT, "Resize needs exactly one of 'scales' and 'sizes' (got %s)",
                  has_scales ? "both" : "neither");
  int64_t len;
  INGOT_RETURN_IF_ERROR(need_1d(c, has_scales ? 2 : 3, has_scales ? "scales" : "sizes", &len));
  const char *policy = ingot_node_attr_s(c->n, "keep_aspect_ratio_policy", "stretch");
  bool stretch = strcmp(policy, "stretch") == 0;
  if (has_scales && !stretch)
    return ix_err(c, INGOT_CODE_INPUT, "Resize keep_aspect_ratio_policy '%s' cannot be used with scales", policy);
  const int64_t *aa;
  int64_t na = ingot_node_attr_ints(c->n, "axes", &aa);
  int axn[INGOT_MAX_RANK], nax = x->rank;
  if (na >= 0) {
    if (na > x->rank) return ix_err(c, INGOT_CODE_INPUT, "Resize has %" PRId64 " axes for rank %d", na, x->rank);
    nax = (int)na;
    INGOT_RETURN_IF_ERROR(norm_axes(c, aa, nax, x->rank, axn));
  } else {
    for (int i = 0; i < nax; i++) axn[i] = i;
  }
  if (len >= 0 && len != nax)
    return ix_err(c, INGOT_CODE_INPUT, "Resize %s has %" PRId64 " entries for %d axes", has_scales ? "scales" : "sizes",
                  len, nax);
  ingot_type_t y = *x;
  double f[INGOT_MAX_RANK], roi[2 * INGOT_MAX_RANK];
  int64_t sz[IX_MAXV];
  int n, nroi = 0;
  bool known = has_scales ? ix_floats(c, 2, f, INGOT_MAX_RANK, &n) : ints_upto(c, 3, sz, &n, INGOT_MAX_RANK);
  if (!known) {
    for (int i = 0; i < nax; i++) INGOT_RETURN_IF_ERROR(ix_fresh(c, &y.dims[axn[i]]));
    return ix_set(c, 0, &y);
  }
  if (n != nax)
    return ix_err(c, INGOT_CODE_INPUT, "Resize %s has %d entries for %d axes", has_scales ? "scales" : "sizes", n, nax);
  bool crop = strcmp(ingot_node_attr_s(c->n, "coordinate_transformation_mode", "half_pixel"), "tf_crop_and_resize") == 0;
  if (crop && (!ix_floats(c, 1, roi, 2 * INGOT_MAX_RANK, &nroi) || nroi != 2 * nax)) nroi = -1; /* roi unknown */
  if (has_scales) {
    for (int i = 0; i < nax; i++) {
      ingot_dim_t d = x->dims[axn[i]], *o = &y.dims[axn[i]];
      double s = f[i];
      if (!(s > 0)) return ix_err(c, INGOT_CODE_INPUT, "Resize scale %d is %g (must be positive)", i, s);
      if (nroi < 0 || (d.sym && !(s == floor(s) && s <= (double)INGOT_INFER_MAX_ELEMENTS && !crop))) {
        INGOT_RETURN_IF_ERROR(ix_fresh(c, o));
        continue;
      }
      if (d.sym) {
        INGOT_RETURN_IF_ERROR(ix_scale(c, d, (int64_t)s, o));
        continue;
      }
      float ext = crop ? (float)(roi[nax + i] - roi[i]) : 1.0f;
      double v = floor((double)((float)d.v * ext * (float)s));
      if (!(v >= 0) || v > (double)INGOT_INFER_MAX_ELEMENTS)
        return ix_err(c, INGOT_CODE_INPUT, "Resize output size %g on axis %d is out of range", v, axn[i]);
      *o = ingot_dim_const((int64_t)v);
    }
    return ix_set(c, 0, &y);
  }
  for (int i = 0; i < nax; i++)
    if (sz[i] < 0 || sz[i] > INGOT_INFER_MAX_ELEMENTS)
      return ix_err(c, INGOT_CODE_INPUT, "Resize size %d is %" PRId64, i, sz[i]);
  if (stretch) {
    for (int i = 0; i < nax; i++) y.dims[axn[i]] = ingot_dim_const(sz[i]);
    return ix_set(c, 0, &y);
  }
  bool not_larger = strcmp(policy, "not_larger") == 0;
  float scale = not_larger ? 3.4e38f : 0.0f;
  for (int i = 0; i < nax; i++) {
    ingot_dim_t d = x->dims[axn[i]];
    if (d.sym || d.v == 0) {
      for (int k = 0; k < nax; k++) INGOT_RETURN_IF_ERROR(ix_fresh(c, &y.dims[axn[k]]));
      return ix_set(c, 0, &y);
    }
    float s = (float)sz[i] / (float)d.v;
    scale = not_larger ? (s < scale ? s : scale) : (s > scale ? s : scale);
  }
  for (int i = 0; i < nax; i++) {
    double v = roundf(scale * (float)x->dims[axn[i]].v);
    if (!(v >= 0) || v > (double)INGOT_INFER_MAX_ELEMENTS)
      return ix_err(c, INGOT_CODE_INPUT, "Resize output size %g on axis %d is out of range", v, axn[i]);
    y.dims[axn[i]] = ingot_dim_const((int64_t)v);
  }
  return ix_set(c, 0, &y);
}

ingot_status_t ix_trilu(ix_t *c) {
  const ingot_type_t *x = ix_in(c, 0);
  char b[IX_BUF];
  if (x->rank < 2) return ix_err(c, INGOT_CODE_INPUT, "Trilu needs rank >= 2, got %s", ix_str(c, x, b));
  static const int i64[] = {INGOT_DT_INT64, 0};
  INGOT_RETURN_IF_ERROR(ix_dtype_in(c, 1, "k", i64));
  if (ix_in_numel(c, 1) > 1) return ix_err(c, INGOT_CODE_INPUT, "Trilu k must be a scalar");
  return ix_same(c, 0, 0);
}
