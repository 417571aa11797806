/* Whole-sampler compilation (contract and formulas in codegen/sampler.h).
 *
 * NAME_sample is plain LLVM IR added to the model's module before it is
 * optimised, so it lands in NAME.o / libNAME.a / libNAME.so next to the
 * kernels.  It calls three runtime functions: ingot_rt_aligned_alloc/free
 * for its scratch (the doubled CFG batch and the model output) and
 * ingot_rt_model_run for each step, so traces and timing work as for any
 * run.  The noise schedule is four private constant float tables. */
#include "codegen/sampler.h"

#include <llvm-c/Support.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codegen/artifact.h"
#include "codegen/cg.h"
#include "runtime/ingot_rt.h"

const char *ingot_sampler_kind_name(ingot_sampler_kind_t k) {
  return k == INGOT_SAMPLER_DDIM ? "ddim" : k == INGOT_SAMPLER_EULER ? "euler" : "none";
}

void ingot_sampler_schedule_free(ingot_sampler_schedule_t *s) {
  free(s->t);
  free(s->c_in);
  free(s->a);
  free(s->b);
  memset(s, 0, sizeof *s);
}

ingot_status_t ingot_sampler_schedule(ingot_sampler_kind_t kind, int steps, ingot_sampler_schedule_t *s) {
  memset(s, 0, sizeof *s);
  const int T = INGOT_SAMPLER_TRAIN_STEPS;
  if (kind != INGOT_SAMPLER_DDIM && kind != INGOT_SAMPLER_EULER)
    return ingot_error(INGOT_CODE_INPUT, "--sampler wants ddim or euler");
  if (steps < 1 || steps > T) return ingot_error(INGOT_CODE_INPUT, "--steps wants 1..%d, not %d", T, steps);
  double *ab = malloc((size_t)T * sizeof *ab);
  int *ts = malloc((size_t)steps * sizeof *ts);
  s->steps = steps;
  s->t = malloc((size_t)steps * sizeof(float));
  s->c_in = malloc((size_t)steps * sizeof(float));
  s->a = malloc((size_t)steps * sizeof(float));
  s->b = malloc((size_t)steps * sizeof(float));
  if (!ab || !ts || !s->t || !s->c_in || !s->a || !s->b) {
    free(ab);
    free(ts);
    ingot_sampler_schedule_free(s);
    return ingot_error(INGOT_CODE_NOMEM, "out of memory");
  }
  double prod = 1.0;
  for (int i = 0; i < T; i++) {
    double beta = 1e-4 + (0.02 - 1e-4) * (double)i / (double)(T - 1);
    prod *= 1.0 - beta;
    ab[i] = prod;
  }
  for (int i = 0; i < steps; i++)
    ts[i] = steps == 1 ? T - 1 : (int)floor((double)(T - 1) * (double)(steps - 1 - i) / (double)(steps - 1) + 0.5);
  for (int i = 0; i < steps; i++) {
    double a_t = ab[ts[i]];
    double a_n = i + 1 < steps ? ab[ts[i + 1]] : 1.0;
    s->t[i] = (float)ts[i];
    if (kind == INGOT_SAMPLER_DDIM) {
      s->c_in[i] = 1.0f;
      s->a[i] = (float)sqrt(a_n / a_t);
      s->b[i] = (float)(sqrt(1.0 - a_n) - sqrt(a_n * (1.0 - a_t) / a_t));
    } else {
      double sig = sqrt((1.0 - a_t) / a_t), sig_n = sqrt((1.0 - a_n) / a_n);
      s->c_in[i] = (float)(1.0 / sqrt(sig * sig + 1.0));
      s->a[i] = 1.0f;
      s->b[i] = (float)(sig_n - sig);
      if (i == 0) s->x_scale = (float)sqrt(sig * sig + 1.0);
    }
  }
  if (kind == INGOT_SAMPLER_DDIM) s->x_scale = 1.0f;
  free(ab);
  free(ts);
  return INGOT_OK;
}

/* ---- model analysis ---------------------------------------------------------------- */

static int is_named(const char *n, const char *const *names) {
  for (int i = 0; names[i]; i++)
    if (!strcmp(n, names[i])) return 1;
  return 0;
}

