/* Quantization: options, calibration, scale tables and the quantize pass.
 *
 *   ingot_quant_t q;
 *   ingot_quant_init(&q);
 *   q.mode = INGOT_QUANT_W8A8;
 *   q.calib_dir = "calib/";                       // one subfolder per sample
 *   INGOT_RETURN_IF_ERROR(ingot_quant_prepare(&q, "model.onnx", stderr));  // calibrate
 *   ctx.quant = &q;                               // ingot_pass_ctx_t
 *   INGOT_RETURN_IF_ERROR(ingot_run_pipeline(g, &ctx));   // runs ingot_pass_quantize
 *   printf("scale table %016llx\n", (unsigned long long)q.hash);
 *   ingot_quant_free(&q);
 *
 * Modes (what ingot_pass_quantize does to each quantized layer, i.e. each
 * MatMul / Gemm / Conv with constant weights that the policy does not keep
 * in fp32):
 *   int8-weight  weights int8, symmetric per output channel; activations stay
 *                float32; dequantised inside the GEMM (IngotQLinear / IngotQConv).
 *   w8a8         weights as int8-weight; activations int8, symmetric per tensor
 *                with the calibrated range (or per token, --per-token, computed
 *                at run time: IngotQuantAct); int8 x int8 -> int32 dot products.
 *   fp8-e4m3     weights E4M3FN with one scale per tensor; activations fake-
 *                quantized to E4M3FN per tensor (calibrated), products in float32.
 * Semantics of the ops: interp/k_quant.c.  Layouts: ir/quant_codec.h.
 *
 * Layers kept in float32 (the stated policy, passes/quantize.c explains the
 * detection): everything that is not a constant-weight MatMul/Gemm/Conv
 * (norms, softmax, attention's activation x activation products,
 * elementwise ops); the conditioning embedders (the timestep / class /
 * pooled-text MLPs); the final projection(s).  --keep-fp32=NODE,... replaces
 * the policy's layer list ("default" in the list stands for the policy's
 * layers, "none" for no layer); --keep-fp32=auto --error-budget E chooses it
 * from measured sensitivity.
 *
 * Calibration folder: one subfolder per sample (visited in byte order of
 * their names), each holding one <graph input name>.npy per graph input.
 * Activation range of a layer = max |x| of its input over every sample
 * (minmax), or the p-th percentile of |x| (percentile, default 99.99: the
 * upper edge of the 4096-bin histogram bin over [0, max] where the
 * cumulative count reaches p).  The evaluator runs single-threaded in a
 * fixed order, so the same model, data and flags give byte-identical
 * scales.
 *
 * Scale files (--save-scales / --load-scales) are text:
 *   ingot-scales 1
 *   method minmax|percentile P
 *   amax <C99 hex float> <layer name to the end of the line>
 * one line per calibrated layer.  Layer names are ONNX node names (the
 * output value's name for a node without one).  Weight scales are not
 * stored: they follow from the weights. */
#ifndef INGOT_QUANTIZE_H
#define INGOT_QUANTIZE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "interp/interp.h"
#include "ir/ir.h"

typedef enum {
  INGOT_QUANT_NONE = 0,
  INGOT_QUANT_INT8_WEIGHT = 1,
  INGOT_QUANT_W8A8 = 2,
  INGOT_QUANT_FP8_E4M3 = 3,
} ingot_quant_mode_t;

typedef enum {
  INGOT_CALIB_MINMAX = 0,
  INGOT_CALIB_PERCENTILE = 1,
} ingot_calib_method_t;

/* "int8-weight" ... -> mode; INGOT_QUANT_NONE when unknown. */
int ingot_quant_mode_parse(const char *s);
const char *ingot_quant_mode_name(int mode);

/* A calibration set: nsamples x ninputs tensors, in graph input order. */
typedef struct {
  int nsamples;
  uint32_t ninputs;
  char **sample_names;    /* subfolder names */
  ingot_tensor_t *inputs; /* [sample * ninputs + i], owned */
} ingot_calib_set_t;

/* Loads DIR for graph g (its inputs name the files).  Errors: DIR missing or
 * not a folder, no sample subfolders, a missing, unreadable or extra .npy,
 * a dtype/shape the model does not accept (checked by the evaluator when
 * the sample runs).  Samples are visited in byte order of their names. */
ingot_status_t ingot_calib_load(const ingot_graph_t *g, const char *dir, ingot_calib_set_t *out) INGOT_MUST_USE;
void ingot_calib_free(ingot_calib_set_t *c);

/* One calibrated layer. */
typedef struct {
  char *layer;
  float amax;
} ingot_qrange_t;

/* One quantized layer as the pass made it (for reports and the hash). */
typedef struct {
  char *layer;     /* node name */
  char *output;    /* its output value's name */
  const char *op;  /* "MatMul", "Gemm", "Conv" */
  float act_scale; /* 0: float activations (int8-weight) or per token */
  int64_t k, n;
  uint64_t bytes_fp32, bytes_q; /* weight (+ scale) bytes before / after */
} ingot_qlayer_t;

