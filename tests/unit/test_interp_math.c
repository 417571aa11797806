/* Reference evaluator: the math kernels (elementwise, reductions,
 * normalisation, linear algebra, convolution), each through a one-node
 * graph and ingot_interp_run.
 *
 * Expected values are exact by hand where the inputs make that easy
 * (multiples of 1/4 or 1/8), otherwise computed in float64 with torch 1.13 /
 * numpy 1.24 (/usr/bin/python3) and pasted with 9 significant digits.
 * float32 results are compared with atol 1e-6 + rtol 1e-6 unless stated. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "interp_testlib.h"

#define TOL 1e-6, 1e-6

/* The 8-element probe used by the unary tests (exact in float32). */
#define UX FV(-3.5f, -1.0f, -0.5f, 0.0f, 0.5f, 1.0f, 2.5f, 3.0f)

/* ---- binary arithmetic --------------------------------------------------------- */

static void test_add_broadcast(void **state) {
  (void)state;
  tg_t t;
  ingot_tensor_t a = TT(INGOT_DT_FLOAT, 2, D(2, 3), FV(1, 2, 3, 4, 5, 6));
  ingot_tensor_t b = TT(INGOT_DT_FLOAT, 1, D(3), FV(10, 20, 30));
  TG(&t, INGOT_OP_ADD, 1, &a, &b);
  tg_run(&t);
  expect_f(&t.out[0], INGOT_DT_FLOAT, 2, D(2, 3), DV(11, 22, 33, 14, 25, 36), 0, 0);
  tg_free(&t);
}

static void test_sub_mul_div_two_way_broadcast(void **state) {
  (void)state;
  ingot_tensor_t a = TT(INGOT_DT_FLOAT, 2, D(2, 1), FV(1, -2));
  ingot_tensor_t b = TT(INGOT_DT_FLOAT, 2, D(1, 3), FV(4, 0.5f, -8));
  tg_t t;
  TG(&t, INGOT_OP_SUB, 1, &a, &b);
  tg_run(&t);
  expect_f(&t.out[0], INGOT_DT_FLOAT, 2, D(2, 3), DV(-3, 0.5, 9, -6, -2.5, 6), 0, 0);
  tg_free(&t);
  TG(&t, INGOT_OP_MUL, 1, &a, &b);
  tg_run(&t);
  expect_f(&t.out[0], INGOT_DT_FLOAT, 2, D(2, 3), DV(4, 0.5, -8, -8, -1, 16), 0, 0);
  tg_free(&t);
  TG(&t, INGOT_OP_DIV, 1, &a, &b);
  tg_run(&t);
  expect_f(&t.out[0], INGOT_DT_FLOAT, 2, D(2, 3), DV(0.25, 2, -0.125, -0.5, -4, 0.25), 0, 0);
  tg_free(&t);
}

static void test_add_scalar_rank0(void **state) {
  (void)state;
  ingot_tensor_t a = TT(INGOT_DT_FLOAT, 0, D(0), FV(2.5f));
  ingot_tensor_t b = TT(INGOT_DT_FLOAT, 0, D(0), FV(-1));
  tg_t t;
  TG(&t, INGOT_OP_ADD, 1, &a, &b);
  tg_run(&t);
  expect_f(&t.out[0], INGOT_DT_FLOAT, 0, D(0), DV(1.5), 0, 0);
  tg_free(&t);
  ingot_tensor_t v = TT(INGOT_DT_FLOAT, 1, D(3), FV(1, 2, 3));
  TG(&t, INGOT_OP_MUL, 1, &v, &a);
  tg_run(&t);
  expect_f(&t.out[0], INGOT_DT_FLOAT, 1, D(3), DV(2.5, 5, 7.5), 0, 0);
  tg_free(&t);
}

static void test_add_double_and_empty(void **state) {
  (void)state;
  ingot_tensor_t a = TT(INGOT_DT_DOUBLE, 1, D(2), DBV(0.1, 1e300));
  ingot_tensor_t b = TT(INGOT_DT_DOUBLE, 1, D(2), DBV(0.2, 1e300));
  tg_t t;
  TG(&t, INGOT_OP_ADD, 1, &a, &b);
  tg_run(&t);
  expect_f(&t.out[0], INGOT_DT_DOUBLE, 1, D(2), DV(0.1 + 0.2, 2e300), 0, 0);
  tg_free(&t);
  /* [0,3] + [3] -> [0,3]; [0,3] + [1,1] -> [0,3] */
  ingot_tensor_t e = TT(INGOT_DT_FLOAT, 2, D(0, 3), NULL);
  ingot_tensor_t r = TT(INGOT_DT_FLOAT, 1, D(3), FV(1, 2, 3));
  TG(&t, INGOT_OP_ADD, 1, &e, &r);
  tg_run(&t);
  expect_shape(&t.out[0], INGOT_DT_FLOAT, 2, D(0, 3));
  tg_free(&t);
}

static void test_int_div_truncates(void **state) {
  (void)state;
  ingot_tensor_t a = TT(INGOT_DT_INT64, 1, D(5), IV(-7, 7, -7, 7, INT64_MIN));
  ingot_tensor_t b = TT(INGOT_DT_INT64, 1, D(5), IV(2, 2, -2, -2, -1));
  tg_t t;
  TG(&t, INGOT_OP_DIV, 1, &a, &b);
  tg_run(&t);
  expect_i(&t.out[0], INGOT_DT_INT64, 1, D(5), IV(-3, 3, 3, -3, INT64_MIN));
  tg_free(&t);
  ingot_tensor_t c = TT(INGOT_DT_INT32, 1, D(3), I32V(64, -9, 5));
  ingot_tensor_t d = TT(INGOT_DT_INT32, 0, D(0), I32V(4));
  TG(&t, INGOT_OP_DIV, 1, &c, &d);
  tg_run(&t);
  expect_i(&t.out[0], INGOT_DT_INT32, 1, D(3), IV(16, -2, 1));
  tg_free(&t);
}

static void test_int_div_by_zero_is_error(void **state) {
  (void)state;
  ingot_tensor_t a = TT(INGOT_DT_INT64, 1, D(2), IV(1, 2));
  ingot_tensor_t b = TT(INGOT_DT_INT64, 1, D(2), IV(1, 0));
  tg_t t;
  TG(&t, INGOT_OP_DIV, 1, &a, &b);
  tg_expect_err(&t, INGOT_CODE_INPUT, "node 'n0' (#0, Div)", "division by zero");
  tg_free(&t);
}

static void test_int_add_sub_mul_wrap(void **state) {
  (void)state;
  ingot_tensor_t a = TT(INGOT_DT_INT32, 1, D(3), I32V(INT32_MAX, -5, 100000));
  ingot_tensor_t b = TT(INGOT_DT_INT32, 1, D(3), I32V(1, 7, 100000));
  tg_t t;
  TG(&t, INGOT_OP_ADD, 1, &a, &b);
  tg_run(&t);
  expect_i(&t.out[0], INGOT_DT_INT32, 1, D(3), IV(INT32_MIN, 2, 200000));
  tg_free(&t);
  TG(&t, INGOT_OP_MUL, 1, &a, &b);
  tg_run(&t);
  expect_i(&t.out[0], INGOT_DT_INT32, 1, D(3), IV(INT32_MAX, -35, 1410065408)); /* 1e10 mod 2^32 */
  tg_free(&t);
  ingot_tensor_t c = TT(INGOT_DT_INT64, 2, D(2, 1), IV(10, 20));
  ingot_tensor_t d = TT(INGOT_DT_INT64, 1, D(2), IV(1, 2));
  TG(&t, INGOT_OP_SUB, 1, &c, &d);
  tg_run(&t);
  expect_i(&t.out[0], INGOT_DT_INT64, 2, D(2, 2), IV(9, 8, 19, 18));
  tg_free(&t);
}

static void test_mod(void **state) {
  (void)state;
  ingot_tensor_t a = TT(INGOT_DT_INT64, 1, D(5), IV(-7, 7, -7, 7, 6));
  ingot_tensor_t b = TT(INGOT_DT_INT64, 1, D(5), IV(3, 3, -3, -3, 3));
  tg_t t;
  TG(&t, INGOT_OP_MOD, 1, &a, &b); /* fmod=0: sign of the divisor (Python %) */
  tg_run(&t);
  expect_i(&t.out[0], INGOT_DT_INT64, 1, D(5), IV(2, 1, -1, -2, 0));
  tg_free(&t);
  TG(&t, INGOT_OP_MOD, 1, &a, &b);
  tg_attr_i(&t, "fmod", 1); /* sign of the dividend (C fmod) */
  tg_run(&t);
  expect_i(&t.out[0], INGOT_DT_INT64, 1, D(5), IV(-1, 1, -1, 1, 0));
  tg_free(&t);
  ingot_tensor_t fa = TT(INGOT_DT_FLOAT, 1, D(2), FV(-7.5f, 7.5f));
  ingot_tensor_t fb = TT(INGOT_DT_FLOAT, 1, D(2), FV(2, -2));
  TG(&t, INGOT_OP_MOD, 1, &fa, &fb);
  tg_attr_i(&t, "fmod", 1);
  tg_run(&t);
  expect_f(&t.out[0], INGOT_DT_FLOAT, 1, D(2), DV(-1.5, 1.5), 0, 0);
  tg_free(&t);
  TG(&t, INGOT_OP_MOD, 1, &fa, &fb); /* float needs fmod=1 */
  tg_expect_err(&t, INGOT_CODE_INPUT, "fmod=1");
  tg_free(&t);
}

static void test_pow(void **state) {
  (void)state;
  tg_t t;
  ingot_tensor_t x = TT(INGOT_DT_FLOAT, 1, D(3), FV(-1.5f, 2, 3));
  ingot_tensor_t two = TT(INGOT_DT_FLOAT, 0, D(0), FV(2));
  TG(&t, INGOT_OP_POW, 1, &x, &two);
  tg_run(&t);
  expect_f(&t.out[0], INGOT_DT_FLOAT, 1, D(3), DV(2.25, 4, 9), 0, 0);
  tg_free(&t);
  /* float base, int64 exponent */
  ingot_tensor_t fb = TT(INGOT_DT_FLOAT, 1, D(2), FV(2, 0.5f));
  ingot_tensor_t ie = TT(INGOT_DT_INT64, 1, D(2), IV(3, -1));
  TG(&t, INGOT_OP_POW, 1, &fb, &ie);
  tg_run(&t);
  expect_f(&t.out[0], INGOT_DT_FLOAT, 1, D(2), DV(8, 2), 0, 0);
  tg_free(&t);
  /* int base, int exponent: exact */
  ingot_tensor_t ib = TT(INGOT_DT_INT64, 1, D(4), IV(2, 3, -2, 3));
  ingot_tensor_t ie2 = TT(INGOT_DT_INT64, 1, D(4), IV(62, 3, 3, 0));
  TG(&t, INGOT_OP_POW, 1, &ib, &ie2);
  tg_run(&t);
  expect_i(&t.out[0], INGOT_DT_INT64, 1, D(4), IV(INT64_C(4611686018427387904), 27, -8, 1));
  tg_free(&t);
  /* int base, float exponent: result truncated to the base dtype */
  ingot_tensor_t i32 = TT(INGOT_DT_INT32, 1, D(2), I32V(9, 2));
  ingot_tensor_t fe = TT(INGOT_DT_FLOAT, 1, D(2), FV(0.5f, 0.5f));
  TG(&t, INGOT_OP_POW, 1, &i32, &fe);
  tg_run(&t);
  expect_i(&t.out[0], INGOT_DT_INT32, 1, D(2), IV(3, 1));
  tg_free(&t);
}

static void test_variadic_max_min_sum_mean(void **state) {
  (void)state;
  ingot_tensor_t a = TT(INGOT_DT_FLOAT, 2, D(2, 2), FV(1, 5, -3, NAN));
  ingot_tensor_t b = TT(INGOT_DT_FLOAT, 1, D(2), FV(2, 0));
  ingot_tensor_t c = TT(INGOT_DT_FLOAT, 0, D(0), FV(-1));
  tg_t t;
  TG(&t, INGOT_OP_MAX, 1, &a, &b, &c);
  tg_run(&t);
  expect_f(&t.out[0], INGOT_DT_FLOAT, 2, D(2, 2), DV(2, 5, 2, NAN), 0, 0);
  tg_free(&t);
  TG(&t, INGOT_OP_MIN, 1, &a, &b, &c);
  tg_run(&t);
  expect_f(&t.out[0], INGOT_DT_FLOAT, 2, D(2, 2), DV(-1, -1, -3, NAN), 0, 0);
  tg_free(&t);
  TG(&t, INGOT_OP_SUM, 1, &a, &b, &c);
  tg_run(&t);
  expect_f(&t.out[0], INGOT_DT_FLOAT, 2, D(2, 2), DV(2, 4, -2, NAN), 0, 0);
  tg_free(&t);
  TG(&t, INGOT_OP_MEAN, 1, &a, &b, &c);
  tg_run(&t);
  expect_f(&t.out[0], INGOT_DT_FLOAT, 2, D(2, 2), DV(2.0 / 3, 4.0 / 3, -2.0 / 3, NAN), TOL);
  tg_free(&t);
  /* one input: a copy; ints */
  ingot_tensor_t i = TT(INGOT_DT_INT64, 1, D(3), IV(4, -9, 2));
  ingot_tensor_t j = TT(INGOT_DT_INT64, 1, D(3), IV(1, 7, 2));
  TG(&t, INGOT_OP_MAX, 1, &i);
  tg_run(&t);
  expect_i(&t.out[0], INGOT_DT_INT64, 1, D(3), IV(4, -9, 2));
  tg_free(&t);
  TG(&t, INGOT_OP_MIN, 1, &i, &j);
  tg_run(&t);
  expect_i(&t.out[0], INGOT_DT_INT64, 1, D(3), IV(1, -9, 2));
  tg_free(&t);
  TG(&t, INGOT_OP_SUM, 1, &i, &j);
  tg_run(&t);
  expect_i(&t.out[0], INGOT_DT_INT64, 1, D(3), IV(5, -2, 4));
  tg_free(&t);
}

