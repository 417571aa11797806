/* Reference kernels: elementwise ops (binary with numpy broadcasting,
 * variadic, unary, Where, Clip, Cast/CastLike, Dropout).
 *
 * Semantics follow the ONNX operator specs (opsets 13-20).  Values are
 * computed in one of three domains chosen by the input dtype:
 *   float   (float32/float64; float16/bfloat16 arrive widened to float32):
 *           computed in double, rounded once when stored;
 *   signed  (int8..int64): int64 with two's-complement wrap-around (done in
 *           uint64 so overflow is defined), Div truncates toward zero;
 *   unsigned(uint8..uint64): uint64.
 * Comparisons produce bool (one byte, 0/1).  Speed is not the point here:
 * every element goes through a dtype switch. */
#include <math.h>
#include <string.h>

#include "interp/interp.h"

/* ---- dtype classes, loads and stores ------------------------------------ */

enum { DOM_FLOAT, DOM_SINT, DOM_UINT, DOM_BOOL, DOM_OTHER };

static int dom_of(int dt) {
  switch (dt) {
    case INGOT_DT_FLOAT:
    case INGOT_DT_DOUBLE:
    case INGOT_DT_FLOAT16:
    case INGOT_DT_BFLOAT16: return DOM_FLOAT;
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

static double ld_f(const ingot_tensor_t *t, int64_t i) {
  return ingot_tensor_get_f64(t, i);
}
static int64_t ld_i(const ingot_tensor_t *t, int64_t i) {
  return ingot_tensor_get_i64(t, i);
}
static uint64_t ld_u(const ingot_tensor_t *t, int64_t i) {
  return (uint64_t)ingot_tensor_get_i64(t, i); /* uint64 comes back bit-identical */
}


static void st_f(ingot_tensor_t *t, int64_t i, double v) {
  if (t->dtype == INGOT_DT_FLOAT)
    ((float *)t->data)[i] = (float)v;
  else if (t->dtype == INGOT_DT_DOUBLE)
    ((double *)t->data)[i] = v;
  else
    ingot_tensor_set_f64(t, i, v); /* saturating for integer outputs */
}

static void st_b(ingot_tensor_t *t, int64_t i, bool v) {
  ((uint8_t *)t->data)[i] = v ? 1 : 0;
}

static int64_t wadd(int64_t a, int64_t b) {
  return (int64_t)((uint64_t)a + (uint64_t)b);
}
static int64_t wsub(int64_t a, int64_t b) {
  return (int64_t)((uint64_t)a - (uint64_t)b);
}
static int64_t wmul(int64_t a, int64_t b) {
  return (int64_t)((uint64_t)a * (uint64_t)b);
}

/* ---- broadcasting odometer ------------------------------------------------ */

/* Walks an output shape in C order, keeping each operand's element offset
 * (broadcast axes have stride 0). */
typedef struct {
  int rank, nt;
  int64_t dims[INGOT_MAX_RANK], idx[INGOT_MAX_RANK];
  int64_t st[3][INGOT_MAX_RANK];
  int64_t off[3];
} odo_t;

static void odo_init(odo_t *o, int rank, const int64_t *dims, const ingot_tensor_t *const *ts, int nt) {
  memset(o, 0, sizeof *o);
  o->rank = rank;
  o->nt = nt;
  for (int d = 0; d < rank; d++) o->dims[d] = dims[d];
  for (int t = 0; t < nt; t++) ingot_broadcast_strides(ts[t], rank, dims, o->st[t]);
}

static void odo_next(odo_t *o) {
  for (int d = o->rank - 1; d >= 0; d--) {
    o->idx[d]++;
    for (int t = 0; t < o->nt; t++) o->off[t] += o->st[t][d];
    if (o->idx[d] < o->dims[d]) return;
    for (int t = 0; t < o->nt; t++) o->off[t] -= o->st[t][d] * o->dims[d];
    o->idx[d] = 0;
  }
}

static ingot_status_t need(const ingot_kctx_t *k, const ingot_tensor_t *const *in, uint32_t nin, uint32_t count,
                           uint32_t nout) {
  for (uint32_t i = 0; i < count; i++)
    if (i >= nin || !in[i]) return ingot_kerr(k, INGOT_CODE_INPUT, "input %u is required", i);
  if (nout < 1) return ingot_kerr(k, INGOT_CODE_INPUT, "the node has no output");
  return INGOT_OK;
}

static ingot_status_t bad_dtype(const ingot_kctx_t *k, const ingot_tensor_t *t) {
  return ingot_kerr(k, INGOT_CODE_UNSUPPORTED, "%s is not supported for dtype %s", ingot_op_name((ingot_op_t)k->n->op),
                    ingot_dtype_name(t->dtype));
}

static ingot_status_t same_dtype(const ingot_kctx_t *k, const ingot_tensor_t *a, const ingot_tensor_t *b) {
  if (a->dtype == b->dtype) return INGOT_OK;
  return ingot_kerr(k, INGOT_CODE_INPUT, "input dtypes differ: %s vs %s", ingot_dtype_name(a->dtype),
                    ingot_dtype_name(b->dtype));
}

/* ---- binary ops ------------------------------------------------------------ */

typedef enum {
  B_ADD, B_SUB, B_MUL, B_DIV, B_POW, B_MOD, B_MAX, B_MIN,
  B_EQ, B_LT, B_LE, B_GT, B_GE, B_AND, B_OR, B_XOR,
} binop_t;

static bool is_cmp(binop_t op) {
  return op >= B_EQ && op <= B_GE;
}
static bool is_logic(binop_t op) {
  return op >= B_AND;
}

static double f_binop(binop_t op, double x, double y, bool fmod_) {
  switch (op) {
    case B_ADD: return x + y;
    case B_SUB: return x - y;
    case B_MUL: return x * y;
    case B_DIV: return x / y;
    case B_POW: return pow(x, y);
    case B_MOD: (void)fmod_; return fmod(x, y);
    /* numpy/torch maximum and minimum propagate NaN */
    case B_MAX: return isnan(x) || isnan(y) ? NAN : (x > y ? x : y);
    case B_MIN: return isnan(x) || isnan(y) ? NAN : (x < y ? x : y);
    default: return 0;
  }
}

static bool f_cmp(binop_t op, double x, double y) {
  switch (op) {
    case B_EQ: return x == y;
    case B_LT: return x < y;
    case B_LE: return x <= y;
    case B_GT: return x > y;
    case B_GE: return x >= y;
    default: return false;
  }
}

/* Integer power by squaring, wrapping like repeated multiplication.  A
 * negative exponent gives trunc(1 / x^-e): 1 for x == 1, +-1 for x == -1,
 * else 0 (x == 0 is a division by zero: reported by the caller). */
static int64_t ipow(int64_t x, int64_t e) {
  if (e < 0) {
    if (x == 1) return 1;
    if (x == -1) return (e & 1) ? -1 : 1;
    return 0;
  }
  int64_t r = 1;
  while (e) {
    if (e & 1) r = wmul(r, x);
    x = wmul(x, x);
    e >>= 1;
  }
  return r;
}

static ingot_status_t binary(const ingot_kctx_t *k, const ingot_tensor_t *const *in, uint32_t nin,
                             ingot_tensor_t *out, uint32_t nout, binop_t op) {
  INGOT_RETURN_IF_ERROR(need(k, in, nin, 2, nout));
  const ingot_tensor_t *a = in[0], *b = in[1];
  int dom = dom_of(a->dtype);
  if (op != B_POW) INGOT_RETURN_IF_ERROR(same_dtype(k, a, b));
  if (dom == DOM_OTHER) return bad_dtype(k, a);
  if (is_logic(op) && dom != DOM_BOOL) return bad_dtype(k, a);
  if (!is_logic(op) && op != B_EQ && dom == DOM_BOOL) return bad_dtype(k, a);
  if (op == B_POW && dom_of(b->dtype) != DOM_FLOAT && dom_of(b->dtype) != DOM_SINT && dom_of(b->dtype) != DOM_UINT)
    return bad_dtype(k, b);
  bool fmod_ = ingot_node_attr_i(k->n, "fmod", 0) != 0;
  if (op == B_MOD && dom == DOM_FLOAT && !fmod_)
    return ingot_kerr(k, INGOT_CODE_INPUT, "Mod on %s requires fmod=1 (ONNX spec)", ingot_dtype_name(a->dtype));
  int rank;
  int64_t dims[INGOT_MAX_RANK];
  INGOT_RETURN_IF_ERROR(ingot_broadcast_shape(k, in, 2, &rank, dims));
  int odt = (is_cmp(op) || is_logic(op)) ? INGOT_DT_BOOL : a->dtype;
  INGOT_RETURN_IF_ERROR(ingot_tensor_alloc(&out[0], odt, rank, dims));
  ingot_tensor_t *y = &out[0];
  int64_t n = ingot_tensor_numel(y);
  odo_t o;
  odo_init(&o, rank, dims, in, 2);
  int bdom = dom_of(b->dtype);
  for (int64_t i = 0; i < n; i++, odo_next(&o)) {
    int64_t ia = o.off[0], ib = o.off[1];
    if (dom == DOM_BOOL) {
      bool x = ld_i(a, ia) != 0, z = ld_i(b, ib) != 0;
      bool r = op == B_AND ? (x && z) : op == B_OR ? (x || z) : op == B_XOR ? (x != z) : (x == z);
      st_b(y, i, r);
    } else if (dom == DOM_FLOAT) {
      double x = ld_f(a, ia), z = ld_f(b, ib);
      if (is_cmp(op))
        st_b(y, i, f_cmp(op, x, z));
      else
        st_f(y, i, f_binop(op, x, z, fmod_));
    } else if (op == B_POW) {
      int64_t x = ld_i(a, ia);
      if (bdom == DOM_FLOAT) {
        st_f(y, i, pow((double)x, ld_f(b, ib))); /* truncated toward zero, saturating */
      } else {
        int64_t e = bdom == DOM_UINT && ld_u(b, ib) > (uint64_t)INT64_MAX ? INT64_MAX : ld_i(b, ib);
        if (x == 0 && e < 0) return ingot_kerr(k, INGOT_CODE_INPUT, "integer Pow: 0 to a negative power");
        ingot_tensor_set_i64(y, i, dom == DOM_UINT ? (int64_t)ipow(x, e) : ipow(x, e));
      }
    } else if (dom == DOM_SINT) {
      int64_t x = ld_i(a, ia), z = ld_i(b, ib), r = 0;
      switch (op) {
        case B_ADD: r = wadd(x, z); break;
        case B_SUB: r = wsub(x, z); break;
        case B_MUL: r = wmul(x, z); break;
        case B_DIV:
          if (z == 0) return ingot_kerr(k, INGOT_CODE_INPUT, "integer division by zero");
          r = z == -1 ? wsub(0, x) : x / z; /* C truncates toward zero, as ONNX/torch shape math expects */
          break;
        case B_MOD:
          if (z == 0) return ingot_kerr(k, INGOT_CODE_INPUT, "integer modulo by zero");
          r = z == -1 ? 0 : x % z; /* fmod=1: sign of the dividend (C) */
          if (!fmod_ && r != 0 && ((r < 0) != (z < 0))) r += z; /* fmod=0: sign of the divisor (Python) */
          break;
        case B_MAX: r = x > z ? x : z; break;
        case B_MIN: r = x < z ? x : z; break;
        default: st_b(y, i, op == B_EQ ? x == z : op == B_LT ? x < z : op == B_LE ? x <= z : op == B_GT ? x > z : x >= z);
          continue;
      }
      ingot_tensor_set_i64(y, i, r);
    } else { /* DOM_UINT */
      uint64_t x = ld_u(a, ia), z = ld_u(b, ib), r = 0;
      switch (op) {
        case B_ADD: r = x + z; break;
        case B_SUB: r = x - z; break;
        case B_MUL: r = x * z; break;
        case B_DIV:
          if (z == 0) return ingot_kerr(k, INGOT_CODE_INPUT, "integer division by zero");
          r = x / z;
          break;
        case B_MOD:
          if (z == 0) return ingot_kerr(k, INGOT_CODE_INPUT, "integer modulo by zero");
          r = x % z;
          break;
        case B_MAX: r = x > z ? x : z; break;
        case B_MIN: r = x < z ? x : z; break;
        default: st_b(y, i, op == B_EQ ? x == z : op == B_LT ? x < z : op == B_LE ? x <= z : op == B_GT ? x > z : x >= z);
          continue;
      }
      ingot_tensor_set_i64(y, i, (int64_t)r);
    }
  }
  return INGOT_OK;
}

#define BINARY_KERNEL(E, OP)                                                                                  \
  ingot_status_t ingot_kernel_##E(const ingot_kctx_t *k, const ingot_tensor_t *const *in, uint32_t nin,       \
                                  ingot_tensor_t *out, uint32_t nout) {                                       \
    ingot_status_t st = binary(k, in, nin, out, nout, OP);                                                    \
    if (st) ingot_tensor_release(&out[0]);                                                                    \
    return st;                                                                                                \
  }

BINARY_KERNEL(ADD, B_ADD)
BINARY_KERNEL(SUB, B_SUB)
BINARY_KERNEL(MUL, B_MUL)
BINARY_KERNEL(DIV, B_DIV)
BINARY_KERNEL(POW, B_POW)
BINARY_KERNEL(MOD, B_MOD)
BINARY_KERNEL(EQUAL, B_EQ)
BINARY_KERNEL(LESS, B_LT)
BINARY_KERNEL(LESS_OR_EQUAL, B_LE)
BINARY_KERNEL(GREATER, B_GT)
BINARY_KERNEL(GREATER_OR_EQUAL, B_GE)
BINARY_KERNEL(AND, B_AND)
BINARY_KERNEL(OR, B_OR)
BINARY_KERNEL(XOR, B_XOR)

/* ---- variadic Sum / Mean / Max / Min ---------------------------------------- */

typedef enum { V_SUM, V_MEAN, V_MAX, V_MIN } varop_t;

/* Folds every input (broadcast to the common shape) into the output, in
 * input order; accumulates in double (float) or 64-bit integers. */
static ingot_status_t variadic(const ingot_kctx_t *k, const ingot_tensor_t *const *in, uint32_t nin,
                               ingot_tensor_t *out, uint32_t nout, varop_t op) {
  INGOT_RETURN_IF_ERROR(need(k, in, nin, 1, nout));
  for (uint32_t j = 0; j < nin; j++) {
    if (!in[j]) return ingot_kerr(k, INGOT_CODE_INPUT, "input %u is missing", j);
    INGOT_RETURN_IF_ERROR(same_dtype(k, in[0], in[j]));
  }
  int dom = dom_of(in[0]->dtype);
  if (dom != DOM_FLOAT && dom != DOM_SINT && dom != DOM_UINT) return bad_dtype(k, in[0]);
  int rank;
  int64_t dims[INGOT_MAX_RANK];
  INGOT_RETURN_IF_ERROR(ingot_broadcast_shape(k, in, nin, &rank, dims));
  INGOT_RETURN_IF_ERROR(ingot_tensor_alloc(&out[0], in[0]->dtype, rank, dims));
  ingot_tensor_t *y = &out[0];
  int64_t n = ingot_tensor_numel(y);
  /* Accumulate in a scratch tensor of the wide dtype. */
  ingot_tensor_t acc;
  ingot_status_t st =
      ingot_tensor_alloc(&acc, dom == DOM_FLOAT ? INGOT_DT_DOUBLE : dom == DOM_SINT ? INGOT_DT_INT64 : INGOT_DT_UINT64,
                         rank, dims);
  if (st) return st;
  double *af = acc.data;
  int64_t *ai = acc.data;
  uint64_t *au = acc.data;
  for (uint32_t j = 0; j < nin; j++) {
    odo_t o;
    odo_init(&o, rank, dims, &in[j], 1);
    const ingot_tensor_t *t = in[j];
    for (int64_t i = 0; i < n; i++, odo_next(&o)) {
      int64_t s = o.off[0];
      if (dom == DOM_FLOAT) {
        double x = ld_f(t, s);
        if (j == 0) af[i] = x;
        else if (op == V_SUM || op == V_MEAN) af[i] += x;
        else af[i] = f_binop(op == V_MAX ? B_MAX : B_MIN, af[i], x, false);
      } else if (dom == DOM_SINT) {
        int64_t x = ld_i(t, s);
        if (j == 0) ai[i] = x;
        else if (op == V_SUM || op == V_MEAN) ai[i] = wadd(ai[i], x);
        else if (op == V_MAX) ai[i] = x > ai[i] ? x : ai[i];
        else ai[i] = x < ai[i] ? x : ai[i];
      } else {
        uint64_t x = ld_u(t, s);
        if (j == 0) au[i] = x;
        else if (op == V_SUM || op == V_MEAN) au[i] += x;
        else if (op == V_MAX) au[i] = x > au[i] ? x : au[i];
        else au[i] = x < au[i] ? x : au[i];
      }
    }
  }
  for (int64_t i = 0; i < n; i++) {
    if (dom == DOM_FLOAT) st_f(y, i, op == V_MEAN ? af[i] / nin : af[i]);
    else if (dom == DOM_SINT) ingot_tensor_set_i64(y, i, op == V_MEAN ? ai[i] / (int64_t)nin : ai[i]);
    else ingot_tensor_set_i64(y, i, (int64_t)(op == V_MEAN ? au[i] / nin : au[i]));
  }
  ingot_tensor_release(&acc);
  return INGOT_OK;
}

#define VARIADIC_KERNEL(E, OP)                                                                                \
  ingot_status_t ingot_kernel_##E(const ingot_kctx_t *k, const ingot_tensor_t *const *in, uint32_t nin,       \
                                  ingot_tensor_t *out, uint32_t nout) {                                       \
    ingot_status_t st = variadic(k, in, nin, out, nout, OP);                                                  \
    if (st) ingot_tensor_release(&out[0]);                                                                    \
    return st;                                                                                                \
  }

