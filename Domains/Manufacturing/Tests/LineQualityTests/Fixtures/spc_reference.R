# Reference values for the LineQuality SPC tests.
#
# Regenerate (from this Fixtures/ folder):
#   apt-get install -y --no-install-recommends r-base-core r-cran-spc
#   Rscript spc_reference.R > spc_reference.json
#
# Needs only base R and the 'spc' package (Debian 12: r-cran-spc 0.6.7).
# 'qcc' is not packaged in Debian 12, so the qcc charts below are
# re-implemented with the formulas and constant tables of qcc 2.7 / qcc 3.0
# (stats.*, sd.*, limits.* and .qcc.options$exp.R.unscaled / se.R.unscaled).
# All output goes to stdout as JSON; nothing else is printed there.

suppressPackageStartupMessages(library(spc))

## ---------------------------------------------------------------- JSON ----
# Shortest decimal that reads back to the same double (<= 17 sig. digits).
num <- function(x) {
  stopifnot(is.finite(x))
  for (d in 15:17) {
    s <- sprintf(paste0("%.", d, "g"), x)
    if (as.numeric(s) == x) break
  }
  s
}
esc <- function(s) paste0("\"", gsub("\"", "\\\\\"", gsub("\\\\", "\\\\\\\\", s)), "\"")
# Lists with names -> objects; unnamed lists -> arrays; numeric/logical/character
# vectors -> arrays unless wrapped in I() or length 1 (scalar). Use arr() to force an array.
arr <- function(x) structure(x, class = c("json_array", class(x)))
to_json <- function(x, indent = 0) {
  pad <- strrep("  ", indent); pad1 <- strrep("  ", indent + 1)
  is_arr <- inherits(x, "json_array")
  if (is_arr) x <- unclass(x)
  if (is.list(x)) {
    if (!is.null(names(x)) && !is_arr) {
      items <- vapply(names(x), function(k)
        paste0(pad1, esc(k), ": ", to_json(x[[k]], indent + 1)), "")
      return(paste0("{\n", paste(items, collapse = ",\n"), "\n", pad, "}"))
    }
    items <- vapply(x, function(v) paste0(pad1, to_json(v, indent + 1)), "")
    if (length(items) == 0) return("[]")
    return(paste0("[\n", paste(items, collapse = ",\n"), "\n", pad, "]"))
  }
  one <- function(v) {
    if (is.character(v)) esc(v)
    else if (is.logical(v)) if (v) "true" else "false"
    else num(as.numeric(v))
  }
  if (length(x) == 1 && !is_arr) return(one(x))
  paste0("[", paste(vapply(x, one, ""), collapse = ", "), "]")
}

## ------------------------------------------------------ chart constants ----
ns <- 2:25
tol <- 1e-13

d2_int <- function(n)
  integrate(function(x) 1 - pnorm(x, lower.tail = FALSE)^n - pnorm(x)^n,
            -Inf, Inf, rel.tol = tol, subdivisions = 2000L)$value

# E[W^2] = 2 * int int_{x<y} [1 - Phi(y)^n - (1-Phi(x))^n + (Phi(y)-Phi(x))^n] dx dy,
# written with y = x + w (w > 0): inner integral over x, outer over w.
EW2_int <- function(n) {
  inner <- function(w) integrate(function(x) {
      Fy <- pnorm(x + w); Sx <- pnorm(x, lower.tail = FALSE)
      1 - Fy^n - Sx^n + pmax(Fy - pnorm(x), 0)^n
    }, -Inf, Inf, rel.tol = tol, subdivisions = 2000L)$value
  2 * integrate(Vectorize(inner), 0, Inf, rel.tol = tol, subdivisions = 2000L)$value
}

d2 <- vapply(ns, d2_int, 0)
d3 <- sqrt(vapply(ns, EW2_int, 0) - d2^2)
c4 <- sqrt(2 / (ns - 1)) * exp(lgamma(ns / 2) - lgamma((ns - 1) / 2))