/* One layer kept in float32, and why. */
typedef struct {
  char *layer;
  const char *why; /* "conditioning embedder", "final projection", "--keep-fp32", "auto" */
} ingot_qkept_t;

typedef struct ingot_quant_s {
  /* ---- options ---- */
  int mode;                 /* ingot_quant_mode_t */
  int calib_method;         /* ingot_calib_method_t */
  double percentile;        /* for INGOT_CALIB_PERCENTILE, in (0, 100] */
  bool per_token;           /* w8a8: per-token dynamic activation scales for MatMul/Gemm */
  const char *calib_dir;    /* --calibrate */
  const char *save_scales;  /* --save-scales */
  const char *load_scales;  /* --load-scales */
  char **keep;              /* --keep-fp32 names ("default", "none" allowed) */
  int nkeep;
  bool keep_given;          /* --keep-fp32 with a list */
  bool keep_auto;           /* --keep-fp32=auto */
  double error_budget;      /* with keep_auto: end-to-end rel L2 bound */
  /* internal: when set, quantize exactly these layers (sensitivity trials) */
  const char *const *only;
  int nonly;
  /* for tests: every weight scale is multiplied by this after the weights are
   * quantized with the true scale (1 = off), to check that error bounds
   * catch a broken scale */
  float fault_scale;
  const char *fault_layer;  /* NULL: every layer */

  /* ---- results ---- */
  ingot_qrange_t *ranges;   /* calibrated or loaded activation ranges */
  int nranges;
  char **auto_keep;         /* chosen by keep_auto */
  int nauto_keep;
  double auto_error;        /* end-to-end error of the chosen configuration */
  /* filled by each run of ingot_pass_quantize (reset at its start) */
  ingot_qlayer_t *layers;
  int nlayers;
  ingot_qkept_t *kept;
  int nkept;
  uint64_t hash;            /* FNV-1a of the scale table: layers, activation and weight scales */
} ingot_quant_t;

/* Defaults: no mode, minmax, percentile 99.99, fault_scale 1.  Everything
 * a quant struct points to (keep, ranges, auto_keep, results) is owned by it
 * and released by ingot_quant_free. */
void ingot_quant_init(ingot_quant_t *q);
void ingot_quant_free(ingot_quant_t *q);
/* Releases what ingot_pass_quantize filled in (layers, kept, hash). */
void ingot_quant_clear_results(ingot_quant_t *q);

/* Everything before the pass: loads or computes the activation ranges
 * (--load-scales, or --calibrate on model_path's fp32 graph), saves them
 * (--save-scales), and with keep_auto measures every layer's sensitivity
 * and chooses the layers kept in fp32 (printed to log when not NULL).
 * Errors: a mode that needs ranges without --calibrate/--load-scales, bad
 * calibration folders, unreadable or malformed scale files. */
ingot_status_t ingot_quant_prepare(ingot_quant_t *q, const char *model_path, FILE *log) INGOT_MUST_USE;

/* The float32 graph the evaluator runs for calibration and comparisons:
 * import + inference + constant folding + DCE; when shapes is given, the
 * inputs' symbolic dims are first bound to its first sample's shapes (the
 * quantize pass needs static shapes).  No CSE: node names must survive. */
ingot_status_t ingot_quant_load_fp32(const char *model_path, const ingot_calib_set_t *shapes,
                                     ingot_graph_t **out) INGOT_MUST_USE;
/* The same with q's quantization applied (fills q's results). */
ingot_status_t ingot_quant_load_quantized(const char *model_path, const ingot_calib_set_t *shapes, ingot_quant_t *q,
                                          ingot_graph_t **out) INGOT_MUST_USE;
/* Relative L2 error sqrt(sum (a-b)^2 / sum b^2) accumulated over tensors:
 * add pairs with ingot_err_add, read with ingot_err_rel / ingot_err_sqnr. */
typedef struct {
  double num, den, maxabs;
  int64_t n;
} ingot_err_t;
void ingot_err_add(ingot_err_t *e, const ingot_tensor_t *a, const ingot_tensor_t *ref);
double ingot_err_rel(const ingot_err_t *e);
double ingot_err_sqnr(const ingot_err_t *e); /* dB; +inf when exact */

/* Runs g (single thread) on sample s of c; outputs[i] for g->outputs[i]. */
ingot_status_t ingot_calib_run(const ingot_graph_t *g, const ingot_calib_set_t *c, int s,
                               ingot_tensor_t *outputs) INGOT_MUST_USE;

/* The calibrated range of a layer, or NULL. */
const ingot_qrange_t *ingot_quant_range(const ingot_quant_t *q, const char *layer);

/* Scale files (format above). */
ingot_status_t ingot_quant_save_scales(const ingot_quant_t *q, const char *path) INGOT_MUST_USE;
ingot_status_t ingot_quant_load_scales(ingot_quant_t *q, const char *path) INGOT_MUST_USE;

/* The layer key of node i: its ONNX name, or "output:<value>" when it has
 * none.  Returns buf. */
const char *ingot_quant_layer_key(const ingot_graph_t *g, int32_t node, char *buf, size_t len);

#endif