static void test_broadcast_mismatch_names_node(void **state) {
  (void)state;
  ingot_tensor_t a = TT(INGOT_DT_FLOAT, 2, D(2, 3), FV(1, 2, 3, 4, 5, 6));
  ingot_tensor_t b = TT(INGOT_DT_FLOAT, 1, D(2), FV(1, 2));
  tg_t t;
  TG(&t, INGOT_OP_ADD, 1, &a, &b);
  tg_expect_err(&t, INGOT_CODE_INPUT, "test.onnx: node 'n0' (#0, Add)", "cannot broadcast");
  tg_free(&t);
  TG(&t, INGOT_OP_MAX, 1, &a, &a, &b);
  tg_expect_err(&t, INGOT_CODE_INPUT, "node 'n0' (#0, Max)", "cannot broadcast");
  tg_free(&t);
}

static void test_dtype_mismatch_is_error(void **state) {
  (void)state;
  ingot_tensor_t a = TT(INGOT_DT_FLOAT, 1, D(2), FV(1, 2));
  ingot_tensor_t b = TT(INGOT_DT_INT64, 1, D(2), IV(1, 2));
  tg_t t;
  TG(&t, INGOT_OP_MUL, 1, &a, &b);
  tg_expect_err(&t, INGOT_CODE_INPUT, "node 'n0' (#0, Mul)", "float32 vs int64");
  tg_free(&t);
  ingot_tensor_t c = TT(INGOT_DT_BOOL, 1, D(2), BV(1, 0));
  TG(&t, INGOT_OP_ADD, 1, &c, &c);
  tg_expect_err(&t, INGOT_CODE_UNSUPPORTED, "bool");
  tg_free(&t);
}

/* ---- comparison and logic --------------------------------------------------------- */

static void test_comparisons(void **state) {
  (void)state;
  ingot_tensor_t a = TT(INGOT_DT_FLOAT, 2, D(2, 3), FV(1, 2, 3, NAN, 5, -1));
  ingot_tensor_t b = TT(INGOT_DT_FLOAT, 1, D(3), FV(2, 2, 2));
  static const struct {
    ingot_op_t op;
    int64_t want[6];
  } cases[] = {
      {INGOT_OP_EQUAL, {0, 1, 0, 0, 0, 0}},         {INGOT_OP_LESS, {1, 0, 0, 0, 0, 1}},
      {INGOT_OP_LESS_OR_EQUAL, {1, 1, 0, 0, 0, 1}}, {INGOT_OP_GREATER, {0, 0, 1, 0, 1, 0}},
      {INGOT_OP_GREATER_OR_EQUAL, {0, 1, 1, 0, 1, 0}},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    tg_t t;
    TG(&t, cases[i].op, 1, &a, &b);
    tg_run(&t);
    expect_i(&t.out[0], INGOT_DT_BOOL, 2, D(2, 3), cases[i].want);
    tg_free(&t);
  }
  /* int64 and bool Equal, scalar broadcast */
  ingot_tensor_t x = TT(INGOT_DT_INT64, 1, D(3), IV(-1, 0, INT64_MAX));
  ingot_tensor_t z = TT(INGOT_DT_INT64, 0, D(0), IV(0));
  tg_t t;
  TG(&t, INGOT_OP_GREATER, 1, &x, &z);
  tg_run(&t);
  expect_i(&t.out[0], INGOT_DT_BOOL, 1, D(3), IV(0, 0, 1));
  tg_free(&t);
  ingot_tensor_t p = TT(INGOT_DT_BOOL, 1, D(2), BV(1, 0));
  ingot_tensor_t q = TT(INGOT_DT_BOOL, 1, D(2), BV(1, 1));
  TG(&t, INGOT_OP_EQUAL, 1, &p, &q);
  tg_run(&t);
  expect_i(&t.out[0], INGOT_DT_BOOL, 1, D(2), IV(1, 0));
  tg_free(&t);
  /* uint8 compares unsigned */
  ingot_tensor_t u = TT(INGOT_DT_UINT8, 1, D(2), BV(200, 3));
  ingot_tensor_t w = TT(INGOT_DT_UINT8, 1, D(2), BV(100, 4));
  TG(&t, INGOT_OP_LESS, 1, &u, &w);
  tg_run(&t);
  expect_i(&t.out[0], INGOT_DT_BOOL, 1, D(2), IV(0, 1));
  tg_free(&t);
}

static void test_logic(void **state) {
  (void)state;
  ingot_tensor_t a = TT(INGOT_DT_BOOL, 2, D(2, 2), BV(0, 0, 1, 1));
  ingot_tensor_t b = TT(INGOT_DT_BOOL, 1, D(2), BV(0, 1));
  tg_t t;
  TG(&t, INGOT_OP_AND, 1, &a, &b);
  tg_run(&t);
  expect_i(&t.out[0], INGOT_DT_BOOL, 2, D(2, 2), IV(0, 0, 0, 1));
  tg_free(&t);
  TG(&t, INGOT_OP_OR, 1, &a, &b);
  tg_run(&t);
  expect_i(&t.out[0], INGOT_DT_BOOL, 2, D(2, 2), IV(0, 1, 1, 1));
  tg_free(&t);
  TG(&t, INGOT_OP_XOR, 1, &a, &b);
  tg_run(&t);
  expect_i(&t.out[0], INGOT_DT_BOOL, 2, D(2, 2), IV(0, 1, 1, 0));
  tg_free(&t);
  TG(&t, INGOT_OP_NOT, 1, &a);
  tg_run(&t);
  expect_i(&t.out[0], INGOT_DT_BOOL, 2, D(2, 2), IV(1, 1, 0, 0));
  tg_free(&t);
  ingot_tensor_t f = TT(INGOT_DT_FLOAT, 1, D(2), FV(1, 0));
  TG(&t, INGOT_OP_AND, 1, &f, &f);
  tg_expect_err(&t, INGOT_CODE_UNSUPPORTED, "And", "float32");
  tg_free(&t);
}

static void test_where(void **state) {
  (void)state;
  ingot_tensor_t c = TT(INGOT_DT_BOOL, 2, D(2, 1), BV(1, 0));
  ingot_tensor_t x = TT(INGOT_DT_INT64, 1, D(3), IV(1, 2, 3));
  ingot_tensor_t y = TT(INGOT_DT_INT64, 0, D(0), IV(-7));
  tg_t t;
  TG(&t, INGOT_OP_WHERE, 1, &c, &x, &y);
  tg_run(&t);
  expect_i(&t.out[0], INGOT_DT_INT64, 2, D(2, 3), IV(1, 2, 3, -7, -7, -7));
  tg_free(&t);
  ingot_tensor_t c2 = TT(INGOT_DT_BOOL, 1, D(3), BV(0, 1, 0));
  ingot_tensor_t fx = TT(INGOT_DT_FLOAT, 2, D(2, 3), FV(1, 2, 3, 4, 5, 6));
  ingot_tensor_t fy = TT(INGOT_DT_FLOAT, 2, D(2, 1), FV(-1, -2));
  TG(&t, INGOT_OP_WHERE, 1, &c2, &fx, &fy);
  tg_run(&t);
  expect_f(&t.out[0], INGOT_DT_FLOAT, 2, D(2, 3), DV(-1, 2, -1, -2, 5, -2), 0, 0);
  tg_free(&t);
  TG(&t, INGOT_OP_WHERE, 1, &fx, &fx, &fy); /* condition must be bool */
  tg_expect_err(&t, INGOT_CODE_INPUT, "condition must be bool");
  tg_free(&t);
}

/* ---- unary ------------------------------------------------------------------------------ */

static void unary_case(ingot_op_t op, const char *attr, double attr_v, const char *sattr, const double *want,
                       double atol, double rtol) {
  ingot_tensor_t x = TT(INGOT_DT_FLOAT, 1, D(8), UX);
  tg_t t;
  TG(&t, op, 1, &x);
  if (attr) tg_attr_f(&t, attr, (float)attr_v);
  if (sattr) tg_attr_s(&t, "approximate", sattr);
  tg_run(&t);
  expect_f(&t.out[0], INGOT_DT_FLOAT, 1, D(8), want, atol, rtol);
  tg_free(&t);
}

static void test_unary_float(void **state) {
  (void)state;
  unary_case(INGOT_OP_NEG, NULL, 0, NULL, DV(3.5, 1, 0.5, 0, -0.5, -1, -2.5, -3), 0, 0);
  unary_case(INGOT_OP_ABS, NULL, 0, NULL, DV(3.5, 1, 0.5, 0, 0.5, 1, 2.5, 3), 0, 0);
  unary_case(INGOT_OP_RELU, NULL, 0, NULL, DV(0, 0, 0, 0, 0.5, 1, 2.5, 3), 0, 0);
  unary_case(INGOT_OP_FLOOR, NULL, 0, NULL, DV(-4, -1, -1, 0, 0, 1, 2, 3), 0, 0);
  unary_case(INGOT_OP_CEIL, NULL, 0, NULL, DV(-3, -1, -0, 0, 1, 1, 3, 3), 0, 0);
  /* half to even */
  unary_case(INGOT_OP_ROUND, NULL, 0, NULL, DV(-4, -1, -0, 0, 0, 1, 2, 3), 0, 0);
  unary_case(INGOT_OP_SIGN, NULL, 0, NULL, DV(-1, -1, -1, 0, 1, 1, 1, 1), 0, 0);
  unary_case(INGOT_OP_EXP, NULL, 0, NULL,
             DV(0.0301973834, 0.367879441, 0.60653066, 1, 1.64872127, 2.71828183, 12.182494, 20.0855369), TOL);
  unary_case(INGOT_OP_ERF, NULL, 0, NULL,
             DV(-0.999999257, -0.842700793, -0.520499878, 0, 0.520499878, 0.842700793, 0.999593048, 0.99997791), TOL);
  unary_case(INGOT_OP_TANH, NULL, 0, NULL,
             DV(-0.998177898, -0.761594156, -0.462117157, 0, 0.462117157, 0.761594156, 0.986614298, 0.995054754), TOL);
  unary_case(INGOT_OP_SIGMOID, NULL, 0, NULL,
             DV(0.0293122308, 0.268941421, 0.377540669, 0.5, 0.622459331, 0.731058579, 0.92414182, 0.952574127), TOL);
  unary_case(INGOT_OP_LEAKY_RELU, "alpha", 0.1, NULL, DV(-0.35, -0.1, -0.05, 0, 0.5, 1, 2.5, 3), TOL);
  unary_case(INGOT_OP_LEAKY_RELU, NULL, 0, NULL, DV(-0.035, -0.01, -0.005, 0, 0.5, 1, 2.5, 3), TOL);
  unary_case(INGOT_OP_ELU, NULL, 0, NULL,
             DV(-0.969802617, -0.632120559, -0.39346934, 0, 0.5, 1, 2.5, 3), TOL);
  unary_case(INGOT_OP_ELU, "alpha", 0.5, NULL,
             DV(-0.484901308, -0.316060279, -0.19673467, 0, 0.5, 1, 2.5, 3), TOL);
  unary_case(INGOT_OP_SOFTPLUS, NULL, 0, NULL,
             DV(0.0297504183, 0.313261688, 0.474076984, 0.693147181, 0.974076984, 1.31326169, 2.57888973, 3.04858735),
             TOL);
  unary_case(INGOT_OP_HARD_SIGMOID, NULL, 0, NULL, DV(0, 0.3, 0.4, 0.5, 0.6, 0.7, 1, 1), TOL);
  {
    ingot_tensor_t x = TT(INGOT_DT_FLOAT, 1, D(8), UX);
    tg_t t;
    TG(&t, INGOT_OP_HARD_SIGMOID, 1, &x);
    tg_attr_f(&t, "alpha", 0.3f);
    tg_attr_f(&t, "beta", 0.4f);
    tg_run(&t);
    expect_f(&t.out[0], INGOT_DT_FLOAT, 1, D(8), DV(0, 0.1, 0.25, 0.4, 0.55, 0.7, 1, 1), TOL);
    tg_free(&t);
  }
  unary_case(INGOT_OP_HARD_SWISH, NULL, 0, NULL,
             DV(0, -0.333333333, -0.208333333, 0, 0.291666667, 0.666666667, 2.29166667, 3), TOL);
  unary_case(INGOT_OP_MISH, NULL, 0, NULL,
             DV(-0.104095754, -0.303401461, -0.220743775, 0, 0.375245211, 0.865098388, 2.4713923, 2.986535), TOL);
  unary_case(INGOT_OP_GELU, NULL, 0, NULL,
             DV(-0.000814201777, -0.158655254, -0.154268769, 0, 0.345731231, 0.841344746, 2.48447584, 2.99595031),
             TOL);
  unary_case(INGOT_OP_GELU, NULL, 0, "none",
             DV(-0.000814201777, -0.158655254, -0.154268769, 0, 0.345731231, 0.841344746, 2.48447584, 2.99595031),
             TOL);
  unary_case(INGOT_OP_GELU, NULL, 0, "tanh",
             DV(-0.000616197655, -0.158808009, -0.15428599, 0, 0.34571401, 0.841191991, 2.48491573, 2.99636261),
             TOL);
  unary_case(INGOT_OP_SIN, NULL, 0, NULL,
             DV(0.350783228, -0.841470985, -0.479425539, 0, 0.479425539, 0.841470985, 0.598472144, 0.141120008), TOL);
  unary_case(INGOT_OP_COS, NULL, 0, NULL,
             DV(-0.936456687, 0.540302306, 0.877582562, 1, 0.877582562, 0.540302306, -0.801143616, -0.989992497), TOL);
}

