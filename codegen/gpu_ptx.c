/* PTX building blocks shared by the special kernels (gpu_gemm.c,
 * gpu_attn.c, gpu_norm.c): asynchronous copies, operand conversions,
 * mma.sync and warp shuffles, as inline PTX or NVVM intrinsics.  Every
 * inline-asm text here is one the CPU emulator (gpu_emu.c) recognises. */
#include <stdio.h>
#include <string.h>

#include "codegen/gpu_impl.h"

void gpu_cp_async(ingot_gpu_t *gpu, LLVMValueRef dst_off, LLVMValueRef src, LLVMValueRef valid, int bytes) {
  cg_t *c = &gpu->c;
  LLVMValueRef args[3] = {gpu_smem_addr32(c, gpu_smem_ptr(gpu, dst_off)), LLVMBuildPtrToInt(c->b, src, c->t_i64, ""),
                          LLVMBuildSelect(c->b, valid, gpu_i32(c, bytes), gpu_i32(c, 0), "")};
  const char *text16 = "{ .reg .u64 ig_g; cvta.to.global.u64 ig_g, $1; cp.async.cg.shared.global [$0], [ig_g], 16, $2; }";
  const char *text4 = "{ .reg .u64 ig_g; cvta.to.global.u64 ig_g, $1; cp.async.ca.shared.global [$0], [ig_g], 4, $2; }";
  gpu_asm(c, NULL, bytes == 16 ? text16 : text4, "r,l,r,~{memory}", args, 3, true);
}

void gpu_cp_commit(cg_t *c) { gpu_asm(c, NULL, "cp.async.commit_group;", "~{memory}", NULL, 0, true); }

void gpu_cp_wait(cg_t *c, int n) {
  char t[64];
  snprintf(t, sizeof t, "cp.async.wait_group %d;", n);
  gpu_asm(c, NULL, t, "~{memory}", NULL, 0, true);
}

LLVMValueRef gpu_ld_smem(ingot_gpu_t *gpu, LLVMTypeRef t, LLVMValueRef off, unsigned align) {
  cg_t *c = &gpu->c;
  LLVMValueRef p = LLVMBuildBitCast(c->b, gpu_smem_ptr(gpu, off), LLVMPointerType(t, 3), "");
  LLVMValueRef v = LLVMBuildLoad2(c->b, t, p, "");
  LLVMSetAlignment(v, align);
  return v;
}

void gpu_st_smem(ingot_gpu_t *gpu, LLVMValueRef off, LLVMValueRef v, unsigned align) {
  cg_t *c = &gpu->c;
  LLVMValueRef p = LLVMBuildBitCast(c->b, gpu_smem_ptr(gpu, off), LLVMPointerType(LLVMTypeOf(v), 3), "");
  LLVMValueRef s = LLVMBuildStore(c->b, v, p);
  LLVMSetAlignment(s, align);
}

LLVMValueRef gpu_cvt_pack(cg_t *c, int fmt, const LLVMValueRef *v) {
  switch (fmt) {
    case GPU_FMT_F16: {
      LLVMValueRef a[2] = {v[1], v[0]}; /* a -> upper half, b -> lower half */
      return gpu_asm(c, c->t_i32, "cvt.rn.f16x2.f32 $0, $1, $2;", "=r,f,f", a, 2, false);
    }
    case GPU_FMT_BF16: {
      LLVMValueRef a[2] = {v[1], v[0]};
      return gpu_asm(c, c->t_i32, "cvt.rn.bf16x2.f32 $0, $1, $2;", "=r,f,f", a, 2, false);
    }
    case GPU_FMT_TF32: return gpu_asm(c, c->t_i32, "cvt.rna.tf32.f32 $0, $1;", "=r,f", (LLVMValueRef *)v, 1, false);
    default: {
      LLVMValueRef a[4] = {v[1], v[0], v[3], v[2]};
      return gpu_asm(c, c->t_i32,
                     "{ .reg .b16 ig_l, ig_h; cvt.rn.satfinite.e4m3x2.f32 ig_l, $1, $2; "
                     "cvt.rn.satfinite.e4m3x2.f32 ig_h, $3, $4; mov.b32 $0, {ig_l, ig_h}; }",
                     "=r,f,f,f,f", a, 4, false);
    }
  }
}

void gpu_mma(cg_t *c, const char *mnemonic, const LLVMValueRef *a, const LLVMValueRef *b, LLVMValueRef *acc) {
  LLVMTypeRef f4 = LLVMStructTypeInContext(c->ctx, (LLVMTypeRef[]){c->t_f32, c->t_f32, c->t_f32, c->t_f32}, 4, 0);
  char text[256];
  snprintf(text, sizeof text, "%s {$0,$1,$2,$3}, {$4,$5,$6,$7}, {$8,$9}, {$10,$11,$12,$13};", mnemonic);
  LLVMValueRef args[10] = {a[0], a[1], a[2], a[3], b[0], b[1], acc[0], acc[1], acc[2], acc[3]};
  LLVMValueRef d = gpu_asm(c, f4, text, "=f,=f,=f,=f,r,r,r,r,r,r,f,f,f,f", args, 10, false);
  for (int r = 0; r < 4; r++) acc[r] = LLVMBuildExtractValue(c->b, d, (unsigned)r, "");
}

LLVMValueRef gpu_shfl_xor(cg_t *c, LLVMValueRef v, int mask) {
  unsigned id = LLVMLookupIntrinsicID("llvm.nvvm.shfl.sync.bfly.f32", 28);
  LLVMValueRef f = LLVMGetIntrinsicDeclaration(c->mod, id, NULL, 0);
  LLVMTypeRef ft = LLVMIntrinsicGetType(c->ctx, id, NULL, 0);
  LLVMValueRef args[4] = {gpu_i32(c, -1), v, gpu_i32(c, mask), gpu_i32(c, 31)};
  return LLVMBuildCall2(c->b, ft, f, args, 4, "");
}

void gpu_for_items(cg_t *c, LLVMValueRef tid, int nthreads, int64_t count, gpu_item_fn fn, void *ud) {
  int64_t iters = (count + nthreads - 1) / nthreads;
  if (iters <= 0) return;
  cg_loop_t L;
  LLVMValueRef it = iters > 1 ? cg_loop_begin(c, &L, cg_i64(c, 0), cg_i64(c, iters), "cp") : cg_i64(c, 0);
  LLVMValueRef item = LLVMBuildAdd(c->b, tid, LLVMBuildMul(c->b, LLVMBuildTrunc(c->b, it, c->t_i32, ""),
                                                           gpu_i32(c, nthreads), ""), "");
  if (iters * nthreads > count) {
    cg_if_t ci;
    cg_if_begin(c, &ci, LLVMBuildICmp(c->b, LLVMIntULT, item, gpu_i32(c, count), ""));
    fn(ud, item);
    cg_if_end(c, &ci);
  } else {
    fn(ud, item);
  }
  if (iters > 1) cg_loop_end_no_unroll(c, &L);
}