# closed-form checks: d2(2)=2/sqrt(pi), d3(2)=sqrt(2-4/pi), d2(3)=3/sqrt(pi),
# E[W^2](3) = 2 + 3*sqrt(3)/pi ; ptukey(.., Inf) gives the range cdf directly.
chk <- c(d2[1] - 2 / sqrt(pi), d3[1] - sqrt(2 - 4 / pi), d2[2] - 3 / sqrt(pi),
         d3[2] - sqrt(2 + 3 * sqrt(3) / pi - 9 / pi))
stopifnot(max(abs(chk)) < 1e-9)
d2_tukey <- vapply(ns, function(n) integrate(function(w) 1 - ptukey(w, n, Inf),
                                             0, Inf, rel.tol = 1e-10)$value, 0)
stopifnot(max(abs(d2 - d2_tukey)) < 1e-6)

# qcc tables (.qcc.options in qcc 2.7 and 3.0): d2 to 3 decimals, d3 to 7.
qcc_d2 <- c(NA, 1.128, 1.693, 2.059, 2.326, 2.534, 2.704, 2.847, 2.970, 3.078,
            3.173, 3.258, 3.336, 3.407, 3.472, 3.532, 3.588, 3.640, 3.689, 3.735,
            3.778, 3.819, 3.858, 3.895, 3.931)
qcc_d3 <- c(NA, 0.8525033, 0.8883697, 0.8798108, 0.8640855, 0.8480442, 0.8332108,
            0.8198378, 0.8078413, 0.7970584, 0.7873230, 0.7784873, 0.7704257,
            0.7630330, 0.7562217, 0.7499188, 0.7440627, 0.7386021, 0.7334929,
            0.7286980, 0.7241851, 0.7199267, 0.7158987, 0.7120802, 0.7084528)
qcc_c4 <- function(n) sqrt(2 / (n - 1)) * exp(lgamma(n / 2) - lgamma((n - 1) / 2))

## ------------------------------------------------------ piston rings ----
# qcc::pistonrings (Montgomery, Introduction to SQC, Tables 6.3/6.4):
# 40 samples of 5 inside diameters (mm); 1-25 phase I, 26-40 phase II.
pr <- c(
  74.030, 74.002, 74.019, 73.992, 74.008,   73.995, 73.992, 74.001, 74.011, 74.004,
  73.988, 74.024, 74.021, 74.005, 74.002,   74.002, 73.996, 73.993, 74.015, 74.009,
  73.992, 74.007, 74.015, 73.989, 74.014,   74.009, 73.994, 73.997, 73.985, 73.993,
  73.995, 74.006, 73.994, 74.000, 74.005,   73.985, 74.003, 73.993, 74.015, 73.988,
  74.008, 73.995, 74.009, 74.005, 74.004,   73.998, 74.000, 73.990, 74.007, 73.995,
  73.994, 73.998, 73.994, 73.995, 73.990,   74.004, 74.000, 74.007, 74.000, 73.996,
  73.983, 74.002, 73.998, 73.997, 74.012,   74.006, 73.967, 73.994, 74.000, 73.984,
  74.012, 74.014, 73.998, 73.999, 74.007,   74.000, 73.984, 74.005, 73.998, 73.996,
  73.994, 74.012, 73.986, 74.005, 74.007,   74.006, 74.010, 74.018, 74.003, 74.000,
  73.984, 74.002, 74.003, 74.005, 73.997,   74.000, 74.010, 74.013, 74.020, 74.003,
  73.988, 74.001, 74.009, 74.005, 73.996,   74.004, 73.999, 73.990, 74.006, 74.009,
  74.010, 73.989, 73.990, 74.009, 74.014,   74.015, 74.008, 73.993, 74.000, 74.010,
  73.982, 73.984, 73.995, 74.017, 74.013,   74.012, 74.015, 74.030, 73.986, 74.000,
  73.995, 74.010, 73.990, 74.015, 74.001,   73.987, 73.999, 73.985, 74.000, 73.990,
  74.008, 74.010, 74.003, 73.991, 74.006,   74.003, 74.000, 74.001, 73.986, 73.997,
  73.994, 74.003, 74.015, 74.020, 74.004,   74.008, 74.002, 74.018, 73.995, 74.005,
  74.001, 74.004, 73.990, 73.996, 73.998,   74.015, 74.000, 74.016, 74.025, 74.000,
  74.030, 74.005, 74.000, 74.016, 74.012,   74.001, 73.990, 73.995, 74.010, 74.024,
  74.015, 74.020, 74.024, 74.005, 74.019,   74.035, 74.010, 74.012, 74.015, 74.026,
  74.017, 74.013, 74.036, 74.025, 74.026,   74.010, 74.005, 74.029, 74.000, 74.020)
