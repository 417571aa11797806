/* Shape and dtype inference: the driver and the helpers every rule uses.
 *
 * The rules themselves live in infer_math.c (elementwise, normalisation,
 * linear algebra, convolution, reductions) and infer_shape.c (data movement
 * and shape arithmetic); control flow is here because it recurses into
 * ingot_infer_shapes.  Each rule reads its inputs' types through ix_in /
 * ix_need, validates what the ONNX spec requires, and publishes its outputs
 * through ix_set, which is the one place that bounds element counts and
 * reconciles a type declared in the file.
 *
 * Symbols.  A dim nothing can determine gets a fresh anonymous symbol
 * ("?7").  A dim computed from symbols gets a symbol interned under the
 * expression's text ("batch*64", "(batch+1)", "(n/2)"): interning makes the
 * same expression, computed twice along different paths (torch recomputes
 * Shape->Gather chains for every reshape), land on the same symbol, which
 * keeps later broadcasts and concats exact without an algebra system.
 * Products are kept canonical (symbols sorted by index, the constant last)
 * so that Reshape's -1 can cancel symbols: [batch,64,8,8] into [batch,64,-1]
 * gives 64, not a fresh symbol. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "infer_impl.h"
#include "verify.h"

/* ---- messages and inputs ------------------------------------------------------ */

ingot_status_t ix_err(const ix_t *c, ingot_code_t code, const char *fmt, ...) {
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  return ingot_node_error(c->g, c->node, code, "%s", msg);
}

const char *ix_str(const ix_t *c, const ingot_type_t *t, char *buf) {
  if (!t) {
    snprintf(buf, IX_BUF, "<none>");
    return buf;
  }
  return ingot_type_str(c->g, t, buf, IX_BUF);
}

int32_t ix_inv(const ix_t *c, uint32_t i) {
  if (i >= c->n->ninputs) return -1;
  int32_t v = c->n->inputs[i];
  return v >= 0 && (uint32_t)v < c->g->nvalues ? v : -1;
}

const ingot_type_t *ix_in(const ix_t *c, uint32_t i) {
  int32_t v = ix_inv(c, i);
  return v >= 0 ? &c->g->values[v].type : NULL;
}

ingot_status_t ix_need(const ix_t *c, uint32_t i, const char *what, const ingot_type_t **out) {
  const ingot_type_t *t = ix_in(c, i);
  *out = t;
  if (!t) return ix_err(c, INGOT_CODE_INPUT, "%s input '%s' (input %u) is missing", c->op, what, i);
  if (t->rank < 0)
    return ix_err(c, INGOT_CODE_INPUT, "%s input '%s' (input %u) has unknown rank", c->op, what, i);
  return INGOT_OK;
}

ingot_status_t ix_dtype_in(const ix_t *c, uint32_t i, const char *what, const int *allowed) {
  const ingot_type_t *t = ix_in(c, i);
  if (!t || t->dtype == INGOT_DT_UNDEFINED) return INGOT_OK;
  for (const int *a = allowed; *a; a++)
    if (t->dtype == *a) return INGOT_OK;
  char list[256] = "";
  size_t o = 0;
  for (const int *a = allowed; *a && o < sizeof list; a++)
    o += (size_t)snprintf(list + o, sizeof list - o, "%s%s", a == allowed ? "" : " or ", ingot_dtype_name(*a));
  return ix_err(c, INGOT_CODE_INPUT, "%s input '%s' must be %s, not %s", c->op, what, list,
                ingot_dtype_name(t->dtype));
}

ingot_status_t ix_int_input(const ix_t *c, uint32_t i, const char *what) {
  static const int ints[] = {INGOT_DT_INT64, INGOT_DT_INT32, 0};
  return ix_dtype_in(c, i, what, ints);
}

ingot_status_t ix_i64_input(const ix_t *c, uint32_t i, const char *what) {
  static const int i64[] = {INGOT_DT_INT64, 0};
  return ix_dtype_in(c, i, what, i64);
}

ingot_status_t ix_same_dtype(const ix_t *c, uint32_t a, uint32_t b) {
  const ingot_type_t *ta = ix_in(c, a), *tb = ix_in(c, b);
  if (!ta || !tb || !ta->dtype || !tb->dtype || ta->dtype == tb->dtype) return INGOT_OK;
  return ix_err(c, INGOT_CODE_INPUT, "%s input dtypes differ: %s (input %u) vs %s (input %u)", c->op,
                ingot_dtype_name(ta->dtype), a, ingot_dtype_name(tb->dtype), b);
}

ingot_status_t ix_axis(const ix_t *c, const char *what, int64_t axis, int rank, int *out) {
  if (axis < -(int64_t)rank || axis >= rank) {
    if (rank == 0)
      return ix_err(c, INGOT_CODE_INPUT, "%s %s %" PRId64 " is out of range for a rank-0 tensor", c->op, what,
                    axis);
    return ix_err(c, INGOT_CODE_INPUT, "%s %s %" PRId64 " is out of range for rank %d (allowed %d..%d)", c->op, what,
                  axis, rank, -rank, rank - 1);
  }
  *out = (int)(axis < 0 ? axis + rank : axis);
  return INGOT_OK;
}

/* ---- outputs ------------------------------------------------------------------ */

static bool sym_is_anonymous(ingot_graph_t *g, uint32_t sym) {
  return sym && ingot_graph_sym_name(g, sym)[0] == '?';
}

/* A graph output declared in the file: check, then refine the inferred type. */
static ingot_status_t merge_declared(const ix_t *c, const ingot_value_t *val, ingot_type_t *t) {
  const ingot_type_t *d = &val->type;
  char b1[IX_BUF], b2[IX_BUF];
  if (d->dtype && t->dtype && d->dtype != t->dtype)
    return ix_err(c, INGOT_CODE_INPUT, "output '%s' is declared %s but %s produces %s", val->name,
                  ingot_dtype_name(d->dtype), c->op, ingot_dtype_name(t->dtype));
  if (!t->dtype) t->dtype = d->dtype;
  if (d->rank < 0) return INGOT_OK;
  if (t->rank < 0) {
    int32_t dt = t->dtype;
    *t = *d;
    t->dtype = dt;
    return INGOT_OK;
  }
  bool bad = d->rank != t->rank;
  for (int i = 0; !bad && i < t->rank; i++)
    bad = !d->dims[i].sym && !t->dims[i].sym && d->dims[i].v != t->dims[i].v;
  if (bad)
    return ix_err(c, INGOT_CODE_INPUT, "output '%s' is declared %s but %s produces %s", val->name,
                  ix_str(c, d, b1), c->op, ix_str(c, t, b2));
  for (int i = 0; i < t->rank; i++)
    if (sym_is_anonymous(c->g, t->dims[i].sym) && !sym_is_anonymous(c->g, d->dims[i].sym)) t->dims[i] = d->dims[i];
  return INGOT_OK;
}

