/* Shape inference for ingot's quantized ops (IngotQuantAct, IngotQLinear,
 * IngotQConv; semantics in interp/k_quant.c).  passes/quantize.c types what
 * it makes itself; these rules let a later full inference (or a hand-built
 * graph in a test) recompute the same types. */
#include <string.h>

#include "infer_impl.h"

static ingot_status_t ix_quant_act(ix_t *c) {
  const ingot_type_t *x;
  INGOT_RETURN_IF_ERROR(ix_need(c, 0, "X", &x));
  if (x->rank < 1) return ix_err(c, INGOT_CODE_INPUT, "X must have rank >= 1");
  const char *fmt = ingot_node_attr_s(c->n, "format", "");
  bool is_int8 = !strcmp(fmt, "int8");
  if (!is_int8 && strcmp(fmt, "e4m3fn") && strcmp(fmt, "e5m2"))
    return ix_err(c, INGOT_CODE_INPUT, "format must be int8, e4m3fn or e5m2, not '%s'", fmt);
  int64_t pad = ingot_node_attr_i(c->n, "pad_to", 1);
  if (pad < 1 || pad > 64) return ix_err(c, INGOT_CODE_INPUT, "pad_to %lld is invalid", (long long)pad);
  ingot_type_t y = *x;
  y.dtype = is_int8 ? INGOT_DT_INT8 : INGOT_DT_FLOAT;
  ingot_dim_t *last = &y.dims[y.rank - 1];
  if (pad > 1) {
    if (last->sym) return ix_err(c, INGOT_CODE_INPUT, "padding needs a static last dim");
    last->v = (last->v + pad - 1) / pad * pad;
  }
  INGOT_RETURN_IF_ERROR(ix_set(c, 0, &y));
  if (c->n->noutputs > 1) {
    ingot_type_t s = *x;
    s.dtype = INGOT_DT_FLOAT;
    s.rank = x->rank - 1;
    INGOT_RETURN_IF_ERROR(ix_set(c, 1, &s));
  }
  return INGOT_OK;
}

static ingot_status_t ix_qlinear(ix_t *c) {
  const ingot_type_t *a;
  INGOT_RETURN_IF_ERROR(ix_need(c, 0, "A", &a));
  if (a->rank < 1) return ix_err(c, INGOT_CODE_INPUT, "A must have rank >= 1");
  int64_t n = ingot_node_attr_i(c->n, "n", 0);
  if (n < 1) return ix_err(c, INGOT_CODE_INPUT, "n must be >= 1");
  ingot_type_t y = *a;
  y.dtype = INGOT_DT_FLOAT;
  y.dims[y.rank - 1] = ingot_dim_const(n);
  return ix_set(c, 0, &y);
}

static ingot_status_t ix_qconv(ix_t *c) {
  const ingot_type_t *x;
  INGOT_RETURN_IF_ERROR(ix_need(c, 0, "X", &x));
  if (x->rank != 4) return ix_err(c, INGOT_CODE_INPUT, "X must be [N, C, H, W]");
  int64_t n = ingot_node_attr_i(c->n, "n", 0);
  const int64_t *ks, *pads, *st, *dl;
  int64_t nks = ingot_node_attr_ints(c->n, "kernel_shape", &ks), np = ingot_node_attr_ints(c->n, "pads", &pads);
  int64_t ns = ingot_node_attr_ints(c->n, "strides", &st), nd = ingot_node_attr_ints(c->n, "dilations", &dl);
  if (n < 1 || nks != 2 || np != 4 || ns != 2 || nd != 2)
    return ix_err(c, INGOT_CODE_INPUT, "needs n, kernel_shape[2], pads[4], strides[2], dilations[2]");
  ingot_type_t y = *x;
  y.dtype = INGOT_DT_FLOAT;
  y.dims[1] = ingot_dim_const(n);
  for (int d = 0; d < 2; d++) {
    ingot_dim_t in = x->dims[2 + d];
    if (in.sym || ks[d] < 1 || st[d] < 1 || dl[d] < 1 || pads[d] < 0 || pads[d + 2] < 0) {
      INGOT_RETURN_IF_ERROR(ix_fresh(c, &y.dims[2 + d]));
      continue;
    }
    int64_t ext = (ks[d] - 1) * dl[d] + 1, span = in.v + pads[d] + pads[d + 2];
    if (span < ext) return ix_err(c, INGOT_CODE_INPUT, "the kernel is larger than the padded input");
    y.dims[2 + d] = ingot_dim_const((span - ext) / st[d] + 1);
  }
  return ix_set(c, 0, &y);
}

ingot_status_t ix_quant(ix_t *c) {
  switch (c->n->op) {
    case INGOT_OP_QUANT_ACT: return ix_quant_act(c);
    case INGOT_OP_QLINEAR: return ix_qlinear(c);
    case INGOT_OP_QCONV: return ix_qconv(c);
    default: return ix_err(c, INGOT_CODE_INTERNAL, "not a quantized op");
  }
}