static int64_t row_numel(const ingot_type_t *t) {
  int64_t n = 1;
  for (int d = 1; d < t->rank; d++) n *= t->dims[d].v;
  return n;
}

/* The class embedding: a Gather whose indices are input v; its table's
 * rows - 1 is the null class (DiT's LabelEmbedder appends it). */
static int64_t find_null_class(const ingot_graph_t *g, int32_t v) {
  for (uint32_t i = 0; i < g->nnodes; i++) {
    const ingot_node_t *n = &g->nodes[i];
    if (n->op != INGOT_OP_GATHER || n->ninputs < 2 || n->inputs[1] != v || n->inputs[0] < 0) continue;
    const ingot_type_t *tt = &g->values[n->inputs[0]].type;
    if (tt->rank >= 1 && tt->dims[0].sym == 0 && tt->dims[0].v >= 2) return tt->dims[0].v - 1;
  }
  return -1;
}

ingot_status_t ingot_sampler_plan(const ingot_graph_t *g, const ingot_sampler_opts_t *o, ingot_sampler_plan_t *p) {
  static const char *const x_names[] = {"x", "latent", "sample", "latents", NULL};
  static const char *const t_names[] = {"t", "timestep", "timesteps", NULL};
  memset(p, 0, sizeof *p);
  p->o = *o;
  p->x_input = p->t_input = -1;
  const char *src = g->source ? g->source : "model";
  if (!isfinite(o->guidance) || o->guidance < 0 || o->guidance > 100)
    return ingot_error(INGOT_CODE_INPUT, "--guidance wants a number in 0..100");
  /* x: by name, else the first float input of rank >= 3; t: by name, else a float rank-1 input */
  for (uint32_t i = 0; i < g->ninputs; i++) {
    const ingot_value_t *v = &g->values[g->inputs[i]];
    if (p->x_input < 0 && is_named(v->name, x_names)) p->x_input = (int32_t)i;
    if (p->t_input < 0 && is_named(v->name, t_names)) p->t_input = (int32_t)i;
  }
  for (uint32_t i = 0; i < g->ninputs; i++) {
    const ingot_value_t *v = &g->values[g->inputs[i]];
    if (p->x_input < 0 && ingot_dtype_is_float(v->type.dtype) && v->type.rank >= 3) p->x_input = (int32_t)i;
    if (p->t_input < 0 && (int32_t)i != p->x_input && ingot_dtype_is_float(v->type.dtype) && v->type.rank == 1)
      p->t_input = (int32_t)i;
  }
  if (p->x_input < 0 || p->t_input < 0)
    return ingot_error(INGOT_CODE_UNSUPPORTED,
                       "%s: --sampler needs a latent input (x, rank >= 3) and a timestep input (t, rank 1)", src);
  const ingot_value_t *x = &g->values[g->inputs[p->x_input]], *t = &g->values[g->inputs[p->t_input]];
  if (x->type.dtype != INGOT_DT_FLOAT || t->type.dtype != INGOT_DT_FLOAT)
    return ingot_error(INGOT_CODE_UNSUPPORTED, "%s: --sampler needs float32 '%s' and '%s'", src, x->name, t->name);
  int64_t b2 = x->type.dims[0].v;
  if (b2 < 2 || b2 % 2)
    return ingot_error(INGOT_CODE_UNSUPPORTED,
                       "%s: --sampler batches conditional and unconditional rows together, so input '%s' needs an "
                       "even batch (it has %lld; a symbolic batch can be set with --batch 2)",
                       src, x->name, (long long)b2);
  p->batch = b2 / 2;
  p->latent_numel = row_numel(&x->type);
  if (t->type.rank != 1 || t->type.dims[0].v != b2)
    return ingot_error(INGOT_CODE_UNSUPPORTED, "%s: --sampler: timestep '%s' must have shape [%lld]", src, t->name,
                       (long long)b2);
  for (uint32_t i = 0; i < g->ninputs; i++) {
    if ((int32_t)i == p->x_input || (int32_t)i == p->t_input) continue;
    const ingot_value_t *v = &g->values[g->inputs[i]];
    if (p->ncond == INGOT_SAMPLER_MAX_COND)
      return ingot_error(INGOT_CODE_UNSUPPORTED, "%s: --sampler: more than %d conditioning inputs", src,
                         INGOT_SAMPLER_MAX_COND);
    if (v->type.rank < 1 || v->type.dims[0].v != b2)
      return ingot_error(INGOT_CODE_UNSUPPORTED, "%s: --sampler: conditioning input '%s' must have batch %lld", src,
                         v->name, (long long)b2);
    if (v->type.dtype != INGOT_DT_INT64 && v->type.dtype != INGOT_DT_FLOAT)
      return ingot_error(INGOT_CODE_UNSUPPORTED,
                         "%s: --sampler: conditioning input '%s' is %s (int64 classes or float32 context only)", src,
                         v->name, ingot_dtype_name(v->type.dtype));
    int k = p->ncond++;
    p->cond_input[k] = (int32_t)i;
    p->cond_dtype[k] = v->type.dtype;
    p->cond_row_numel[k] = row_numel(&v->type);
    ingot_c_identifier(v->name, p->cond_name[k], 56);
    if (!strcmp(p->cond_name[k], "noise") || !strcmp(p->cond_name[k], "out_latent"))
      strcat(p->cond_name[k], "_");
    if (v->type.dtype == INGOT_DT_INT64) {
      if (p->o.null_class < 0) p->o.null_class = find_null_class(g, g->inputs[i]);
      if (p->o.null_class < 0)
        return ingot_error(INGOT_CODE_UNSUPPORTED,
                           "%s: --sampler: cannot tell the unconditional class of input '%s' (no embedding Gather "
                           "on it); give --null-class K",
                           src, v->name);
    }
  }
  if (g->noutputs < 1) return ingot_error(INGOT_CODE_UNSUPPORTED, "%s: --sampler: the model has no output", src);
  const ingot_value_t *out = &g->values[g->outputs[0]];
  int ok = out->type.dtype == INGOT_DT_FLOAT && out->type.rank == x->type.rank && out->type.dims[0].v == b2 &&
           (out->type.dims[1].v == x->type.dims[1].v || out->type.dims[1].v == 2 * x->type.dims[1].v);
  for (int d = 2; ok && d < x->type.rank; d++) ok = out->type.dims[d].v == x->type.dims[d].v;
  if (!ok)
    return ingot_error(INGOT_CODE_UNSUPPORTED,
                       "%s: --sampler: output '%s' must be float32 eps of the latent's shape (or with twice its "
                       "channels, learned sigma)",
                       src, out->name);
  p->out_row_numel = row_numel(&out->type);
  return INGOT_OK;
}