ingot_status_t ix_set(const ix_t *c, uint32_t o, const ingot_type_t *t) {
  if (o >= c->n->noutputs) return INGOT_OK;
  int32_t v = c->n->outputs[o];
  if (v < 0 || (uint32_t)v >= c->g->nvalues) return INGOT_OK;
  ingot_type_t nt = *t;
  if (nt.rank > INGOT_MAX_RANK)
    return ix_err(c, INGOT_CODE_UNSUPPORTED, "%s output %u would have rank %d (at most %d supported)", c->op, o,
                  nt.rank, INGOT_MAX_RANK);
  for (int i = nt.rank < 0 ? 0 : nt.rank; i < INGOT_MAX_RANK; i++) nt.dims[i] = ingot_dim_const(0);
  int64_t prod = 1;
  for (int i = 0; i < nt.rank; i++) {
    ingot_dim_t d = nt.dims[i];
    if (d.sym) {
      nt.dims[i].v = -1;
      continue;
    }
    if (d.v < 0) return ix_err(c, INGOT_CODE_INPUT, "%s output %u would have negative dim %" PRId64, c->op, o, d.v);
    if (d.v > INGOT_INFER_MAX_ELEMENTS || (d.v && prod > INGOT_INFER_MAX_ELEMENTS / d.v)) {
      char b[IX_BUF];
      return ix_err(c, INGOT_CODE_INPUT, "%s output %u %s would have more than 2^40 elements", c->op, o,
                    ix_str(c, &nt, b));
    }
    if (d.v) prod *= d.v;
  }
  ingot_value_t *val = &c->g->values[v];
  if (val->flags & INGOT_VAL_OUTPUT) INGOT_RETURN_IF_ERROR(merge_declared(c, val, &nt));
  val->type = nt;
  val->symval = NULL;
  val->nsymval = 0;
  return INGOT_OK;
}

ingot_status_t ix_same(const ix_t *c, uint32_t o, uint32_t i) {
  const ingot_type_t *t = ix_in(c, i);
  ingot_type_t u = t ? *t : ix_type(0, -1);
  return ix_set(c, o, &u);
}

/* ---- dims --------------------------------------------------------------------- */

ingot_status_t ix_fresh(const ix_t *c, ingot_dim_t *out) {
  uint32_t s;
  INGOT_RETURN_IF_ERROR(ingot_graph_new_sym(c->g, &s));
  out->v = -1;
  out->sym = s;
  return INGOT_OK;
}

ingot_status_t ix_fresh_dims(const ix_t *c, ingot_type_t *t) {
  for (int i = 0; i < t->rank && i < INGOT_MAX_RANK; i++) INGOT_RETURN_IF_ERROR(ix_fresh(c, &t->dims[i]));
  return INGOT_OK;
}

/* A symbol named after an expression; fresh when the text gets unwieldy. */
static ingot_status_t derived(const ix_t *c, const char *name, ingot_dim_t *out) {
  if (strlen(name) > 96) return ix_fresh(c, out);
  uint32_t s;
  INGOT_RETURN_IF_ERROR(ingot_graph_sym(c->g, name, &s));
  out->v = -1;
  out->sym = s;
  return INGOT_OK;
}

static const char *dim_text(const ix_t *c, ingot_dim_t d, char *buf, size_t len) {
  if (d.sym) snprintf(buf, len, "%s", ingot_graph_sym_name(c->g, d.sym));
  else snprintf(buf, len, "%" PRId64, d.v);
  return buf;
}

ingot_status_t ix_bcast_dim(const ix_t *c, ingot_dim_t a, ingot_dim_t b, bool *ok, ingot_dim_t *out) {
  *ok = true;
  if (!a.sym && !b.sym) {
    if (a.v == b.v || b.v == 1) *out = a;
    else if (a.v == 1) *out = b;
    else *ok = false;
    return INGOT_OK;
  }
  if (!a.sym) {
    *out = a.v == 1 ? b : a; /* b must be a or 1 at run time */
    return INGOT_OK;
  }
  if (!b.sym) {
    *out = b.v == 1 ? a : b;
    return INGOT_OK;
  }
  if (a.sym == b.sym) {
    *out = a;
    return INGOT_OK;
  }
  return ix_fresh(c, out); /* equal, or one of them is 1: unknowable here */
}

ingot_status_t ix_bcast(const ix_t *c, const ingot_type_t *const *ts, int n, ingot_type_t *out) {
  *out = ix_type(0, 0);
  bool first = true;
  for (int k = 0; k < n; k++) {
    const ingot_type_t *t = ts[k];
    if (!t) continue;
    if (first) out->dtype = t->dtype;
    first = false;
    if (t->rank < 0) {
      out->rank = -1;
      return INGOT_OK;
    }
    if (t->rank > out->rank) {
      int shift = t->rank - out->rank;
      for (int i = out->rank - 1; i >= 0; i--) out->dims[i + shift] = out->dims[i];
      for (int i = 0; i < shift; i++) out->dims[i] = ingot_dim_const(1);
      out->rank = t->rank;
    }
    int off = out->rank - t->rank;
    for (int i = 0; i < t->rank; i++) {
      bool ok;
      INGOT_RETURN_IF_ERROR(ix_bcast_dim(c, out->dims[off + i], t->dims[i], &ok, &out->dims[off + i]));
      if (!ok) {
        char msg[1024], b[IX_BUF];
        size_t o = (size_t)snprintf(msg, sizeof msg, "%s cannot broadcast", c->op);
        for (int j = 0; j < n && o < sizeof msg; j++)
          if (ts[j]) o += (size_t)snprintf(msg + o, sizeof msg - o, "%s %s", j ? " with" : "", ix_str(c, ts[j], b));
        return ix_err(c, INGOT_CODE_INPUT, "%s (axis %d: %" PRId64 " vs %" PRId64 ")", msg, off + i - out->rank,
                      out->dims[off + i].v, t->dims[i].v);
      }
    }
  }
  return INGOT_OK;
}

