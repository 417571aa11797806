/* The verifier and ingot check (ir/verify.h). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "ir/infer.h"
#include "ir/verify.h"
#include "unit/graph_build.h"

#define F INGOT_DT_FLOAT
#define I64 INGOT_DT_INT64

static void verify_ok(const ingot_graph_t *g) {
  ingot_status_t st = ingot_verify(g);
  if (st) {
    fprintf(stderr, "unexpected: %s\n", ingot_status_message(st));
    ingot_status_free(st);
    fail();
  }
}

static void check_status(ingot_status_t st, ingot_code_t code, const char *frag1, const char *frag2) {
  assert_non_null(st);
  const char *msg = ingot_status_message(st);
  if (ingot_status_code(st) != code || !strstr(msg, frag1) || (frag2 && !strstr(msg, frag2))) {
    fprintf(stderr, "message: %s (code %d, wanted %d with '%s' and '%s')\n", msg, ingot_status_code(st), code, frag1,
            frag2 ? frag2 : "");
    ingot_status_free(st);
    fail();
  }
  ingot_status_free(st);
}

static void verify_fails(const ingot_graph_t *g, ingot_code_t code, const char *frag1, const char *frag2) {
  check_status(ingot_verify(g), code, frag1, frag2);
}

/* x -> Relu -> Add(., x) -> y */
static ingot_graph_t *small_graph(void) {
  ingot_graph_t *g = gb_new();
  gb_input(g, "x", F, "2,3");
  gb_node(g, INGOT_OP_RELU, "relu", "x", "r");
  gb_node(g, INGOT_OP_ADD, "add", "r,x", "y");
  gb_output(g, "y");
  return g;
}

static void test_well_formed(void **state) {
  (void)state;
  ingot_graph_t *g = small_graph();
  verify_ok(g);
  assert_int_equal(ingot_check_all(g, NULL, NULL), 0);
  gb_free(g);
}

static void test_missing_input(void **state) {
  (void)state;
  ingot_graph_t *g = gb_new();
  gb_input(g, "x", F, "2");
  gb_node(g, INGOT_OP_ADD, "add", "x,ghost", "y");
  gb_output(g, "y");
  verify_fails(g, INGOT_CODE_INPUT, "node 'add'", "input 'ghost' is not defined");
  gb_free(g);

  g = gb_new();
  gb_input(g, "x", F, "2");
  gb_node(g, INGOT_OP_ADD, "add", "x,", "y");
  gb_output(g, "y");
  verify_fails(g, INGOT_CODE_INPUT, "node 'add'", "required input 1 is missing");
  gb_free(g);

  /* an optional slot may be omitted */
  g = gb_new();
  gb_input(g, "x", F, "2");
  gb_node(g, INGOT_OP_CLIP, "clip", "x,,", "y");
  gb_output(g, "y");
  verify_ok(g);
  gb_free(g);

  g = gb_new();
  gb_input(g, "x", F, "2");
  int32_t n = gb_node(g, INGOT_OP_RELU, "relu", "x", "y");
  g->nodes[n].inputs[0] = 777;
  verify_fails(g, INGOT_CODE_INPUT, "node 'relu'", "value #777, which does not exist");
  gb_free(g);
}

static void test_two_producers(void **state) {
  (void)state;
  ingot_graph_t *g = gb_new();
  gb_input(g, "x", F, "2");
  gb_node(g, INGOT_OP_RELU, "first", "x", "y");
  gb_node(g, INGOT_OP_NEG, "second", "x", "y"); /* y now records 'second' */
  gb_output(g, "y");
  verify_fails(g, INGOT_CODE_INPUT, "node 'first'", "value 'y' is also produced by node 'second'");
  gb_free(g);

  /* a node writing a graph input */
  g = gb_new();
  gb_input(g, "x", F, "2");
  gb_node(g, INGOT_OP_RELU, "relu", "x", "x");
  verify_fails(g, INGOT_CODE_INPUT, "graph input 'x' is also produced by a node", NULL);
  gb_free(g);
}