/* ---- code --------------------------------------------------------------------------- */

static LLVMValueRef table(cg_t *c, const char *name, const float *v, int n) {
  LLVMValueRef *el = malloc((size_t)n * sizeof *el);
  if (!el) return NULL;
  for (int i = 0; i < n; i++) el[i] = LLVMConstReal(c->t_f32, v[i]);
  LLVMValueRef init = LLVMConstArray(c->t_f32, el, (unsigned)n);
  free(el);
  LLVMValueRef gv = LLVMAddGlobal(c->mod, LLVMArrayType(c->t_f32, (unsigned)n), name);
  LLVMSetInitializer(gv, init);
  LLVMSetGlobalConstant(gv, 1);
  LLVMSetLinkage(gv, LLVMPrivateLinkage);
  LLVMSetUnnamedAddr(gv, 1);
  return gv;
}

static LLVMValueRef table_at(cg_t *c, LLVMValueRef gv, int n, LLVMValueRef i) {
  LLVMValueRef idx[2] = {cg_i64(c, 0), i};
  LLVMValueRef at = LLVMBuildInBoundsGEP2(c->b, LLVMArrayType(c->t_f32, (unsigned)n), gv, idx, 2, "");
  return LLVMBuildLoad2(c->b, c->t_f32, at, "");
}

static LLVMValueRef byte_off(cg_t *c, LLVMValueRef base, uint64_t off) {
  LLVMValueRef i = cg_i64(c, (int64_t)off);
  return LLVMBuildInBoundsGEP2(c->b, c->t_i8, base, &i, 1, "");
}

static LLVMValueRef fptr(cg_t *c, LLVMValueRef p) {
  return LLVMBuildBitCast(c->b, p, LLVMPointerType(c->t_f32, 0), "");
}