bool ix_mono_of(const ingot_dim_t *d, int n, ix_mono_t *m) {
  m->c = 1;
  m->n = 0;
  bool ok = true;
  for (int i = 0; i < n; i++) {
    if (d[i].sym) {
      if (m->n == (int)(sizeof m->syms / sizeof *m->syms)) {
        ok = false;
        continue;
      }
      int j = m->n++;
      while (j > 0 && m->syms[j - 1] > d[i].sym) {
        m->syms[j] = m->syms[j - 1];
        j--;
      }
      m->syms[j] = d[i].sym;
    } else if (__builtin_mul_overflow(m->c, d[i].v, &m->c)) {
      ok = false;
    }
  }
  return ok;
}

bool ix_mono_div(const ix_mono_t *a, const ix_mono_t *b, ix_mono_t *q) {
  if (b->c == 0 || a->c % b->c) return false;
  q->c = a->c / b->c;
  q->n = 0;
  int j = 0;
  for (int i = 0; i < a->n; i++) {
    if (j < b->n && a->syms[i] == b->syms[j]) j++;
    else if (j < b->n && b->syms[j] < a->syms[i]) return false;
    else q->syms[q->n++] = a->syms[i];
  }
  return j == b->n;
}

ingot_status_t ix_mono_dim(const ix_t *c, const ix_mono_t *m, ingot_dim_t *out) {
  if (m->n == 0 || m->c == 0) {
    *out = ingot_dim_const(m->c);
    return INGOT_OK;
  }
  if (m->n == 1 && m->c == 1) {
    *out = (ingot_dim_t){-1, m->syms[0]};
    return INGOT_OK;
  }
  char name[256];
  size_t o = 0;
  for (int i = 0; i < m->n && o < sizeof name; i++)
    o += (size_t)snprintf(name + o, sizeof name - o, "%s%s", i ? "*" : "", ingot_graph_sym_name(c->g, m->syms[i]));
  if (m->c != 1 && o < sizeof name) o += (size_t)snprintf(name + o, sizeof name - o, "*%" PRId64, m->c);
  if (o >= sizeof name) return ix_fresh(c, out);
  return derived(c, name, out);
}

ingot_status_t ix_product(const ix_t *c, const ingot_dim_t *d, int n, ingot_dim_t *out) {
  ix_mono_t m;
  bool ok = ix_mono_of(d, n, &m);
  if (m.c == 0) {
    *out = ingot_dim_const(0);
    return INGOT_OK;
  }
  if (!ok || m.c > INGOT_INFER_MAX_ELEMENTS)
    return ix_err(c, INGOT_CODE_INPUT, "%s element count overflows (more than 2^40 elements)", c->op);
  return ix_mono_dim(c, &m, out);
}

ingot_status_t ix_scale(const ix_t *c, ingot_dim_t d, int64_t k, ingot_dim_t *out) {
  ingot_dim_t f[2] = {d, ingot_dim_const(k)};
  return ix_product(c, f, 2, out);
}

static ingot_status_t put(ingot_dim_t *out, ingot_dim_t d) {
  *out = d;
  return INGOT_OK;
}

ingot_status_t ix_arith(const ix_t *c, char op, ingot_dim_t a, ingot_dim_t b, ingot_dim_t *out) {
  if (!a.sym && !b.sym) {
    int64_t r = 0;
    bool bad = false;
    switch (op) {
      case '+': bad = __builtin_add_overflow(a.v, b.v, &r); break;
      case '-': bad = __builtin_sub_overflow(a.v, b.v, &r); break;
      case '*': bad = __builtin_mul_overflow(a.v, b.v, &r); break;
      default:
        bad = b.v == 0 || (a.v == INT64_MIN && b.v == -1);
        if (!bad) r = a.v / b.v; /* ONNX integer Div truncates, as C does */
        break;
    }
    if (bad) return ix_fresh(c, out);
    *out = ingot_dim_const(r);
    return INGOT_OK;
  }
  switch (op) {
    case '+':
      if (!b.sym && b.v == 0) return put(out, a);
      if (!a.sym && a.v == 0) return put(out, b);
      if (!a.sym || (b.sym && b.sym < a.sym)) { /* canonical: symbol first, then by index */
        ingot_dim_t t = a;
        a = b;
        b = t;
      }
      break;
    case '-':
      if (!b.sym && b.v == 0) return put(out, a);
      if (a.sym == b.sym) return put(out, ingot_dim_const(0));
      break;
    case '*': {
      if ((!a.sym && a.v == 0) || (!b.sym && b.v == 0)) return put(out, ingot_dim_const(0));
      ingot_dim_t f[2] = {a, b};
      ix_mono_t m;
      if (!ix_mono_of(f, 2, &m)) return ix_fresh(c, out);
      return ix_mono_dim(c, &m, out);
    }
    default:
      if (!b.sym && b.v == 1) return put(out, a);
      if (a.sym == b.sym) return put(out, ingot_dim_const(1));
      if (!a.sym && a.v == 0) return put(out, ingot_dim_const(0));
      break;
  }
  char ta[128], tb[128], name[300];
  snprintf(name, sizeof name, "(%s%c%s)", dim_text(c, a, ta, sizeof ta), op, dim_text(c, b, tb, sizeof tb));
  return derived(c, name, out);
}

/* ---- constant contents ----------------------------------------------------------- */

/* A value's constant data: its own data, or the value attribute of the
 * Constant node producing it.  Follows outer references into parents. */
typedef struct {
  int dtype;
  int64_t numel;
  int rank;
  const void *data;
} cview_t;

static bool view(cview_t *cv, cview_t x) {
  *cv = x;
  return true;
}

