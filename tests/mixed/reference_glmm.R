# lme4 glmer reference numbers for tests/mixed/test_glmm.py (LogisticMixedModel).
#
#   Rscript tests/mixed/reference_glmm.R [output.csv]      (from the repository root)
#
# Adaptive Gauss-Hermite quadrature with 25 nodes (nAGQ = 25) to a tight optimiser tolerance:
# the maximum likelihood estimates the Monte Carlo fits are compared with. Writes
# tests/mixed/glmer_reference.csv (case, quantity, index, value to 17 digits; quantities llf,
# fe, cov) and tests/mixed/data/cbpp.csv (lme4's cbpp data: herd, incidence, size, period).
suppressMessages(library(lme4))

here <- "tests/mixed"
args <- commandArgs(trailingOnly = TRUE)
output <- if (length(args) > 0) args[1] else file.path(here, "glmer_reference.csv")
data(cbpp, package = "lme4")
cbpp_file <- file.path(here, "data", "cbpp.csv")
if (!file.exists(cbpp_file)) {
  write.csv(data.frame(herd = as.integer(cbpp$herd), incidence = cbpp$incidence,
                       size = cbpp$size, period = as.integer(cbpp$period)),
            cbpp_file, row.names = FALSE, quote = FALSE)
}
cbpp2 <- read.csv(cbpp_file)
cbpp2$period <- factor(cbpp2$period)
logistic <- read.csv(file.path(here, "data", "logistic.csv"))

control <- glmerControl(optimizer = "bobyqa", optCtrl = list(rhoend = 1e-10))
fits <- list(
  logistic = glmer(y ~ x + (1 | g), data = logistic, family = binomial, nAGQ = 25,
                   control = control),
  cbpp = glmer(cbind(incidence, size - incidence) ~ period + (1 | herd), data = cbpp2,
               family = binomial, nAGQ = 25, control = control)
)
rows <- list()
for (name in names(fits)) {
  fit <- fits[[name]]
  for (q in list(list("llf", logLik(fit)), list("fe", fixef(fit)),
                 list("cov", as.matrix(VarCorr(fit)[[1]])))) {
    values <- as.numeric(q[[2]])
    rows[[length(rows) + 1]] <- data.frame(case = name, quantity = q[[1]],
                                           index = seq_along(values) - 1,
                                           value = sprintf("%.17g", values))
  }
}
write.csv(do.call(rbind, rows), output, row.names = FALSE, quote = FALSE)
cat(sprintf("lme4 %s: glmer references written\n", as.character(packageVersion("lme4"))))