VARIADIC_KERNEL(SUM, V_SUM)
VARIADIC_KERNEL(MEAN, V_MEAN)
VARIADIC_KERNEL(MAX, V_MAX)
VARIADIC_KERNEL(MIN, V_MIN)

/* ---- Where ------------------------------------------------------------------- */

ingot_status_t ingot_kernel_WHERE(const ingot_kctx_t *k, const ingot_tensor_t *const *in, uint32_t nin,
                                  ingot_tensor_t *out, uint32_t nout) {
  INGOT_RETURN_IF_ERROR(need(k, in, nin, 3, nout));
  if (in[0]->dtype != INGOT_DT_BOOL)
    return ingot_kerr(k, INGOT_CODE_INPUT, "condition must be bool, got %s", ingot_dtype_name(in[0]->dtype));
  INGOT_RETURN_IF_ERROR(same_dtype(k, in[1], in[2]));
  int rank;
  int64_t dims[INGOT_MAX_RANK];
  INGOT_RETURN_IF_ERROR(ingot_broadcast_shape(k, in, 3, &rank, dims));
  INGOT_RETURN_IF_ERROR(ingot_tensor_alloc(&out[0], in[1]->dtype, rank, dims));
  size_t es = ingot_dtype_size(in[1]->dtype);
  int64_t n = ingot_tensor_numel(&out[0]);
  const uint8_t *c = in[0]->data;
  const char *x = in[1]->data, *z = in[2]->data;
  char *y = out[0].data;
  odo_t o;
  odo_init(&o, rank, dims, in, 3);
  for (int64_t i = 0; i < n; i++, odo_next(&o)) {
    const char *src = c[o.off[0]] ? x + (size_t)o.off[1] * es : z + (size_t)o.off[2] * es;
    memcpy(y + (size_t)i * es, src, es);
  }
  return INGOT_OK;
}

