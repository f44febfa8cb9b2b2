// libcsv 3 (Debian: libcsv-dev). No pkg-config file exists, so the module map links "csv".
#ifndef LEPTON_CCSV_SHIM_H
#define LEPTON_CCSV_SHIM_H
#include <csv.h>

/// Strict RFC 4180 parsing: reject `a,"bad"x` and an unterminated last quote.
static const unsigned char LEPTON_CSV_OPTIONS = CSV_STRICT | CSV_STRICT_FINI;
static const int LEPTON_CSV_SUCCESS = CSV_SUCCESS;
static const int LEPTON_CSV_EPARSE = CSV_EPARSE;
#endif
