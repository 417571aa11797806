/* Shape specialisation.
 * requires: shapes inferred (possibly symbolic).  changes: binds symbolic
 * input dims to concrete sizes (--batch N binds every symbolic leading dim,
 * --bucket NAME=AxBxC binds NAME's dims), substitutes the bindings into
 * every value, and re-infers all node outputs so everything downstream is
 * static.  why: compiled kernels have constant loop bounds; each bucket is
 * a full specialisation sharing the weights. */
#include <string.h>

#include "ir/infer.h"
#include "passes/pass.h"

typedef struct {
  uint32_t sym;
  int64_t v;
} bind_t;

static ingot_status_t bind(const ingot_graph_t *g, bind_t *b, int *nb, int cap, uint32_t sym, int64_t v,
                           const char *input) {
  for (int i = 0; i < *nb; i++)
    if (b[i].sym == sym) {
      if (b[i].v != v)
        return ingot_error(INGOT_CODE_INPUT, "input '%s': dim '%s' bound to both %lld and %lld", input,
                           ingot_graph_sym_name((ingot_graph_t *)g, sym), (long long)b[i].v, (long long)v);
      return INGOT_OK;
    }
  if (*nb == cap) return ingot_error(INGOT_CODE_UNSUPPORTED, "too many symbolic dims to specialise");
  b[*nb].sym = sym;
  b[*nb].v = v;
  (*nb)++;
  return INGOT_OK;
}

static void substitute(ingot_dim_t *d, const bind_t *b, int nb) {
  if (!d->sym) return;
  for (int i = 0; i < nb; i++)
    if (b[i].sym == d->sym) {
      d->sym = 0;
      d->v = b[i].v;
      return;
    }
}

ingot_status_t ingot_pass_specialize(ingot_graph_t *g, ingot_pass_ctx_t *ctx) {
  enum { CAP = 64 };
  bind_t b[CAP];
  int nb = 0;
  char buf[256];
  for (int i = 0; i < ctx->nbindings; i++) {
    const ingot_shape_binding_t *s = &ctx->bindings[i];
    int32_t v = ingot_graph_find(g, s->input);
    if (v < 0 || !(g->values[v].flags & INGOT_VAL_INPUT))
      return ingot_error(INGOT_CODE_INPUT, "%s: the model has no input named '%s'", g->source, s->input);
    const ingot_type_t *t = &g->values[v].type;
    if (t->rank != s->rank)
      return ingot_error(INGOT_CODE_INPUT, "%s: input '%s' has rank %d %s, the binding gives rank %d", g->source,
                         s->input, t->rank, ingot_type_str(g, t, buf, sizeof buf), s->rank);
    for (int d = 0; d < t->rank; d++) {
      if (t->dims[d].sym)
        INGOT_RETURN_IF_ERROR(bind(g, b, &nb, CAP, t->dims[d].sym, s->dims[d], s->input));
      else if (t->dims[d].v != s->dims[d])
        return ingot_error(INGOT_CODE_INPUT, "%s: input '%s' is %s; dim %d cannot be %lld", g->source, s->input,
                           ingot_type_str(g, t, buf, sizeof buf), d, (long long)s->dims[d]);
    }
  }
  if (ctx->batch > 0)
    for (uint32_t i = 0; i < g->ninputs; i++) {
      const ingot_value_t *val = &g->values[g->inputs[i]];
      if (val->type.rank > 0 && val->type.dims[0].sym)
        INGOT_RETURN_IF_ERROR(bind(g, b, &nb, CAP, val->type.dims[0].sym, ctx->batch, val->name));
    }
  if (nb == 0) return INGOT_OK;
  for (uint32_t v = 0; v < g->nvalues; v++) {
    ingot_value_t *val = &g->values[v];
    if (val->producer >= 0 && !(val->flags & INGOT_VAL_OUTPUT)) {
      /* re-inferred below */
      val->type.rank = -1;
      val->type.dtype = INGOT_DT_UNDEFINED;
      val->symval = NULL;
      val->nsymval = 0;
      continue;
    }
    for (int d = 0; d < val->type.rank; d++) substitute(&val->type.dims[d], b, nb);
    if (val->producer >= 0) {
      val->symval = NULL;
      val->nsymval = 0;
    }
  }
  return ingot_infer_shapes(g);
}