static bool value_const(const ingot_graph_t *g, int32_t v, cview_t *cv) {
  for (int hops = 0; hops <= 64; hops++) {
    if (v < 0 || (uint32_t)v >= g->nvalues) return false;
    const ingot_value_t *val = &g->values[v];
    if (val->data) {
      int64_t n;
      size_t es = ingot_dtype_size(val->type.dtype);
      if (!ingot_type_numel(&val->type, &n) || !es || (uint64_t)n > val->nbytes / es) return false;
      *cv = (cview_t){val->type.dtype, n, val->type.rank, val->data};
      return true;
    }
    if (val->producer >= 0 && (uint32_t)val->producer < g->nnodes &&
        g->nodes[val->producer].op == INGOT_OP_CONSTANT) {
      const ingot_node_t *n = &g->nodes[val->producer];
      for (uint32_t k = 0; k < n->nattrs; k++) {
        const ingot_attr_t *a = &n->attrs[k];
        if (strcmp(a->name, "value") == 0 && a->type == INGOT_ATTR_TENSOR && a->t) {
          size_t es = ingot_dtype_size(a->t->dtype);
          int64_t cnt = 1;
          for (int d = 0; d < a->t->rank && d < INGOT_MAX_RANK; d++) {
            if (a->t->dims[d] < 0 || __builtin_mul_overflow(cnt, a->t->dims[d], &cnt)) return false;
          }
          if (!es || (uint64_t)cnt > a->t->nbytes / es) return false;
          *cv = (cview_t){a->t->dtype, cnt, a->t->rank, a->t->data};
          return true;
        }
        if (strcmp(a->name, "value_float") == 0 && a->type == INGOT_ATTR_FLOAT)
          return view(cv, (cview_t){INGOT_DT_FLOAT, 1, 0, &a->f});
        if (strcmp(a->name, "value_int") == 0 && a->type == INGOT_ATTR_INT)
          return view(cv, (cview_t){INGOT_DT_INT64, 1, 0, &a->i});
        if (strcmp(a->name, "value_floats") == 0 && a->type == INGOT_ATTR_FLOATS)
          return view(cv, (cview_t){INGOT_DT_FLOAT, (int64_t)a->n, 1, a->floats});
        if (strcmp(a->name, "value_ints") == 0 && a->type == INGOT_ATTR_INTS)
          return view(cv, (cview_t){INGOT_DT_INT64, (int64_t)a->n, 1, a->ints});
      }
      return false;
    }
    if ((val->flags & INGOT_VAL_OUTER) && g->parent) {
      v = val->outer;
      g = g->parent;
      continue;
    }
    return false;
  }
  return false;
}

static float half_to_float(uint16_t h) {
  uint32_t s = (uint32_t)(h >> 15) << 31, e = (h >> 10) & 0x1f, m = h & 0x3ff, u;
  if (e == 0x1f) u = s | 0x7f800000u | (m << 13);
  else if (e) u = s | ((e + 112) << 23) | (m << 13);
  else if (!m) u = s;
  else {
    e = 113;
    while (!(m & 0x400)) {
      m <<= 1;
      e--;
    }
    u = s | (e << 23) | ((m & 0x3ff) << 13);
  }
  float f;
  memcpy(&f, &u, 4);
  return f;
}

/* Element i as double; false for dtypes that do not hold numbers. */
static bool cview_f64(const cview_t *cv, int64_t i, double *out) {
  const char *p = cv->data;
  switch (cv->dtype) {
    case INGOT_DT_FLOAT: { float f; memcpy(&f, p + 4 * i, 4); *out = f; return true; }
    case INGOT_DT_DOUBLE: { double f; memcpy(&f, p + 8 * i, 8); *out = f; return true; }
    case INGOT_DT_FLOAT16: { uint16_t h; memcpy(&h, p + 2 * i, 2); *out = half_to_float(h); return true; }
    case INGOT_DT_BFLOAT16: {
      uint16_t h;
      memcpy(&h, p + 2 * i, 2);
      uint32_t u = (uint32_t)h << 16;
      float f;
      memcpy(&f, &u, 4);
      *out = f;
      return true;
    }
    case INGOT_DT_INT64: { int64_t x; memcpy(&x, p + 8 * i, 8); *out = (double)x; return true; }
    case INGOT_DT_INT32: { int32_t x; memcpy(&x, p + 4 * i, 4); *out = x; return true; }
    case INGOT_DT_UINT32: { uint32_t x; memcpy(&x, p + 4 * i, 4); *out = x; return true; }
    case INGOT_DT_INT16: { int16_t x; memcpy(&x, p + 2 * i, 2); *out = x; return true; }
    case INGOT_DT_UINT16: { uint16_t x; memcpy(&x, p + 2 * i, 2); *out = x; return true; }
    case INGOT_DT_INT8: *out = (int8_t)p[i]; return true;
    case INGOT_DT_UINT8:
    case INGOT_DT_BOOL: *out = (uint8_t)p[i]; return true;
    default: return false;
  }
}

/* Element i as int64; false for non-integer dtypes. */
static bool cview_i64(const cview_t *cv, int64_t i, int64_t *out) {
  const char *p = cv->data;
  switch (cv->dtype) {
    case INGOT_DT_INT64: memcpy(out, p + 8 * i, 8); return true;
    case INGOT_DT_INT32: { int32_t x; memcpy(&x, p + 4 * i, 4); *out = x; return true; }
    case INGOT_DT_UINT32: { uint32_t x; memcpy(&x, p + 4 * i, 4); *out = x; return true; }
    case INGOT_DT_INT16: { int16_t x; memcpy(&x, p + 2 * i, 2); *out = x; return true; }
    case INGOT_DT_UINT16: { uint16_t x; memcpy(&x, p + 2 * i, 2); *out = x; return true; }
    case INGOT_DT_INT8: *out = (int8_t)p[i]; return true;
    case INGOT_DT_UINT8:
    case INGOT_DT_BOOL: *out = (uint8_t)p[i]; return true;
    default: return false;
  }
}

bool ix_value_vals(const ingot_graph_t *g, int32_t v, ingot_dim_t *out, int *n) {
  for (int hops = 0; hops <= 64; hops++) {
    if (v < 0 || (uint32_t)v >= g->nvalues) return false;
    const ingot_value_t *val = &g->values[v];
    if (val->symval && val->nsymval >= 0 && val->nsymval <= IX_MAXV) {
      memcpy(out, val->symval, (size_t)val->nsymval * sizeof *out);
      *n = val->nsymval;
      return true;
    }
    if ((val->flags & INGOT_VAL_OUTER) && !val->data && g->parent) {
      v = val->outer;
      g = g->parent;
      continue;
    }
    break;
  }
  cview_t cv;
  if (!value_const(g, v, &cv) || cv.rank > 1 || cv.numel > IX_MAXV) return false;
  for (int64_t i = 0; i < cv.numel; i++) {
    int64_t x;
    if (!cview_i64(&cv, i, &x)) return false;
    out[i] = ingot_dim_const(x);
  }
  *n = (int)cv.numel;
  return true;
}