static void test_unary_domain_edges(void **state) {
  (void)state;
  ingot_tensor_t x = TT(INGOT_DT_FLOAT, 1, D(6), FV(0.25f, 1, 2, 9, 0, -1));
  tg_t t;
  TG(&t, INGOT_OP_SQRT, 1, &x);
  tg_run(&t);
  expect_f(&t.out[0], INGOT_DT_FLOAT, 1, D(6), DV(0.5, 1, 1.41421356, 3, 0, NAN), TOL);
  tg_free(&t);
  TG(&t, INGOT_OP_LOG, 1, &x);
  tg_run(&t);
  expect_f(&t.out[0], INGOT_DT_FLOAT, 1, D(6), DV(-1.38629436, 0, 0.693147181, 2.19722458, -INFINITY, NAN), TOL);
  tg_free(&t);
  TG(&t, INGOT_OP_RECIPROCAL, 1, &x);
  tg_run(&t);
  expect_f(&t.out[0], INGOT_DT_FLOAT, 1, D(6), DV(4, 1, 0.5, 0.111111111, INFINITY, -1), TOL);
  tg_free(&t);
  /* sigmoid/softplus do not overflow at the extremes */
  ingot_tensor_t big = TT(INGOT_DT_FLOAT, 1, D(4), FV(-1000, 1000, -INFINITY, INFINITY));
  TG(&t, INGOT_OP_SIGMOID, 1, &big);
  tg_run(&t);
  expect_f(&t.out[0], INGOT_DT_FLOAT, 1, D(4), DV(0, 1, 0, 1), 0, 0);
  tg_free(&t);
  TG(&t, INGOT_OP_SOFTPLUS, 1, &big);
  tg_run(&t);
  expect_f(&t.out[0], INGOT_DT_FLOAT, 1, D(4), DV(0, 1000, 0, INFINITY), 0, 0);
  tg_free(&t);
  /* Round: half to even, both signs */
  ingot_tensor_t h = TT(INGOT_DT_FLOAT, 1, D(6), FV(0.5f, 1.5f, 2.5f, -0.5f, -1.5f, 2.4999998f));
  TG(&t, INGOT_OP_ROUND, 1, &h);
  tg_run(&t);
  expect_f(&t.out[0], INGOT_DT_FLOAT, 1, D(6), DV(0, 2, 2, -0.0, -2, 2), 0, 0);
  tg_free(&t);
  /* empty tensors and scalars */
  ingot_tensor_t e = TT(INGOT_DT_FLOAT, 1, D(0), NULL);
  TG(&t, INGOT_OP_EXP, 1, &e);
  tg_run(&t);
  expect_shape(&t.out[0], INGOT_DT_FLOAT, 1, D(0));
  tg_free(&t);
  ingot_tensor_t s = TT(INGOT_DT_DOUBLE, 0, D(0), DBV(-2));
  TG(&t, INGOT_OP_NEG, 1, &s);
  tg_run(&t);
  expect_f(&t.out[0], INGOT_DT_DOUBLE, 0, D(0), DV(2), 0, 0);
  tg_free(&t);
  /* bad approximate */
  ingot_tensor_t x2 = TT(INGOT_DT_FLOAT, 1, D(8), UX);
  TG(&t, INGOT_OP_GELU, 1, &x2);
  tg_attr_s(&t, "approximate", "fast");
  tg_expect_err(&t, INGOT_CODE_INPUT, "approximate='fast'");
  tg_free(&t);
}

static void test_unary_int(void **state) {
  (void)state;
  ingot_tensor_t x = TT(INGOT_DT_INT32, 1, D(4), I32V(-5, 0, 7, INT32_MIN));
  tg_t t;
  TG(&t, INGOT_OP_NEG, 1, &x);
  tg_run(&t);
  expect_i(&t.out[0], INGOT_DT_INT32, 1, D(4), IV(5, 0, -7, INT32_MIN));
  tg_free(&t);
  TG(&t, INGOT_OP_ABS, 1, &x);
  tg_run(&t);
  expect_i(&t.out[0], INGOT_DT_INT32, 1, D(4), IV(5, 0, 7, INT32_MIN));
  tg_free(&t);
  TG(&t, INGOT_OP_RELU, 1, &x);
  tg_run(&t);
  expect_i(&t.out[0], INGOT_DT_INT32, 1, D(4), IV(0, 0, 7, 0));
  tg_free(&t);
  TG(&t, INGOT_OP_SIGN, 1, &x);
  tg_run(&t);
  expect_i(&t.out[0], INGOT_DT_INT32, 1, D(4), IV(-1, 0, 1, -1));
  tg_free(&t);
  TG(&t, INGOT_OP_EXP, 1, &x);
  tg_expect_err(&t, INGOT_CODE_UNSUPPORTED, "Exp", "int32");
  tg_free(&t);
}

static void test_identity_isnan(void **state) {
  (void)state;
  ingot_tensor_t b = TT(INGOT_DT_BOOL, 2, D(1, 3), BV(1, 0, 1));
  tg_t t;
  TG(&t, INGOT_OP_IDENTITY, 1, &b);
  tg_run(&t);
  expect_i(&t.out[0], INGOT_DT_BOOL, 2, D(1, 3), IV(1, 0, 1));
  tg_free(&t);
  ingot_tensor_t f = TT(INGOT_DT_FLOAT, 1, D(4), FV(NAN, 1, INFINITY, -NAN));
  TG(&t, INGOT_OP_ISNAN, 1, &f);
  tg_run(&t);
  expect_i(&t.out[0], INGOT_DT_BOOL, 1, D(4), IV(1, 0, 0, 1));
  tg_free(&t);
}

/* ---- Clip -------------------------------------------------------------------------------- */

static void test_clip(void **state) {
  (void)state;
  ingot_tensor_t x = TT(INGOT_DT_FLOAT, 1, D(5), FV(-3, -1, 0, 2, NAN));
  ingot_tensor_t lo = TT(INGOT_DT_FLOAT, 0, D(0), FV(-1.5f));
  ingot_tensor_t hi = TT(INGOT_DT_FLOAT, 0, D(0), FV(1));
  tg_t t;
  TG(&t, INGOT_OP_CLIP, 1, &x, &lo, &hi);
  tg_run(&t);
  expect_f(&t.out[0], INGOT_DT_FLOAT, 1, D(5), DV(-1.5, -1, 0, 1, NAN), 0, 0);
  tg_free(&t);
  TG(&t, INGOT_OP_CLIP, 1, &x, NULL, &hi); /* min omitted */
  tg_run(&t);
  expect_f(&t.out[0], INGOT_DT_FLOAT, 1, D(5), DV(-3, -1, 0, 1, NAN), 0, 0);
  tg_free(&t);
  TG(&t, INGOT_OP_CLIP, 1, &x); /* neither: identity */
  tg_run(&t);
  expect_f(&t.out[0], INGOT_DT_FLOAT, 1, D(5), DV(-3, -1, 0, 2, NAN), 0, 0);
  tg_free(&t);
  TG(&t, INGOT_OP_CLIP, 1, &x, &hi, &lo); /* min > max: everything becomes max */
  tg_run(&t);
  expect_f(&t.out[0], INGOT_DT_FLOAT, 1, D(5), DV(-1.5, -1.5, -1.5, -1.5, NAN), 0, 0);
  tg_free(&t);
  ingot_tensor_t xi = TT(INGOT_DT_INT64, 1, D(3), IV(-10, 5, 10));
  ingot_tensor_t li = TT(INGOT_DT_INT64, 1, D(1), IV(0));
  TG(&t, INGOT_OP_CLIP, 1, &xi, &li);
  tg_run(&t);
  expect_i(&t.out[0], INGOT_DT_INT64, 1, D(3), IV(0, 5, 10));
  tg_free(&t);
  ingot_tensor_t bad = TT(INGOT_DT_FLOAT, 1, D(2), FV(0, 1));
  TG(&t, INGOT_OP_CLIP, 1, &x, &bad);
  tg_expect_err(&t, INGOT_CODE_INPUT, "must be a scalar");
  tg_free(&t);
}

/* ---- Cast / CastLike / Dropout --------------------------------------------------------- */

static void cast_case(const ingot_tensor_t *x, int to, ingot_tensor_t *out_copy) {
  tg_t t;
  TG(&t, INGOT_OP_CAST, 1, x);
  tg_attr_i(&t, "to", to);
  tg_run(&t);
  *out_copy = t.out[0];
  memset(&t.out[0], 0, sizeof t.out[0]);
  tg_free(&t);
}

static void test_cast_float_to_int(void **state) {
  (void)state;
  ingot_tensor_t x = TT(INGOT_DT_FLOAT, 1, D(7), FV(-2.7f, 2.7f, -0.5f, 3e9f, -3e9f, NAN, 1e30f));
  ingot_tensor_t y;
  cast_case(&x, INGOT_DT_INT32, &y); /* truncation toward zero, saturating, NaN -> 0 */
  expect_i(&y, INGOT_DT_INT32, 1, D(7), IV(-2, 2, 0, INT32_MAX, INT32_MIN, 0, INT32_MAX));
  ingot_tensor_release(&y);
  cast_case(&x, INGOT_DT_INT64, &y);
  expect_i(&y, INGOT_DT_INT64, 1, D(7), IV(-2, 2, 0, 3000000000LL, -3000000000LL, 0, INT64_MAX));
  ingot_tensor_release(&y);
  cast_case(&x, INGOT_DT_UINT8, &y);
  expect_i(&y, INGOT_DT_UINT8, 1, D(7), IV(0, 2, 0, 255, 0, 0, 255));
  ingot_tensor_release(&y);
  cast_case(&x, INGOT_DT_BOOL, &y); /* x != 0; NaN is true */
  expect_i(&y, INGOT_DT_BOOL, 1, D(7), IV(1, 1, 1, 1, 1, 1, 1));
  ingot_tensor_release(&y);
  ingot_tensor_t z = TT(INGOT_DT_FLOAT, 1, D(2), FV(0.0f, -0.0f));
  cast_case(&z, INGOT_DT_BOOL, &y);
  expect_i(&y, INGOT_DT_BOOL, 1, D(2), IV(0, 0));
  ingot_tensor_release(&y);
}

static void test_cast_int_and_bool(void **state) {
  (void)state;
  ingot_tensor_t x = TT(INGOT_DT_INT64, 1, D(4), IV(300, -1, 16777217, 0));
  ingot_tensor_t y;
  cast_case(&x, INGOT_DT_INT8, &y); /* integer narrowing wraps */
  expect_i(&y, INGOT_DT_INT8, 1, D(4), IV(44, -1, 1, 0));
  ingot_tensor_release(&y);
  cast_case(&x, INGOT_DT_UINT16, &y);
  expect_i(&y, INGOT_DT_UINT16, 1, D(4), IV(300, 65535, 1, 0));
  ingot_tensor_release(&y);
  cast_case(&x, INGOT_DT_FLOAT, &y); /* 2^24 + 1 rounds to even */
  expect_f(&y, INGOT_DT_FLOAT, 1, D(4), DV(300, -1, 16777216, 0), 0, 0);
  ingot_tensor_release(&y);
  cast_case(&x, INGOT_DT_DOUBLE, &y);
  expect_f(&y, INGOT_DT_DOUBLE, 1, D(4), DV(300, -1, 16777217, 0), 0, 0);
  ingot_tensor_release(&y);
  cast_case(&x, INGOT_DT_BOOL, &y);
  expect_i(&y, INGOT_DT_BOOL, 1, D(4), IV(1, 1, 1, 0));
  ingot_tensor_release(&y);
  ingot_tensor_t b = TT(INGOT_DT_BOOL, 1, D(2), BV(1, 0));
  cast_case(&b, INGOT_DT_FLOAT, &y);
  expect_f(&y, INGOT_DT_FLOAT, 1, D(2), DV(1, 0), 0, 0);
  ingot_tensor_release(&y);
  cast_case(&b, INGOT_DT_INT32, &y);
  expect_i(&y, INGOT_DT_INT32, 1, D(2), IV(1, 0));
  ingot_tensor_release(&y);
  /* to string: unsupported */
  tg_t t;
  TG(&t, INGOT_OP_CAST, 1, &b);
  tg_attr_i(&t, "to", INGOT_DT_STRING);
  tg_expect_err(&t, INGOT_CODE_UNSUPPORTED, "string");
  tg_free(&t);
}