/* ---- unary ops ------------------------------------------------------------------ */

typedef enum {
  U_NEG, U_ABS, U_SQRT, U_RECIP, U_EXP, U_LOG, U_ERF, U_TANH, U_SIGMOID, U_RELU, U_LEAKY, U_ELU, U_SOFTPLUS,
  U_HSIGMOID, U_HSWISH, U_MISH, U_GELU, U_SIN, U_COS, U_FLOOR, U_CEIL, U_ROUND, U_SIGN,
} unop_t;

static double softplus(double x) {
  /* log(1 + e^x) without overflow: max(x, 0) + log1p(e^-|x|) */
  return (x > 0 ? x : 0) + log1p(exp(-fabs(x)));
}

static double hard_sigmoid(double x, double alpha, double beta) {
  double v = alpha * x + beta;
  return v < 0 ? 0 : v > 1 ? 1 : v; /* NaN passes through */
}

/* Round half to even (ONNX Round; numpy.round). */
static double round_even(double x) {
  double r = round(x); /* half away from zero */
  if (fabs(x - trunc(x)) == 0.5) r = 2.0 * round(x / 2.0);
  return r;
}

typedef struct {
  double alpha, beta;
  bool gelu_tanh;
} unparams_t;

static double f_unop(unop_t op, double x, const unparams_t *p) {
  switch (op) {
    case U_NEG: return -x;
    case U_ABS: return fabs(x);
    case U_SQRT: return sqrt(x);
    case U_RECIP: return 1.0 / x;
    case U_EXP: return exp(x);
    case U_LOG: return log(x);
    case U_ERF: return erf(x);
    case U_TANH: return tanh(x);
    case U_SIGMOID:
      if (x >= 0) return 1.0 / (1.0 + exp(-x));
      else {
        double e = exp(x);
        return e / (1.0 + e);
      }
    case U_RELU: return x < 0 ? 0 : x;
    case U_LEAKY: return x >= 0 ? x : p->alpha * x;
    case U_ELU: return x >= 0 ? x : p->alpha * expm1(x);
    case U_SOFTPLUS: return softplus(x);
    case U_HSIGMOID: return hard_sigmoid(x, p->alpha, p->beta);
    case U_HSWISH: return x * hard_sigmoid(x, 1.0 / 6.0, 0.5);
    case U_MISH: return x * tanh(softplus(x));
    case U_GELU:
      if (p->gelu_tanh) {
        const double c = 0.79788456080286535588; /* sqrt(2/pi) */
        return 0.5 * x * (1.0 + tanh(c * (x + 0.044715 * x * x * x)));
      }
      return 0.5 * x * (1.0 + erf(x * 0.70710678118654752440));
    case U_SIN: return sin(x);
    case U_COS: return cos(x);
    case U_FLOOR: return floor(x);
    case U_CEIL: return ceil(x);
    case U_ROUND: return round_even(x);
    case U_SIGN: return isnan(x) ? x : (x > 0) - (x < 0);
  }
  return 0;
}

