# Reference fits of mixtures of GLM regressions by R's flexmix (Grun & Leisch 2008), for
# tests/nongauss/test_regression_flexmix.py.
#
#   Rscript tests/nongauss/reference.R tests/nongauss/flexmix [name ...]   # from the repository root
#
# (the names, when given, choose some of the data sets listed at the end; about a minute each)
# Needs R with flexmix (Debian: r-cran-flexmix; flexmix 2.3-18 and nnet 7.3-18 made the stored
# files). For each data set it writes <out>/<name>.csv, the data and the starting posterior
# (columns x, z, trials, y, start1, ..., startK), and <out>/<name>_fit.csv, flexmix's fit
# (key,value lines: loglik, coef_k_j for component k's j-th coefficient, intercept first,
# gating_k_j for the concomitant model's, iter).
#
# flexmix starts from the posterior passed as `cluster` (its first step is an M-step, as with
# emcore's resp_init) and stops when the relative change of the log-likelihood is below
# `tolerance`. That rule (change of the log-likelihood) leaves the parameters about
# sqrt(tolerance) from the fixed point, so here it is switched off (tolerance 0) and every
# fit makes `iter.max` iterations, which brings it to the fixed point to round-off (the EM
# rate of these data sets is below 0.99 per iteration). Its GLM M-step is glm.fit warm-started from the previous coefficients, so at a
# tight tolerance the fit is the maximum-likelihood fixed point. Its concomitant M-step
# (FLXPmultinom) calls nnet from zero weights with nnet's default relative tolerance 1e-8,
# which leaves the gating coefficients about 1e-4 from the maximiser; the model below is
# FLXPmultinom with that one call made with reltol = 1e-15 (and the final coefficients from
# multinom with the same tolerance), nothing else changed.

suppressMessages(library(flexmix))

args <- commandArgs(trailingOnly = TRUE)
out <- if (length(args)) args[1] else "."
wanted <- args[-1]
dir.create(out, showWarnings = FALSE, recursive = TRUE)

tight_multinom <- function(formula) {
  z <- FLXPmultinom(formula)
  z@fit <- function(x, y, w, ...) {
    r <- ncol(x)
    p <- ncol(y)
    mask <- c(rep(0, r + 1), rep(c(0, rep(1, r)), p - 1))
    nnet::nnet.default(x, y, w, mask = mask, size = 0, skip = TRUE, softmax = TRUE,
                       censored = FALSE, rang = 0, trace = FALSE, maxit = 100000,
                       abstol = 0, reltol = 1e-15)$fitted.values
  }
  z@refit <- function(x, y, w, ...) {
    if (missing(w) || is.null(w)) w <- rep(1, nrow(y))
    rownames(y) <- rownames(x) <- NULL
    fit <- nnet::multinom(y ~ 0 + x, weights = w, data = list(y = y, x = x), trace = FALSE,
                          maxit = 100000, abstol = 0, reltol = 1e-15)
    fit$coefnames <- colnames(x)
    fit
  }
  z
}

control <- list(tolerance = 0, iter.max = 4000, minprior = 0)