bool ix_vals(const ix_t *c, uint32_t i, ingot_dim_t *out, int *n) {
  int32_t v = ix_inv(c, i);
  return v >= 0 && ix_value_vals(c->g, v, out, n);
}

bool ix_ints(const ix_t *c, uint32_t i, int64_t *out, int *n) {
  ingot_dim_t d[IX_MAXV];
  if (!ix_vals(c, i, d, n)) return false;
  for (int k = 0; k < *n; k++) {
    if (d[k].sym) return false;
    out[k] = d[k].v;
  }
  return true;
}

bool ix_floats(const ix_t *c, uint32_t i, double *out, int max, int *n) {
  int32_t v = ix_inv(c, i);
  cview_t cv;
  if (v < 0) return false;
  if (value_const(c->g, v, &cv)) {
    if (cv.numel > max) return false;
    for (int64_t k = 0; k < cv.numel; k++)
      if (!cview_f64(&cv, k, &out[k])) return false;
    *n = (int)cv.numel;
    return true;
  }
  int64_t iv[IX_MAXV];
  if (!ix_ints(c, i, iv, n) || *n > max) return false;
  for (int k = 0; k < *n; k++) out[k] = (double)iv[k];
  return true;
}

int64_t ix_in_numel(const ix_t *c, uint32_t i) {
  const ingot_type_t *t = ix_in(c, i);
  int64_t n;
  return t && ingot_type_numel(t, &n) ? n : -1;
}

ingot_status_t ix_set_vals(const ix_t *c, uint32_t o, const ingot_dim_t *v, int n) {
  if (o >= c->n->noutputs || n < 0 || n > IX_MAXV) return INGOT_OK;
  int32_t id = c->n->outputs[o];
  if (id < 0 || (uint32_t)id >= c->g->nvalues) return INGOT_OK;
  ingot_value_t *val = &c->g->values[id];
  const ingot_type_t *t = &val->type;
  bool fits = (t->rank == 0 && n == 1) || (t->rank == 1 && !t->dims[0].sym && t->dims[0].v == n);
  if (!fits) return INGOT_OK;
  ingot_dim_t *p = ingot_arena_calloc(c->g->arena, n ? (size_t)n : 1, sizeof *p);
  if (!p) return ingot_error(INGOT_CODE_NOMEM, "out of memory recording shape values");
  if (n) memcpy(p, v, (size_t)n * sizeof *p);
  val->symval = p;
  val->nsymval = n;
  return INGOT_OK;
}

/* ---- control flow ------------------------------------------------------------------ */

static ingot_status_t infer_graph(ingot_graph_t *g);

static ingot_status_t infer_body(ix_t *c, const char *attr, ingot_graph_t **out) {
  const ingot_attr_t *a = ingot_node_attr(c->n, attr);
  *out = a && a->type == INGOT_ATTR_GRAPH ? a->g : NULL;
  if (!*out) return ix_err(c, INGOT_CODE_INPUT, "%s has no '%s' graph", c->op, attr);
  char where[512];
  ingot_node_where(c->g, c->node, where, sizeof where);
  INGOT_RETURN_IF_ERROR_CTX(infer_graph(*out), "in '%s' of %s", attr, where);
  return INGOT_OK;
}

/* Gives a body input a type when the file left it unknown. */
static void seed_input(ingot_graph_t *body, uint32_t k, const ingot_type_t *t) {
  if (k >= body->ninputs || !t) return;
  int32_t v = body->inputs[k];
  if (v < 0 || (uint32_t)v >= body->nvalues) return;
  ingot_type_t *bt = &body->values[v].type;
  if (!bt->dtype) bt->dtype = t->dtype;
  if (bt->rank < 0) {
    int32_t dt = bt->dtype;
    *bt = *t;
    bt->dtype = dt;
  }
}

static const ingot_type_t *body_out(const ingot_graph_t *body, uint32_t k) {
  if (k >= body->noutputs) return NULL;
  int32_t v = body->outputs[k];
  return v >= 0 && (uint32_t)v < body->nvalues ? &body->values[v].type : NULL;
}

static ingot_status_t infer_if(ix_t *c) {
  ingot_graph_t *tb, *eb;
  INGOT_RETURN_IF_ERROR(infer_body(c, "then_branch", &tb));
  INGOT_RETURN_IF_ERROR(infer_body(c, "else_branch", &eb));
  if (tb->noutputs != c->n->noutputs || eb->noutputs != c->n->noutputs)
    return ix_err(c, INGOT_CODE_INPUT, "If has %u outputs but then_branch has %u and else_branch %u", c->n->noutputs,
                  tb->noutputs, eb->noutputs);
  for (uint32_t o = 0; o < c->n->noutputs; o++) {
    const ingot_type_t *a = body_out(tb, o), *b = body_out(eb, o);
    ingot_type_t t = a ? *a : ix_type(0, -1);
    if (a && b) {
      if (a->dtype && b->dtype && a->dtype != b->dtype)
        return ix_err(c, INGOT_CODE_INPUT, "If output %u is %s in then_branch but %s in else_branch", o,
                      ingot_dtype_name(a->dtype), ingot_dtype_name(b->dtype));
      if (!t.dtype) t.dtype = b->dtype;
      if (a->rank != b->rank) t.rank = -1;
      for (int i = 0; i < t.rank; i++)
        if (!ingot_dim_eq(a->dims[i], b->dims[i])) INGOT_RETURN_IF_ERROR(ix_fresh(c, &t.dims[i]));
    }
    INGOT_RETURN_IF_ERROR(ix_set(c, o, &t));
  }
  return INGOT_OK;
}

/* Loop(M, cond, v_initial...) -> (v_final..., scan_outputs...); the body maps
 * (iter, cond, v...) -> (cond, v..., scan...). */