static void test_cast_half_types(void **state) {
  (void)state;
  /* float32 -> float16 bits: 1.0 = 0x3c00, 65504 = 0x7bff, 1e5 -> inf 0x7c00,
   * 1 + 2^-11 ties to even -> 0x3c00, 1 + 3*2^-11 -> 0x3c02, -2 = 0xc000 */
  ingot_tensor_t x = TT(INGOT_DT_FLOAT, 1, D(6), FV(1.0f, 65504.0f, 1e5f, 1.00048828125f, 1.00146484375f, -2.0f));
  ingot_tensor_t y;
  cast_case(&x, INGOT_DT_FLOAT16, &y);
  expect_shape(&y, INGOT_DT_FLOAT16, 1, D(6));
  const uint16_t *h = y.data;
  assert_int_equal(h[0], 0x3c00);
  assert_int_equal(h[1], 0x7bff);
  assert_int_equal(h[2], 0x7c00);
  assert_int_equal(h[3], 0x3c00);
  assert_int_equal(h[4], 0x3c02);
  assert_int_equal(h[5], 0xc000);
  ingot_tensor_release(&y);
  /* float16 -> float32 and -> int: the kernel sees the narrow type */
  ingot_tensor_t hx = TT(INGOT_DT_FLOAT16, 1, D(3), ((const uint16_t[]){0x3e00, 0xc500, 0x0001}));
  cast_case(&hx, INGOT_DT_FLOAT, &y);
  expect_f(&y, INGOT_DT_FLOAT, 1, D(3), DV(1.5, -5, 5.9604644775390625e-08), 0, 0);
  ingot_tensor_release(&y);
  cast_case(&hx, INGOT_DT_INT32, &y);
  expect_i(&y, INGOT_DT_INT32, 1, D(3), IV(1, -5, 0));
  ingot_tensor_release(&y);
  /* float32 -> bfloat16: 1 + 2^-8 ties to even (0x3f80); 1 + 3*2^-8 -> 0x3f82 */
  ingot_tensor_t bx = TT(INGOT_DT_FLOAT, 1, D(2), FV(1.00390625f, 1.01171875f));
  cast_case(&bx, INGOT_DT_BFLOAT16, &y);
  expect_shape(&y, INGOT_DT_BFLOAT16, 1, D(2));
  assert_int_equal(((const uint16_t *)y.data)[0], 0x3f80);
  assert_int_equal(((const uint16_t *)y.data)[1], 0x3f82);
  ingot_tensor_release(&y);
  /* double -> float16 rounds once: 1 + 2^-11 + 2^-40 is just above the tie,
   * so it rounds up to 0x3c01 (rounding via float32 first would give 0x3c00) */
  ingot_tensor_t dx = TT(INGOT_DT_DOUBLE, 1, D(1), DBV(1.0 + 0x1p-11 + 0x1p-40));
  cast_case(&dx, INGOT_DT_FLOAT16, &y);
  assert_int_equal(((const uint16_t *)y.data)[0], 0x3c01);
  ingot_tensor_release(&y);
  /* float16 -> bfloat16 */
  cast_case(&hx, INGOT_DT_BFLOAT16, &y);
  assert_int_equal(((const uint16_t *)y.data)[0], 0x3fc0);
  assert_int_equal(((const uint16_t *)y.data)[1], 0xc0a0);
  ingot_tensor_release(&y);
}

static void test_cast_like(void **state) {
  (void)state;
  ingot_tensor_t x = TT(INGOT_DT_FLOAT, 1, D(3), FV(1.9f, -1.9f, 0));
  ingot_tensor_t like = TT(INGOT_DT_INT64, 1, D(1), IV(0));
  tg_t t;
  TG(&t, INGOT_OP_CAST_LIKE, 1, &x, &like);
  tg_run(&t);
  expect_i(&t.out[0], INGOT_DT_INT64, 1, D(3), IV(1, -1, 0));
  tg_free(&t);
  ingot_tensor_t hlike = TT(INGOT_DT_FLOAT16, 0, D(0), ((const uint16_t[]){0}));
  TG(&t, INGOT_OP_CAST_LIKE, 1, &x, &hlike);
  tg_run(&t);
  expect_shape(&t.out[0], INGOT_DT_FLOAT16, 1, D(3));
  expect_f(&t.out[0], INGOT_DT_FLOAT16, 1, D(3), DV(1.900390625, -1.900390625, 0), 0, 0);
  tg_free(&t);
}

static void test_dropout_inference(void **state) {
  (void)state;
  ingot_tensor_t x = TT(INGOT_DT_FLOAT, 2, D(2, 2), FV(1, 2, 3, 4));
  ingot_tensor_t ratio = TT(INGOT_DT_FLOAT, 0, D(0), FV(0.5f));
  tg_t t;
  TG(&t, INGOT_OP_DROPOUT, 2, &x, &ratio);
  tg_run(&t);
  expect_f(&t.out[0], INGOT_DT_FLOAT, 2, D(2, 2), DV(1, 2, 3, 4), 0, 0);
  expect_i(&t.out[1], INGOT_DT_BOOL, 2, D(2, 2), IV(1, 1, 1, 1));
  tg_free(&t);
  ingot_tensor_t train = TT(INGOT_DT_BOOL, 0, D(0), BV(1));
  TG(&t, INGOT_OP_DROPOUT, 1, &x, &ratio, &train);
  tg_expect_err(&t, INGOT_CODE_UNSUPPORTED, "training mode");
  tg_free(&t);
  ingot_tensor_t zero = TT(INGOT_DT_FLOAT, 0, D(0), FV(0));
  TG(&t, INGOT_OP_DROPOUT, 1, &x, &zero, &train); /* ratio 0: identity even in training */
  tg_run(&t);
  expect_f(&t.out[0], INGOT_DT_FLOAT, 2, D(2, 2), DV(1, 2, 3, 4), 0, 0);
  tg_free(&t);
}

/* ---- Softmax / LogSoftmax ------------------------------------------------------------ */

static void test_softmax(void **state) {
  (void)state;
  ingot_tensor_t x = TT(INGOT_DT_FLOAT, 2, D(2, 3), FV(1, 2, 3, 1000, 1001, 1002));
  tg_t t;
  TG(&t, INGOT_OP_SOFTMAX, 1, &x); /* default axis -1; stable for large inputs */
  tg_run(&t);
  expect_f(&t.out[0], INGOT_DT_FLOAT, 2, D(2, 3),
           DV(0.0900305732, 0.244728471, 0.665240956, 0.0900305732, 0.244728471, 0.665240956), TOL);
  tg_free(&t);
  TG(&t, INGOT_OP_LOG_SOFTMAX, 1, &x);
  tg_run(&t);
  expect_f(&t.out[0], INGOT_DT_FLOAT, 2, D(2, 3),
           DV(-2.40760596, -1.40760596, -0.407605964, -2.40760596, -1.40760596, -0.407605964), TOL);
  tg_free(&t);
  ingot_tensor_t x0 = TT(INGOT_DT_FLOAT, 2, D(2, 3), FV(1, 2, 3, 4, 6, 0));
  TG(&t, INGOT_OP_SOFTMAX, 1, &x0);
  tg_attr_i(&t, "axis", -2);
  tg_run(&t);
  expect_f(&t.out[0], INGOT_DT_FLOAT, 2, D(2, 3),
           DV(0.0474258732, 0.01798621, 0.952574127, 0.952574127, 0.98201379, 0.0474258732), TOL);
  tg_free(&t);
  /* opset 13 semantics on a middle axis vs opset 11 (coerced to 2-D) */
  ingot_tensor_t x3 = TT(INGOT_DT_FLOAT, 3, D(2, 2, 2), FV(-1.25f, 0.5f, -0.5f, 1.25f, 0.25f, -0.75f, 1, 0));
  TG(&t, INGOT_OP_SOFTMAX, 1, &x3);
  tg_attr_i(&t, "axis", 1);
  tg_run(&t);
  expect_f(&t.out[0], INGOT_DT_FLOAT, 3, D(2, 2, 2),
           DV(0.320821301, 0.320821301, 0.679178699, 0.679178699, 0.320821301, 0.320821301, 0.679178699,
              0.679178699),
           TOL);
  tg_free(&t);
  TG(&t, INGOT_OP_SOFTMAX, 1, &x3);
  t.g->opset = 11;
  tg_attr_i(&t, "axis", 1);
  tg_run(&t);
  expect_f(&t.out[0], INGOT_DT_FLOAT, 3, D(2, 2, 2),
           DV(0.0474966947, 0.273324606, 0.100550503, 0.578628196, 0.234539164, 0.0862821366, 0.496519414,
              0.182659285),
           TOL);
  tg_free(&t);
  TG(&t, INGOT_OP_SOFTMAX, 1, &x3);
  tg_attr_i(&t, "axis", 3);
  tg_expect_err(&t, INGOT_CODE_INPUT, "axis 3 is out of range");
  tg_free(&t);
}

/* ---- normalisation ----------------------------------------------------------------------- */

#define XL                                                                                                \
  FV(-1.25f, 0.5f, -0.5f, 1.25f, 0.25f, -0.75f, 1, 0, -1, 0.75f, -0.25f, -1.25f, 0.5f, -0.5f, 1.25f, 0.25f, \
     -0.75f, 1, 0, -1, 0.75f, -0.25f, -1.25f, 0.5f)

static void test_layer_norm(void **state) {
  (void)state;
  ingot_tensor_t x = TT(INGOT_DT_FLOAT, 3, D(2, 3, 4), XL);
  ingot_tensor_t s = TT(INGOT_DT_FLOAT, 1, D(4), FV(1, 0.5f, -1, 2));
  ingot_tensor_t b = TT(INGOT_DT_FLOAT, 1, D(4), FV(0.1f, 0.2f, 0.3f, 0.4f));
  tg_t t;
  TG(&t, INGOT_OP_LAYER_NORM, 3, &x, &s, &b);
  tg_run(&t);
  expect_f(&t.out[0], INGOT_DT_FLOAT, 3, D(2, 3, 4),
           DV(-1.21305708, 0.462611417, 0.825222834, 3.02611417, 0.29999744, -0.49999104, -1.09998208,
              5.1199017e-06, -0.622891426, 0.963052061, 0.0590361912, -1.68835301, 0.29999744, -0.49999104,
              -1.09998208, 5.1199017e-06, -0.622891426, 0.963052061, 0.0590361912, -1.68835301, 1.1441765,
              0.0795180956, 1.82610412, 1.84578285),
           TOL);
  expect_f(&t.out[1], INGOT_DT_FLOAT, 3, D(2, 3, 1), DV(0, 0.125, -0.4375, 0.375, -0.1875, -0.0625), TOL);
  expect_f(&t.out[2], INGOT_DT_FLOAT, 3, D(2, 3, 1),
           DV(1.05044567, 1.59997952, 1.28514031, 1.59997952, 1.28514031, 1.28514031), TOL);
  tg_free(&t);
  /* axis 1 (normalise the last two dims), no bias, epsilon 1e-3 */
  ingot_tensor_t s34 = TT(INGOT_DT_FLOAT, 2, D(3, 4), FV(-1.5f, 1, 0, -1, 1.5f, 0.5f, -0.5f, -1.5f, 1, 0, -1, 1.5f));
  TG(&t, INGOT_OP_LAYER_NORM, 1, &x, &s34);
  tg_attr_i(&t, "axis", 1);
  tg_attr_f(&t, "epsilon", 1e-3f);
  tg_run(&t);
  expect_f(&t.out[0], INGOT_DT_FLOAT, 3, D(2, 3, 4),
           DV(2.06423986, 0.725611585, 0, -1.6263708, 0.638037773, -0.387826882, -0.663058863, -0.187658169,
              -1.07590683, 0, 0.175147624, -2.06423986, -0.892771402, -0.70339565, 0, -0.270536788, -1.54205969,
              0.622234613, 0.0270536788, 2.02902591, 0.919825081, 0, 1.67732809, 0.892771402),
           TOL);
  tg_free(&t);
  /* axis -2 with scale [4] and bias [1] broadcast over the normalised [3,4] */
  ingot_tensor_t b1 = TT(INGOT_DT_FLOAT, 1, D(1), FV(0.5f));
  TG(&t, INGOT_OP_LAYER_NORM, 1, &x, &s, &b1);
  tg_attr_i(&t, "axis", -2);
  tg_run(&t);
  expect_f(&t.out[0], INGOT_DT_FLOAT, 3, D(2, 3, 4),
           DV(-0.87714354, 0.863065115, 0.975740495, 3.75506655, 0.925662549, 0.111895912, -0.827065593,
              0.750389734, -0.576675858, 1.01329896, 0.675272814, -2.25428708, 1.09567837, 0.148008238, -1.07042478,
              1.04152579, -0.528898996, 1.12275466, 0.554152579, -2.20762894, 1.42059384, 0.310465974, 2.17872994,
              1.69135673),
           TOL);
  tg_free(&t);
  ingot_tensor_t s3 = TT(INGOT_DT_FLOAT, 1, D(3), FV(1, 1, 1));
  TG(&t, INGOT_OP_LAYER_NORM, 1, &x, &s3);
  tg_expect_err(&t, INGOT_CODE_INPUT, "Scale", "cannot broadcast");
  tg_free(&t);
}