static ingot_status_t unary(const ingot_kctx_t *k, const ingot_tensor_t *const *in, uint32_t nin,
                            ingot_tensor_t *out, uint32_t nout, unop_t op) {
  INGOT_RETURN_IF_ERROR(need(k, in, nin, 1, nout));
  const ingot_tensor_t *x = in[0];
  int dom = dom_of(x->dtype);
  bool int_ok = op == U_NEG || op == U_ABS || op == U_RELU || op == U_SIGN;
  if (dom == DOM_SINT || dom == DOM_UINT) {
    if (!int_ok || (op == U_NEG && dom == DOM_UINT)) return bad_dtype(k, x);
  } else if (dom != DOM_FLOAT) {
    return bad_dtype(k, x);
  }
  unparams_t p = {0, 0, false};
  if (op == U_LEAKY) p.alpha = ingot_node_attr_f(k->n, "alpha", 0.01f);
  if (op == U_ELU) p.alpha = ingot_node_attr_f(k->n, "alpha", 1.0f);
  if (op == U_HSIGMOID) {
    p.alpha = ingot_node_attr_f(k->n, "alpha", 0.2f);
    p.beta = ingot_node_attr_f(k->n, "beta", 0.5f);
  }
  if (op == U_GELU) {
    const char *ap = ingot_node_attr_s(k->n, "approximate", "none");
    if (strcmp(ap, "tanh") == 0) p.gelu_tanh = true;
    else if (strcmp(ap, "none") != 0)
      return ingot_kerr(k, INGOT_CODE_INPUT, "Gelu approximate='%s' (expected 'none' or 'tanh')", ap);
  }
  INGOT_RETURN_IF_ERROR(ingot_tensor_alloc(&out[0], x->dtype, x->rank, x->dims));
  ingot_tensor_t *y = &out[0];
  int64_t n = ingot_tensor_numel(x);
  for (int64_t i = 0; i < n; i++) {
    if (dom == DOM_FLOAT) {
      st_f(y, i, f_unop(op, ld_f(x, i), &p));
    } else if (dom == DOM_SINT) {
      int64_t v = ld_i(x, i);
      switch (op) {
        case U_NEG: v = wsub(0, v); break;
        case U_ABS: v = v < 0 ? wsub(0, v) : v; break;
        case U_RELU: v = v < 0 ? 0 : v; break;
        default: v = (v > 0) - (v < 0); break; /* U_SIGN */
      }
      ingot_tensor_set_i64(y, i, v);
    } else {
      uint64_t v = ld_u(x, i);
      if (op == U_SIGN) v = v != 0;
      ingot_tensor_set_i64(y, i, (int64_t)v);
    }
  }
  return INGOT_OK;
}

