/* Fused epilogues: the elementwise DAG of passes/fusion.h, applied to one
 * output element at store time (see cg_store_out in cg.h). */
#include <math.h>
#include <string.h>

#include "codegen/cg.h"
#include "passes/fusion.h"

static LLVMValueRef fconst(cg_t *cg, double v) { return LLVMConstReal(cg->t_f32, v); }

/* Clip's optional bounds may be absent (NULL) in an epilogue step; the
 * elementwise emitter's code takes the same convention. */
LLVMValueRef cg_scalar_f32(cg_t *cg, int op, const ingot_node_t *src, LLVMValueRef *a, int n) {
  return cg_ew_scalar_f32(cg, op, src, a, n);
}

/* Offset of extra input e for output flat index idx (numpy broadcasting
 * against the stored output's shape). */
static LLVMValueRef extra_offset(cg_t *cg, const cg_kernel_t *k, uint32_t e, LLVMValueRef idx) {
  const ingot_type_t *ot = &k->vout[0]->type, *it = &k->vextra[e]->type;
  int64_t on = 1, in = 1;
  for (int d = 0; d < ot->rank; d++) on *= ot->dims[d].v;
  for (int d = 0; d < it->rank; d++) in *= it->dims[d].v;
  if (in == 1) return cg_i64(cg, 0);
  if (in == on) return idx; /* same element count and broadcast-compatible: same layout */
  int64_t odims[INGOT_MAX_RANK], str[INGOT_MAX_RANK];
  int r = ot->rank;
  for (int d = 0; d < r; d++) odims[d] = ot->dims[d].v;
  /* A trailing-dims vector (a bias over the last axes) is idx % size. */
  int off = r - it->rank, trailing = 1;
  int64_t s = 1;
  for (int d = r - 1; d >= 0; d--) {
    int64_t dim = d < off ? 1 : it->dims[d - off].v;
    str[d] = (dim == 1 && odims[d] != 1) ? 0 : s;
    if (str[d] == 0 && s > 1) trailing = 0;
    if (str[d] == 0 && d >= off && dim == 1 && s == 1 && odims[d] != 1) trailing = 0;
    s *= dim;
  }
  /* trailing: the input covers exactly the last few output dims */
  int64_t tail = 1;
  int d = r - 1;
  for (; d >= 0 && str[d] != 0; d--) tail *= odims[d];
  bool pure_tail = trailing && tail == in;
  for (int e2 = d; pure_tail && e2 >= 0; e2--)
    if (str[e2] != 0) pure_tail = false;
  if (pure_tail) return LLVMBuildURem(cg->b, idx, cg_i64(cg, in), "");
  LLVMValueRef coords[INGOT_MAX_RANK];
  cg_unflatten(cg, idx, r, odims, coords);
  return cg_dot(cg, r, coords, str);
}

LLVMValueRef cg_epilogue(cg_t *cg, cg_kernel_t *k, LLVMValueRef v, LLVMValueRef idx) {
  const ingot_fusion_t *f = (const ingot_fusion_t *)k->fusion;
  if (!f || f->nsteps == 0) return v;
  LLVMValueRef regs[64];
  LLVMValueRef extra_vals[CG_MAX_IO] = {0};
  for (uint32_t i = 0; i < f->nsteps && i < 64; i++) {
    const ingot_fuse_step_t *s = &f->steps[i];
    LLVMValueRef a[3] = {0};
    for (int j = 0; j < s->nargs && j < 3; j++) {
      const ingot_fuse_operand_t *o = &s->args[j];
      switch (o->kind) {
        case INGOT_FUSE_ACC: a[j] = v; break;
        case INGOT_FUSE_REG: a[j] = regs[o->index]; break;
        case INGOT_FUSE_CONST: a[j] = fconst(cg, o->value); break;
        case INGOT_FUSE_INPUT:
          if (!extra_vals[o->index]) {
            LLVMValueRef off = extra_offset(cg, k, (uint32_t)o->index, idx);
            extra_vals[o->index] = cg_load_f32(cg, k->vextra[o->index]->type.dtype, k->extra[o->index], off);
          }
          a[j] = extra_vals[o->index];
          break;
        default: a[j] = v;
      }
    }
    regs[i] = cg_scalar_f32(cg, s->op, s->src, a, s->nargs);
    if (!regs[i]) regs[i] = a[0]; /* the fusion pass only admits ops cg_scalar_f32 knows */
  }
  return regs[f->nsteps - 1 < 64 ? f->nsteps - 1 : 63];
}

void cg_store_out(cg_t *cg, cg_kernel_t *k, LLVMValueRef idx, LLVMValueRef v) {
  v = cg_epilogue(cg, k, v, idx);
  cg_store_f32(cg, k->vout[0]->type.dtype, k->out[0], idx, v);
}
