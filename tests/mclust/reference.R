# Reference numbers of R's mclust for tests/mclust: every one of the 14 covariance models
# fitted on three data sets, scored again at the returned parameters.
#
#   Rscript tests/mclust/reference.R tests/mclust
#
# writes data/*.csv (the data, as Python reads them) and reference.json. Needs mclust
# (Debian's r-cran-mclust, mclust 6); no other package (the JSON is written by hand).
#
# Mclust's own $loglik comes from the E-step before its last M-step, so it does not belong
# to the returned parameters: each fit is scored again with estep() at those parameters,
# and BIC = 2 loglik - df log n and ICL = BIC + 2 sum log z_{i, MAP} are computed from that
# score (mclust's definitions, icl.Mclust, mclust's higher-is-better sign). EM runs to a tight
# tolerance (outer 1e-10 relative, inner 1e-12) so that the parameters are a fixed point.

suppressMessages(library(mclust))
args <- commandArgs(trailingOnly = TRUE)
out <- if (length(args)) args[1] else "."
dir.create(file.path(out, "data"), showWarnings = FALSE)

num <- function(x) paste(sprintf("%.17g", as.numeric(x)), collapse = ", ")
arr <- function(x) paste0("[", num(x), "]")
str <- function(x) paste0('"', x, '"')

set.seed(20261205)
sim <- rbind(
  cbind(rnorm(120, 0, 1), rnorm(120, 0, 0.5), rnorm(120, 0, 1.5)),
  cbind(rnorm(90, 4, 2), rnorm(90, 1, 0.7), rnorm(90, -2, 0.6)),
  cbind(rnorm(60, 1, 0.4), rnorm(60, 5, 1.2), rnorm(60, 3, 0.9))
)
sim[, 2] <- sim[, 2] + 0.6 * sim[, 1]  # correlated, so the orientations differ from the axes
datasets <- list(
  faithful = as.matrix(faithful),
  iris = as.matrix(iris[, 1:4]),
  simulated = sim
)
for (name in names(datasets)) {
  write.table(format(datasets[[name]], digits = 17), file.path(out, "data", paste0(name, ".csv")),
              sep = ",", row.names = FALSE, col.names = FALSE, quote = FALSE)
}
# read back what Python reads, so both sides see the same floats
for (name in names(datasets)) {
  datasets[[name]] <- as.matrix(read.csv(file.path(out, "data", paste0(name, ".csv")),
                                         header = FALSE))
  dimnames(datasets[[name]]) <- NULL
}

models <- c("EII", "VII", "EEI", "VEI", "EVI", "VVI", "EEE", "VEE", "EVE", "VVE",
            "EEV", "VEV", "EVV", "VVV")
components <- c(faithful = 2, iris = 3, simulated = 3)
control <- emControl(tol = c(1e-10, 1e-12))

fits <- character(0)
for (name in names(datasets)) {
  X <- datasets[[name]]
  n <- nrow(X)
  G <- components[[name]]
  for (m in models) {
    fit <- Mclust(X, G = G, modelNames = m, control = control, verbose = FALSE)
    if (is.null(fit)) {
      fits <- c(fits, sprintf('{"data": %s, "model": %s, "k": %d, "error": true}',
                              str(name), str(m), G))
      next
    }
    # mclust's start: the partition of its model-based hierarchical clustering (hcPairs
    # of the SVD-transformed data, model VVV), from which me() runs EM (an M-step first)
    start <- hclass(attr(fit$BIC, "initialization")$hcPairs, G)[, 1]
    again <- me(data = X, modelName = m, z = unmap(start), control = control)
    stopifnot(isTRUE(all.equal(again$loglik, fit$loglik, tolerance = 1e-12)))
    p <- fit$parameters
    e <- estep(data = X, modelName = m, parameters = p)
    z <- e$z
    df <- fit$df
    bic <- 2 * e$loglik - df * log(n)
    map_log_z <- sum(log(z[cbind(seq_len(n), max.col(z, ties.method = "first"))]))
    icl_value <- bic + 2 * map_log_z
    # R stores arrays column-major: mean (d x G) is written component after component,
    # sigma (d x d x G) transposed first so that each component's matrix is row-major
    fits <- c(fits, sprintf(paste0(
      '{"data": %s, "model": %s, "k": %d, "error": false, "n": %d, "d": %d, ',
      '"weights": %s, "means": %s, "covariances": %s, "loglik": %s, "df": %d, ',
      '"bic": %s, "icl": %s, "icl_mclust": %s, "mclust_loglik": %s, "start": %s}'),
      str(name), str(m), G, n, ncol(X), arr(p$pro), arr(p$mean),
      arr(aperm(p$variance$sigma, c(2, 1, 3))), num(e$loglik), as.integer(df), num(bic), num(icl_value),
      num(icl(fit)), num(fit$loglik), paste0("[", paste(start, collapse = ", "), "]")))
  }
}

# mclust's BIC table (its default hierarchical start, EM run to the tight tolerance) on
# faithful, K = 1..3, all 14 models
bic_table <- mclustBIC(datasets$faithful, G = 1:3, modelNames = models, control = control,
                       verbose = FALSE)
cells <- character(0)
for (g in 1:3) for (m in models) {
  cells <- c(cells, sprintf('{"k": %d, "model": %s, "bic": %s}', g, str(m),
                            ifelse(is.na(bic_table[g, m]), "null", num(bic_table[g, m]))))
}

# one dimension: mclust's models are "E" (equal variances) and "V"; the 14 reduce to these
waiting <- datasets$faithful[, 2]
one_d <- sapply(c("E", "V"), function(m) {
  fit <- Mclust(waiting, G = 2, modelNames = m, control = control, verbose = FALSE)
  sprintf('"%s": {"loglik": %s, "df": %d}', m,
          num(estep(data = waiting, modelName = m, parameters = fit$parameters)$loglik),
          as.integer(fit$df))
})

json <- paste0('{\n"mclust_version": ', str(as.character(packageVersion("mclust"))),
               ',\n"fits": [\n', paste(fits, collapse = ",\n"),
               '\n],\n"faithful_bic_table": [\n', paste(cells, collapse = ",\n"),
               '\n],\n"waiting_one_dimensional": {', paste(one_d, collapse = ", "), '}\n}\n')
writeLines(json, file.path(out, "reference.json"))