#define UNARY_KERNEL(E, OP)                                                                                   \
  ingot_status_t ingot_kernel_##E(const ingot_kctx_t *k, const ingot_tensor_t *const *in, uint32_t nin,       \
                                  ingot_tensor_t *out, uint32_t nout) {                                       \
    ingot_status_t st = unary(k, in, nin, out, nout, OP);                                                     \
    if (st) ingot_tensor_release(&out[0]);                                                                    \
    return st;                                                                                                \
  }

UNARY_KERNEL(NEG, U_NEG)
UNARY_KERNEL(ABS, U_ABS)
UNARY_KERNEL(SQRT, U_SQRT)
UNARY_KERNEL(RECIPROCAL, U_RECIP)
UNARY_KERNEL(EXP, U_EXP)
UNARY_KERNEL(LOG, U_LOG)
UNARY_KERNEL(ERF, U_ERF)
UNARY_KERNEL(TANH, U_TANH)
UNARY_KERNEL(SIGMOID, U_SIGMOID)
UNARY_KERNEL(RELU, U_RELU)
UNARY_KERNEL(LEAKY_RELU, U_LEAKY)
UNARY_KERNEL(ELU, U_ELU)
UNARY_KERNEL(SOFTPLUS, U_SOFTPLUS)
UNARY_KERNEL(HARD_SIGMOID, U_HSIGMOID)
UNARY_KERNEL(HARD_SWISH, U_HSWISH)
UNARY_KERNEL(MISH, U_MISH)
UNARY_KERNEL(GELU, U_GELU)
UNARY_KERNEL(SIN, U_SIN)
UNARY_KERNEL(COS, U_COS)
UNARY_KERNEL(FLOOR, U_FLOOR)
UNARY_KERNEL(CEIL, U_CEIL)
UNARY_KERNEL(ROUND, U_ROUND)
UNARY_KERNEL(SIGN, U_SIGN)

