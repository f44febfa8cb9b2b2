// The optimizers' element-wise updates (LeptonCore/Training/Optimizers.swift), in plain C the
// compiler vectorises: an AVX-512F clone and a baseline one, the loader picks (ifunc). Every
// operation in the Swift twin's order and no multiply-add contraction, so the results equal the
// twin's bit for bit on every processor.
#include "lepton_kernels.h"
#include "lk_clones.h"

#pragma clang fp contract(off)

LK_CLONES void lepton_adam_update(float *restrict w, const float *restrict gradient, float *restrict m,
                                  float *restrict v, ptrdiff_t count, float lr, float b1, float b2, float eps,
                                  float c1, float c2, float l2, float decoupled) {
    for (ptrdiff_t i = 0; i < count; i++) {
        const float g = gradient[i] + l2 * w[i];
        float wi = w[i] - lr * decoupled * w[i];
        const float mi = b1 * m[i] + (1 - b1) * g;
        const float vi = b2 * v[i] + (1 - b2) * g * g;
        m[i] = mi;
        v[i] = vi;
        w[i] = wi - lr * (mi / c1) / (__builtin_sqrtf(vi / c2) + eps);
    }
}