run <- function(name, family, n, k, seed, concomitant) {
  if (length(wanted) && !(name %in% wanted)) return(invisible(NULL))
  set.seed(seed)
  x <- runif(n, 0, 3)
  z <- rnorm(n)
  trials <- if (family == "binomial") sample(1:8, n, replace = TRUE) else rep(1, n)
  gate <- if (concomitant) plogis(1.5 * z - 0.3) else rep(0.4, n)
  cl <- ifelse(runif(n) < gate, 1, 2)
  if (family == "poisson") {
    y <- rpois(n, exp(ifelse(cl == 1, 0.5 + 0.3 * x, 2 - 0.4 * x)))
  } else {
    y <- rbinom(n, trials, plogis(ifelse(cl == 1, -1 + 1.2 * x, 1.5 - 0.8 * x)))
  }
  start <- matrix(runif(k * n), n)
  start <- start / rowSums(start)
  model <- FLXMRglm(family = family)
  response <- if (family == "binomial") cbind(y, trials - y) ~ x else y ~ x
  fit <- if (concomitant) {
    flexmix(response, k = k, cluster = start, model = model,
            concomitant = tight_multinom(~ z), control = control)
  } else {
    flexmix(response, k = k, cluster = start, model = model, control = control)
  }
  data <- data.frame(x = x, z = z, trials = trials, y = y)
  for (j in seq_len(k)) data[[paste0("start", j)]] <- start[, j]
  write.csv(data, file.path(out, paste0(name, ".csv")), row.names = FALSE)
  coef <- parameters(fit)                         # (intercept, x) by component
  keys <- c("loglik", "iter")
  values <- c(sprintf("%.17g", as.numeric(logLik(fit))), fit@iter)
  for (kk in seq_len(k)) for (j in seq_len(nrow(coef))) {
    keys <- c(keys, sprintf("coef_%d_%d", kk - 1, j - 1))
    values <- c(values, sprintf("%.17g", coef[j, kk]))
  }
  if (concomitant) {
    gating <- parameters(fit, which = "concomitant")  # rows (intercept, z), columns components
    for (kk in seq_len(k)) for (j in seq_len(nrow(gating))) {
      keys <- c(keys, sprintf("gating_%d_%d", kk - 1, j - 1))
      values <- c(values, sprintf("%.17g", gating[j, kk]))
    }
  }
  writeLines(paste(keys, values, sep = ","), file.path(out, paste0(name, "_fit.csv")))
}

run("poisson", "poisson", n = 300, k = 2, seed = 1, concomitant = FALSE)
run("poisson_concomitant", "poisson", n = 300, k = 2, seed = 2, concomitant = TRUE)
run("binomial", "binomial", n = 300, k = 2, seed = 3, concomitant = FALSE)
run("binomial_concomitant", "binomial", n = 400, k = 2, seed = 4, concomitant = TRUE)
run("poisson_three", "poisson", n = 400, k = 3, seed = 5, concomitant = TRUE)

# The patent data of Wang, Cockburn & Puterman (1998), shipped with flexmix (and with emcore as
# emcore/data/patents.csv): 70 firms' patent counts against log R&D spending, three Poisson
# regressions with R&D per sale (RDS) as the concomitant variable, the model of Grun & Leisch
# (2008, section 5). The best of `nstarts` random starts (flexmix's own: hard labels drawn
# uniformly; 300 iterations each, EM's change per iteration is at round-off well before) is
# stored: patent_fit.csv as above, plus `starts` and `best_of` (how many of the starts reached
# the best log-likelihood to 1e-6 relative). About a minute.
run_patent <- function(nstarts = 10) {
  if (length(wanted) && !("patent" %in% wanted)) return(invisible(NULL))
  data("patent", package = "flexmix")
  set.seed(1998)
  fits <- lapply(seq_len(nstarts), function(i) tryCatch(
    flexmix(Patents ~ lgRD, k = 3, data = patent, model = FLXMRglm(family = "poisson"),
            concomitant = tight_multinom(~ RDS), control = list(tolerance = 0, iter.max = 300)),
    error = function(e) NULL))
  fits <- Filter(function(f) !is.null(f) && length(f@size) == 3, fits)
  ll <- sapply(fits, function(f) as.numeric(logLik(f)))
  fit <- fits[[which.max(ll)]]
  coef <- parameters(fit)
  gating <- parameters(fit, which = "concomitant")
  keys <- c("loglik", "iter", "starts", "best_of")
  values <- c(sprintf("%.17g", max(ll)), fit@iter, length(fits),
              sum(ll > max(ll) - 1e-6 * abs(max(ll))))
  for (kk in 1:3) for (j in 1:2) {
    keys <- c(keys, sprintf("coef_%d_%d", kk - 1, j - 1), sprintf("gating_%d_%d", kk - 1, j - 1))
    values <- c(values, sprintf("%.17g", coef[j, kk]), sprintf("%.17g", gating[j, kk]))
  }
  writeLines(paste(keys, values, sep = ","), file.path(out, "patent_fit.csv"))
}

run_patent()
