/* GPU backend: flash attention (codegen/gpu_attn.c) for the fused
 * MatMul -> scale -> Softmax -> MatMul chains, in the CPU emulator (and on a
 * GPU when present), with ptxas when installed.  fp16 Q, K, P, V with fp32
 * accumulation: relative L2 <= 2e-3. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "gpu_harness.h"

#define TOL 2e-3

static ingot_tensor_t rnd(int rank, const int64_t *dims, uint32_t seed, float scale) {
  ingot_tensor_t t;
  cgt_ok(ingot_tensor_alloc(&t, INGOT_DT_FLOAT, rank, dims));
  float *p = t.data;
  cgt_fill(p, ingot_tensor_numel(&t), seed);
  for (int64_t i = 0; i < ingot_tensor_numel(&t); i++) p[i] *= scale;
  return t;
}

/* softmax((q * s) @ k^T) @ v over [B, H, N, D] x [B, H, M, D]; kt: k is
 * given as [B, H, D, M] (no Transpose node). */
static void attn_case(int64_t B, int64_t H, int64_t N, int64_t M, int64_t D, int64_t Dv, bool kt, const char *target,
                      const char *expect_kind) {
  ingot_graph_t *g = cgt_graph();
  int64_t qd[4] = {B, H, N, D}, kd[4] = {B, H, kt ? D : M, kt ? M : D}, vd[4] = {B, H, M, Dv};
  int32_t q = cgt_input(g, "q", INGOT_DT_FLOAT, 4, qd);
  int32_t k = cgt_input(g, "k", INGOT_DT_FLOAT, 4, kd);
  int32_t v = cgt_input(g, "v", INGOT_DT_FLOAT, 4, vd);
  float s = 1.0f / sqrtf((float)D);
  int32_t sc = cgt_const(g, "scale", INGOT_DT_FLOAT, 0, NULL, &s);
  int32_t qn = cgt_node(g, INGOT_OP_MUL, 2, (int32_t[]){q, sc}, "qs");
  int32_t qs = g->nodes[qn].outputs[0];
  int32_t kT = k;
  if (!kt) {
    int32_t tn = cgt_node(g, INGOT_OP_TRANSPOSE, 1, (int32_t[]){k}, "kT");
    cgt_attr_ints(g, tn, "perm", 4, (int64_t[]){0, 1, 3, 2});
    kT = g->nodes[tn].outputs[0];
  }
  int32_t sn = cgt_node(g, INGOT_OP_MATMUL, 2, (int32_t[]){qs, kT}, "scores");
  int32_t scores = g->nodes[sn].outputs[0];
  int32_t pn = cgt_node(g, INGOT_OP_SOFTMAX, 1, (int32_t[]){scores}, "p");
  cgt_attr_i(g, pn, "axis", -1);
  int32_t p = g->nodes[pn].outputs[0];
  cgt_node(g, INGOT_OP_MATMUL, 2, (int32_t[]){p, v}, "y");
  cgt_output(g, "y");
  ingot_tensor_t in[3] = {rnd(4, qd, 3, 2.0f), rnd(4, kd, 5, 2.0f), rnd(4, vd, 7, 1.0f)};
  ingot_gpu_options_t o = gpt_opts(target);
  gpt_check_kind(g, in, TOL, &o, expect_kind);
  for (int i = 0; i < 3; i++) ingot_tensor_release(&in[i]);
}

static void test_attention_dit_like(void **state) {
  (void)state;
  attn_case(2, 4, 64, 64, 16, 16, false, "sm_80", "attention");
}

static void test_attention_unaligned(void **state) {
  (void)state;
  attn_case(1, 2, 37, 45, 24, 40, false, "sm_90", "attention");
  attn_case(2, 1, 5, 3, 6, 7, false, "sm_80", "attention");
}

static void test_attention_k_transposed(void **state) {
  (void)state;
  attn_case(1, 2, 40, 72, 32, 32, true, "sm_80", "attention");
}

static void test_attention_long_wide(void **state) {
  (void)state;
  /* D 128: 32-key blocks, several of them, 4 warps and a partial query block */
  attn_case(1, 1, 100, 130, 128, 128, false, "sm_80", "attention");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_attention_dit_like),
      cmocka_unit_test(test_attention_unaligned),
      cmocka_unit_test(test_attention_k_transposed),
      cmocka_unit_test(test_attention_long_wide),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