static ingot_status_t infer_loop(ix_t *c) {
  const ingot_attr_t *a = ingot_node_attr(c->n, "body");
  ingot_graph_t *body = a && a->type == INGOT_ATTR_GRAPH ? a->g : NULL;
  if (!body) return ix_err(c, INGOT_CODE_INPUT, "Loop has no 'body' graph");
  uint32_t ncarried = c->n->ninputs - 2;
  if (body->ninputs != ncarried + 2 || body->noutputs < ncarried + 1 ||
      c->n->noutputs != body->noutputs - 1)
    return ix_err(c, INGOT_CODE_INPUT,
                  "Loop with %u carried values needs a body with %u inputs and %u outputs (one more than the "
                  "node's); the body has %u inputs and %u outputs",
                  ncarried, ncarried + 2, c->n->noutputs + 1, body->ninputs, body->noutputs);
  ingot_type_t it = ix_type(INGOT_DT_INT64, 0), ct = ix_type(INGOT_DT_BOOL, 0);
  seed_input(body, 0, &it);
  seed_input(body, 1, &ct);
  for (uint32_t k = 0; k < ncarried; k++) seed_input(body, 2 + k, ix_in(c, 2 + k));
  INGOT_RETURN_IF_ERROR(infer_body(c, "body", &body));
  for (uint32_t o = 0; o < c->n->noutputs; o++) {
    const ingot_type_t *bt = body_out(body, 1 + o);
    ingot_type_t t = bt ? *bt : ix_type(0, -1);
    if (o < ncarried) {
      const ingot_type_t *init = ix_in(c, 2 + o);
      if (t.rank < 0 && init) t = *init;
    } else if (t.rank >= 0) { /* scan output: the iterations stacked in front */
      if (t.rank >= INGOT_MAX_RANK)
        return ix_err(c, INGOT_CODE_UNSUPPORTED, "Loop scan output %u would have rank %d", o, t.rank + 1);
      memmove(&t.dims[1], &t.dims[0], (size_t)t.rank * sizeof t.dims[0]);
      t.rank++;
      INGOT_RETURN_IF_ERROR(ix_fresh(c, &t.dims[0]));
    }
    INGOT_RETURN_IF_ERROR(ix_set(c, o, &t));
  }
  return INGOT_OK;
}

/* Scan(state..., scan_inputs...) -> (state..., scan_outputs...). */
static ingot_status_t infer_scan(ix_t *c) {
  const ingot_attr_t *a = ingot_node_attr(c->n, "body");
  ingot_graph_t *body = a && a->type == INGOT_ATTR_GRAPH ? a->g : NULL;
  if (!body) return ix_err(c, INGOT_CODE_INPUT, "Scan has no 'body' graph");
  int64_t m = ingot_node_attr_i(c->n, "num_scan_inputs", 0);
  if (m < 1 || m > (int64_t)c->n->ninputs)
    return ix_err(c, INGOT_CODE_INPUT, "Scan num_scan_inputs %" PRId64 " must be 1..%u", m, c->n->ninputs);
  uint32_t nstate = c->n->ninputs - (uint32_t)m;
  if (body->ninputs != c->n->ninputs || body->noutputs != c->n->noutputs || c->n->noutputs < nstate)
    return ix_err(c, INGOT_CODE_INPUT, "Scan body has %u inputs and %u outputs; the node has %u and %u",
                  body->ninputs, body->noutputs, c->n->ninputs, c->n->noutputs);
  const int64_t *in_axes = NULL, *out_axes = NULL;
  int64_t nin_axes = ingot_node_attr_ints(c->n, "scan_input_axes", &in_axes);
  int64_t nout_axes = ingot_node_attr_ints(c->n, "scan_output_axes", &out_axes);
  ingot_dim_t seq = ingot_dim_const(0);
  bool have_seq = false;
  for (uint32_t k = 0; k < c->n->ninputs; k++) {
    const ingot_type_t *t = ix_in(c, k);
    if (k < nstate || !t || t->rank < 0) {
      seed_input(body, k, t);
      continue;
    }
    int64_t ax = nin_axes > (int64_t)(k - nstate) ? in_axes[k - nstate] : 0;
    int axis;
    INGOT_RETURN_IF_ERROR(ix_axis(c, "scan_input_axes entry", ax, t->rank, &axis));
    ingot_type_t e = *t;
    if (!have_seq) seq = t->dims[axis];
    have_seq = true;
    memmove(&e.dims[axis], &e.dims[axis + 1], (size_t)(e.rank - axis - 1) * sizeof e.dims[0]);
    e.rank--;
    seed_input(body, k, &e);
  }
  INGOT_RETURN_IF_ERROR(infer_body(c, "body", &body));
  if (!have_seq) INGOT_RETURN_IF_ERROR(ix_fresh(c, &seq));
  for (uint32_t o = 0; o < c->n->noutputs; o++) {
    const ingot_type_t *bt = body_out(body, o);
    ingot_type_t t = bt ? *bt : ix_type(0, -1);
    if (o >= nstate && t.rank >= 0) {
      if (t.rank >= INGOT_MAX_RANK)
        return ix_err(c, INGOT_CODE_UNSUPPORTED, "Scan output %u would have rank %d", o, t.rank + 1);
      int64_t ax = nout_axes > (int64_t)(o - nstate) ? out_axes[o - nstate] : 0;
      int axis;
      INGOT_RETURN_IF_ERROR(ix_axis(c, "scan_output_axes entry", ax, t.rank + 1, &axis));
      memmove(&t.dims[axis + 1], &t.dims[axis], (size_t)(t.rank - axis) * sizeof t.dims[0]);
      t.dims[axis] = seq;
      t.rank++;
    }
    INGOT_RETURN_IF_ERROR(ix_set(c, o, &t));
  }
  return INGOT_OK;
}

ingot_status_t ix_control_flow(ix_t *c) {
  switch (c->n->op) {
    case INGOT_OP_IF: return infer_if(c);
    case INGOT_OP_LOOP: return infer_loop(c);
    default: return infer_scan(c);
  }
}

/* ---- the driver ------------------------------------------------------------------------ */

/* The dtype an op produces, for outputs whose shape cannot be known. */
static int guess_dtype(const ix_t *c, uint32_t o) {
  const ingot_type_t *t0 = ix_in(c, 0);
  int in0 = t0 ? t0->dtype : 0;
  switch (c->n->op) {
    case INGOT_OP_EQUAL: case INGOT_OP_LESS: case INGOT_OP_LESS_OR_EQUAL: case INGOT_OP_GREATER:
    case INGOT_OP_GREATER_OR_EQUAL: case INGOT_OP_AND: case INGOT_OP_OR: case INGOT_OP_XOR:
    case INGOT_OP_NOT: case INGOT_OP_ISNAN:
      return INGOT_DT_BOOL;
    case INGOT_OP_SHAPE: case INGOT_OP_SIZE: case INGOT_OP_ARGMAX: return INGOT_DT_INT64;
    case INGOT_OP_CAST: return (int)ingot_node_attr_i(c->n, "to", 0);
    case INGOT_OP_CAST_LIKE: case INGOT_OP_WHERE: {
      const ingot_type_t *t1 = ix_in(c, 1);
      return t1 ? t1->dtype : 0;
    }
    case INGOT_OP_DROPOUT: return o == 1 ? INGOT_DT_BOOL : in0;
    case INGOT_OP_LAYER_NORM: return o ? (int)ingot_node_attr_i(c->n, "stash_type", INGOT_DT_FLOAT) : in0;
    default: return in0;
  }
}

