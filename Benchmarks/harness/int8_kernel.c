// One-thread throughput of the int8 convolution kernel (lepton_qconv, AVX2 path, full-range and
// narrow weights) against OpenBLAS sgemm doing the same multiply-adds, for one layer shape.
// Build with clang, as SwiftPM does (gcc makes a slower AVX2 kernel), and run from the repository root:
//   clang -O2 -ISources/CLeptonKernels/include -ISources/CLeptonKernels Benchmarks/harness/int8_kernel.c \
//      Sources/CLeptonKernels/int8_conv.c -lopenblas -lm -o /tmp/int8_kernel
//   /tmp/int8_kernel SIZE CIN COUT [STRIDE]      e.g. /tmp/int8_kernel 4 512 512
// Prints GMAC/s, best of 9 timed runs of about 3·10⁹ multiply-adds / 4 each, and whether the
// AVX2 sums equal the naive ones.
#include "lepton_int8.h"
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: %s SIZE CIN COUT [STRIDE]  (CIN a multiple of 4, COUT of 16)\n", argv[0]);
        return 2;
    }
    const int h = atoi(argv[1]), cin = atoi(argv[2]), cout = atoi(argv[3]), stride = argc > 4 ? atoi(argv[4]) : 1;
    if (h < 1 || cin < 4 || cin % 4 || cout < 16 || cout % 16 || stride < 1) {
        fprintf(stderr, "bad shape\n");
        return 2;
    }
    if (!lepton_int8_avx2_available()) {
        fprintf(stderr, "no AVX2 on this processor\n");
        return 1;
    }
    const int oh = (h - 1) / stride + 1;
    const size_t image = (size_t)(h + 2) * (h + 2) * cin, codes = (size_t)9 * cin * cout, sums = (size_t)oh * oh * cout;
    uint8_t *src = malloc(image);
    int8_t *w = malloc(codes);
    int32_t *out = malloc(4 * sums), *ref = malloc(4 * sums);
    srand(1);
    for (size_t i = 0; i < image; i++) src[i] = rand() & 127;
    for (size_t i = 0; i < codes; i++) w[i] = (rand() % 127) - 63;  // within ±63: valid for both modes
    const double macs = (double)oh * oh * cin * cout * 9;
    const int reps = (int)(0.75e9 / macs) + 1;
    lepton_qconv_shape s = {cin, h, h, 3, stride, cout, 0};
    lepton_qconv(src, s, w, ref, 0);
    for (int narrow = 0; narrow < 2; narrow++) {
        s.narrow = narrow;
        lepton_qconv(src, s, w, out, 1);
        const int same = !memcmp(out, ref, 4 * sums);
        double best = 1e9;
        for (int k = 0; k < 9; k++) {
            const double t = now();
            for (int r = 0; r < reps; r++) lepton_qconv(src, s, w, out, 1);
            const double dt = now() - t;
            if (dt < best) best = dt;
        }
        printf("int8 avx2%s: %.1f GMAC/s (sums equal the naive ones: %s)\n", narrow ? " narrow" : "", macs * reps / best / 1e9,
               same ? "yes" : "NO");
    }
    // sgemm of the same multiply-adds (an im2col'd image times the weights), one thread.
    const int m = oh * oh, k = 9 * cin, n = cout;
    float *a = malloc(sizeof(float) * m * k), *b = malloc(sizeof(float) * k * n), *c = malloc(sizeof(float) * m * n);
    for (long i = 0; i < (long)m * k; i++) a[i] = 1;
    for (long i = 0; i < (long)k * n; i++) b[i] = 1;
    openblas_set_num_threads(1);
    double best = 1e9;
    for (int t9 = 0; t9 < 9; t9++) {
        const double t = now();
        for (int r = 0; r < reps; r++) cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n, k, 1, a, k, b, n, 0, c, n);
        const double dt = now() - t;
        if (dt < best) best = dt;
    }
    printf("sgemm %d×%d×%d: %.1f GMAC/s\n", m, n, k, macs * reps / best / 1e9);
    return 0;
}