PR <- matrix(pr, ncol = 5, byrow = TRUE)
stopifnot(nrow(PR) == 40)
P1 <- PR[1:25, ]; P2 <- PR[26:40, ]
n <- 5

xbar1 <- rowMeans(P1); R1 <- apply(P1, 1, function(x) diff(range(x)))
S1 <- apply(P1, 1, sd)
cl_x <- mean(xbar1)                               # stats.xbar (equal sizes)
rbar <- mean(R1); sbar <- mean(S1)

# qcc type="xbar" (std.dev "UWAVE-R") and type="R"
sig_R <- sum(R1 / qcc_d2[n]) / 25
xr <- list(
  n = n, groups = 25,
  xbar_center = cl_x, xbar_lcl = cl_x - 3 * sig_R / sqrt(n), xbar_ucl = cl_x + 3 * sig_R / sqrt(n),
  r_center = rbar,
  r_lcl = max(0, rbar - 3 * qcc_d3[n] * sig_R), r_ucl = rbar + 3 * qcc_d3[n] * sig_R,
  sigma = sig_R, rbar = rbar,
  xbar_statistics = arr(xbar1), r_statistics = arr(R1),
  exact_constants = {
    s <- rbar / d2[n - 1]; k <- d3[n - 1]
    list(sigma = s, xbar_lcl = cl_x - 3 * s / sqrt(n), xbar_ucl = cl_x + 3 * s / sqrt(n),
         r_lcl = max(0, rbar - 3 * k * s), r_ucl = rbar + 3 * k * s)
  },
  method = "qcc: sigma = mean(R_i/d2) with qcc table d2(5)=2.326; Xbar limits = grand mean +- 3 sigma/sqrt(n); R limits = Rbar +- 3 d3 sigma (qcc table d3(5)=0.8640855), LCL clamped at 0. exact_constants: same with integrated d2, d3.")

# qcc type="xbar", std.dev="UWAVE-SD" and type="S"
sig_S <- sum(S1 / qcc_c4(n)) / 25
c4n <- qcc_c4(n)
xs <- list(
  n = n, groups = 25,
  xbar_center = cl_x, xbar_lcl = cl_x - 3 * sig_S / sqrt(n), xbar_ucl = cl_x + 3 * sig_S / sqrt(n),
  s_center = sbar,
  s_lcl = max(0, sbar - 3 * sig_S * sqrt(1 - c4n^2)), s_ucl = sbar + 3 * sig_S * sqrt(1 - c4n^2),
  sigma = sig_S, sbar = sbar, s_statistics = arr(S1),
  method = "qcc: sigma = mean(S_i/c4(n)); Xbar limits = grand mean +- 3 sigma/sqrt(n); S limits = Sbar +- 3 sigma sqrt(1-c4^2), LCL clamped at 0.")

# qcc(P1, type="xbar", newdata=P2): phase-I limits, beyond-limit points over all 40
xbar_all <- rowMeans(PR)
beyond <- which(xbar_all > xr$xbar_ucl | xbar_all < xr$xbar_lcl)
xnew <- list(
  center = cl_x, lcl = xr$xbar_lcl, ucl = xr$xbar_ucl, sigma = sig_R,
  new_samples = arr(26:40), new_statistics = arr(xbar_all[26:40]),
  beyond_limits = arr(beyond),
  note = "sample numbers are 1-based over the 40 samples (qcc violations$beyond.limits); limits from samples 1-25 with std.dev UWAVE-R")