static bool is_control_flow(int op) { return op == INGOT_OP_IF || op == INGOT_OP_LOOP || op == INGOT_OP_SCAN; }

/* Ops whose first input the ONNX specs restrict to float types. */
static bool float_only(int op) {
  switch (op) {
    case INGOT_OP_SQRT: case INGOT_OP_RECIPROCAL: case INGOT_OP_EXP: case INGOT_OP_LOG: case INGOT_OP_TANH:
    case INGOT_OP_SIGMOID: case INGOT_OP_LEAKY_RELU: case INGOT_OP_ELU: case INGOT_OP_SOFTPLUS:
    case INGOT_OP_HARD_SIGMOID: case INGOT_OP_HARD_SWISH: case INGOT_OP_MISH: case INGOT_OP_GELU: case INGOT_OP_SIN:
    case INGOT_OP_COS: case INGOT_OP_FLOOR: case INGOT_OP_CEIL: case INGOT_OP_ROUND: case INGOT_OP_ISNAN:
    case INGOT_OP_SUM: case INGOT_OP_MEAN: case INGOT_OP_DROPOUT: case INGOT_OP_SOFTMAX: case INGOT_OP_LOG_SOFTMAX:
    case INGOT_OP_LAYER_NORM: case INGOT_OP_GROUP_NORM: case INGOT_OP_INSTANCE_NORM: case INGOT_OP_BATCH_NORM:
    case INGOT_OP_CONV: case INGOT_OP_CONV_TRANSPOSE:
      return true;
    default: return false;
  }
}

/* Arity, index ranges and required inputs: what every rule may then assume. */
static ingot_status_t check_node_shape(const ix_t *c, const ingot_op_info_t *info) {
  const ingot_node_t *n = c->n;
  if (n->ninputs < (uint32_t)info->min_inputs || (info->max_inputs >= 0 && n->ninputs > (uint32_t)info->max_inputs)) {
    if (info->max_inputs < 0)
      return ix_err(c, INGOT_CODE_INPUT, "%s takes at least %d inputs, got %u", c->op, info->min_inputs, n->ninputs);
    return ix_err(c, INGOT_CODE_INPUT, "%s takes %d to %d inputs, got %u", c->op, info->min_inputs, info->max_inputs,
                  n->ninputs);
  }
  if (n->noutputs < (uint32_t)info->min_outputs ||
      (info->max_outputs >= 0 && n->noutputs > (uint32_t)info->max_outputs)) {
    if (info->max_outputs < 0)
      return ix_err(c, INGOT_CODE_INPUT, "%s gives at least %d outputs, got %u", c->op, info->min_outputs,
                    n->noutputs);
    return ix_err(c, INGOT_CODE_INPUT, "%s gives %d to %d outputs, got %u", c->op, info->min_outputs,
                  info->max_outputs, n->noutputs);
  }
  for (uint32_t i = 0; i < n->ninputs; i++) {
    int32_t v = n->inputs[i];
    if (v < -1 || (v >= 0 && (uint32_t)v >= c->g->nvalues))
      return ix_err(c, INGOT_CODE_INPUT, "input %u refers to value #%d, which does not exist", i, v);
    if (v < 0 && !ingot_op_input_optional(n->op, i)) return ix_err(c, INGOT_CODE_INPUT, "%s input %u is required but omitted", c->op, i);
  }
  for (uint32_t o = 0; o < n->noutputs; o++) {
    int32_t v = n->outputs[o];
    if (v < -1 || (v >= 0 && (uint32_t)v >= c->g->nvalues))
      return ix_err(c, INGOT_CODE_INPUT, "output %u refers to value #%d, which does not exist", o, v);
  }
  return INGOT_OK;
}