static ingot_status_t copy_tensor(const ingot_tensor_t *x, ingot_tensor_t *y) {
  INGOT_RETURN_IF_ERROR(ingot_tensor_alloc(y, x->dtype, x->rank, x->dims));
  if (y->nbytes) memcpy(y->data, x->data, y->nbytes);
  return INGOT_OK;
}

ingot_status_t ingot_kernel_IDENTITY(const ingot_kctx_t *k, const ingot_tensor_t *const *in, uint32_t nin,
                                     ingot_tensor_t *out, uint32_t nout) {
  INGOT_RETURN_IF_ERROR(need(k, in, nin, 1, nout));
  if (!ingot_dtype_size(in[0]->dtype)) return bad_dtype(k, in[0]);
  return copy_tensor(in[0], &out[0]);
}

ingot_status_t ingot_kernel_NOT(const ingot_kctx_t *k, const ingot_tensor_t *const *in, uint32_t nin,
                                ingot_tensor_t *out, uint32_t nout) {
  INGOT_RETURN_IF_ERROR(need(k, in, nin, 1, nout));
  if (in[0]->dtype != INGOT_DT_BOOL) return bad_dtype(k, in[0]);
  INGOT_RETURN_IF_ERROR(ingot_tensor_alloc(&out[0], INGOT_DT_BOOL, in[0]->rank, in[0]->dims));
  int64_t n = ingot_tensor_numel(in[0]);
  const uint8_t *x = in[0]->data;
  for (int64_t i = 0; i < n; i++) st_b(&out[0], i, !x[i]);
  return INGOT_OK;
}

ingot_status_t ingot_kernel_ISNAN(const ingot_kctx_t *k, const ingot_tensor_t *const *in, uint32_t nin,
                                  ingot_tensor_t *out, uint32_t nout) {
  INGOT_RETURN_IF_ERROR(need(k, in, nin, 1, nout));
  if (dom_of(in[0]->dtype) != DOM_FLOAT) return bad_dtype(k, in[0]);
  INGOT_RETURN_IF_ERROR(ingot_tensor_alloc(&out[0], INGOT_DT_BOOL, in[0]->rank, in[0]->dims));
  int64_t n = ingot_tensor_numel(in[0]);
  for (int64_t i = 0; i < n; i++) st_b(&out[0], i, isnan(ld_f(in[0], i)));
  return INGOT_OK;
}

