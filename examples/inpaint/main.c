/* inpaint: fills the masked part of an image with the bundled inpainting
 * UNet, compiled at build time by ingot_add_model (examples/CMakeLists.txt).
 *
 *   inpaint --image in.png --mask mask.png -o out.png [--steps K] [--seed S] [--threads T]
 *           [--weights FILE] [-v]
 *
 * Inputs.  The image is an 8-bit RGB PNG of any size from the model's latent
 * size (16x16) up to 8192x8192.  The mask is an 8-bit grayscale PNG of the
 * same size, and it must be binary: 255 means "inpaint this pixel" and 0
 * means "keep it".  Any other value, an alpha channel, a colour or palette
 * mask, a 16-bit file or a size mismatch is refused with one `error:` line
 * and exit 1, and so is a file that is not a valid PNG.
 *
 * Pipeline.
 *   encode: area-average the image down to the latent grid (latent cell
 *     (i, j) averages pixel rows [i*H/16, (i+1)*H/16) and the matching
 *     columns), then map each RGB to 4 latent channels with the pseudo-inverse
 *     of the fixed latent -> RGB map (app_util.h).  A latent cell is masked
 *     if any pixel in it is masked, so the generated area covers the whole
 *     mask;
 *   denoise: the model takes (x, mask, masked_latent, t), where masked_latent
 *     is latent * (1 - mask), and returns mask * pred + (1 - mask) *
 *     masked_latent.  We read its output as the clean-latent estimate z and
 *     refine it K times (SDEdit style, K = 4 by default).  t_k runs from 999
 *     down to 0, evenly spaced over the K steps, with alpha_bar from the
 *     linear beta schedule (1e-4..0.02).  Each step computes x = sqrt(ab) z +
 *     sqrt(1-ab) noise, using fresh seeded noise, and then z = model(x, ...).
 *     z starts at masked_latent;
 *   decode: the fixed latent -> RGB map on the 16x16 grid, bilinear upsample
 *     to the image's own size;
 *   composite: each output pixel is the decoded pixel where the mask is 255
 *     and the input pixel's bytes where it is 0, so everything outside the
 *     mask is byte-identical to the input.
 * Only row 0 of the model's batch of 2 is used; row 1 is the same request. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app_util.h"
#include "png_io.h"
#include "unet.h"

static const char usage[] =
    "usage: inpaint --image in.png --mask mask.png -o out.png [--steps K] [--seed S] [--threads T]\n"
    "               [--weights FILE] [-v]\n";

static int fail(const char *fmt, const char *a, const char *b) {
  fputs("error: ", stderr);
  fprintf(stderr, fmt, a, b);
  fputc('\n', stderr);
  return 1;
}

/* alpha_bar(t) of the linear DDPM schedule, t in 0..999 */
static double alpha_bar(int t) {
  double prod = 1.0;
  for (int i = 0; i <= t; i++) prod *= 1.0 - (1e-4 + (0.02 - 1e-4) * (double)i / 999.0);
  return prod;
}

static float clampf(float v, float lo, float hi) { return v < lo ? lo : v > hi ? hi : v; }

