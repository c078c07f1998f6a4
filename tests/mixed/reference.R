# lme4 reference numbers for tests/mixed/test_lmm.py (LinearMixedModel).
#
#   Rscript tests/mixed/reference.R [output.csv]      (from the repository root)
#
# writes tests/mixed/lme4_reference.csv (or output.csv): one row per (case, reml, quantity, index) with the
# value to 17 significant digits. The optimiser runs to a tight tolerance (bobyqa,
# rhoend = 1e-10) so that the estimates are the maximum to ~1e-8, not to lme4's default.
# Quantities: llf (logLik: the REML criterion's log-likelihood when reml = 1), fe (fixef),
# cov (the random-effects covariance, row-major), scale (sigma^2), re (ranef, row-major,
# groups in sorted order).
suppressMessages(library(lme4))

cases <- list(
  list(name = "dietox_intercept", file = "dietox.csv", formula = Weight ~ Time + (1 | Pig)),
  list(name = "dietox_slope", file = "dietox.csv", formula = Weight ~ Time + (Time | Pig)),
  list(name = "sleepsim", file = "sleepsim.csv", formula = y ~ days + (days | subject)),
  list(name = "unbalanced", file = "unbalanced.csv", formula = y ~ x + w + (x | g)),
  list(name = "boundary", file = "boundary.csv", formula = y ~ x1 + x2 + (1 | g)),
  list(name = "singular", file = "singular.csv", formula = y ~ x + w + (x | g))
)

here <- "tests/mixed"
args <- commandArgs(trailingOnly = TRUE)
output <- if (length(args) > 0) args[1] else file.path(here, "lme4_reference.csv")
rows <- list()
add <- function(case, reml, quantity, values) {
  values <- as.numeric(values)
  rows[[length(rows) + 1]] <<- data.frame(
    case = case, reml = reml, quantity = quantity, index = seq_along(values) - 1,
    value = sprintf("%.17g", values))
}
for (case in cases) {
  data <- read.csv(file.path(here, "data", case$file))
  for (reml in c(1, 0)) {
    fit <- lmer(case$formula, data = data, REML = reml == 1,
                control = lmerControl(optimizer = "bobyqa", optCtrl = list(rhoend = 1e-10)))
    add(case$name, reml, "llf", logLik(fit))
    add(case$name, reml, "fe", fixef(fit))
    add(case$name, reml, "cov", t(as.matrix(VarCorr(fit)[[1]])))
    add(case$name, reml, "scale", sigma(fit)^2)
    re <- as.matrix(ranef(fit)[[1]])
    re <- re[order(as.numeric(rownames(re))), , drop = FALSE]
    add(case$name, reml, "re", t(re))
  }
}
out <- do.call(rbind, rows)
write.csv(out, output, row.names = FALSE, quote = FALSE)
cat(sprintf("lme4 %s: %d values written\n", as.character(packageVersion("lme4")), nrow(out)))