#define XG                                                                                                \
  FV(-3, -0.5f, 2, -2, 0.5f, 3, -1, 1.5f, -2.5f, 0, 2.5f, -1.5f, 1, -3, -0.5f, 2, -2, 0.5f, 3, -1, 1.5f, -2.5f, 0, \
     2.5f)

static void test_group_norm(void **state) {
  (void)state;
  ingot_tensor_t x = TT(INGOT_DT_FLOAT, 3, D(2, 4, 3), XG);
  ingot_tensor_t sg = TT(INGOT_DT_FLOAT, 1, D(2), FV(1.5f, -0.5f));
  ingot_tensor_t bg = TT(INGOT_DT_FLOAT, 1, D(2), FV(0.25f, -0.25f));
  tg_t t;
  TG(&t, INGOT_OP_GROUP_NORM, 1, &x, &sg, &bg); /* opset 18: per-group scale/bias */
  t.g->opset = 18;
  tg_attr_i(&t, "num_groups", 2);
  tg_run(&t);
  expect_f(&t.out[0], INGOT_DT_FLOAT, 3, D(2, 4, 3),
           DV(-1.89123686, -0.10687281, 1.67749124, -1.17749124, 0.60687281, 2.39123686, -0.00831628431, -0.733367431,
              0.426714404, -0.298336743, -1.02338789, 0.136693945, 1.41008184, -2.07016367, 0.104989771, 2.28014321,
              -1.20010229, 0.975051147, -0.871110938, 0.156934752, -0.485593804, 0.542451886, -0.10007667,
              -0.742605227),
           TOL);
  tg_free(&t);
  ingot_tensor_t sc = TT(INGOT_DT_FLOAT, 1, D(4), FV(1, 2, 0.5f, -1));
  ingot_tensor_t bc = TT(INGOT_DT_FLOAT, 1, D(4), FV(0, 0.1f, 0.2f, 0.3f));
  TG(&t, INGOT_OP_GROUP_NORM, 1, &x, &sc, &bc); /* opset 21 layout: per channel */
  tg_attr_i(&t, "num_groups", 2);
  tg_run(&t);
  expect_f(&t.out[0], INGOT_DT_FLOAT, 3, D(2, 4, 3),
           DV(-1.42749124, -0.237915206, 0.951660826, -1.80332165, 0.575830413, 2.95498248, -0.0416837157,
              0.683367431, -0.476714404, 0.203326514, -1.24677578, 1.07338789, 0.77338789, -1.54677578, -0.0966734863,
              2.80685762, -1.83346973, 1.06673486, 0.821110938, -0.206934752, 0.435593804, 1.88490377, 0.59984666,
              -0.685210453),
           TOL);
  tg_free(&t);
  TG(&t, INGOT_OP_GROUP_NORM, 1, &x, &sg, &bg);
  tg_attr_i(&t, "num_groups", 3);
  tg_expect_err(&t, INGOT_CODE_INPUT, "num_groups 3 does not divide");
  tg_free(&t);
}

static void test_instance_norm(void **state) {
  (void)state;
  ingot_tensor_t x = TT(INGOT_DT_FLOAT, 3, D(2, 4, 3), XG);
  ingot_tensor_t sc = TT(INGOT_DT_FLOAT, 1, D(4), FV(1, 2, 0.5f, -1));
  ingot_tensor_t bc = TT(INGOT_DT_FLOAT, 1, D(4), FV(0, 0.1f, 0.2f, 0.3f));
  tg_t t;
  TG(&t, INGOT_OP_INSTANCE_NORM, 1, &x, &sc, &bc);
  tg_run(&t);
  expect_f(&t.out[0], INGOT_DT_FLOAT, 3, D(2, 4, 3),
           DV(-1.2247434, 0, 1.2247434, -2.3494868, 0.1, 2.5494868, 0.0989849311, 0.856597948, -0.355582879,
              0.502030138, -1.0131959, 1.41116576, 1.11116576, -1.3131959, 0.202030138, 2.32233152, -2.52639179,
              0.504060276, 0.755582879, -0.456597948, 0.301015069, 1.5247434, 0.3, -0.924743402),
           TOL);
  tg_free(&t);
  ingot_tensor_t s2 = TT(INGOT_DT_FLOAT, 1, D(2), FV(1, 1));
  TG(&t, INGOT_OP_INSTANCE_NORM, 1, &x, &s2, &bc);
  tg_expect_err(&t, INGOT_CODE_INPUT, "scale must have shape [4]");
  tg_free(&t);
}

static void test_batch_norm(void **state) {
  (void)state;
  ingot_tensor_t x = TT(INGOT_DT_FLOAT, 3, D(2, 4, 3), XG);
  ingot_tensor_t sc = TT(INGOT_DT_FLOAT, 1, D(4), FV(1, 2, 0.5f, -1));
  ingot_tensor_t bc = TT(INGOT_DT_FLOAT, 1, D(4), FV(0, 0.1f, 0.2f, 0.3f));
  ingot_tensor_t mean = TT(INGOT_DT_FLOAT, 1, D(4), FV(0.5f, -0.5f, 1, 0));
  ingot_tensor_t var = TT(INGOT_DT_FLOAT, 1, D(4), FV(1, 2, 0.5f, 4));
  tg_t t;
  TG(&t, INGOT_OP_BATCH_NORM, 1, &x, &sc, &bc, &mean, &var);
  tg_run(&t);
  expect_f(&t.out[0], INGOT_DT_FLOAT, 3, D(2, 4, 3),
           DV(-3.4999825, -0.999995, 1.4999925, -2.02131504, 1.51421003, 5.04973509, -1.21419942, 0.553549855,
              -2.27484899, 0.3, -0.949998438, 1.04999906, 0.4999975, -3.4999825, -0.999995, 3.63552507, -2.02131504,
              1.51421003, 1.61419942, -1.21419942, 0.553549855, 1.54999844, 0.3, -0.949998438),
           TOL);
  tg_free(&t);
  TG(&t, INGOT_OP_BATCH_NORM, 3, &x, &sc, &bc, &mean, &var);
  tg_attr_i(&t, "training_mode", 1);
  tg_run(&t);
  expect_f(&t.out[0], INGOT_DT_FLOAT, 3, D(2, 4, 3),
           DV(-1.25219626, 0.0894425903, 1.43108144, -2.40439253, 0.278885181, 2.96216289, -0.131132625, 0.531132625,
              -0.528491774, 0.38944259, -0.952196264, 1.1944259, 0.894425903, -1.25219626, 0.0894425903, 1.88885181,
              -2.40439253, 0.278885181, 0.928491774, -0.131132625, 0.531132625, 1.73108144, 0.38944259,
              -0.952196264),
           TOL);
  expect_f(&t.out[1], INGOT_DT_FLOAT, 1, D(4), DV(0.383333333, -0.416666667, 0.925, 0.0166666667), TOL);
  expect_f(&t.out[2], INGOT_DT_FLOAT, 1, D(4), DV(1.24722222, 2.14722222, 0.80625, 3.94722222), TOL);
  tg_free(&t);
}

/* ---- MatMul / Gemm ------------------------------------------------------------------------- */

static void test_matmul_batched_broadcast(void **state) {
  (void)state;
  ingot_tensor_t a = TT(INGOT_DT_FLOAT, 4, D(2, 1, 2, 3),
                        FV(-1.25f, 0.5f, -0.5f, 1.25f, 0.25f, -0.75f, 1, 0, -1, 0.75f, -0.25f, -1.25f));
  ingot_tensor_t b = TT(INGOT_DT_FLOAT, 3, D(3, 3, 2),
                        FV(-2, 0.5f, -1.5f, 1, -1, 1.5f, -0.5f, 2, 0, -2, 0.5f, -1.5f, 1, -1, 1.5f, -0.5f, 2, 0));
  tg_t t;
  TG(&t, INGOT_OP_MATMUL, 1, &a, &b);
  tg_run(&t);
  expect_f(&t.out[0], INGOT_DT_FLOAT, 4, D(2, 3, 2, 2),
           DV(2.25, -0.875, -2.125, -0.25, 0.375, -2.75, -1, 3.125, -1.5, 1, 0.125, -1.375, -1, -1, 0.125, -1.75, -1,
              3.5, -1, 3.875, -1, -1, -2.125, -0.625),
           0, 0);
  tg_free(&t);
}

static void test_matmul_vectors(void **state) {
  (void)state;
  ingot_tensor_t v = TT(INGOT_DT_FLOAT, 1, D(3), FV(1, -2, 0.5f));
  ingot_tensor_t m32 = TT(INGOT_DT_FLOAT, 2, D(3, 2), FV(-3, 0, 3, -1, 2, -2));
  ingot_tensor_t m23 = TT(INGOT_DT_FLOAT, 2, D(2, 3), FV(-3, 3, 2, 0, -1, -2));
  tg_t t;
  TG(&t, INGOT_OP_MATMUL, 1, &v, &m32); /* [3] x [3,2] -> [2] */
  tg_run(&t);
  expect_f(&t.out[0], INGOT_DT_FLOAT, 1, D(2), DV(-8, 1), 0, 0);
  tg_free(&t);
  TG(&t, INGOT_OP_MATMUL, 1, &m23, &v); /* [2,3] x [3] -> [2] */
  tg_run(&t);
  expect_f(&t.out[0], INGOT_DT_FLOAT, 1, D(2), DV(-8, 1), 0, 0);
  tg_free(&t);
  TG(&t, INGOT_OP_MATMUL, 1, &v, &v); /* [3] x [3] -> scalar */
  tg_run(&t);
  expect_f(&t.out[0], INGOT_DT_FLOAT, 0, D(0), DV(5.25), 0, 0);
  tg_free(&t);
  /* batched [2,2,3] x [3] -> [2,2] */
  ingot_tensor_t a3 = TT(INGOT_DT_FLOAT, 3, D(2, 2, 3), FV(-3, 3, 2, 0, -1, -2, 1, 1, 1, 0, 0, 2));
  TG(&t, INGOT_OP_MATMUL, 1, &a3, &v);
  tg_run(&t);
  expect_f(&t.out[0], INGOT_DT_FLOAT, 2, D(2, 2), DV(-8, 1, -0.5, 1), 0, 0);
  tg_free(&t);
  TG(&t, INGOT_OP_MATMUL, 1, &m32, &m32);
  tg_expect_err(&t, INGOT_CODE_INPUT, "node 'n0' (#0, MatMul)", "inner dimensions differ");
  tg_free(&t);
}

static void test_matmul_int_and_empty(void **state) {
  (void)state;
  ingot_tensor_t a = TT(INGOT_DT_INT64, 2, D(2, 2), IV(1, 2, 3, 4));
  ingot_tensor_t b = TT(INGOT_DT_INT64, 2, D(2, 2), IV(INT64_C(1) << 40, -1, 1, 0));
  tg_t t;
  TG(&t, INGOT_OP_MATMUL, 1, &a, &b);
  tg_run(&t);
  expect_i(&t.out[0], INGOT_DT_INT64, 2, D(2, 2),
           IV((INT64_C(1) << 40) + 2, -1, 3 * (INT64_C(1) << 40) + 4, -3));
  tg_free(&t);
  /* [0,3] x [3,2] -> [0,2];  [2,0] x [0,3] -> zeros [2,3] */
  ingot_tensor_t e03 = TT(INGOT_DT_FLOAT, 2, D(0, 3), NULL);
  ingot_tensor_t m32 = TT(INGOT_DT_FLOAT, 2, D(3, 2), FV(1, 2, 3, 4, 5, 6));
  TG(&t, INGOT_OP_MATMUL, 1, &e03, &m32);
  tg_run(&t);
  expect_shape(&t.out[0], INGOT_DT_FLOAT, 2, D(0, 2));
  tg_free(&t);
  ingot_tensor_t e20 = TT(INGOT_DT_FLOAT, 2, D(2, 0), NULL);
  ingot_tensor_t e03b = TT(INGOT_DT_FLOAT, 2, D(0, 3), NULL);
  TG(&t, INGOT_OP_MATMUL, 1, &e20, &e03b);
  tg_run(&t);
  expect_f(&t.out[0], INGOT_DT_FLOAT, 2, D(2, 3), DV(0, 0, 0, 0, 0, 0), 0, 0);
  tg_free(&t);
}