static void test_cycle_and_order(void **state) {
  (void)state;
  /* a -> b -> a */
  ingot_graph_t *g = gb_new();
  gb_node(g, INGOT_OP_RELU, "n1", "", "a");
  gb_node(g, INGOT_OP_RELU, "n2", "a", "b");
  g->nodes[0].ninputs = 1;
  g->nodes[0].inputs = ingot_arena_calloc(g->arena, 1, sizeof(int32_t));
  g->nodes[0].inputs[0] = ingot_graph_find(g, "b");
  gb_output(g, "b");
  verify_fails(g, INGOT_CODE_INPUT, "node 'n1'", "produced by node 'n2' (#1, Relu), which does not come earlier");
  gb_free(g);

  /* a consumer before its producer */
  g = gb_new();
  gb_input(g, "x", F, "2");
  gb_node(g, INGOT_OP_RELU, "late_user", "x", "y");
  gb_node(g, INGOT_OP_NEG, "producer", "x", "z");
  g->nodes[0].inputs[0] = ingot_graph_find(g, "z");
  verify_fails(g, INGOT_CODE_INPUT, "node 'late_user'", "does not come earlier");
  gb_free(g);
}

static void test_attributes(void **state) {
  (void)state;
  ingot_graph_t *g = gb_new();
  gb_input(g, "x", F, "2");
  int32_t n = gb_node(g, INGOT_OP_CONCAT, "cat", "x,x", "y");
  gb_attr_f(g, n, "axis", 0.f);
  verify_fails(g, INGOT_CODE_INPUT, "node 'cat'", "attribute 'axis' should be int, not float");
  gb_free(g);

  g = gb_new();
  gb_input(g, "x", F, "2");
  gb_node(g, INGOT_OP_CONCAT, "cat", "x,x", "y");
  verify_fails(g, INGOT_CODE_INPUT, "node 'cat'", "required attribute 'axis' is missing");
  gb_free(g);

  g = gb_new();
  gb_input(g, "x", F, "2");
  n = gb_node(g, INGOT_OP_CONCAT, "cat", "x,x", "y");
  gb_attr_i(g, n, "axis", 0);
  gb_attr_i(g, n, "axis", 0);
  verify_fails(g, INGOT_CODE_INPUT, "node 'cat'", "attribute 'axis' given twice");
  gb_free(g);

  g = gb_new();
  gb_input(g, "x", F, "2");
  n = gb_node(g, INGOT_OP_TRANSPOSE, "tr", "x", "y");
  gb_attr_floats(g, n, "perm", (float[]){0.f}, 1);
  verify_fails(g, INGOT_CODE_INPUT, "node 'tr'", "attribute 'perm' should be ints, not floats");
  gb_free(g);

  /* the verifier leaves unknown names and values to ingot check ... */
  g = gb_new();
  gb_input(g, "x", F, "2");
  n = gb_node(g, INGOT_OP_RELU, "relu", "x", "y");
  gb_attr_i(g, n, "bogus", 1);
  verify_ok(g);
  /* ... which ingot_verify_node_attrs reports */
  check_status(ingot_verify_node_attrs(g, n), INGOT_CODE_UNSUPPORTED, "node 'relu'", "unsupported attribute 'bogus'");
  gb_free(g);

  g = gb_new();
  gb_input(g, "x", F, "1,3,8,8");
  gb_input(g, "w", F, "4,3,3,3");
  n = gb_node(g, INGOT_OP_CONV, "conv", "x,w", "y");
  gb_attr_s(g, n, "auto_pad", "BOGUS");
  check_status(ingot_verify_node_attrs(g, n), INGOT_CODE_INPUT, "node 'conv'",
               "attribute 'auto_pad' is 'BOGUS' (allowed: NOTSET SAME_UPPER SAME_LOWER VALID)");
  gb_free(g);
}

static void test_arity(void **state) {
  (void)state;
  ingot_graph_t *g = gb_new();
  gb_input(g, "x", F, "2");
  gb_node(g, INGOT_OP_ADD, "add3", "x,x,x", "y");
  verify_fails(g, INGOT_CODE_INPUT, "node 'add3'", "Add takes 2 inputs, got 3");
  gb_free(g);

  g = gb_new();
  gb_input(g, "x", F, "2");
  gb_node(g, INGOT_OP_RELU, "relu2", "x", "y,z");
  verify_fails(g, INGOT_CODE_INPUT, "node 'relu2'", "Relu gives 1 output, got 2");
  gb_free(g);
}

static void test_opset(void **state) {
  (void)state;
  ingot_graph_t *g = small_graph();
  g->opset = 12;
  verify_fails(g, INGOT_CODE_UNSUPPORTED, "default-domain opset 12 is not supported (13 to 20 are)", NULL);
  g->opset = 21;
  verify_fails(g, INGOT_CODE_UNSUPPORTED, "opset 21", NULL);
  g->opset = 20;
  verify_ok(g);
  gb_free(g);
}

