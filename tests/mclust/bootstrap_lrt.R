# Reference numbers of R's mclust for emcore.bootstrap_lrt: mclustBootstrapLRT on faithful.
#
#   Rscript tests/mclust/bootstrap_lrt.R tests/mclust
#
# reads data/faithful.csv (the floats Python reads; written by reference.R) and writes
# bootstrap_lrt.json. Needs mclust (Debian's r-cran-mclust, mclust 6); no other package.
#
# mclustBootstrapLRT fits each K with mclust's hierarchical start, then refits every bootstrap
# sample by EM from the fitted K and K + 1 models. EM runs to a tight tolerance (1e-10
# relative), so the observed statistics 2 (loglik_{K+1} - loglik_K) belong to the maxima and not
# to where a loose tolerance stopped. The p-value is (1 + #{boot >= obs}) / (nboot + 1).

suppressMessages(library(mclust))
args <- commandArgs(trailingOnly = TRUE)
out <- if (length(args)) args[1] else "."
X <- as.matrix(read.csv(file.path(out, "data", "faithful.csv"), header = FALSE))
dimnames(X) <- NULL

num <- function(x) paste(sprintf("%.17g", as.numeric(x)), collapse = ", ")
arr <- function(x) paste0("[", num(x), "]")

control <- emControl(tol = c(1e-10, 1e-12))
nboot <- 199
records <- character(0)
for (model in c("VVV", "EEE", "VII")) {
  # the log-likelihoods of the fits the observed statistics come from (G = 1, 2, 3)
  loglik <- sapply(1:3, function(g) summary(mclustBIC(X, G = g, modelNames = model,
                                                      control = control), X)$loglik)
  set.seed(20261205)
  lrt <- mclustBootstrapLRT(X, modelName = model, nboot = nboot, maxG = 2, verbose = FALSE,
                            control = control)
  records <- c(records, paste0(
    '    {"model": "', model, '", "nboot": ', nboot, ', "G": ', arr(lrt$G),
    ', "obs": ', arr(lrt$obs), ', "p_value": ', arr(lrt$p.value),
    ', "boot_mean": ', arr(colMeans(lrt$boot)), ', "boot_sd": ', arr(apply(lrt$boot, 2, sd)),
    ', "loglik": ', arr(loglik), "}"))
}
json <- paste0('{\n  "mclust": "', packageVersion("mclust"), '",\n  "data": "faithful",\n',
               '  "tests": [\n', paste(records, collapse = ",\n"), "\n  ]\n}\n")
writeLines(json, file.path(out, "bootstrap_lrt.json"))