static void test_gemm(void **state) {
  (void)state;
  ingot_tensor_t a = TT(INGOT_DT_FLOAT, 2, D(3, 2), FV(-1.25f, 0.5f, -0.5f, 1.25f, 0.25f, -0.75f));
  ingot_tensor_t b = TT(INGOT_DT_FLOAT, 2, D(4, 3), FV(-2, 0.5f, -1.5f, 1, -1, 1.5f, -0.5f, 2, 0, -2, 0.5f, -1.5f));
  ingot_tensor_t c = TT(INGOT_DT_FLOAT, 1, D(4), FV(1, -1, 0.5f, 2));
  tg_t t;
  TG(&t, INGOT_OP_GEMM, 1, &a, &b, &c);
  tg_attr_i(&t, "transA", 1);
  tg_attr_i(&t, "transB", 1);
  tg_attr_f(&t, "alpha", 0.5f);
  tg_attr_f(&t, "beta", 2.0f);
  tg_run(&t);
  expect_f(&t.out[0], INGOT_DT_FLOAT, 2, D(2, 4), DV(2.9375, -2.1875, 0.8125, 4.9375, 2.375, -2.9375, 2.125, 4.375),
           0, 0);
  tg_free(&t);
  TG(&t, INGOT_OP_GEMM, 1, &a, &b); /* no C */
  tg_attr_i(&t, "transA", 1);
  tg_attr_i(&t, "transB", 1);
  tg_run(&t);
  expect_f(&t.out[0], INGOT_DT_FLOAT, 2, D(2, 4), DV(1.875, -0.375, -0.375, 1.875, 0.75, -1.875, 2.25, 0.75), 0, 0);
  tg_free(&t);
  /* plain [2,2] x [2,2] + scalar C, and C of shape [2,1] */
  ingot_tensor_t p = TT(INGOT_DT_FLOAT, 2, D(2, 2), FV(1, 2, 3, 4));
  ingot_tensor_t cs = TT(INGOT_DT_FLOAT, 0, D(0), FV(10));
  ingot_tensor_t c21 = TT(INGOT_DT_FLOAT, 2, D(2, 1), FV(100, 200));
  TG(&t, INGOT_OP_GEMM, 1, &p, &p, &cs);
  tg_run(&t);
  expect_f(&t.out[0], INGOT_DT_FLOAT, 2, D(2, 2), DV(17, 20, 25, 32), 0, 0);
  tg_free(&t);
  TG(&t, INGOT_OP_GEMM, 1, &p, &p, &c21);
  tg_run(&t);
  expect_f(&t.out[0], INGOT_DT_FLOAT, 2, D(2, 2), DV(107, 110, 215, 222), 0, 0);
  tg_free(&t);
  ingot_tensor_t c3 = TT(INGOT_DT_FLOAT, 1, D(3), FV(1, 2, 3));
  TG(&t, INGOT_OP_GEMM, 1, &p, &p, &c3);
  tg_expect_err(&t, INGOT_CODE_INPUT, "C dim 3 cannot broadcast");
  tg_free(&t);
}

/* ---- Conv ------------------------------------------------------------------------------------- */

#define CX                                                                                                 \
  FV(-1.25f, 0.5f, -0.5f, 1.25f, 0.25f, -0.75f, 1, 0, -1, 0.75f, -0.25f, -1.25f, 0.5f, -0.5f, 1.25f, 0.25f,  \
     -0.75f, 1, 0, -1, 0.75f, -0.25f, -1.25f, 0.5f, -0.5f, 1.25f, 0.25f, -0.75f, 1, 0, -1, 0.75f, -0.25f,     \
     -1.25f, 0.5f, -0.5f, 1.25f, 0.25f, -0.75f, 1)
#define CW                                                                                                   \
  FV(-0.75f, -0.125f, 0.5f, -0.5f, 0.125f, 0.75f, -0.25f, 0.375f, -0.625f, 0, 0.625f, -0.375f, 0.25f, -0.75f,    \
     -0.125f, 0.5f, -0.5f, 0.125f, 0.75f, -0.25f, 0.375f, -0.625f, 0, 0.625f, -0.375f, 0.25f, -0.75f, -0.125f,   \
     0.5f, -0.5f, 0.125f, 0.75f, -0.25f, 0.375f, -0.625f, 0, 0.625f, -0.375f, 0.25f, -0.75f, -0.125f, 0.5f,      \
     -0.5f, 0.125f, 0.75f, -0.25f, 0.375f, -0.625f, 0, 0.625f, -0.375f, 0.25f, -0.75f, -0.125f)

static void test_conv2d_pads_bias(void **state) {
  (void)state;
  ingot_tensor_t x = TT(INGOT_DT_FLOAT, 4, D(1, 2, 4, 5), CX);
  ingot_tensor_t w = TT(INGOT_DT_FLOAT, 4, D(3, 2, 3, 3), CW);
  ingot_tensor_t b = TT(INGOT_DT_FLOAT, 1, D(3), FV(0.5f, -0.5f, 1));
  tg_t t;
  TG(&t, INGOT_OP_CONV, 1, &x, &w, &b);
  tg_attr_ints(&t, "pads", 1, 1, 1, 1);
  tg_attr_ints(&t, "kernel_shape", 3, 3);
  tg_run(&t);
  expect_f(&t.out[0], INGOT_DT_FLOAT, 4, D(1, 3, 4, 5),
           DV(-1.3125, 2.3125, 2.9375, -1.25, 1.4375, 2.4375, 0.53125, 0.25, 0.3125, -0.21875, 2.4375, -0.875, 0.21875,
              4.0625, -0.375, -1.3125, 1.09375, 2.15625, -0.90625, -0.03125, -1.28125, 1.03125, -0.1875, -1.40625,
              -0.65625, 3.5, -1.78125, -1, 0.125, 0.53125, -0.21875, -2, 0.5, 0.9375, -2.1875, -2.9375, 1.71875,
              -0.34375, -2.40625, -0.125, 1.65625, 2.65625, -0.40625, 1.34375, 0.5625, 3, 0.84375, -0.15625, 3.65625,
              1.75, 0.03125, 1, 2.0625, 0.71875, -0.6875, -1.25, 3.21875, 1.28125, -1, 1.46875),
           0, 0);
  tg_free(&t);
}

static void test_conv2d_stride_dilation_asym(void **state) {
  (void)state;
  ingot_tensor_t x = TT(INGOT_DT_FLOAT, 4, D(1, 2, 4, 5), CX);
  ingot_tensor_t w = TT(INGOT_DT_FLOAT, 4, D(3, 2, 3, 3), CW);
  tg_t t;
  TG(&t, INGOT_OP_CONV, 1, &x, &w);
  tg_attr_ints(&t, "strides", 2, 1);
  tg_attr_ints(&t, "dilations", 1, 2);
  tg_attr_ints(&t, "pads", 1, 2, 1, 2);
  tg_run(&t);
  expect_f(&t.out[0], INGOT_DT_FLOAT, 4, D(1, 3, 2, 5),
           DV(-1.9375, 2.125, 2.65625, -1.53125, 0.25, 2.03125, -2.78125, 2.15625, 2.875, -1.625, -0.40625, 1.3125,
              0.875, -1.125, -0.3125, 0.4375, -1.40625, 0.25, 2.625, -1.21875, -0.09375, -0.71875, 2.34375, -1.53125,
              -0.0625, 2.09375, -1.25, -1.65625, 2.78125, -1.625),
           0, 0);
  tg_free(&t);
  /* asymmetric pads: top 0, left 1, bottom 2, right 0 */
  TG(&t, INGOT_OP_CONV, 1, &x, &w);
  tg_attr_ints(&t, "pads", 0, 1, 2, 0);
  tg_run(&t);
  expect_f(&t.out[0], INGOT_DT_FLOAT, 4, D(1, 3, 4, 4),
           DV(1.9375, 0.03125, -0.25, -0.1875, 1.9375, -1.375, -0.28125, 3.5625, -1.8125, 0.59375, 1.65625, -1.40625,
              -1.1875, 1.09375, 0.875, -2.09375, 4, -1.28125, -0.5, 0.625, 0.28125, -1.5, 1, 1.4375, -2.4375, 2.21875,
              0.15625, -1.90625, -1.21875, 1.3125, -0.46875, -0.53125, 2, -0.15625, -1.15625, 2.65625, -0.96875, 0,
              1.0625, -0.28125, -2.25, 2.21875, 0.28125, -2, -1.25, 1.125, -0.59375, -0.59375),
           0, 0);
  tg_free(&t);
}

static void test_conv2d_auto_pad(void **state) {
  (void)state;
  ingot_tensor_t x = TT(INGOT_DT_FLOAT, 4, D(1, 2, 4, 5), CX);
  ingot_tensor_t w = TT(INGOT_DT_FLOAT, 4, D(3, 2, 3, 3), CW);
  tg_t t;
  /* SAME_UPPER, stride 2: out [2,3]; pads h (0,1), w (1,1) */
  TG(&t, INGOT_OP_CONV, 1, &x, &w);
  tg_attr_s(&t, "auto_pad", "SAME_UPPER");
  tg_attr_ints(&t, "strides", 2, 2);
  tg_run(&t);
  expect_f(&t.out[0], INGOT_DT_FLOAT, 4, D(1, 3, 2, 3),
           DV(1.9375, -0.25, -0.71875, -1.8125, 1.65625, -0.53125, 4, -0.5, 1.03125, -2.4375, 0.15625, 0.375, 2,
              -1.15625, 0.75, -2.25, 0.28125, 0.46875),
           0, 0);
  tg_free(&t);
  /* SAME_LOWER: pads h (1,0), w (1,1) */
  TG(&t, INGOT_OP_CONV, 1, &x, &w);
  tg_attr_s(&t, "auto_pad", "SAME_LOWER");
  tg_attr_ints(&t, "strides", 2, 2);
  tg_run(&t);
  expect_f(&t.out[0], INGOT_DT_FLOAT, 4, D(1, 3, 2, 3),
           DV(-1.8125, 2.4375, 0.9375, 1.9375, -0.28125, -0.875, -0.78125, 0.3125, -0.15625, 0.28125, 1, -1.6875,
              0.65625, -1.40625, -0.4375, -0.96875, 1.0625, -1.6875),
           0, 0);
  tg_free(&t);
  /* VALID ignores pads */
  TG(&t, INGOT_OP_CONV, 1, &x, &w);
  tg_attr_s(&t, "auto_pad", "VALID");
  tg_run(&t);
  expect_f(&t.out[0], INGOT_DT_FLOAT, 4, D(1, 3, 2, 3),
           DV(0.03125, -0.25, -0.1875, -1.375, -0.28125, 3.5625, -1.28125, -0.5, 0.625, -1.5, 1, 1.4375, -0.15625,
              -1.15625, 2.65625, 0, 1.0625, -0.28125),
           0, 0);
  tg_free(&t);
}

static void test_conv_groups_1d_3d(void **state) {
  (void)state;
  ingot_tensor_t xg = TT(INGOT_DT_FLOAT, 4, D(1, 4, 3, 3),
                         FV(-1.5f, -0.25f, 1, -1, 0.25f, 1.5f, -0.5f, 0.75f, -1.25f, 0, 1.25f, -0.75f, 0.5f, -1.5f,
                            -0.25f, 1, -1, 0.25f, 1.5f, -0.5f, 0.75f, -1.25f, 0, 1.25f, -0.75f, 0.5f, -1.5f, -0.25f, 1,
                            -1, 0.25f, 1.5f, -0.5f, 0.75f, -1.25f, 0));
  ingot_tensor_t wg = TT(INGOT_DT_FLOAT, 4, D(2, 2, 2, 2),
                         FV(-1.5f, 0, 1.5f, -0.5f, 1, -1, 0.5f, -1.5f, 0, 1.5f, -0.5f, 1, -1, 0.5f, -1.5f, 0));
  tg_t t;
  TG(&t, INGOT_OP_CONV, 1, &xg, &wg);
  tg_attr_i(&t, "group", 2);
  tg_run(&t);
  expect_f(&t.out[0], INGOT_DT_FLOAT, 4, D(1, 2, 2, 2), DV(1.875, 1.625, 4.375, -0.75, 0.25, -1.375, 0.25, 0.25), 0,
           0);
  tg_free(&t);
  /* group 3 does not divide 4 channels */
  TG(&t, INGOT_OP_CONV, 1, &xg, &wg);
  tg_attr_i(&t, "group", 3);
  tg_expect_err(&t, INGOT_CODE_INPUT, "group 3");
  tg_free(&t);
  /* 1-D: X [2,2,5], W [1,2,2], stride 2, pad 1, bias */
  ingot_tensor_t x1 = TT(INGOT_DT_FLOAT, 3, D(2, 2, 5),
                         FV(-1.25f, 0.5f, -0.5f, 1.25f, 0.25f, -0.75f, 1, 0, -1, 0.75f, -0.25f, -1.25f, 0.5f, -0.5f,
                            1.25f, 0.25f, -0.75f, 1, 0, -1));
  ingot_tensor_t w1 = TT(INGOT_DT_FLOAT, 3, D(1, 2, 2), FV(1, -1, 0.5f, 2));
  ingot_tensor_t b1 = TT(INGOT_DT_FLOAT, 1, D(1), FV(0.25f));
  TG(&t, INGOT_OP_CONV, 1, &x1, &w1, &b1);
  tg_attr_ints(&t, "strides", 2);
  tg_attr_ints(&t, "pads", 1, 1);
  tg_run(&t);
  expect_f(&t.out[0], INGOT_DT_FLOAT, 3, D(2, 1, 3), DV(0, 1.75, 2.25, 1, 0.125, -3.5), 0, 0);
  tg_free(&t);
  /* 3-D: X [1,1,3,3,3], W [2,1,2,2,2], pads (1,0,0) on both sides of depth */
  ingot_tensor_t x3 = TT(INGOT_DT_FLOAT, 5, D(1, 1, 3, 3, 3),
                         FV(-1.25f, 0.5f, -0.5f, 1.25f, 0.25f, -0.75f, 1, 0, -1, 0.75f, -0.25f, -1.25f, 0.5f, -0.5f,
                            1.25f, 0.25f, -0.75f, 1, 0, -1, 0.75f, -0.25f, -1.25f, 0.5f, -0.5f, 1.25f, 0.25f));
  ingot_tensor_t w3 = TT(INGOT_DT_FLOAT, 5, D(2, 1, 2, 2, 2),
                         FV(-1.5f, 0, 1.5f, -0.5f, 1, -1, 0.5f, -1.5f, 0, 1.5f, -0.5f, 1, -1, 0.5f, -1.5f, 0));
  TG(&t, INGOT_OP_CONV, 1, &x3, &w3);
  tg_attr_ints(&t, "pads", 1, 0, 0, 1, 0, 0);
  tg_run(&t);
  expect_f(&t.out[0], INGOT_DT_FLOAT, 5, D(1, 2, 4, 2, 2),
           DV(-1.5, 2.25, 1.5, 2.5, 5.625, -1.125, 1.875, -3.5, 2.625, -4.125, -1.125, -2.375, 0.25, -0.625, -1, 3.625,
              -0.375, -1.125, -2.625, -0.625, -1.25, -1.25, -1.25, 0.125, -1.25, 2.875, -1.25, 2.875, -2.625, 2.25,
              -0.375, 0.375),
           0, 0);
  tg_free(&t);
}

