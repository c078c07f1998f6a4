# lme4 glmer reference numbers for the random-slopes tests of tests/mixed/test_glmm_slopes.py.
#
#   Rscript tests/mixed/reference_glmm_slopes.R [output.csv]      (from the repository root)
#
# Simulates (once, seeded) binomial counts with a random intercept and a random slope per group,
# tests/mixed/data/slopes.csv (g, x, y, n), and fits y/n ~ x + (1 + x | g) by the Laplace
# approximation (nAGQ = 1, the only choice glmer has for two random effects per group) to a
# tight optimiser tolerance; with 40 trials per row the Laplace approximation is close to the
# likelihood. Writes tests/mixed/glmer_slopes_reference.csv (case, quantity, index, value to 17
# digits; quantities llf, fe, cov with cov the 2 x 2 covariance matrix by columns).
suppressMessages(library(lme4))

here <- "tests/mixed"
args <- commandArgs(trailingOnly = TRUE)
output <- if (length(args) > 0) args[1] else file.path(here, "glmer_slopes_reference.csv")
data_file <- file.path(here, "data", "slopes.csv")
if (!file.exists(data_file)) {
  set.seed(38)
  groups <- 40
  per_group <- 6
  g <- rep(seq_len(groups), each = per_group)
  x <- round(rnorm(groups * per_group), 4)
  L <- chol(matrix(c(0.5, 0.1, 0.1, 0.3), 2))
  b <- matrix(rnorm(2 * groups), groups) %*% L
  n <- rep(40L, groups * per_group)
  eta <- -0.3 + 0.8 * x + b[g, 1] + b[g, 2] * x
  y <- rbinom(length(n), n, plogis(eta))
  write.csv(data.frame(g = g, x = x, y = y, n = n), data_file, row.names = FALSE, quote = FALSE)
}
slopes <- read.csv(data_file)
control <- glmerControl(optimizer = "bobyqa", optCtrl = list(rhoend = 1e-10))
fit <- glmer(cbind(y, n - y) ~ x + (1 + x | g), data = slopes, family = binomial, nAGQ = 1,
             control = control)
rows <- list()
for (q in list(list("llf", logLik(fit)), list("fe", fixef(fit)),
               list("cov", as.matrix(VarCorr(fit)[[1]])))) {
  values <- as.numeric(q[[2]])
  rows[[length(rows) + 1]] <- data.frame(case = "slopes", quantity = q[[1]],
                                         index = seq_along(values) - 1,
                                         value = sprintf("%.17g", values))
}
write.csv(do.call(rbind, rows), output, row.names = FALSE, quote = FALSE)
cat(sprintf("lme4 %s: glmer random-slopes references written\n",
            as.character(packageVersion("lme4"))))