static void test_malformed_types(void **state) {
  (void)state;
  ingot_graph_t *g = small_graph();
  g->values[ingot_graph_find(g, "r")].type.rank = 12;
  verify_fails(g, INGOT_CODE_INPUT, "value 'r' has a malformed type", NULL);
  g->values[ingot_graph_find(g, "r")].type.rank = 1;
  g->values[ingot_graph_find(g, "r")].type.dims[0].sym = 999;
  verify_fails(g, INGOT_CODE_INPUT, "value 'r' has a malformed type", NULL);
  gb_free(g);
}

static void test_subgraphs(void **state) {
  (void)state;
  ingot_graph_t *g = gb_new();
  gb_input(g, "c", INGOT_DT_BOOL, "");
  gb_input(g, "x", F, "2");
  int32_t n = gb_node(g, INGOT_OP_IF, "if", "c", "out");
  ingot_graph_t *tb = gb_attr_g(g, n, "then_branch");
  gb_node(tb, INGOT_OP_ADD, "inner_add", "x,nowhere", "t");
  gb_output(tb, "t");
  ingot_graph_t *eb = gb_attr_g(g, n, "else_branch");
  gb_node(eb, INGOT_OP_NEG, "neg", "x", "e");
  gb_output(eb, "e");
  verify_fails(g, INGOT_CODE_INPUT, "in 'then_branch' of node 'if'", "node 'inner_add'");
  gb_free(g);

  g = gb_new();
  gb_input(g, "c", INGOT_DT_BOOL, "");
  gb_node(g, INGOT_OP_IF, "if", "c", "out");
  verify_fails(g, INGOT_CODE_INPUT, "node 'if'", "required attribute 'then_branch' is missing");
  gb_free(g);
}

static void test_typed(void **state) {
  (void)state;
  ingot_graph_t *g = small_graph();
  check_status(ingot_verify_typed(g), INGOT_CODE_INPUT, "node 'relu'", "output 'r' has no inferred dtype");
  assert_null(ingot_infer_shapes(g));
  assert_null(ingot_verify_typed(g));
  gb_free(g);
}

/* ---- ingot check ------------------------------------------------------------------------ */

typedef struct {
  int n;
  char msgs[32][512];
  int codes[32];
} diags_t;

static void collect(void *user, ingot_status_t st) {
  diags_t *d = user;
  if (d->n < 32) {
    snprintf(d->msgs[d->n], sizeof d->msgs[0], "%s", ingot_status_message(st));
    d->codes[d->n] = ingot_status_code(st);
  }
  d->n++;
  ingot_status_free(st);
}

static bool has(const diags_t *d, ingot_code_t code, const char *frag1, const char *frag2) {
  for (int i = 0; i < d->n && i < 32; i++)
    if (d->codes[i] == (int)code && strstr(d->msgs[i], frag1) && (!frag2 || strstr(d->msgs[i], frag2))) return true;
  return false;
}