static ingot_status_t dispatch(ix_t *c) {
  switch ((ingot_op_t)c->n->op) {
    case INGOT_OP_ADD: case INGOT_OP_SUB: case INGOT_OP_MUL: case INGOT_OP_DIV: case INGOT_OP_POW:
    case INGOT_OP_MOD: case INGOT_OP_MAX: case INGOT_OP_MIN: case INGOT_OP_SUM: case INGOT_OP_MEAN:
    case INGOT_OP_EQUAL: case INGOT_OP_LESS: case INGOT_OP_LESS_OR_EQUAL: case INGOT_OP_GREATER:
    case INGOT_OP_GREATER_OR_EQUAL: case INGOT_OP_AND: case INGOT_OP_OR: case INGOT_OP_XOR:
    case INGOT_OP_WHERE:
      return ix_elementwise(c);
    case INGOT_OP_IDENTITY: case INGOT_OP_NEG: case INGOT_OP_ABS: case INGOT_OP_SQRT: case INGOT_OP_RECIPROCAL:
    case INGOT_OP_EXP: case INGOT_OP_LOG: case INGOT_OP_ERF: case INGOT_OP_TANH: case INGOT_OP_SIGMOID:
    case INGOT_OP_RELU: case INGOT_OP_LEAKY_RELU: case INGOT_OP_ELU: case INGOT_OP_SOFTPLUS:
    case INGOT_OP_HARD_SIGMOID: case INGOT_OP_HARD_SWISH: case INGOT_OP_MISH: case INGOT_OP_GELU:
    case INGOT_OP_SIN: case INGOT_OP_COS: case INGOT_OP_FLOOR: case INGOT_OP_CEIL: case INGOT_OP_ROUND:
    case INGOT_OP_SIGN: case INGOT_OP_NOT: case INGOT_OP_ISNAN:
      return ix_unary(c);
    case INGOT_OP_CLIP: return ix_clip(c);
    case INGOT_OP_CAST: case INGOT_OP_CAST_LIKE: return ix_cast(c);
    case INGOT_OP_DROPOUT: return ix_dropout(c);
    case INGOT_OP_SOFTMAX: case INGOT_OP_LOG_SOFTMAX: return ix_softmax(c);
    case INGOT_OP_LAYER_NORM: return ix_layer_norm(c);
    case INGOT_OP_GROUP_NORM: return ix_group_norm(c);
    case INGOT_OP_INSTANCE_NORM: return ix_instance_norm(c);
    case INGOT_OP_BATCH_NORM: return ix_batch_norm(c);
    case INGOT_OP_MATMUL: return ix_matmul(c);
    case INGOT_OP_GEMM: return ix_gemm(c);
    case INGOT_OP_CONV: return ix_conv(c);
    case INGOT_OP_CONV_TRANSPOSE: return ix_conv_transpose(c);
    case INGOT_OP_EINSUM: return ix_einsum(c);
    case INGOT_OP_REDUCE_MEAN: case INGOT_OP_REDUCE_SUM: case INGOT_OP_REDUCE_MAX: case INGOT_OP_REDUCE_MIN:
    case INGOT_OP_REDUCE_PROD: case INGOT_OP_REDUCE_SUM_SQUARE: case INGOT_OP_REDUCE_L2:
      return ix_reduce(c);
    case INGOT_OP_ARGMAX: return ix_argmax(c);
    case INGOT_OP_CUMSUM: return ix_cumsum(c);
    case INGOT_OP_RESHAPE: return ix_reshape(c);
    case INGOT_OP_TRANSPOSE: return ix_transpose(c);
    case INGOT_OP_CONCAT: return ix_concat(c);
    case INGOT_OP_SPLIT: return ix_split(c);
    case INGOT_OP_SLICE: return ix_slice(c);
    case INGOT_OP_GATHER: return ix_gather(c);
    case INGOT_OP_GATHER_ELEMENTS: return ix_gather_elements(c);
    case INGOT_OP_SCATTER_ND: return ix_scatter_nd(c);
    case INGOT_OP_UNSQUEEZE: return ix_unsqueeze(c);
    case INGOT_OP_SQUEEZE: return ix_squeeze(c);
    case INGOT_OP_FLATTEN: return ix_flatten(c);
    case INGOT_OP_EXPAND: return ix_expand(c);
    case INGOT_OP_TILE: return ix_tile(c);
    case INGOT_OP_PAD: return ix_pad(c);
    case INGOT_OP_SHAPE: return ix_shape(c);
    case INGOT_OP_SIZE: return ix_size(c);
    case INGOT_OP_RANGE: return ix_range(c);
    case INGOT_OP_CONSTANT: return ix_constant(c);
    case INGOT_OP_CONSTANT_OF_SHAPE: return ix_constant_of_shape(c);
    case INGOT_OP_RESIZE: return ix_resize(c);
    case INGOT_OP_TRILU: return ix_trilu(c);
    case INGOT_OP_QUANT_ACT: case INGOT_OP_QLINEAR: case INGOT_OP_QCONV: return ix_quant(c);
    case INGOT_OP_IF: case INGOT_OP_LOOP: case INGOT_OP_SCAN: return ix_control_flow(c);
    default: break;
  }
  return ix_err(c, INGOT_CODE_INTERNAL, "no inference rule for %s", c->op);
}

ingot_status_t ingot_infer_node(ingot_graph_t *g, int32_t node) {
  if (node < 0 || (uint32_t)node >= g->nnodes)
    return ingot_error(INGOT_CODE_INTERNAL, "ingot_infer_node: node #%d out of range", node);
  ix_t c = {g, node, &g->nodes[node], NULL};
  int op = c.n->op;
  if (op == INGOT_OP_NOP || op == INGOT_OP_FUSED) return INGOT_OK; /* passes type what they make */
  if (op == INGOT_OP_UNKNOWN)
    return ix_err(&c, INGOT_CODE_UNSUPPORTED, "unsupported op '%s' (domain '%s')", c.n->op_type ? c.n->op_type : "",
                  c.n->domain ? c.n->domain : "");
  const ingot_op_info_t *info = ingot_op_info((ingot_op_t)op);
  if (!info) return ix_err(&c, INGOT_CODE_INTERNAL, "invalid op code %d", op);
  c.op = info->onnx_name;
  INGOT_RETURN_IF_ERROR(check_node_shape(&c, info));
  INGOT_RETURN_IF_ERROR(ingot_verify_node_attrs(g, node));
  if (!is_control_flow(op)) {
    for (uint32_t i = 0; i < c.n->ninputs; i++) {
      const ingot_type_t *t = ix_in(&c, i);
      if (t && t->rank < 0) { /* nothing to go on: keep the dtype, leave the shape open */
        for (uint32_t o = 0; o < c.n->noutputs; o++) {
          ingot_type_t u = ix_type(guess_dtype(&c, o), -1);
          INGOT_RETURN_IF_ERROR(ix_set(&c, o, &u));
        }
        return INGOT_OK;
      }
    }
  }
  const ingot_type_t *t0 = ix_in(&c, 0);
  if (float_only(op) && t0 && t0->dtype && !ingot_dtype_is_float(t0->dtype))
    return ix_err(&c, INGOT_CODE_INPUT, "%s input must have a float dtype, not %s", c.op, ingot_dtype_name(t0->dtype));
  return dispatch(&c);
}

/* Subgraph values that refer to an enclosing graph take its current types. */
static void refresh_outer(ingot_graph_t *g) {
  if (!g->parent) return;
  for (uint32_t v = 0; v < g->nvalues; v++) {
    ingot_value_t *val = &g->values[v];
    if (!(val->flags & INGOT_VAL_OUTER) || val->outer < 0 || (uint32_t)val->outer >= g->parent->nvalues) continue;
    const ingot_value_t *src = &g->parent->values[val->outer];
    val->type = src->type;
    val->symval = src->symval;
    val->nsymval = src->nsymval;
  }
}

static ingot_status_t infer_graph(ingot_graph_t *g) {
  refresh_outer(g);
  for (uint32_t i = 0; i < g->nnodes; i++) INGOT_RETURN_IF_ERROR(ingot_infer_node(g, (int32_t)i));
  return INGOT_OK;
}

ingot_status_t ingot_infer_shapes(ingot_graph_t *g) {
  if (!g) return ingot_error(INGOT_CODE_INTERNAL, "ingot_infer_shapes: no graph");
  return infer_graph(g);
}
