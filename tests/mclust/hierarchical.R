# Reference partitions of R's mclust for emcore.hierarchical_partitions: hclass(hc(X), ks),
# model-based agglomerative clustering with mclust's default VVV merging criterion.
#
#   Rscript tests/mclust/hierarchical.R tests/mclust
#
# reads data/faithful.csv (the floats Python reads; written by reference.R) and writes
# hierarchical.json: the classifications into 2, ..., 9 groups, for the data transformation
# "SVD" (mclust.options("hcUse"), the one Mclust starts from) and "VARS" (the data as given,
# hc's own default). Needs mclust (Debian's r-cran-mclust, mclust 6); no other package.

suppressMessages(library(mclust))
args <- commandArgs(trailingOnly = TRUE)
out <- if (length(args)) args[1] else "."
X <- as.matrix(read.csv(file.path(out, "data", "faithful.csv"), header = FALSE))
dimnames(X) <- NULL

ks <- 2:9
records <- character(0)
for (use in c("SVD", "VARS")) {
  cl <- hclass(hc(X, modelName = "VVV", use = use), ks)
  rows <- sapply(seq_along(ks), function(j) paste0("[", paste(cl[, j], collapse = ", "), "]"))
  records <- c(records, paste0('    "', use, '": {', paste0('"', ks, '": ', rows, collapse = ", "),
                               "}"))
}
json <- paste0('{\n  "mclust": "', packageVersion("mclust"), '",\n  "data": "faithful",\n',
               '  "model": "VVV",\n  "partitions": {\n', paste(records, collapse = ",\n"),
               "\n  }\n}\n")
writeLines(json, file.path(out, "hierarchical.json"))