static LLVMValueRef func(cg_t *c, const char *name, LLVMTypeRef ret, LLVMTypeRef *params, unsigned n, LLVMTypeRef *ty) {
  *ty = LLVMFunctionType(ret, params, n, 0);
  LLVMValueRef f = LLVMGetNamedFunction(c->mod, name);
  return f ? f : LLVMAddFunction(c->mod, name, *ty);
}

static uint64_t align64(uint64_t n) { return (n + 63) & ~(uint64_t)63; }

ingot_status_t ingot_sampler_emit(ingot_cg_t *cg, const ingot_graph_t *g, const char *name,
                                  const ingot_sampler_plan_t *p) {
  cg_t *c = cg_of(cg);
  ingot_sampler_schedule_t s;
  INGOT_RETURN_IF_ERROR(ingot_sampler_schedule(p->o.kind, p->o.steps, &s));
  /* MCJIT (ingot profile, tests) finds runtime symbols through this table:
   * a statically linked ingot exports nothing to dlsym. */
  LLVMAddSymbol("ingot_rt_model_run", (void *)(uintptr_t)ingot_rt_model_run);
  LLVMAddSymbol("ingot_rt_aligned_alloc", (void *)(uintptr_t)ingot_rt_aligned_alloc);
  LLVMAddSymbol("ingot_rt_aligned_free", (void *)(uintptr_t)ingot_rt_aligned_free);

  const int64_t B = p->batch, L = p->latent_numel, Lo = p->out_row_numel;
  const uint32_t nin = g->ninputs, nout = g->noutputs;
  /* scratch layout: every model input but the conditioning given twice, the t vector, all outputs */
  uint64_t off = 0, in_off[64], out_off[64];
  if (nin > 64 || nout > 64) {
    ingot_sampler_schedule_free(&s);
    return ingot_error(INGOT_CODE_UNSUPPORTED, "--sampler: more than 64 inputs or outputs");
  }
  for (uint32_t i = 0; i < nin; i++) {
    size_t bytes;
    ingot_status_t st = ingot_value_nbytes(g, g->inputs[i], &bytes);
    if (st) {
      ingot_sampler_schedule_free(&s);
      return st;
    }
    in_off[i] = off;
    off += align64(bytes);
  }
  for (uint32_t i = 0; i < nout; i++) {
    size_t bytes;
    ingot_status_t st = ingot_value_nbytes(g, g->outputs[i], &bytes);
    if (st) {
      ingot_sampler_schedule_free(&s);
      return st;
    }
    out_off[i] = off;
    off += align64(bytes);
  }

  /* i32 NAME_sample(i8 *m, float *noise, i8 *cond..., float *out_latent) */
  LLVMTypeRef f32p = LLVMPointerType(c->t_f32, 0);
  LLVMTypeRef params[2 + INGOT_SAMPLER_MAX_COND + 1];
  unsigned np = 0;
  params[np++] = c->t_ptr;
  params[np++] = f32p;
  for (int k = 0; k < p->ncond; k++) params[np++] = c->t_ptr;
  params[np++] = f32p;
  char fname[300];
  snprintf(fname, sizeof fname, "%s_sample", name);
  LLVMValueRef fn = LLVMAddFunction(c->mod, fname, LLVMFunctionType(c->t_i32, params, np, 0));
  c->fn = fn;
  c->entry = LLVMAppendBasicBlockInContext(c->ctx, fn, "entry");
  LLVMPositionBuilderAtEnd(c->b, c->entry);
  LLVMValueRef model = LLVMGetParam(fn, 0), noise = LLVMGetParam(fn, 1), out = LLVMGetParam(fn, np - 1);

  LLVMTypeRef ty_alloc, ty_free, ty_run;
  LLVMTypeRef pa[1] = {c->t_i64}, pf[1] = {c->t_ptr};
  LLVMTypeRef ptrptr = LLVMPointerType(c->t_ptr, 0);
  LLVMTypeRef pr[4] = {c->t_ptr, c->t_i32, ptrptr, ptrptr};
  LLVMValueRef f_alloc = func(c, "ingot_rt_aligned_alloc", c->t_ptr, pa, 1, &ty_alloc);
  LLVMValueRef f_free = func(c, "ingot_rt_aligned_free", c->t_void, pf, 1, &ty_free);
  LLVMValueRef f_run = func(c, "ingot_rt_model_run", c->t_i32, pr, 4, &ty_run);

  LLVMValueRef size = cg_i64(c, (int64_t)off);
  LLVMValueRef blk = LLVMBuildCall2(c->b, ty_alloc, f_alloc, &size, 1, "scratch");
  cg_if_t nomem;
  cg_if_begin(c, &nomem, LLVMBuildIsNull(c->b, blk, ""));
  LLVMBuildRet(c->b, LLVMConstInt(c->t_i32, INGOT_RT_ERR_NOMEM, 0));
  LLVMPositionBuilderAtEnd(c->b, LLVMAppendBasicBlockInContext(c->ctx, fn, "dead"));
  cg_if_end(c, &nomem);

  /* the input/output pointer arrays ingot_rt_model_run takes */
  LLVMValueRef ins = LLVMBuildArrayAlloca(c->b, c->t_ptr, cg_i64(c, nin), "ins");
  LLVMValueRef outs = LLVMBuildArrayAlloca(c->b, c->t_ptr, cg_i64(c, nout), "outs");
  for (uint32_t i = 0; i < nin; i++) {
    LLVMValueRef ix = cg_i64(c, i);
    LLVMBuildStore(c->b, byte_off(c, blk, in_off[i]), LLVMBuildInBoundsGEP2(c->b, c->t_ptr, ins, &ix, 1, ""));
  }
  for (uint32_t i = 0; i < nout; i++) {
    LLVMValueRef ix = cg_i64(c, i);
    LLVMBuildStore(c->b, byte_off(c, blk, out_off[i]), LLVMBuildInBoundsGEP2(c->b, c->t_ptr, outs, &ix, 1, ""));
  }
  LLVMValueRef xin = fptr(c, byte_off(c, blk, in_off[p->x_input]));
  LLVMValueRef tin = fptr(c, byte_off(c, blk, in_off[p->t_input]));
  LLVMValueRef eps = fptr(c, byte_off(c, blk, out_off[0]));

  /* conditioning: rows 0..B-1 from the caller, rows B..2B-1 unconditional
   * (the null class, or zeros: the scratch comes zeroed) */
  for (int k = 0; k < p->ncond; k++) {
    LLVMValueRef dst = byte_off(c, blk, in_off[p->cond_input[k]]);
    uint64_t half = (uint64_t)(B * p->cond_row_numel[k]) * ingot_dtype_size(p->cond_dtype[k]);
    LLVMBuildMemCpy(c->b, dst, 8, LLVMGetParam(fn, 2 + (unsigned)k), 1, cg_i64(c, (int64_t)half));
    if (p->cond_dtype[k] == INGOT_DT_INT64) {
      LLVMValueRef d64 = LLVMBuildBitCast(c->b, dst, LLVMPointerType(c->t_i64, 0), "");
      cg_loop_t l;
      LLVMValueRef j = cg_loop_begin(c, &l, cg_i64(c, B * p->cond_row_numel[k]),
                                     cg_i64(c, 2 * B * p->cond_row_numel[k]), "null");
      cg_store(c, INGOT_DT_INT64, d64, j, cg_i64(c, p->o.null_class));
      cg_loop_end(c, &l);
    }
  }
  /* x = x_scale * noise, kept in out_latent */
  {
    cg_loop_t l;
    LLVMValueRef j = cg_loop_begin(c, &l, cg_i64(c, 0), cg_i64(c, B * L), "init");
    LLVMValueRef v = LLVMBuildFMul(c->b, cg_f32(c, s.x_scale), cg_load(c, INGOT_DT_FLOAT, noise, j), "");
    cg_store(c, INGOT_DT_FLOAT, out, j, v);
    cg_loop_end(c, &l);
  }
  char tn[320];
  snprintf(tn, sizeof tn, "%s__sample_t", name);
  LLVMValueRef g_t = table(c, tn, s.t, s.steps);
  snprintf(tn, sizeof tn, "%s__sample_c_in", name);
  LLVMValueRef g_cin = table(c, tn, s.c_in, s.steps);
  snprintf(tn, sizeof tn, "%s__sample_a", name);
  LLVMValueRef g_a = table(c, tn, s.a, s.steps);
  snprintf(tn, sizeof tn, "%s__sample_b", name);
  LLVMValueRef g_b = table(c, tn, s.b, s.steps);
  if (!g_t || !g_cin || !g_a || !g_b) {
    ingot_sampler_schedule_free(&s);
    return ingot_error(INGOT_CODE_NOMEM, "out of memory");
  }
  cg_loop_t steps;
  LLVMValueRef i = cg_loop_begin(c, &steps, cg_i64(c, 0), cg_i64(c, s.steps), "step");
  LLVMValueRef ti = table_at(c, g_t, s.steps, i), cin = table_at(c, g_cin, s.steps, i);
  LLVMValueRef ai = table_at(c, g_a, s.steps, i), bi = table_at(c, g_b, s.steps, i);
  {
    /* both halves of the batch see the same latent */
    cg_loop_t l;
    LLVMValueRef j = cg_loop_begin(c, &l, cg_i64(c, 0), cg_i64(c, B * L), "in");
    LLVMValueRef v = LLVMBuildFMul(c->b, cin, cg_load(c, INGOT_DT_FLOAT, out, j), "");
    cg_store(c, INGOT_DT_FLOAT, xin, j, v);
    cg_store(c, INGOT_DT_FLOAT, xin, LLVMBuildAdd(c->b, j, cg_i64(c, B * L), ""), v);
    cg_loop_end(c, &l);
  }
  {
    cg_loop_t l;
    LLVMValueRef j = cg_loop_begin(c, &l, cg_i64(c, 0), cg_i64(c, 2 * B), "t");
    cg_store(c, INGOT_DT_FLOAT, tin, j, ti);
    cg_loop_end(c, &l);
  }
  LLVMValueRef rargs[4] = {model, LLVMConstInt(c->t_i32, 0, 0), ins, outs};
  LLVMValueRef rc = LLVMBuildCall2(c->b, ty_run, f_run, rargs, 4, "rc");
  cg_if_t failed;
  cg_if_begin(c, &failed, LLVMBuildICmp(c->b, LLVMIntNE, rc, LLVMConstInt(c->t_i32, 0, 0), ""));
  LLVMBuildCall2(c->b, ty_free, f_free, &blk, 1, "");
  LLVMBuildRet(c->b, rc);
  LLVMPositionBuilderAtEnd(c->b, LLVMAppendBasicBlockInContext(c->ctx, fn, "dead"));
  cg_if_end(c, &failed);
  {
    /* eps = eps_u + g (eps_c - eps_u);  x = a x + b eps */
    LLVMValueRef gs = cg_f32(c, p->o.guidance);
    cg_loop_t lb, lj;
    LLVMValueRef bb = cg_loop_begin(c, &lb, cg_i64(c, 0), cg_i64(c, B), "row");
    LLVMValueRef j = cg_loop_begin(c, &lj, cg_i64(c, 0), cg_i64(c, L), "el");
    LLVMValueRef ic = LLVMBuildAdd(c->b, LLVMBuildMul(c->b, bb, cg_i64(c, Lo), ""), j, "");
    LLVMValueRef iu = LLVMBuildAdd(c->b, ic, cg_i64(c, B * Lo), "");
    LLVMValueRef ix = LLVMBuildAdd(c->b, LLVMBuildMul(c->b, bb, cg_i64(c, L), ""), j, "");
    LLVMValueRef ec = cg_load(c, INGOT_DT_FLOAT, eps, ic), eu = cg_load(c, INGOT_DT_FLOAT, eps, iu);
    LLVMValueRef e = LLVMBuildFAdd(c->b, eu, LLVMBuildFMul(c->b, gs, LLVMBuildFSub(c->b, ec, eu, ""), ""), "");
    LLVMValueRef xv = cg_load(c, INGOT_DT_FLOAT, out, ix);
    LLVMValueRef nx = LLVMBuildFAdd(c->b, LLVMBuildFMul(c->b, ai, xv, ""), LLVMBuildFMul(c->b, bi, e, ""), "");
    cg_store(c, INGOT_DT_FLOAT, out, ix, nx);
    cg_loop_end(c, &lj);
    cg_loop_end(c, &lb);
  }
  cg_loop_end(c, &steps);
  LLVMBuildCall2(c->b, ty_free, f_free, &blk, 1, "");
  LLVMBuildRet(c->b, LLVMConstInt(c->t_i32, 0, 0));
  ingot_sampler_schedule_free(&s);
  return INGOT_OK;
}