## ------------------------------------------------------ individuals ----
ind <- c(10.2, 9.8, 10.5, 10.1, 9.6, 10.4, 10.0, 9.9, 10.7, 10.3,
         9.5, 10.1, 10.6, 9.7, 10.2, 10.0, 12.1, 10.4, 9.8, 10.3)
mr <- abs(diff(ind))
sig_I <- mean(mr) / qcc_d2[2]
cl_I <- mean(ind)
indiv <- list(
  data = arr(ind), center = cl_I, mrbar = mean(mr), sigma = sig_I,
  lcl = cl_I - 3 * sig_I, ucl = cl_I + 3 * sig_I,
  moving_ranges = arr(mr),
  beyond_limits = arr(which(ind > cl_I + 3 * sig_I | ind < cl_I - 3 * sig_I)),
  sigma_exact_d2 = mean(mr) / d2[1],
  method = "qcc type='xbar.one', std.dev 'MR' (r=2): sigma = mean|x_i - x_{i-1}| / 1.128; limits center +- 3 sigma")

## ------------------------------------------------------ p and u charts ----
p_def <- c(12, 15, 8, 10, 4, 7, 16, 9, 14, 10, 5, 6, 17, 12, 22, 8, 10, 5, 13, 11)
p_n   <- c(100, 120, 90, 110, 80, 100, 130, 95, 100, 105,
           85, 90, 140, 100, 110, 95, 100, 80, 120, 100)
pbar <- sum(p_def) / sum(p_n)
p_tol <- 3 * sqrt(pbar * (1 - pbar) * p_n)
p_lcl <- pmax(pbar * p_n - p_tol, 0) / p_n
p_ucl <- pmin(pbar * p_n + p_tol, p_n) / p_n
p_stat <- p_def / p_n
pch <- list(
  defectives = arr(p_def), sizes = arr(p_n), center = pbar,
  statistics = arr(p_stat), lcl = arr(p_lcl), ucl = arr(p_ucl),
  beyond_limits = arr(which(p_stat > p_ucl | p_stat < p_lcl)),
  method = "qcc type='p': pbar = sum(d)/sum(n); limits = pbar +- 3 sqrt(pbar(1-pbar)/n_i), clamped to [0,1]")

u_cnt <- c(14, 12, 20, 11, 8, 16, 28, 9, 13, 17, 10, 19, 6, 15, 12)
u_n   <- c(10, 8, 12, 10, 9, 11, 10, 8, 10, 12, 9, 10, 11, 10, 9)
ubar <- sum(u_cnt) / sum(u_n)
u_lcl <- pmax(ubar * u_n - 3 * sqrt(ubar * u_n), 0) / u_n
u_ucl <- (ubar * u_n + 3 * sqrt(ubar * u_n)) / u_n
u_stat <- u_cnt / u_n
uch <- list(
  counts = arr(u_cnt), sizes = arr(u_n), center = ubar,
  statistics = arr(u_stat), lcl = arr(u_lcl), ucl = arr(u_ucl),
  beyond_limits = arr(which(u_stat > u_ucl | u_stat < u_lcl)),
  method = "qcc type='u': ubar = sum(c)/sum(n); limits = ubar +- 3 sqrt(ubar/n_i), LCL clamped at 0")

## ------------------------------------------------------ ARLs (spc) ----
mus <- c(0, 0.5, 1, 2)
ewma <- list()
for (l in c(0.1, 0.2)) {
  L <- unname(xewma.crit(l, 500, sided = "two"))
  for (mu in mus)
    ewma[[length(ewma) + 1]] <- list(lambda = l, L = L, mu = mu,
      arl = xewma.arl(l, L, mu, sided = "two"))
}
cusum <- list()
for (sided in c("one", "two")) for (h in c(4, 5)) for (mu in mus)
  cusum[[length(cusum) + 1]] <- list(k = 0.5, h = h, mu = mu, sided = sided,
    arl = xcusum.arl(0.5, h, mu, sided = sided))

shew <- list(L = 3, arl0 = 1 / (2 * pnorm(-3)),
             formula = "1/(2*(1-Phi(3))), computed as 1/(2*pnorm(-3))")

