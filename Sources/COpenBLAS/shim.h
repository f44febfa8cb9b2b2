// OpenBLAS (Debian: libopenblas-dev, pthread variant). Only LeptonCore/Tensor/BLAS.swift imports this.
#ifndef LEPTON_COPENBLAS_SHIM_H
#define LEPTON_COPENBLAS_SHIM_H
#include <cblas.h>
#endif