static void test_check_all(void **state) {
  (void)state;
  ingot_graph_t *g = gb_new();
  g->opset = 21;
  gb_input(g, "x", F, "2,4,8,8");
  gb_input(g, "cx", INGOT_DT_COMPLEX64, "2");
  gb_init(g, "w", INGOT_DT_FLOAT8E4M3FN, "2", (uint8_t[]){1, 2});
  int32_t n = gb_node(g, INGOT_OP_UNKNOWN, "fancy", "x", "a");
  g->nodes[n].op_type = "FancyAttention";
  g->nodes[n].domain = "com.microsoft";
  n = gb_node(g, INGOT_OP_UNKNOWN, "fancy2", "a", "b");
  g->nodes[n].op_type = "FancyAttention";
  g->nodes[n].domain = "com.microsoft";
  n = gb_node(g, INGOT_OP_RELU, "relu", "x", "c");
  gb_attr_i(g, n, "bogus", 1);
  gb_init_f32(g, "sc", "4", (float[]){1, 1, 2, 2});
  n = gb_node(g, INGOT_OP_RESIZE, "resize", "x,,sc", "d");
  gb_attr_s(g, n, "mode", "cubic");
  gb_attr_i(g, n, "antialias", 1);
  n = gb_node(g, INGOT_OP_CAST, "cast", "x", "e");
  gb_attr_i(g, n, "to", INGOT_DT_STRING);
  n = gb_node(g, INGOT_OP_CONCAT, "cat", "x,x", "f");
  gb_attr_f(g, n, "axis", 1.f);
  n = gb_node(g, INGOT_OP_GROUP_NORM, "gn", "x,x,x", "h");
  n = gb_node(g, INGOT_OP_CONSTANT, "strc", "", "s");
  gb_attr_s(g, n, "value_string", "hi");
  gb_input(g, "cond", INGOT_DT_BOOL, "");
  n = gb_node(g, INGOT_OP_IF, "branchy", "cond", "o");
  ingot_graph_t *tb = gb_attr_g(g, n, "then_branch");
  int32_t inner = gb_node(tb, INGOT_OP_UNKNOWN, "inner_custom", "x", "t");
  tb->nodes[inner].op_type = "Mystery";
  gb_output(tb, "t");
  ingot_graph_t *eb = gb_attr_g(g, n, "else_branch");
  gb_node(eb, INGOT_OP_NEG, "neg", "x", "e2");
  gb_output(eb, "e2");

  diags_t d = {0};
  int count = ingot_check_all(g, collect, &d);
  for (int i = 0; i < d.n && i < 32; i++) fprintf(stderr, "  [%d] %s\n", d.codes[i], d.msgs[i]);
  assert_int_equal(count, d.n);
  assert_true(has(&d, INGOT_CODE_UNSUPPORTED, "default-domain opset 21 is not supported", NULL));
  assert_true(has(&d, INGOT_CODE_UNSUPPORTED, "node 'fancy' (#0, com.microsoft::FancyAttention)",
                  "opset domain 'com.microsoft' is not supported"));
  assert_true(has(&d, INGOT_CODE_UNSUPPORTED, "node 'fancy' (#0, com.microsoft::FancyAttention)",
                  "unsupported op 'FancyAttention' (domain 'com.microsoft')"));
  assert_true(has(&d, INGOT_CODE_UNSUPPORTED, "node 'fancy2' (#1", "unsupported op 'FancyAttention'"));
  assert_true(has(&d, INGOT_CODE_UNSUPPORTED, "graph input 'cx' has unsupported dtype complex64", NULL));
  assert_true(has(&d, INGOT_CODE_UNSUPPORTED, "initializer 'w' has unsupported dtype float8e4m3fn", NULL));
  assert_true(has(&d, INGOT_CODE_UNSUPPORTED, "node 'relu'", "unsupported attribute 'bogus' for Relu"));
  assert_true(has(&d, INGOT_CODE_UNSUPPORTED, "node 'resize'", "Resize mode 'cubic' is not supported"));
  assert_true(has(&d, INGOT_CODE_UNSUPPORTED, "node 'resize'", "Resize antialias=1 is not supported"));
  assert_true(has(&d, INGOT_CODE_UNSUPPORTED, "node 'cast'", "Cast to string is not supported"));
  assert_true(has(&d, INGOT_CODE_INPUT, "node 'cat'", "attribute 'axis' should be int, not float"));
  assert_true(has(&d, INGOT_CODE_INPUT, "node 'gn'", "required attribute 'num_groups' is missing"));
  assert_true(has(&d, INGOT_CODE_UNSUPPORTED, "node 'strc'", "string constants are not supported"));
  assert_true(has(&d, INGOT_CODE_UNSUPPORTED, "node 'branchy'", "control flow (If) is not supported"));
  assert_true(has(&d, INGOT_CODE_UNSUPPORTED, "in 'then_branch' of node 'branchy'", "unsupported op 'Mystery'"));
  assert_int_equal(count, 15); /* the domain once, not once per node */
  assert_int_equal(ingot_check_all(g, NULL, NULL), 15);
  gb_free(g);
}

static void test_check_all_clean(void **state) {
  (void)state;
  ingot_graph_t *g = gb_new();
  gb_input(g, "x", F, "2,4,8,8");
  gb_init_f32(g, "sc", "4", (float[]){1, 1, 2, 2});
  int32_t n = gb_node(g, INGOT_OP_RESIZE, "resize", "x,,sc", "d");
  gb_attr_s(g, n, "mode", "nearest");
  gb_attr_s(g, n, "coordinate_transformation_mode", "asymmetric");
  gb_attr_s(g, n, "nearest_mode", "floor");
  n = gb_node(g, INGOT_OP_CAST, "cast", "d", "e");
  gb_attr_i(g, n, "to", INGOT_DT_FLOAT16);
  gb_output(g, "e");
  assert_int_equal(ingot_check_all(g, NULL, NULL), 0);
  verify_ok(g);
  gb_free(g);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_well_formed),    cmocka_unit_test(test_missing_input),
      cmocka_unit_test(test_two_producers),  cmocka_unit_test(test_cycle_and_order),
      cmocka_unit_test(test_attributes),     cmocka_unit_test(test_arity),
      cmocka_unit_test(test_opset),          cmocka_unit_test(test_malformed_types),
      cmocka_unit_test(test_subgraphs),      cmocka_unit_test(test_typed),
      cmocka_unit_test(test_check_all),      cmocka_unit_test(test_check_all_clean),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