/* ---- Clip -------------------------------------------------------------------------- */

/* Clip (opset >= 11): min and max are optional scalar inputs; with
 * min > max every element becomes max (min(max(x, lo), hi)).  NaN passes. */
ingot_status_t ingot_kernel_CLIP(const ingot_kctx_t *k, const ingot_tensor_t *const *in, uint32_t nin,
                                 ingot_tensor_t *out, uint32_t nout) {
  INGOT_RETURN_IF_ERROR(need(k, in, nin, 1, nout));
  const ingot_tensor_t *x = in[0];
  const ingot_tensor_t *lo = nin > 1 ? in[1] : NULL, *hi = nin > 2 ? in[2] : NULL;
  int dom = dom_of(x->dtype);
  if (dom != DOM_FLOAT && dom != DOM_SINT && dom != DOM_UINT) return bad_dtype(k, x);
  for (int j = 0; j < 2; j++) {
    const ingot_tensor_t *b = j ? hi : lo;
    if (!b) continue;
    INGOT_RETURN_IF_ERROR(same_dtype(k, x, b));
    if (ingot_tensor_numel(b) != 1)
      return ingot_kerr(k, INGOT_CODE_INPUT, "Clip %s must be a scalar, got %lld elements", j ? "max" : "min",
                        (long long)ingot_tensor_numel(b));
  }
  INGOT_RETURN_IF_ERROR(ingot_tensor_alloc(&out[0], x->dtype, x->rank, x->dims));
  int64_t n = ingot_tensor_numel(x);
  for (int64_t i = 0; i < n; i++) {
    if (dom == DOM_FLOAT) {
      double v = ld_f(x, i);
      if (lo && v < ld_f(lo, 0)) v = ld_f(lo, 0);
      if (hi && v > ld_f(hi, 0)) v = ld_f(hi, 0);
      st_f(&out[0], i, v);
    } else if (dom == DOM_SINT) {
      int64_t v = ld_i(x, i);
      if (lo && v < ld_i(lo, 0)) v = ld_i(lo, 0);
      if (hi && v > ld_i(hi, 0)) v = ld_i(hi, 0);
      ingot_tensor_set_i64(&out[0], i, v);
    } else {
      uint64_t v = ld_u(x, i);
      if (lo && v < ld_u(lo, 0)) v = ld_u(lo, 0);
      if (hi && v > ld_u(hi, 0)) v = ld_u(hi, 0);
      ingot_tensor_set_i64(&out[0], i, (int64_t)v);
    }
  }
  return INGOT_OK;
}

/* ---- Cast / CastLike ------------------------------------------------------------------ */

/* double -> float rounded to odd: truncate toward zero and set the last bit
 * when inexact.  Rounding that to float16/bfloat16 (>= 2 fewer mantissa
 * bits) then equals rounding the double directly (no double rounding). */
static float to_f32_odd(double d) {
  float f = (float)d;
  if (!isfinite(f) || (double)f == d) return f;
  if (fabs((double)f) > fabs(d)) f = nextafterf(f, 0.0f);
  uint32_t u;
  memcpy(&u, &f, 4);
  u |= 1;
  memcpy(&f, &u, 4);
  return f;
}

/* Saturating float -> integer conversion (truncation toward zero; NaN -> 0). */
static void st_sat(ingot_tensor_t *t, int64_t i, double d) {
  if (isnan(d)) d = 0;
  d = trunc(d);
  double lo, hi;
  switch (t->dtype) {
    case INGOT_DT_INT8: lo = INT8_MIN, hi = INT8_MAX; break;
    case INGOT_DT_INT16: lo = INT16_MIN, hi = INT16_MAX; break;
    case INGOT_DT_INT32: lo = INT32_MIN, hi = INT32_MAX; break;
    case INGOT_DT_UINT8: lo = 0, hi = UINT8_MAX; break;
    case INGOT_DT_UINT16: lo = 0, hi = UINT16_MAX; break;
    case INGOT_DT_UINT32: lo = 0, hi = UINT32_MAX; break;
    case INGOT_DT_UINT64:
      if (d <= 0) ((uint64_t *)t->data)[i] = 0;
      else if (d >= 18446744073709551616.0) ((uint64_t *)t->data)[i] = UINT64_MAX;
      else ((uint64_t *)t->data)[i] = (uint64_t)d;
      return;
    default: /* INT64 */
      if (d >= 9223372036854775808.0) ingot_tensor_set_i64(t, i, INT64_MAX);
      else if (d < -9223372036854775808.0) ingot_tensor_set_i64(t, i, INT64_MIN);
      else ingot_tensor_set_i64(t, i, (int64_t)d);
      return;
  }
  ingot_tensor_set_i64(t, i, (int64_t)(d < lo ? lo : d > hi ? hi : d));
}