## ------------------------------------------------------ output ----
out <- list(
  constants = list(n = arr(ns), d2 = arr(d2), d3 = arr(d3), c4 = arr(c4),
                   A2 = arr(3 / (d2 * sqrt(ns))),
                   D3 = arr(pmax(0, 1 - 3 * d3 / d2)), D4 = arr(1 + 3 * d3 / d2),
                   A3 = arr(3 / (c4 * sqrt(ns))),
                   B3 = arr(pmax(0, 1 - 3 * sqrt(1 - c4^2) / c4)),
                   B4 = arr(1 + 3 * sqrt(1 - c4^2) / c4)),
  qcc_constants = list(n = arr(ns), d2 = arr(qcc_d2[ns]), d3 = arr(qcc_d3[ns]),
                       c4 = arr(qcc_c4(ns)),
                       source = "qcc .qcc.options exp.R.unscaled (d2, 3 decimals) and se.R.unscaled (d3, 7 decimals); qcc.c4 formula (exact)"),
  pistonrings = lapply(seq_len(nrow(PR)), function(i) arr(PR[i, ])),
  xbar_r = xr,
  xbar_s = xs,
  xbar_newdata = xnew,
  individuals = indiv,
  p_chart = pch,
  u_chart = uch,
  ewma_arl = ewma,
  cusum_arl = cusum,
  shewhart_arl = shew,
  notes = arr(c(
    paste0(R.version.string, "; spc ", packageVersion("spc"),
           "; qcc not installed (not packaged in Debian 12 bookworm)."),
    "qcc charts are reproduced with base R using the formulas and constant tables of qcc 2.7/3.0 (stats.*, sd.*, limits.*; d2/d3 tables from .qcc.options). X-bar default std.dev is 'UWAVE-R' (mean of R_i/d2), not Rbar/d2 with exact d2.",
    "pistonrings: qcc data set (Montgomery), transcribed from qcc's data/pistonrings.txt; rows = samples 1..40, 5 diameters each; 1-25 phase I (trial=TRUE), 26-40 phase II.",
    paste0("d2 by integrate() of 1-(1-Phi)^n-Phi^n over R; d3 from E[W^2] by nested integrate() (rel.tol ", tol,
           "); checked against closed forms for n=2,3 (max abs err ", signif(max(abs(chk)), 3),
           ") and against integrated ptukey(w, n, Inf) (max abs diff ", signif(max(abs(d2 - d2_tukey)), 3), ")."),
    "qcc's d3 table differs from the integrated d3 in the 6th-7th decimal (e.g. n=2: 0.8525033 vs sqrt(2-4/pi)=0.8525025).",
    "A2, D3, D4, A3, B3, B4 in 'constants' are derived from the integrated d2, d3 and exact c4 (3-sigma).",
    "EWMA: spc::xewma.crit(lambda, 500, sided='two') then xewma.arl(lambda, L, mu, sided='two'); limits='fix' (spc default): fixed asymptotic limits +-L*sqrt(lambda/(2-lambda)), zero start z0=0, Nystroem/Gauss-Legendre r=40. L is in units of the asymptotic EWMA sd. xewma.crit solves to its own tolerance, so arl at mu=0 is ~500, not exactly 500.",
    "CUSUM: spc::xcusum.arl(k, h, mu, sided=...), r=30 quadrature nodes (unchanged at r=200 to ~1e-13), zero start; 'one' = upper one-sided CUSUM reflected at 0; 'two' = two-sided scheme, equal to 1/(1/ARL+(mu) + 1/ARL+(-mu)) (Lucas-Crosier).",
    "Individuals, p and u data are fixed made-up examples written here; beyond_limits are 1-based indices."
  )),
  commands = arr(c(
    "apt-get install -y --no-install-recommends r-base-core r-cran-spc",
    "cd Domains/Manufacturing/Tests/LineQualityTests/Fixtures && Rscript spc_reference.R > spc_reference.json"))
)
cat(to_json(out), "\n", sep = "")