int main(int argc, char **argv) {
  const char *image_path = NULL, *mask_path = NULL, *out_path = NULL, *weights = UNET_WEIGHTS;
  int64_t steps = 4, threads = 1;
  uint64_t seed = 0;
  int verbose = 0;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (!strcmp(a, "-v") || !strcmp(a, "--verbose")) {
      verbose = 1;
      continue;
    }
    if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
      fputs(usage, stdout);
      return 0;
    }
    if (a[0] != '-' || i + 1 >= argc) {
      fprintf(stderr, "error: %s '%s' (see inpaint --help)\n",
              a[0] == '-' ? "missing value for" : "unexpected argument", a);
      return 1;
    }
    const char *v = argv[++i];
    if (!strcmp(a, "--image")) image_path = v;
    else if (!strcmp(a, "--mask")) mask_path = v;
    else if (!strcmp(a, "-o")) out_path = v;
    else if (!strcmp(a, "--weights")) weights = v;
    else if (!strcmp(a, "--steps")) {
      if (app_parse_i64(v, 1, 1000, &steps)) return fail("--steps wants 1..1000, not '%s'%s", v, "");
    } else if (!strcmp(a, "--seed")) {
      if (app_parse_u64(v, &seed)) return fail("--seed wants a whole number >= 0, not '%s'%s", v, "");
    } else if (!strcmp(a, "--threads")) {
      if (app_parse_i64(v, 1, 256, &threads)) return fail("--threads wants 1..256, not '%s'%s", v, "");
    } else {
      fprintf(stderr, "error: unknown option '%s' (see inpaint --help)\n", a);
      return 1;
    }
  }
  if (!image_path || !mask_path || !out_path) {
    fprintf(stderr, "error: --image, --mask and -o are required (see inpaint --help)\n");
    return 1;
  }

  /* latent shapes as compiled: x [N, C, H, W], mask [N, 1, H, W] */
  const ingot_rt_bucket_t *bk = &unet__descriptor.buckets[0];
  const int64_t N = bk->inputs[0].dims[0], C = bk->inputs[0].dims[1], H = bk->inputs[0].dims[2],
                W = bk->inputs[0].dims[3], HW = H * W;
  app_image_t img = {0}, mask = {0}, outimg = {0};
  float *lat = NULL, *x = NULL, *mk = NULL, *ml = NULL, *t = NULL, *z = NULL, *rgb = NULL;
  unet_model *m = NULL;
  char err[512];
  int rc = 1;
  if (app_png_read(image_path, &img, err, sizeof err) != 0) return fail("%s%s", err, "");
  if (img.channels != 3) {
    fprintf(stderr, "error: %s: the image must be 8-bit RGB, not %s\n", image_path, app_png_kind(img.channels));
    goto out;
  }
  if (app_png_read(mask_path, &mask, err, sizeof err) != 0) {
    fprintf(stderr, "error: %s\n", err);
    goto out;
  }
  if (mask.channels != 1) {
    fprintf(stderr, "error: %s: the mask must be 8-bit grayscale (0 keep, 255 inpaint), not %s\n", mask_path,
            app_png_kind(mask.channels));
    goto out;
  }
  if (mask.width != img.width || mask.height != img.height) {
    fprintf(stderr, "error: %s is %dx%d but %s is %dx%d: the mask must match the image\n", mask_path, mask.width,
            mask.height, image_path, img.width, img.height);
    goto out;
  }
  if (img.width < W || img.height < H) {
    fprintf(stderr, "error: %s is %dx%d: the model needs at least %lldx%lld pixels\n", image_path, img.width,
            img.height, (long long)W, (long long)H);
    goto out;
  }
  const int iw = img.width, ih = img.height;
  int64_t masked = 0;
  for (int64_t p = 0; p < (int64_t)iw * ih; p++) {
    uint8_t v = mask.pixels[p];
    if (v != 0 && v != 255) {
      fprintf(stderr, "error: %s: pixel (%d, %d) is %u: the mask must be binary (0 keep, 255 inpaint)\n", mask_path,
              (int)(p % iw), (int)(p / iw), v);
      goto out;
    }
    masked += v == 255;
  }
  if (C != 4) {
    fprintf(stderr, "error: the model's latent has %lld channels; the RGB map wants 4\n", (long long)C);
    goto out;
  }

  lat = calloc((size_t)(C * HW), sizeof *lat);
  x = calloc((size_t)(N * C * HW), sizeof *x);
  mk = calloc((size_t)(N * HW), sizeof *mk);
  ml = calloc((size_t)(N * C * HW), sizeof *ml);
  t = calloc((size_t)N, sizeof *t);
  z = calloc((size_t)(N * C * HW), sizeof *z);
  rgb = calloc((size_t)(3 * HW), sizeof *rgb);
  if (!lat || !x || !mk || !ml || !t || !z || !rgb || app_image_alloc(&outimg, iw, ih, 3) != 0) {
    fprintf(stderr, "error: out of memory\n");
    goto out;
  }
  /* encode: area average, pinv(M), mask dilated to whole cells */
  for (int64_t ly = 0; ly < H; ly++)
    for (int64_t lx = 0; lx < W; lx++) {
      int64_t y0 = ly * ih / H, y1 = (ly + 1) * ih / H, x0 = lx * iw / W, x1 = (lx + 1) * iw / W;
      double sum[3] = {0, 0, 0};
      int any = 0;
      for (int64_t py = y0; py < y1; py++)
        for (int64_t px = x0; px < x1; px++) {
          const uint8_t *q = img.pixels + (py * iw + px) * 3;
          for (int c = 0; c < 3; c++) sum[c] += q[c];
          any |= mask.pixels[py * iw + px] == 255;
        }
      double n = (double)((y1 - y0) * (x1 - x0)), rgb01[3];
      for (int c = 0; c < 3; c++) rgb01[c] = sum[c] / n / 255.0;
      float l4[4];
      app_rgb_to_latent(rgb01, l4);
      for (int k = 0; k < 4; k++) lat[k * HW + ly * W + lx] = l4[k];
      for (int64_t r = 0; r < N; r++) mk[r * HW + ly * W + lx] = any ? 1.0f : 0.0f;
    }
  for (int64_t r = 0; r < N; r++)
    for (int64_t k = 0; k < C; k++)
      for (int64_t j = 0; j < HW; j++) {
        ml[(r * C + k) * HW + j] = lat[k * HW + j] * (1.0f - mk[j]);
        z[(r * C + k) * HW + j] = ml[(r * C + k) * HW + j];
      }

  unet_options opts;
  unet_options_init(&opts);
  opts.threads = (int)threads;
  if (unet_create(&m, weights, &opts) != 0) {
    fprintf(stderr, "error: %s\n", unet_error(m));
    goto out;
  }
  app_rng_t rng;
  app_rng_seed(&rng, seed);
  app_progress_t pg;
  app_progress_init(&pg, verbose);
  double t0 = app_now_s();
  for (int64_t k = 0; k < steps; k++) {
    int tk = steps == 1 ? 999 : (int)floor(999.0 * (double)(steps - 1 - k) / (double)(steps - 1) + 0.5);
    double ab = alpha_bar(tk);
    float sa = (float)sqrt(ab), sn = (float)sqrt(1.0 - ab);
    for (int64_t j = 0; j < C * HW; j++) {
      float e = (float)app_rng_gaussian(&rng);
      for (int64_t r = 0; r < N; r++) x[r * C * HW + j] = sa * z[j] + sn * e;
    }
    for (int64_t r = 0; r < N; r++) t[r] = (float)tk;
    double ts = app_now_s();
    if (unet_run(m, x, mk, ml, t, z) != 0) {
      app_progress_done(&pg);
      fprintf(stderr, "error: step %lld: %s\n", (long long)k + 1, unet_error(m));
      goto out;
    }
    app_progress(&pg, "[inpaint] step %lld/%lld  t=%-4d %.2f ms", (long long)k + 1, (long long)steps, tk,
                 (app_now_s() - ts) * 1e3);
  }
  double total = app_now_s() - t0;
  app_progress_done(&pg);

  /* decode row 0 on the latent grid, in [-1, 1] before quantising */
  static const double M[4][3] = {
      {0.298, 0.207, 0.208}, {0.187, 0.286, 0.173}, {-0.158, 0.189, 0.264}, {-0.184, -0.271, -0.473}};
  for (int64_t j = 0; j < HW; j++)
    for (int c = 0; c < 3; c++) {
      double v = 0;
      for (int k = 0; k < 4; k++) v += (double)z[k * HW + j] * M[k][c];
      rgb[c * HW + j] = (float)v;
    }
  /* bilinear upsample (pixel centres aligned) and composite */
  for (int py = 0; py < ih; py++) {
    float fy = clampf(((float)py + 0.5f) * (float)H / (float)ih - 0.5f, 0.0f, (float)(H - 1));
    int64_t y0 = (int64_t)fy, y1 = y0 + 1 < H ? y0 + 1 : y0;
    float wy = fy - (float)y0;
    for (int px = 0; px < iw; px++) {
      uint8_t *o = outimg.pixels + ((int64_t)py * iw + px) * 3;
      const uint8_t *in = img.pixels + ((int64_t)py * iw + px) * 3;
      if (mask.pixels[(int64_t)py * iw + px] != 255) {
        memcpy(o, in, 3);
        continue;
      }
      float fx = clampf(((float)px + 0.5f) * (float)W / (float)iw - 0.5f, 0.0f, (float)(W - 1));
      int64_t x0 = (int64_t)fx, x1 = x0 + 1 < W ? x0 + 1 : x0;
      float wx = fx - (float)x0;
      for (int c = 0; c < 3; c++) {
        const float *ch = rgb + c * HW;
        float v = (1 - wy) * ((1 - wx) * ch[y0 * W + x0] + wx * ch[y0 * W + x1]) +
                  wy * ((1 - wx) * ch[y1 * W + x0] + wx * ch[y1 * W + x1]);
        float b = (v + 1.0f) * 0.5f * 255.0f;
        o[c] = !(b > 0) ? 0 : b >= 255 ? 255 : (uint8_t)floorf(b + 0.5f);
      }
    }
  }
  if (app_png_write(out_path, &outimg, err, sizeof err) != 0) {
    fprintf(stderr, "error: %s\n", err);
    goto out;
  }
  printf("inpaint: %dx%d image, %lld masked pixels (%.1f%%), %lld steps, seed %llu, %lld thread(s): %.1f ms -> %s\n",
         iw, ih, (long long)masked, 100.0 * (double)masked / ((double)iw * ih), (long long)steps,
         (unsigned long long)seed, (long long)threads, total * 1e3, out_path);
  rc = 0;
out:
  unet_destroy(m);
  app_image_free(&img);
  app_image_free(&mask);
  app_image_free(&outimg);
  free(lat);
  free(x);
  free(mk);
  free(ml);
  free(t);
  free(z);
  free(rgb);
  return rc;
}