static void st_float_from(ingot_tensor_t *t, int64_t i, double d) {
  switch (t->dtype) {
    case INGOT_DT_FLOAT: ((float *)t->data)[i] = (float)d; break;
    case INGOT_DT_DOUBLE: ((double *)t->data)[i] = d; break;
    case INGOT_DT_FLOAT16: ((uint16_t *)t->data)[i] = ingot_f32_to_f16(to_f32_odd(d)); break;
    default: ((uint16_t *)t->data)[i] = ingot_f32_to_bf16(to_f32_odd(d)); break; /* BFLOAT16 */
  }
}

static ingot_status_t cast_to(const ingot_kctx_t *k, const ingot_tensor_t *x, int to, ingot_tensor_t *y) {
  int sd = dom_of(x->dtype), dd = dom_of(to);
  if (sd == DOM_OTHER) return bad_dtype(k, x);
  if (dd == DOM_OTHER)
    return ingot_kerr(k, INGOT_CODE_UNSUPPORTED, "Cast to %s is not supported", ingot_dtype_name(to));
  INGOT_RETURN_IF_ERROR(ingot_tensor_alloc(y, to, x->rank, x->dims));
  int64_t n = ingot_tensor_numel(x);
  if (x->dtype == to) {
    if (y->nbytes) memcpy(y->data, x->data, y->nbytes);
    return INGOT_OK;
  }
  for (int64_t i = 0; i < n; i++) {
    if (sd == DOM_FLOAT) {
      double d = ld_f(x, i);
      if (dd == DOM_FLOAT) st_float_from(y, i, d);
      else if (dd == DOM_BOOL) st_b(y, i, d != 0); /* NaN -> true */
      else st_sat(y, i, d);
    } else { /* integers and bool */
      bool u = sd == DOM_UINT;
      int64_t v = ld_i(x, i);
      if (dd == DOM_BOOL) {
        st_b(y, i, v != 0);
      } else if (dd == DOM_FLOAT) {
        /* one rounding: straight from the integer to float/double */
        if (to == INGOT_DT_FLOAT) ((float *)y->data)[i] = u ? (float)(uint64_t)v : (float)v;
        else st_float_from(y, i, u ? (double)(uint64_t)v : (double)v);
      } else {
        ingot_tensor_set_i64(y, i, v); /* integer -> integer wraps (C / numpy) */
      }
    }
  }
  return INGOT_OK;
}

ingot_status_t ingot_kernel_CAST(const ingot_kctx_t *k, const ingot_tensor_t *const *in, uint32_t nin,
                                 ingot_tensor_t *out, uint32_t nout) {
  INGOT_RETURN_IF_ERROR(need(k, in, nin, 1, nout));
  const ingot_attr_t *to = ingot_node_attr(k->n, "to");
  if (!to || to->type != INGOT_ATTR_INT) return ingot_kerr(k, INGOT_CODE_INPUT, "Cast needs an int 'to' attribute");
  if (to->i <= 0 || to->i >= INGOT_DT_COUNT_)
    return ingot_kerr(k, INGOT_CODE_INPUT, "Cast to unknown dtype %lld", (long long)to->i);
  return cast_to(k, in[0], (int)to->i, &out[0]);
}

ingot_status_t ingot_kernel_CAST_LIKE(const ingot_kctx_t *k, const ingot_tensor_t *const *in, uint32_t nin,
                                      ingot_tensor_t *out, uint32_t nout) {
  INGOT_RETURN_IF_ERROR(need(k, in, nin, 2, nout));
  return cast_to(k, in[0], in[1]->dtype, &out[0]);
}

/* ---- Dropout -------------------------------------------------------------------------- */

/* Inference: Y = X, mask all true.  Training mode with a non-zero ratio is
 * random and has no reference value. */
ingot_status_t ingot_kernel_DROPOUT(const ingot_kctx_t *k, const ingot_tensor_t *const *in, uint32_t nin,
                                    ingot_tensor_t *out, uint32_t nout) {
  INGOT_RETURN_IF_ERROR(need(k, in, nin, 1, nout));
  const ingot_tensor_t *ratio = nin > 1 ? in[1] : NULL, *train = nin > 2 ? in[2] : NULL;
  if (train && ingot_tensor_numel(train) >= 1 && ld_i(train, 0) != 0) {
    double r = ratio && ingot_tensor_numel(ratio) >= 1 ? ld_f(ratio, 0) : 0.5;
    if (r != 0)
      return ingot_kerr(k, INGOT_CODE_UNSUPPORTED, "Dropout in training mode (ratio %g) is random", r);
  }
  INGOT_RETURN_IF_ERROR(copy_tensor(in[0], &out[0]));
  if (nout > 1) {
    ingot_status_t st = ingot_tensor_alloc(&out[1], INGOT_DT_BOOL, in[0]->rank, in[0]->dims);
    if (st) {
      ingot_tensor_release(&out[0]);
      return st;
    }
    if (out[1].nbytes) memset(out[1].data, 1, out[1].nbytes);
  }
  return INGOT_OK;
}