static void test_conv_errors(void **state) {
  (void)state;
  ingot_tensor_t x = TT(INGOT_DT_FLOAT, 4, D(1, 2, 4, 5), CX);
  ingot_tensor_t w = TT(INGOT_DT_FLOAT, 4, D(3, 2, 3, 3), CW);
  tg_t t;
  TG(&t, INGOT_OP_CONV, 1, &x, &w);
  tg_attr_ints(&t, "kernel_shape", 2, 2);
  tg_expect_err(&t, INGOT_CODE_INPUT, "node 'n0' (#0, Conv)", "kernel_shape[0] = 2");
  tg_free(&t);
  TG(&t, INGOT_OP_CONV, 1, &x, &w);
  tg_attr_ints(&t, "pads", 1, 1);
  tg_expect_err(&t, INGOT_CODE_INPUT, "pads has 2 entries, expected 4");
  tg_free(&t);
  TG(&t, INGOT_OP_CONV, 1, &x, &w);
  tg_attr_ints(&t, "dilations", 3, 3);
  tg_expect_err(&t, INGOT_CODE_INPUT, "exceeds the padded input");
  tg_free(&t);
}

/* ---- ConvTranspose ------------------------------------------------------------------------- */

#define TX FV(-1.25f, 0.5f, -0.5f, 1.25f, 0.25f, -0.75f, 1, 0, -1, 0.75f, -0.25f, -1.25f)

static void test_conv_transpose(void **state) {
  (void)state;
  ingot_tensor_t x = TT(INGOT_DT_FLOAT, 4, D(1, 2, 2, 3), TX);
  ingot_tensor_t w = TT(INGOT_DT_FLOAT, 4, D(2, 3, 3, 3), CW);
  ingot_tensor_t b = TT(INGOT_DT_FLOAT, 1, D(3), FV(0.5f, -0.5f, 1));
  tg_t t;
  TG(&t, INGOT_OP_CONV_TRANSPOSE, 1, &x, &w, &b);
  tg_attr_ints(&t, "strides", 2, 2);
  tg_attr_ints(&t, "pads", 1, 1, 1, 1);
  tg_attr_ints(&t, "output_padding", 1, 1);
  tg_run(&t);
  expect_f(&t.out[0], INGOT_DT_FLOAT, 4, D(1, 3, 4, 6),
           DV(1.09375, -0.9375, 0.5625, 1, -0.3125, 0.375, -0.375, 1.25, 0.53125, 0.90625, 0.40625, 1.0625, 1.21875,
              1.09375, 0.34375, 0.96875, -0.53125, 0.25, 0.5, -0.4375, 0.75, 0.0625, 1, 0.96875, 0.3125, 0.28125,
              -0.875, 0.0625, 0, -0.9375, 0.75, -0.09375, -0.5, -1.125, -0.375, -1.34375, -1.53125, -0.03125, -0.65625,
              0.09375, 0.21875, -1.03125, -1.03125, 0.46875, -0.65625, -0.40625, -0.28125, -1.53125, 1.625, -0.46875,
              1, 1.625, 0.375, 1.0625, -0.09375, 1.875, 0.96875, 0.5625, 1.34375, 2, 1.46875, 1.34375, 0.84375,
              1.71875, 0.21875, 1, 0.75, -0.1875, 1.25, 0.8125, 1.75, 1.71875),
           0, 0);
  tg_free(&t);
  /* output_shape [4,6] with stride 2: total padding (1,1); NOTSET puts the
   * odd unit at the beginning: begin 1, end 0 */
  TG(&t, INGOT_OP_CONV_TRANSPOSE, 1, &x, &w);
  tg_attr_ints(&t, "strides", 2, 2);
  tg_attr_ints(&t, "output_shape", 4, 6);
  tg_run(&t);
  expect_f(&t.out[0], INGOT_DT_FLOAT, 4, D(1, 3, 4, 6),
           DV(0.59375, -1.4375, 0.0625, 0.5, -0.8125, -0.125, -0.875, 0.75, 0.03125, 0.40625, -0.09375, 0.5625,
              0.71875, 0.59375, -0.15625, 0.46875, -1.03125, -0.25, 0, -0.9375, 0.25, -0.4375, 0.5, 0.46875, 0.8125,
              0.78125, -0.375, 0.5625, 0.5, -0.4375, 1.25, 0.40625, 0, -0.625, 0.125, -0.84375, -1.03125, 0.46875,
              -0.15625, 0.59375, 0.71875, -0.53125, -0.53125, 0.96875, -0.15625, 0.09375, 0.21875, -1.03125, 0.625,
              -1.46875, 0, 0.625, -0.625, 0.0625, -1.09375, 0.875, -0.03125, -0.4375, 0.34375, 1, 0.46875, 0.34375,
              -0.15625, 0.71875, -0.78125, 0, -0.25, -1.1875, 0.25, -0.1875, 0.75, 0.71875),
           0, 0);
  tg_free(&t);
  /* SAME_UPPER: output = input * stride = [4,6]; begin 0, end 1 */
  TG(&t, INGOT_OP_CONV_TRANSPOSE, 1, &x, &w);
  tg_attr_ints(&t, "strides", 2, 2);
  tg_attr_s(&t, "auto_pad", "SAME_UPPER");
  tg_run(&t);
  expect_f(&t.out[0], INGOT_DT_FLOAT, 4, D(1, 3, 4, 6),
           DV(0.8125, 0.65625, -1.5, -0.0625, 0.75, -0.4375, 0.75, 0.59375, -1.4375, 0.0625, 0.5, -0.8125, -0.34375,
              -0.875, 0.75, 0.03125, 0.40625, -0.09375, -0.53125, 0.71875, 0.59375, -0.15625, 0.46875, -1.03125, 0.625,
              -1.15625, 0.71875, 0.3125, -0.8125, 0.0625, -1.0625, 0.8125, 0.78125, -0.375, 0.5625, 0.5, -0.65625, 1.25,
              0.40625, 0, -0.625, 0.125, -0.25, -1.03125, 0.46875, -0.15625, 0.59375, 0.71875, -1.1875, 0.6875,
              -0.71875, -0.125, 0.0625, -0.25, 0.78125, 0.625, -1.46875, 0, 0.625, -0.625, 1.46875, -1.09375, 0.875,
              -0.03125, -0.4375, 0.34375, -0.78125, 0.46875, 0.34375, -0.15625, 0.71875, -0.78125),
           0, 0);
  tg_free(&t);
}

static void test_conv_transpose_group_1d(void **state) {
  (void)state;
  ingot_tensor_t x = TT(INGOT_DT_FLOAT, 4, D(1, 4, 2, 2),
                        FV(-1.25f, 0.5f, -0.5f, 1.25f, 0.25f, -0.75f, 1, 0, -1, 0.75f, -0.25f, -1.25f, 0.5f, -0.5f,
                           1.25f, 0.25f));
  ingot_tensor_t w = TT(INGOT_DT_FLOAT, 4, D(4, 1, 2, 2),
                        FV(-1.5f, 0, 1.5f, -0.5f, 1, -1, 0.5f, -1.5f, 0, 1.5f, -0.5f, 1, -1, 0.5f, -1.5f, 0));
  tg_t t;
  TG(&t, INGOT_OP_CONV_TRANSPOSE, 1, &x, &w);
  tg_attr_i(&t, "group", 2);
  tg_attr_ints(&t, "dilations", 2, 1);
  tg_run(&t);
  expect_f(&t.out[0], INGOT_DT_FLOAT, 4, D(1, 2, 4, 3),
           DV(2.125, -1.75, 0.75, 1.75, -2.875, 0, -1.75, 0.625, 0.875, -0.25, 0.625, -0.625, -0.5, -0.75, 0.875,
              -1.25, 0, -1.75, -0.25, -0.625, 0.75, -1.75, 0, -1.25),
           0, 0);
  tg_free(&t);
  ingot_tensor_t x1 = TT(INGOT_DT_FLOAT, 3, D(1, 1, 3), FV(1, 2, -1));
  ingot_tensor_t w1 = TT(INGOT_DT_FLOAT, 3, D(1, 2, 2), FV(1, 0.5f, -1, 2));
  TG(&t, INGOT_OP_CONV_TRANSPOSE, 1, &x1, &w1);
  tg_run(&t);
  expect_f(&t.out[0], INGOT_DT_FLOAT, 3, D(1, 2, 4), DV(1, 2.5, 0, -0.5, -1, 0, 5, -2), 0, 0);
  tg_free(&t);
}

/* ---- reductions --------------------------------------------------------------------------- */

static void test_reduce_attr_axes(void **state) {
  (void)state;
  ingot_tensor_t x = TT(INGOT_DT_FLOAT, 3, D(2, 3, 4), XL);
  tg_t t;
  TG(&t, INGOT_OP_REDUCE_MEAN, 1, &x); /* opset 17: axes attribute */
  tg_attr_ints(&t, "axes", 1);
  tg_run(&t);
  expect_f(&t.out[0], INGOT_DT_FLOAT, 3, D(2, 1, 4),
           DV(-0.666666667, 0.166666667, 0.0833333333, 0, 0.166666667, 0.0833333333, 0, -0.0833333333), TOL);
  tg_free(&t);
  TG(&t, INGOT_OP_REDUCE_MAX, 1, &x);
  tg_attr_ints(&t, "axes", -1);
  tg_run(&t);
  expect_f(&t.out[0], INGOT_DT_FLOAT, 3, D(2, 3, 1), DV(1.25, 1, 0.75, 1.25, 1, 0.75), 0, 0);
  tg_free(&t);
  TG(&t, INGOT_OP_REDUCE_MIN, 1, &x); /* no axes: all */
  tg_run(&t);
  expect_f(&t.out[0], INGOT_DT_FLOAT, 3, D(1, 1, 1), DV(-1.25), 0, 0);
  tg_free(&t);
  TG(&t, INGOT_OP_REDUCE_PROD, 1, &x);
  tg_attr_ints(&t, "axes", 0);
  tg_attr_i(&t, "keepdims", 0);
  tg_run(&t);
  expect_f(&t.out[0], INGOT_DT_FLOAT, 2, D(3, 4),
           DV(-0.625, -0.25, -0.625, 0.3125, -0.1875, -0.75, 0, -0, -0.75, -0.1875, 0.3125, -0.625), 0, 0);
  tg_free(&t);
  TG(&t, INGOT_OP_REDUCE_SUM_SQUARE, 1, &x);
  tg_attr_ints(&t, "axes", 2);
  tg_run(&t);
  expect_f(&t.out[0], INGOT_DT_FLOAT, 3, D(2, 3, 1), DV(3.625, 1.625, 3.1875, 2.125, 2.5625, 2.4375), 0, 0);
  tg_free(&t);
  TG(&t, INGOT_OP_REDUCE_L2, 1, &x);
  tg_attr_ints(&t, "axes", 1, -1);
  tg_attr_i(&t, "keepdims", 0);
  tg_run(&t);
  expect_f(&t.out[0], INGOT_DT_FLOAT, 1, D(2), DV(2.90473751, 2.66926956), TOL);
  tg_free(&t);
}

