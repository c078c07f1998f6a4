# mclust's own VVV merge sequence on faithful with use = "VARS", and the cost hcvvv reports for
# each merge, for the live test that locates where emcore's tree departs from mclust's:
#
#   Rscript tests/mclust/hierarchical_costs.R OUT
#
# reads OUT/data/faithful.csv and writes OUT/costs.csv (one merge cost a line, as hcVVV
# calls the Fortran) and OUT/partitions.csv (hclass for 2, ..., n - 1 groups, one column each).

suppressMessages(library(mclust))
out <- commandArgs(trailingOnly = TRUE)[1]
X <- as.matrix(read.csv(file.path(out, "data", "faithful.csv"), header = FALSE))
dimnames(X) <- NULL
n <- nrow(X); p <- ncol(X); m <- n - 1
alpha <- max(mclust:::traceW(X / sqrt(n * p)), .Machine$double.eps)    # as hcVVV
ld <- max(n, n * (n - 1) / 2 + 1, 3 * m)
fit <- .Fortran("hcvvv", cbind(X, 0.), as.integer(n), as.integer(p), as.integer(1:n),
                as.integer(n), as.integer(m), as.double(alpha), as.double(1), double(p),
                double(p * p), double(p * p), double(p * p), as.integer(ld), double(ld),
                PACKAGE = "mclust")
writeLines(format(fit[[14]][1:m], digits = 17), file.path(out, "costs.csv"))
tree <- hc(X, modelName = "VVV", use = "VARS")
write.table(hclass(tree, 2:(n - 1)), file.path(out, "partitions.csv"), sep = ",",
            row.names = FALSE, col.names = FALSE)
