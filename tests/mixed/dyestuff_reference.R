# lme4 reference numbers for the dyestuff data (tests/mixed/test_dyestuff.py, chapter 17).
#
#   Rscript tests/mixed/dyestuff_reference.R [output.csv]      (from the repository root)
#
# Fits Yield ~ 1 + (1 | Batch) to emcore/data/dyestuff.csv (lme4's Dyestuff) by REML and by ML,
# the optimiser run to a tight tolerance (bobyqa, rhoend = 1e-10), and writes
# tests/mixed/dyestuff_reference.csv: one row per (reml, quantity) with the value to 17
# significant digits. Quantities: llf (logLik), fe (the intercept), cov (the batch variance),
# scale (the residual variance). Bates' lme4 book (ch. 1) prints the same fits rounded:
# REML 1764.0 and 2451.3, ML 1388.3 and 2451.2, intercept 1527.5.
suppressMessages(library(lme4))

args <- commandArgs(trailingOnly = TRUE)
output <- if (length(args) > 0) args[1] else "tests/mixed/dyestuff_reference.csv"
data <- read.csv("emcore/data/dyestuff.csv")
data$batch <- factor(data$batch)
rows <- list()
for (reml in c(1, 0)) {
  fit <- lmer(yield ~ 1 + (1 | batch), data = data, REML = reml == 1,
              control = lmerControl(optimizer = "bobyqa", optCtrl = list(rhoend = 1e-10)))
  values <- c(llf = as.numeric(logLik(fit)), fe = as.numeric(fixef(fit)),
              cov = as.numeric(VarCorr(fit)$batch), scale = sigma(fit)^2)
  rows[[length(rows) + 1]] <- data.frame(reml = reml, quantity = names(values),
                                         value = sprintf("%.17g", values))
}
write.csv(do.call(rbind, rows), output, row.names = FALSE, quote = FALSE)
cat(sprintf("lme4 %s: dyestuff reference written to %s\n", packageVersion("lme4"), output))