static void test_reduce_axes_input(void **state) {
  (void)state;
  ingot_tensor_t x = TT(INGOT_DT_FLOAT, 3, D(2, 3, 4), XL);
  ingot_tensor_t axes = TT(INGOT_DT_INT64, 1, D(2), IV(0, -1));
  tg_t t;
  TG(&t, INGOT_OP_REDUCE_SUM, 1, &x, &axes); /* ReduceSum: axes input since opset 13 */
  t.g->opset = 13;
  tg_attr_i(&t, "keepdims", 0);
  tg_run(&t);
  expect_f(&t.out[0], INGOT_DT_FLOAT, 1, D(3), DV(1.5, -0.25, -2), 0, 0);
  tg_free(&t);
  ingot_tensor_t ax1 = TT(INGOT_DT_INT64, 1, D(1), IV(1));
  TG(&t, INGOT_OP_REDUCE_MEAN, 1, &x, &ax1); /* others: axes input since opset 18 */
  t.g->opset = 18;
  tg_run(&t);
  expect_f(&t.out[0], INGOT_DT_FLOAT, 3, D(2, 1, 4),
           DV(-0.666666667, 0.166666667, 0.0833333333, 0, 0.166666667, 0.0833333333, 0, -0.0833333333), TOL);
  tg_free(&t);
  /* empty axes input: all axes, or identity with noop_with_empty_axes */
  ingot_tensor_t none = TT(INGOT_DT_INT64, 1, D(0), NULL);
  TG(&t, INGOT_OP_REDUCE_MAX, 1, &x, &none);
  t.g->opset = 18;
  tg_attr_i(&t, "keepdims", 0);
  tg_run(&t);
  expect_f(&t.out[0], INGOT_DT_FLOAT, 0, D(0), DV(1.25), 0, 0);
  tg_free(&t);
  TG(&t, INGOT_OP_REDUCE_SUM, 1, &x, &none);
  tg_attr_i(&t, "noop_with_empty_axes", 1);
  tg_run(&t);
  expect_f(&t.out[0], INGOT_DT_FLOAT, 3, D(2, 3, 4),
           DV(-1.25, 0.5, -0.5, 1.25, 0.25, -0.75, 1, 0, -1, 0.75, -0.25, -1.25, 0.5, -0.5, 1.25, 0.25, -0.75, 1, 0,
              -1, 0.75, -0.25, -1.25, 0.5),
           0, 0);
  tg_free(&t);
  TG(&t, INGOT_OP_REDUCE_SUM, 1, &x); /* axes omitted entirely */
  tg_attr_i(&t, "noop_with_empty_axes", 1);
  tg_run(&t);
  expect_shape(&t.out[0], INGOT_DT_FLOAT, 3, D(2, 3, 4));
  tg_free(&t);
  /* errors: repeated and out-of-range axes */
  ingot_tensor_t dup = TT(INGOT_DT_INT64, 1, D(2), IV(1, -2));
  TG(&t, INGOT_OP_REDUCE_SUM, 1, &x, &dup);
  tg_expect_err(&t, INGOT_CODE_INPUT, "node 'n0' (#0, ReduceSum)", "repeated");
  tg_free(&t);
  ingot_tensor_t oor = TT(INGOT_DT_INT64, 1, D(1), IV(3));
  TG(&t, INGOT_OP_REDUCE_SUM, 1, &x, &oor);
  tg_expect_err(&t, INGOT_CODE_INPUT, "axis 3 is out of range");
  tg_free(&t);
}

static void test_reduce_int_and_empty(void **state) {
  (void)state;
  ingot_tensor_t x = TT(INGOT_DT_INT64, 2, D(2, 3), IV(1, -2, 3, INT64_C(1) << 60, 5, -6));
  tg_t t;
  TG(&t, INGOT_OP_REDUCE_SUM, 1, &x);
  tg_attr_ints(&t, "axes", 1);
  tg_attr_i(&t, "keepdims", 0);
  tg_run(&t);
  expect_i(&t.out[0], INGOT_DT_INT64, 1, D(2), IV(2, (INT64_C(1) << 60) - 1)); /* exact beyond 2^53 */
  tg_free(&t);
  TG(&t, INGOT_OP_REDUCE_MAX, 1, &x);
  tg_attr_ints(&t, "axes", 0);
  tg_run(&t);
  expect_i(&t.out[0], INGOT_DT_INT64, 2, D(1, 3), IV(INT64_C(1) << 60, 5, 3));
  tg_free(&t);
  TG(&t, INGOT_OP_REDUCE_MEAN, 1, &x);
  tg_attr_ints(&t, "axes", 0);
  tg_run(&t);
  expect_i(&t.out[0], INGOT_DT_INT64, 2, D(1, 3), IV(INT64_C(1) << 59, 1, -1));
  tg_free(&t);
  /* reducing a zero-sized axis gives the identity of each op */
  ingot_tensor_t e = TT(INGOT_DT_FLOAT, 2, D(2, 0), NULL);
  static const struct {
    ingot_op_t op;
    double v;
  } cases[] = {
      {INGOT_OP_REDUCE_SUM, 0},         {INGOT_OP_REDUCE_PROD, 1},      {INGOT_OP_REDUCE_MAX, -INFINITY},
      {INGOT_OP_REDUCE_MIN, INFINITY},  {INGOT_OP_REDUCE_MEAN, NAN},    {INGOT_OP_REDUCE_SUM_SQUARE, 0},
      {INGOT_OP_REDUCE_L2, 0},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    TG(&t, cases[i].op, 1, &e);
    tg_attr_ints(&t, "axes", 1);
    tg_run(&t);
    expect_f(&t.out[0], INGOT_DT_FLOAT, 2, D(2, 1), DV(cases[i].v, cases[i].v), 0, 0);
    tg_free(&t);
  }
  ingot_tensor_t ei = TT(INGOT_DT_INT32, 1, D(0), NULL);
  TG(&t, INGOT_OP_REDUCE_MAX, 1, &ei);
  tg_attr_i(&t, "keepdims", 0);
  tg_run(&t);
  expect_i(&t.out[0], INGOT_DT_INT32, 0, D(0), IV(INT32_MIN));
  tg_free(&t);
  /* NaN propagates through Max/Min */
  ingot_tensor_t n = TT(INGOT_DT_FLOAT, 1, D(3), FV(1, NAN, 2));
  TG(&t, INGOT_OP_REDUCE_MAX, 1, &n);
  tg_run(&t);
  expect_f(&t.out[0], INGOT_DT_FLOAT, 1, D(1), DV(NAN), 0, 0);
  tg_free(&t);
  /* a scalar reduces to itself */
  ingot_tensor_t s = TT(INGOT_DT_FLOAT, 0, D(0), FV(4));
  TG(&t, INGOT_OP_REDUCE_L2, 1, &s);
  tg_run(&t);
  expect_f(&t.out[0], INGOT_DT_FLOAT, 0, D(0), DV(4), 0, 0);
  tg_free(&t);
}

static void test_argmax(void **state) {
  (void)state;
  ingot_tensor_t x = TT(INGOT_DT_FLOAT, 3, D(2, 3, 4), XL);
  tg_t t;
  TG(&t, INGOT_OP_ARGMAX, 1, &x);
  tg_attr_i(&t, "axis", 1);
  tg_attr_i(&t, "keepdims", 0);
  tg_run(&t);
  expect_i(&t.out[0], INGOT_DT_INT64, 2, D(2, 4), IV(1, 2, 1, 0, 2, 1, 0, 2));
  tg_free(&t);
  ingot_tensor_t ties = TT(INGOT_DT_INT32, 2, D(2, 3), I32V(5, 1, 5, 0, 0, 0));
  TG(&t, INGOT_OP_ARGMAX, 1, &ties);
  tg_attr_i(&t, "axis", -1);
  tg_run(&t);
  expect_i(&t.out[0], INGOT_DT_INT64, 2, D(2, 1), IV(0, 0));
  tg_free(&t);
  TG(&t, INGOT_OP_ARGMAX, 1, &ties);
  tg_attr_i(&t, "axis", -1);
  tg_attr_i(&t, "select_last_index", 1);
  tg_run(&t);
  expect_i(&t.out[0], INGOT_DT_INT64, 2, D(2, 1), IV(2, 2));
  tg_free(&t);
  TG(&t, INGOT_OP_ARGMAX, 1, &ties); /* default axis 0, keepdims 1 */
  tg_run(&t);
  expect_i(&t.out[0], INGOT_DT_INT64, 2, D(1, 3), IV(0, 0, 0));
  tg_free(&t);
}

static void test_cumsum(void **state) {
  (void)state;
  ingot_tensor_t x = TT(INGOT_DT_FLOAT, 3, D(2, 3, 4), XL);
  ingot_tensor_t ax = TT(INGOT_DT_INT64, 0, D(0), IV(1));
  tg_t t;
  TG(&t, INGOT_OP_CUMSUM, 1, &x, &ax);
  tg_run(&t);
  expect_f(&t.out[0], INGOT_DT_FLOAT, 3, D(2, 3, 4),
           DV(-1.25, 0.5, -0.5, 1.25, -1, -0.25, 0.5, 1.25, -2, 0.5, 0.25, 0, 0.5, -0.5, 1.25, 0.25, -0.25, 0.5, 1.25,
              -0.75, 0.5, 0.25, 0, -0.25),
           0, 0);
  tg_free(&t);
  ingot_tensor_t v = TT(INGOT_DT_INT64, 1, D(4), IV(1, 2, 3, 4));
  ingot_tensor_t a0 = TT(INGOT_DT_INT32, 1, D(1), I32V(-1));
  static const struct {
    int ex, rev;
    int64_t want[4];
  } cases[] = {
      {0, 0, {1, 3, 6, 10}}, {1, 0, {0, 1, 3, 6}}, {0, 1, {10, 9, 7, 4}}, {1, 1, {9, 7, 4, 0}},
  };
  for (size_t i = 0; i < 4; i++) {
    TG(&t, INGOT_OP_CUMSUM, 1, &v, &a0);
    tg_attr_i(&t, "exclusive", cases[i].ex);
    tg_attr_i(&t, "reverse", cases[i].rev);
    tg_run(&t);
    expect_i(&t.out[0], INGOT_DT_INT64, 1, D(4), cases[i].want);
    tg_free(&t);
  }
  ingot_tensor_t bad = TT(INGOT_DT_INT64, 0, D(0), IV(1));
  TG(&t, INGOT_OP_CUMSUM, 1, &v, &bad);
  tg_expect_err(&t, INGOT_CODE_INPUT, "axis 1 is out of range");
  tg_free(&t);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_add_broadcast),
      cmocka_unit_test(test_sub_mul_div_two_way_broadcast),
      cmocka_unit_test(test_add_scalar_rank0),
      cmocka_unit_test(test_add_double_and_empty),
      cmocka_unit_test(test_int_div_truncates),
      cmocka_unit_test(test_int_div_by_zero_is_error),
      cmocka_unit_test(test_int_add_sub_mul_wrap),
      cmocka_unit_test(test_mod),
      cmocka_unit_test(test_pow),
      cmocka_unit_test(test_variadic_max_min_sum_mean),
      cmocka_unit_test(test_broadcast_mismatch_names_node),
      cmocka_unit_test(test_dtype_mismatch_is_error),
      cmocka_unit_test(test_comparisons),
      cmocka_unit_test(test_logic),
      cmocka_unit_test(test_where),
      cmocka_unit_test(test_unary_float),
      cmocka_unit_test(test_unary_domain_edges),
      cmocka_unit_test(test_unary_int),
      cmocka_unit_test(test_identity_isnan),
      cmocka_unit_test(test_clip),
      cmocka_unit_test(test_cast_float_to_int),
      cmocka_unit_test(test_cast_int_and_bool),
      cmocka_unit_test(test_cast_half_types),
      cmocka_unit_test(test_cast_like),
      cmocka_unit_test(test_dropout_inference),
      cmocka_unit_test(test_softmax),
      cmocka_unit_test(test_layer_norm),
      cmocka_unit_test(test_group_norm),
      cmocka_unit_test(test_instance_norm),
      cmocka_unit_test(test_batch_norm),
      cmocka_unit_test(test_matmul_batched_broadcast),
      cmocka_unit_test(test_matmul_vectors),
      cmocka_unit_test(test_matmul_int_and_empty),
      cmocka_unit_test(test_gemm),
      cmocka_unit_test(test_conv2d_pads_bias),
      cmocka_unit_test(test_conv2d_stride_dilation_asym),
      cmocka_unit_test(test_conv2d_auto_pad),
      cmocka_unit_test(test_conv_groups_1d_3d),
      cmocka_unit_test(test_conv_errors),
      cmocka_unit_test(test_conv_transpose),
      cmocka_unit_test(test_conv_transpose_group_1d),
      cmocka_unit_test(test_reduce_attr_axes),
      cmocka_unit_test(test_reduce_axes_input),
      cmocka_unit_test(test_reduce_int_and_empty),
      cmocka_unit_test(test_argmax),
      cmocka_unit_test(test_cumsum),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
